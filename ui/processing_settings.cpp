#include "processing_settings.hpp"

#include <QJsonArray>

namespace pxrd::ui {

namespace {
struct MethodId {
  BackgroundMethod method;
  const char* id;
};
constexpr MethodId kMethods[] = {{BackgroundMethod::None, "none"},
                                 {BackgroundMethod::Snip, "snip"},
                                 {BackgroundMethod::Chebyshev, "chebyshev"},
                                 {BackgroundMethod::RollingBall, "rolling_ball"},
                                 {BackgroundMethod::Manual, "manual"}};
}  // namespace

const char* background_method_id(BackgroundMethod m) {
  for (const auto& e : kMethods)
    if (e.method == m) return e.id;
  return "none";
}

BackgroundMethod background_method_from_id(const QString& id) {
  for (const auto& e : kMethods)
    if (id == QLatin1String(e.id)) return e.method;
  return BackgroundMethod::None;
}

bool ProcessingSettings::operator==(const ProcessingSettings& o) const {
  return radiation.name == o.radiation.name && radiation.lambda1_angstrom == o.radiation.lambda1_angstrom &&
         radiation.lambda2_angstrom == o.radiation.lambda2_angstrom && radiation.ratio == o.radiation.ratio &&
         zero_shift_deg == o.zero_shift_deg && background == o.background && snip_iterations == o.snip_iterations &&
         chebyshev_order == o.chebyshev_order && rolling_ball_radius_deg == o.rolling_ball_radius_deg &&
         manual_points == o.manual_points && strip_ka2 == o.strip_ka2 && smooth == o.smooth &&
         smooth_sigma_deg == o.smooth_sigma_deg && nano_filter == o.nano_filter &&
         crystallite_size_angstrom == o.crystallite_size_angstrom;
}

QJsonObject radiation_to_json(const Radiation& r) {
  return QJsonObject{{"name", QString::fromStdString(r.name)},
                     {"lambda1_angstrom", r.lambda1_angstrom},
                     {"lambda2_angstrom", r.lambda2_angstrom},
                     {"ratio", r.ratio}};
}

Radiation radiation_from_json(const QJsonObject& json) {
  Radiation r;
  r.name = json.value("name").toString().toStdString();
  r.lambda1_angstrom = json.value("lambda1_angstrom").toDouble();
  r.lambda2_angstrom = json.value("lambda2_angstrom").toDouble();
  r.ratio = json.value("ratio").toDouble();
  return r;
}

QJsonObject ProcessingSettings::to_json() const {
  QJsonArray points;
  for (const QPointF& p : manual_points) points.append(QJsonArray{p.x(), p.y()});
  return QJsonObject{{"radiation", radiation_to_json(radiation)},
                     {"zero_shift_deg", zero_shift_deg},
                     {"background", background_method_id(background)},
                     {"snip_iterations", snip_iterations},
                     {"chebyshev_order", chebyshev_order},
                     {"rolling_ball_radius_deg", rolling_ball_radius_deg},
                     {"manual_points", points},
                     {"strip_ka2", strip_ka2},
                     {"smooth", smooth},
                     {"smooth_sigma_deg", smooth_sigma_deg},
                     {"nano_filter", nano_filter},
                     {"crystallite_size_angstrom", crystallite_size_angstrom}};
}

ProcessingSettings ProcessingSettings::from_json(const QJsonObject& json) {
  ProcessingSettings s;
  if (json.contains("radiation")) s.radiation = radiation_from_json(json.value("radiation").toObject());
  s.zero_shift_deg = json.value("zero_shift_deg").toDouble(s.zero_shift_deg);
  s.background = background_method_from_id(json.value("background").toString());
  s.snip_iterations = json.value("snip_iterations").toInt(s.snip_iterations);
  s.chebyshev_order = json.value("chebyshev_order").toInt(s.chebyshev_order);
  s.rolling_ball_radius_deg = json.value("rolling_ball_radius_deg").toDouble(s.rolling_ball_radius_deg);
  for (const auto& v : json.value("manual_points").toArray()) {
    const QJsonArray p = v.toArray();
    if (p.size() == 2) s.manual_points.emplace_back(p.at(0).toDouble(), p.at(1).toDouble());
  }
  s.strip_ka2 = json.value("strip_ka2").toBool(s.strip_ka2);
  s.smooth = json.value("smooth").toBool(s.smooth);
  s.smooth_sigma_deg = json.value("smooth_sigma_deg").toDouble(s.smooth_sigma_deg);
  s.nano_filter = json.value("nano_filter").toBool(s.nano_filter);
  s.crystallite_size_angstrom = json.value("crystallite_size_angstrom").toDouble(s.crystallite_size_angstrom);
  return s;
}

}  // namespace pxrd::ui
