#pragma once
// What the processing panel edits: one value type, compared and stored as a whole so that each change is one undo step.
#include <QJsonObject>
#include <QPointF>
#include <QString>
#include <vector>

#include "pxrd/radiation.hpp"

namespace pxrd::ui {

enum class BackgroundMethod { None, Snip, Chebyshev, RollingBall, Manual };
const char* background_method_id(BackgroundMethod m);  // "none", "snip", ...
BackgroundMethod background_method_from_id(const QString& id);

struct ProcessingSettings {
  Radiation radiation;                  // in force for this pattern; shown to the user, never silent
  double zero_shift_deg = 0.0;          // subtracted from raw 2θ
  BackgroundMethod background = BackgroundMethod::None;
  int snip_iterations = 40;
  int chebyshev_order = 6;
  double rolling_ball_radius_deg = 2.0;
  std::vector<QPointF> manual_points;   // (2θ deg, intensity), sorted by 2θ
  bool strip_ka2 = false;
  bool smooth = false;
  double smooth_sigma_deg = 0.05;
  bool nano_filter = false;             // sinc² broadening of simulated candidates to a crystallite size
  double crystallite_size_angstrom = 100.0;

  bool operator==(const ProcessingSettings& o) const;
  bool operator!=(const ProcessingSettings& o) const { return !(*this == o); }
  QJsonObject to_json() const;
  // Missing keys keep their defaults; unknown background ids become None.
  static ProcessingSettings from_json(const QJsonObject& json);
};

QJsonObject radiation_to_json(const Radiation& r);
Radiation radiation_from_json(const QJsonObject& json);

}  // namespace pxrd::ui
