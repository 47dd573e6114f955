#include "status_line.hpp"

#include <QPainter>
#include <QStyle>
#include <QStyleOption>

namespace pxrd::ui {

StatusLine::StatusLine(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
}

void StatusLine::setText(const QString& text) {
  if (text == text_) return;
  text_ = text;
  setToolTip(fontMetrics().horizontalAdvance(text_) > contentsRect().width() ? text_ : QString());
  update();
}

// Fixed by the font alone, never by the text, so that a text change asks for no new layout.
QSize StatusLine::sizeHint() const { return {fontMetrics().averageCharWidth() * 30, fontMetrics().height() + 4}; }
QSize StatusLine::minimumSizeHint() const { return {0, fontMetrics().height() + 4}; }

void StatusLine::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const QRect r = contentsRect().adjusted(1, 0, -1, 0);
  p.setPen(palette().color(isEnabled() ? QPalette::Active : QPalette::Disabled, QPalette::WindowText));
  p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, fontMetrics().elidedText(text_, Qt::ElideRight, r.width()));
}

}  // namespace pxrd::ui
