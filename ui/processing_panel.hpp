#pragma once
// Processing controls with live preview. The panel never edits the document itself: it emits the edited
// settings, and the main window pushes them on the undo stack.
#include <QWidget>

#include "processing_settings.hpp"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QStackedWidget;

namespace pxrd::ui {

class ProcessingPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ProcessingPanel(QWidget* parent = nullptr);

  // Shows `s` without emitting anything.
  void set_settings(const ProcessingSettings& s);
  const ProcessingSettings& settings() const { return current_; }
  void set_error(const QString& message);  // empty hides it
  void set_document_loaded(bool loaded);  // disables everything when there is no pattern

  // Control ids used as undo merge ids, so that dragging one control is one undo step.
  enum Control { kRadiation = 100, kZero, kBackground, kSnip, kCheb, kBall, kPoints, kKa2, kSmooth, kSigma, kNano,
                 kSize };
  QPushButton* pick_points_button() const { return pick_; }

 signals:
  void settings_edited(const ProcessingSettings& s, const QString& text, int merge_id);
  void reset_requested();
  void pick_points_toggled(bool on);

 private:
  void edited(const QString& text, int merge_id);
  void radiation_preset_chosen(int index);
  void sync_enabled();

  ProcessingSettings current_;
  bool updating_ = false;
  QComboBox* radiation_;
  QDoubleSpinBox* lambda1_;
  QDoubleSpinBox* lambda2_;
  QDoubleSpinBox* ratio_;
  QDoubleSpinBox* zero_;
  QComboBox* background_;
  QStackedWidget* bg_params_;
  QSpinBox* snip_;
  QSpinBox* cheb_;
  QDoubleSpinBox* ball_;
  QPushButton* pick_;
  QPushButton* clear_points_;
  QCheckBox* ka2_;
  QCheckBox* smooth_;
  QDoubleSpinBox* sigma_;
  QCheckBox* nano_;
  QDoubleSpinBox* size_;
  QPushButton* reset_;
  QLabel* error_;
  QLabel* radiation_label_;
};

}  // namespace pxrd::ui
