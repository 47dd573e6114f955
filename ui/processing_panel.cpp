#include "processing_panel.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <cmath>

#include "pxrd/error.hpp"

namespace pxrd::ui {

namespace {
QDoubleSpinBox* dspin(double lo, double hi, double step, int decimals, const QString& suffix = {}) {
  auto* s = new QDoubleSpinBox;
  s->setRange(lo, hi);
  s->setSingleStep(step);
  s->setDecimals(decimals);
  s->setSuffix(suffix);
  s->setKeyboardTracking(false);
  return s;
}
QSpinBox* ispin(int lo, int hi) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setKeyboardTracking(false);
  return s;
}
}  // namespace

ProcessingPanel::ProcessingPanel(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);

  auto* rad_box = new QGroupBox(tr("Radiation"));
  auto* rf = new QFormLayout(rad_box);
  radiation_ = new QComboBox;
  radiation_->setObjectName("radiationCombo");
  for (const std::string& name : radiation_preset_names()) radiation_->addItem(QString::fromStdString(name));
  radiation_->addItem(tr("Custom"));
  lambda1_ = dspin(0.01, 5.0, 0.0001, 6, QStringLiteral(" Å"));
  lambda2_ = dspin(0.0, 5.0, 0.0001, 6, QStringLiteral(" Å"));
  ratio_ = dspin(0.0, 1.0, 0.05, 3);
  zero_ = dspin(-2.0, 2.0, 0.001, 4, QStringLiteral("°"));
  zero_->setObjectName("zeroShift");
  radiation_label_ = new QLabel;
  radiation_label_->setWordWrap(true);
  rf->addRow(tr("Preset"), radiation_);
  rf->addRow(tr("λ1"), lambda1_);
  rf->addRow(tr("λ2 (Kα2)"), lambda2_);
  rf->addRow(tr("Kα2/Kα1 ratio"), ratio_);
  rf->addRow(tr("Zero shift"), zero_);
  rf->addRow(radiation_label_);
  outer->addWidget(rad_box);

  auto* bg_box = new QGroupBox(tr("Background"));
  auto* bf = new QFormLayout(bg_box);
  background_ = new QComboBox;
  background_->setObjectName("backgroundCombo");
  background_->addItems({tr("None"), tr("SNIP"), tr("Chebyshev"), tr("Rolling ball"), tr("Manual points")});
  bf->addRow(tr("Method"), background_);
  bg_params_ = new QStackedWidget;
  bg_params_->addWidget(new QLabel(tr("No background subtraction")));
  snip_ = ispin(1, 500);
  snip_->setObjectName("snipIterations");
  cheb_ = ispin(1, 30);
  ball_ = dspin(0.05, 50.0, 0.1, 2, QStringLiteral("°"));
  auto page = [&](const QString& label, QWidget* w) {
    auto* p = new QWidget;
    auto* l = new QFormLayout(p);
    l->setContentsMargins(0, 0, 0, 0);
    l->addRow(label, w);
    bg_params_->addWidget(p);
  };
  page(tr("Iterations"), snip_);
  page(tr("Order"), cheb_);
  page(tr("Radius"), ball_);
  auto* pts = new QWidget;
  auto* pl = new QHBoxLayout(pts);
  pl->setContentsMargins(0, 0, 0, 0);
  pick_ = new QPushButton(tr("Place on plot"));
  pick_->setCheckable(true);
  pick_->setToolTip(tr("Left click adds a background point, right click removes the nearest one"));
  clear_points_ = new QPushButton(tr("Clear"));
  pl->addWidget(pick_);
  pl->addWidget(clear_points_);
  bg_params_->addWidget(pts);
  bf->addRow(bg_params_);
  outer->addWidget(bg_box);

  auto* filt_box = new QGroupBox(tr("Filters"));
  auto* ff = new QFormLayout(filt_box);
  ka2_ = new QCheckBox(tr("Strip Kα2 (Rachinger)"));
  ka2_->setObjectName("stripKa2");
  smooth_ = new QCheckBox(tr("Gaussian smoothing"));
  sigma_ = dspin(0.001, 2.0, 0.01, 3, QStringLiteral("°"));
  nano_ = new QCheckBox(tr("Nanoscale sinc² filter"));
  nano_->setToolTip(tr("Broadens to a finite crystallite size τ: I ⊛ sinc²(Qτ/2); candidates are simulated the same way"));
  size_ = dspin(5.0, 5000.0, 5.0, 1, QStringLiteral(" Å"));
  size_->setObjectName("crystalliteSize");
  ff->addRow(ka2_);
  ff->addRow(smooth_, sigma_);
  ff->addRow(nano_, size_);
  outer->addWidget(filt_box);

  reset_ = new QPushButton(tr("Reset to loaded"));
  reset_->setObjectName("resetToLoaded");
  outer->addWidget(reset_);
  error_ = new QLabel;
  error_->setWordWrap(true);
  error_->setStyleSheet("color: #b00020");
  error_->hide();
  outer->addWidget(error_);
  outer->addStretch(1);

  connect(radiation_, qOverload<int>(&QComboBox::activated), this, &ProcessingPanel::radiation_preset_chosen);
  auto custom_changed = [this] {
    if (updating_) return;
    current_.radiation.name = "custom";
    current_.radiation.lambda1_angstrom = lambda1_->value();
    current_.radiation.lambda2_angstrom = lambda2_->value();
    current_.radiation.ratio = ratio_->value();
    edited(tr("Change wavelength"), kRadiation);
  };
  for (QDoubleSpinBox* s : {lambda1_, lambda2_, ratio_})
    connect(s, qOverload<double>(&QDoubleSpinBox::valueChanged), this, custom_changed);
  connect(zero_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
    current_.zero_shift_deg = v;
    edited(tr("Zero shift %1°").arg(v), kZero);
  });
  connect(background_, qOverload<int>(&QComboBox::activated), this, [this](int i) {
    current_.background = static_cast<BackgroundMethod>(i);
    edited(tr("Background: %1").arg(background_->itemText(i)), kBackground);
  });
  connect(snip_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int v) {
    current_.snip_iterations = v;
    edited(tr("SNIP iterations %1").arg(v), kSnip);
  });
  connect(cheb_, qOverload<int>(&QSpinBox::valueChanged), this, [this](int v) {
    current_.chebyshev_order = v;
    edited(tr("Chebyshev order %1").arg(v), kCheb);
  });
  connect(ball_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
    current_.rolling_ball_radius_deg = v;
    edited(tr("Rolling-ball radius %1°").arg(v), kBall);
  });
  connect(pick_, &QPushButton::toggled, this, &ProcessingPanel::pick_points_toggled);
  connect(clear_points_, &QPushButton::clicked, this, [this] {
    current_.manual_points.clear();
    edited(tr("Clear background points"), -1);
  });
  connect(ka2_, &QCheckBox::toggled, this, [this](bool on) {
    current_.strip_ka2 = on;
    edited(on ? tr("Strip Kα2") : tr("Keep Kα2"), -1);
  });
  connect(smooth_, &QCheckBox::toggled, this, [this](bool on) {
    current_.smooth = on;
    edited(on ? tr("Smoothing on") : tr("Smoothing off"), -1);
  });
  connect(sigma_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
    current_.smooth_sigma_deg = v;
    edited(tr("Smoothing σ %1°").arg(v), kSigma);
  });
  connect(nano_, &QCheckBox::toggled, this, [this](bool on) {
    current_.nano_filter = on;
    edited(on ? tr("Nanoscale filter on") : tr("Nanoscale filter off"), -1);
  });
  connect(size_, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
    current_.crystallite_size_angstrom = v;
    edited(tr("Crystallite size %1 Å").arg(v), kSize);
  });
  connect(reset_, &QPushButton::clicked, this, &ProcessingPanel::reset_requested);
  set_settings(current_);
  set_document_loaded(false);
}

void ProcessingPanel::radiation_preset_chosen(int index) {
  if (index == radiation_->count() - 1) {  // Custom: keep the numbers, let the user edit them
    current_.radiation.name = "custom";
  } else {
    try {
      current_.radiation = radiation_from_string(radiation_->itemText(index).toStdString());
    } catch (const Error& e) {
      set_error(QString::fromStdString(e.what()));
      return;
    }
  }
  edited(tr("Radiation %1").arg(radiation_->itemText(index)), kRadiation);
  set_settings(current_);
}

void ProcessingPanel::edited(const QString& text, int merge_id) {
  if (updating_) return;
  sync_enabled();
  emit settings_edited(current_, text, merge_id);
}

void ProcessingPanel::sync_enabled() {
  const bool custom = radiation_->currentIndex() == radiation_->count() - 1;
  for (QWidget* w : {static_cast<QWidget*>(lambda1_), static_cast<QWidget*>(lambda2_), static_cast<QWidget*>(ratio_)})
    w->setEnabled(custom && isEnabled());
  bg_params_->setCurrentIndex(background_->currentIndex());
  sigma_->setEnabled(smooth_->isChecked());
  size_->setEnabled(nano_->isChecked());
  ka2_->setEnabled(current_.radiation.has_second_line());
}

void ProcessingPanel::set_settings(const ProcessingSettings& s) {
  updating_ = true;
  current_ = s;
  int preset = radiation_->findText(QString::fromStdString(s.radiation.name));
  // A file that states only numbers still maps to its preset when the numbers are one.
  for (int i = 0; preset < 0 && i + 1 < radiation_->count(); ++i) {
    try {
      const Radiation r = radiation_from_string(radiation_->itemText(i).toStdString());
      if (std::abs(r.lambda1_angstrom - s.radiation.lambda1_angstrom) < 1e-6 &&
          std::abs(r.lambda2_angstrom - s.radiation.lambda2_angstrom) < 1e-6 &&
          std::abs(r.ratio - s.radiation.ratio) < 1e-6)
        preset = i;
    } catch (const Error&) {
    }
  }
  if (preset < 0) preset = radiation_->count() - 1;
  radiation_->setCurrentIndex(preset);
  lambda1_->setValue(s.radiation.lambda1_angstrom);
  lambda2_->setValue(s.radiation.lambda2_angstrom);
  ratio_->setValue(s.radiation.ratio);
  zero_->setValue(s.zero_shift_deg);
  background_->setCurrentIndex(int(s.background));
  snip_->setValue(s.snip_iterations);
  cheb_->setValue(s.chebyshev_order);
  ball_->setValue(s.rolling_ball_radius_deg);
  ka2_->setChecked(s.strip_ka2);
  smooth_->setChecked(s.smooth);
  sigma_->setValue(s.smooth_sigma_deg);
  nano_->setChecked(s.nano_filter);
  size_->setValue(s.crystallite_size_angstrom);
  clear_points_->setText(tr("Clear (%1)").arg(s.manual_points.size()));
  radiation_label_->setText(s.radiation.lambda1_angstrom > 0
                                ? tr("In force: %1").arg(QString::fromStdString(s.radiation.describe()))
                                : tr("No radiation set: choose one before solving"));
  sync_enabled();
  updating_ = false;
}

void ProcessingPanel::set_error(const QString& message) {
  error_->setText(message);
  error_->setVisible(!message.isEmpty());
}

void ProcessingPanel::set_document_loaded(bool loaded) {
  for (QObject* child : children())
    if (auto* w = qobject_cast<QGroupBox*>(child)) w->setEnabled(loaded);
  reset_->setEnabled(loaded);
  sync_enabled();
}

}  // namespace pxrd::ui
