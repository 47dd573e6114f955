#include "pxrd/processing.hpp"

#include <algorithm>
#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

void require_points(const Pattern& p, std::size_t n, const char* what) {
  if (p.size() < n)
    throw InputError(p.source, 0, std::string(what) + " needs at least " + std::to_string(n) + " points");
}

void require_two_theta(const Pattern& p, const char* what) {
  if (p.x_unit != XUnit::TwoThetaDeg) throw InputError(p.source, 0, std::string(what) + " needs x in 2θ degrees");
}

double require_lambda(const Pattern& p, const char* what) {
  if (!p.radiation || !(p.radiation->lambda1_angstrom > 0))
    throw InputError(p.source, 0,
                     std::string(what) + " needs the wavelength, which this pattern does not have (give --wavelength)");
  return p.radiation->lambda1_angstrom;
}

// Width of the x interval each point stands for (half the distance to each neighbour).
std::vector<double> cell_widths(const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<double> w(n, 0.0);
  if (n < 2) return w;
  w[0] = 0.5 * (x[1] - x[0]);
  w[n - 1] = 0.5 * (x[n - 1] - x[n - 2]);
  for (std::size_t i = 1; i + 1 < n; ++i) w[i] = 0.5 * (x[i + 1] - x[i - 1]);
  return w;
}

double trapezoid_area(const std::vector<double>& x, const std::vector<double>& y) {
  double a = 0;
  for (std::size_t i = 1; i < x.size(); ++i) a += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]);
  return a;
}

Pattern with_step(const Pattern& in, const std::string& step) {
  Pattern out = in;
  out.history.push_back(step);
  return out;
}

Pattern scaled(const Pattern& p, double factor, const std::string& step) {
  Pattern out = with_step(p, step);
  for (auto& v : out.y) v *= factor;
  for (auto& v : out.esd) v *= factor;
  return out;
}

Pattern resample_at(const Pattern& p, const std::vector<double>& xi, const std::string& step) {
  Pattern out = p;
  out.x = xi;
  out.y = interpolate_linear(p.x, p.y, xi);
  if (p.has_esd()) out.esd = interpolate_linear(p.x, p.esd, xi);
  out.history.push_back(step);
  return out;
}

}  // namespace

std::vector<double> interpolate_linear(const std::vector<double>& x, const std::vector<double>& y,
                                       const std::vector<double>& xi) {
  std::vector<double> out(xi.size());
  std::size_t j = 0;
  const std::size_t n = x.size();
  for (std::size_t k = 0; k < xi.size(); ++k) {
    const double t = xi[k];
    if (t <= x.front()) {
      out[k] = y.front();
      continue;
    }
    if (t >= x.back()) {
      out[k] = y.back();
      continue;
    }
    while (j + 1 < n && x[j + 1] < t) ++j;
    while (j > 0 && x[j] > t) --j;
    const double f = (t - x[j]) / (x[j + 1] - x[j]);
    out[k] = y[j] + f * (y[j + 1] - y[j]);
  }
  return out;
}

double interpolate_linear(const std::vector<double>& x, const std::vector<double>& y, double xi) {
  if (x.empty()) return 0.0;
  if (xi <= x.front()) return y.front();
  if (xi >= x.back()) return y.back();
  const auto it = std::upper_bound(x.begin(), x.end(), xi);
  const std::size_t j = static_cast<std::size_t>(it - x.begin()) - 1;
  const double f = (xi - x[j]) / (x[j + 1] - x[j]);
  return y[j] + f * (y[j + 1] - y[j]);
}

Pattern convert_to_q(const Pattern& p) {
  if (p.x_unit == XUnit::QInvAngstrom) return p;
  const double lambda = require_lambda(p, "converting 2θ to Q");
  Pattern out = with_step(p, "to_q(lambda_angstrom=" + format_number(lambda) + ")");
  for (auto& v : out.x) v = two_theta_deg_to_q_inv_angstrom(v, lambda);
  out.x_unit = XUnit::QInvAngstrom;
  return out;
}

Pattern convert_to_two_theta(const Pattern& p) {
  if (p.x_unit == XUnit::TwoThetaDeg) return p;
  const double lambda = require_lambda(p, "converting Q to 2θ");
  Pattern out = p;
  out.x.clear();
  out.y.clear();
  out.esd.clear();
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double tt = q_inv_angstrom_to_two_theta_deg(p.x[i], lambda);
    if (!std::isfinite(tt)) {
      ++dropped;
      continue;
    }
    out.x.push_back(tt);
    out.y.push_back(p.y[i]);
    if (p.has_esd()) out.esd.push_back(p.esd[i]);
  }
  if (out.x.empty())
    throw InputError(p.source, 0, "no point of this Q pattern is reachable at λ = " + format_number(lambda) + " Å");
  out.x_unit = XUnit::TwoThetaDeg;
  out.history.push_back("to_two_theta(lambda_angstrom=" + format_number(lambda) +
                        ", dropped_points=" + std::to_string(dropped) + ")");
  return out;
}

Pattern resample_uniform(const Pattern& p, double x_min, double x_max, double step) {
  require_points(p, 2, "resampling");
  if (!(step > 0) || !std::isfinite(step)) throw InputError(p.source, 0, "the resampling step must be positive");
  const double lo = std::max(x_min, p.x.front());
  const double hi = std::min(x_max, p.x.back());
  if (!(hi > lo)) throw InputError(p.source, 0, "the resampling range does not overlap the data");
  const std::size_t n = static_cast<std::size_t>(std::floor((hi - lo) / step + 1e-9)) + 1;
  std::vector<double> xi(n);
  for (std::size_t i = 0; i < n; ++i) xi[i] = lo + static_cast<double>(i) * step;
  return resample_at(p, xi,
                     "resample(x_min=" + format_number(lo) + ", x_max=" + format_number(xi.back()) +
                         ", step=" + format_number(step) + ")");
}

Pattern resample_uniform(const Pattern& p, std::size_t points) {
  require_points(p, 2, "resampling");
  if (points < 2) throw InputError(p.source, 0, "resampling needs at least 2 output points");
  const double lo = p.x.front(), hi = p.x.back();
  std::vector<double> xi(points);
  for (std::size_t i = 0; i < points; ++i) xi[i] = lo + (hi - lo) * static_cast<double>(i) / (points - 1);
  xi.back() = hi;
  return resample_at(p, xi,
                     "resample(x_min=" + format_number(lo) + ", x_max=" + format_number(hi) +
                         ", points=" + std::to_string(points) + ")");
}

Pattern normalize_max(const Pattern& p, double maximum) {
  require_points(p, 1, "normalisation");
  const double m = *std::max_element(p.y.begin(), p.y.end());
  if (!(m > 0)) throw InputError(p.source, 0, "cannot normalise: the maximum intensity is not positive");
  return scaled(p, maximum / m, "normalize(max=" + format_number(maximum) + ")");
}

Pattern normalize_area(const Pattern& p, double area) {
  require_points(p, 2, "normalisation by area");
  const double a = trapezoid_area(p.x, p.y);
  if (!(a > 0)) throw InputError(p.source, 0, "cannot normalise: the integrated intensity is not positive");
  return scaled(p, area / a, "normalize(area=" + format_number(area) + ")");
}

Pattern smooth_gaussian(const Pattern& p, double sigma_x) {
  require_points(p, 2, "smoothing");
  if (!(sigma_x > 0) || !std::isfinite(sigma_x)) throw InputError(p.source, 0, "the smoothing σ must be positive");
  const std::size_t n = p.size();
  const std::vector<double> dx = cell_widths(p.x);
  const double reach = 5.0 * sigma_x;
  // On a uniform grid the kernel depends only on |i − j|: tabulate it instead of calling exp per pair.
  const double h = (p.x.back() - p.x.front()) / static_cast<double>(n - 1);
  bool uniform = true;
  for (std::size_t i = 1; i < n && uniform; ++i) uniform = std::abs(p.x[i] - p.x[i - 1] - h) <= 1e-6 * h;
  std::vector<double> table;
  if (uniform) {
    table.resize(static_cast<std::size_t>(std::ceil(reach / h)) + 2);
    for (std::size_t m = 0; m < table.size(); ++m) {
      const double t = static_cast<double>(m) * h / sigma_x;
      table[m] = std::exp(-0.5 * t * t);
    }
  }
  Pattern out = with_step(p, "smooth_gaussian(sigma=" + format_number(sigma_x) + ")");
  std::size_t lo = 0, hi = 0;  // window [lo, hi) of points within `reach` of x[i]
  for (std::size_t i = 0; i < n; ++i) {
    while (p.x[lo] < p.x[i] - reach) ++lo;
    while (hi < n && p.x[hi] <= p.x[i] + reach) ++hi;
    double sw = 0, swy = 0, sw2e2 = 0;
    for (std::size_t j = lo; j < hi; ++j) {
      const double t = (p.x[j] - p.x[i]) / sigma_x;
      const double k = uniform ? table[i > j ? i - j : j - i] : std::exp(-0.5 * t * t);
      const double w = k * dx[j];
      sw += w;
      swy += w * p.y[j];
      if (p.has_esd()) sw2e2 += w * w * p.esd[j] * p.esd[j];
    }
    out.y[i] = sw > 0 ? swy / sw : p.y[i];
    if (p.has_esd()) out.esd[i] = sw > 0 ? std::sqrt(sw2e2) / sw : p.esd[i];
  }
  return out;
}

Pattern correct_zero_shift(const Pattern& p, double shift_deg) {
  require_two_theta(p, "zero-shift correction");
  if (!std::isfinite(shift_deg)) throw InputError(p.source, 0, "the zero shift must be a finite number");
  Pattern out = with_step(p, "zero_shift(shift_deg=" + format_number(shift_deg) + ")");
  for (auto& v : out.x) v -= shift_deg;
  return out;
}

Pattern strip_ka2(const Pattern& p) {
  require_two_theta(p, "Kα2 stripping");
  require_points(p, 2, "Kα2 stripping");
  if (!p.radiation || !p.radiation->has_second_line())
    throw InputError(p.source, 0,
                     "Kα2 stripping needs λ1, λ2 and their ratio (e.g. --wavelength CuKa12); this pattern has " +
                         (p.radiation ? p.radiation->describe() : std::string("no radiation")));
  const Radiation r = *p.radiation;
  const double lambda_ratio = r.lambda1_angstrom / r.lambda2_angstrom;
  const double R = r.ratio;
  const std::size_t n = p.size();
  std::vector<double> y1(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = lambda_ratio * std::sin(deg_to_rad(p.x[i]) / 2.0);
    const double xs = 2.0 * rad_to_deg(std::asin(std::clamp(s, -1.0, 1.0)));  // where the λ1 line sits
    if (xs <= p.x.front()) {
      // Before the data starts: assume the local λ1 part is the steady state of a flat signal.
      y1[i] = p.y[i] / (1.0 + R);
      continue;
    }
    // xs lies in [x[j], x[j+1]] with j+1 <= i; when j+1 == i the unknown y1[i] appears on both sides.
    std::size_t j = static_cast<std::size_t>(std::upper_bound(p.x.begin(), p.x.begin() + i + 1, xs) - p.x.begin());
    j = j == 0 ? 0 : j - 1;
    if (j >= i) j = i - 1;
    const double f = (xs - p.x[j]) / (p.x[j + 1] - p.x[j]);
    if (j + 1 == i)
      y1[i] = (p.y[i] - R * (1.0 - f) * y1[j]) / (1.0 + R * f);
    else
      y1[i] = p.y[i] - R * ((1.0 - f) * y1[j] + f * y1[j + 1]);
  }
  Pattern out =
      with_step(p, "strip_ka2(method=rachinger, lambda1_angstrom=" + format_number(r.lambda1_angstrom) +
                       ", lambda2_angstrom=" + format_number(r.lambda2_angstrom) + ", ratio=" + format_number(R) + ")");
  out.y = y1;
  Radiation single = r;
  if (single.name.size() > 4 && single.name.compare(single.name.size() - 4, 4, "Ka12") == 0)
    single.name.pop_back();  // "CuKa12" → "CuKa1"
  else
    single.name += " (Ka2 stripped)";
  single.lambda2_angstrom = 0;
  single.ratio = 0;
  out.radiation = single;
  return out;
}

}  // namespace pxrd
