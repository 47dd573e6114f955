#pragma once
// A one-line text display whose text changes never re-lay out the window. A QLabel calls updateGeometry() on
// every setText(), which makes the QMainWindow recompute its whole layout (docks, plot, 3D view): 20–50 ms on a
// busy 2-core machine, five times a second while a solve reports its stages. This widget only repaints itself.
#include <QString>
#include <QWidget>

namespace pxrd::ui {

class StatusLine : public QWidget {
  Q_OBJECT
 public:
  explicit StatusLine(QWidget* parent = nullptr);
  void setText(const QString& text);  // repaints; the full text is the tooltip when it is elided
  const QString& text() const { return text_; }
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  QString text_;
};

}  // namespace pxrd::ui
