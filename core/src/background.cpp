#include "pxrd/background.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>

#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"

namespace pxrd {

namespace {

// LLS operator of Morháč & Matoušek (Appl. Spectrosc. 62, 91, 2008): v = ln(ln(√(y+1)+1)+1), and its inverse.
double lls_forward(double y) { return std::log(std::log(std::sqrt(std::max(y, 0.0) + 1.0) + 1.0) + 1.0); }
double lls_inverse(double v) {
  const double t = std::exp(std::exp(v) - 1.0) - 1.0;
  return t * t - 1.0;
}

// Sliding minimum (or maximum) over [i − w, i + w], O(n) with a monotonic deque.
std::vector<double> sliding_extreme(const std::vector<double>& y, std::size_t w, bool minimum) {
  const std::size_t n = y.size();
  std::vector<double> out(n);
  std::deque<std::size_t> dq;
  auto better = [&](double a, double b) { return minimum ? a <= b : a >= b; };
  std::size_t next = 0;  // next index to push
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t hi = std::min(n - 1, i + w);
    while (next <= hi) {
      while (!dq.empty() && better(y[next], y[dq.back()])) dq.pop_back();
      dq.push_back(next++);
    }
    while (dq.front() + w < i) dq.pop_front();
    out[i] = y[dq.front()];
  }
  return out;
}

std::size_t points_for_width(const std::vector<double>& x, double width) {
  const double step = (x.back() - x.front()) / static_cast<double>(x.size() - 1);
  return static_cast<std::size_t>(std::max(1.0, std::round(width / step)));
}

// SNIP's iteration count: given directly, or as a half-window in x units.
int snip_iterations_for(const Pattern& p, const BackgroundOptions& o) {
  if (o.snip_window_x > 0) return static_cast<int>(points_for_width(p.x, o.snip_window_x));
  return o.snip_iterations;
}

}  // namespace

BackgroundMethod background_method_from_string(const std::string& name) {
  if (name == "snip") return BackgroundMethod::Snip;
  if (name == "chebyshev") return BackgroundMethod::Chebyshev;
  if (name == "rolling-ball" || name == "rolling_ball") return BackgroundMethod::RollingBall;
  if (name == "anchors" || name == "manual") return BackgroundMethod::Anchors;
  if (name == "none") return BackgroundMethod::None;
  throw InputError("--background", 0, "unknown method '" + name + "' (use snip, chebyshev, rolling-ball or none)");
}

const char* background_method_name(BackgroundMethod method) {
  switch (method) {
    case BackgroundMethod::Snip:
      return "snip";
    case BackgroundMethod::Chebyshev:
      return "chebyshev";
    case BackgroundMethod::RollingBall:
      return "rolling-ball";
    case BackgroundMethod::Anchors:
      return "anchors";
    case BackgroundMethod::None:
      break;
  }
  return "none";
}

std::vector<double> snip_background(const std::vector<double>& y, int iterations, bool lls, bool decreasing) {
  const std::size_t n = y.size();
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = lls ? lls_forward(y[i]) : y[i];
  std::vector<double> next(v);
  for (int k = 0; k < iterations; ++k) {
    const std::size_t p = static_cast<std::size_t>(decreasing ? iterations - k : k + 1);
    for (std::size_t i = 0; i < n; ++i) {
      // Near the ends the window shrinks to what is available on both sides.
      const std::size_t q = std::min({p, i, n - 1 - i});
      if (q == 0) {
        next[i] = v[i];
        continue;
      }
      next[i] = std::min(v[i], 0.5 * (v[i - q] + v[i + q]));
    }
    v.swap(next);
  }
  if (lls)
    for (std::size_t i = 0; i < n; ++i) v[i] = std::min(lls_inverse(v[i]), y[i]);
  return v;
}

std::vector<double> chebyshev_background(const std::vector<double>& x, const std::vector<double>& y, int order,
                                         int iterations) {
  const std::size_t n = x.size();
  const int m = order + 1;
  Eigen::MatrixXd basis(static_cast<Eigen::Index>(n), m);
  const double lo = x.front(), hi = x.back();
  for (std::size_t i = 0; i < n; ++i) {
    const double t = hi > lo ? (2.0 * x[i] - lo - hi) / (hi - lo) : 0.0;
    const auto r = static_cast<Eigen::Index>(i);
    basis(r, 0) = 1.0;
    if (m > 1) basis(r, 1) = t;
    for (int k = 2; k < m; ++k) basis(r, k) = 2.0 * t * basis(r, k - 1) - basis(r, k - 2);
  }
  // Normal equations: the Chebyshev basis on [−1, 1] is close to orthogonal, so BᵀB is well conditioned, and
  // each iteration costs one O(n·m) product instead of a QR solve.
  const Eigen::LDLT<Eigen::MatrixXd> normal(basis.transpose() * basis);
  Eigen::VectorXd work = Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(n));
  Eigen::VectorXd fit = basis * normal.solve(basis.transpose() * work);
  for (int it = 0; it < iterations; ++it) {
    // Points above the fit are peaks: replace them by the fit so the next fit sinks under the peaks.
    bool changed = false;
    for (Eigen::Index i = 0; i < work.size(); ++i)
      if (work(i) > fit(i)) {
        work(i) = fit(i);
        changed = true;
      }
    if (!changed) break;
    fit = basis * normal.solve(basis.transpose() * work);
  }
  return std::vector<double>(fit.data(), fit.data() + fit.size());
}

std::vector<double> rolling_ball_background(const std::vector<double>& x, const std::vector<double>& y,
                                            double radius_x) {
  const std::size_t w = points_for_width(x, radius_x);
  const std::vector<double> opened = sliding_extreme(sliding_extreme(y, w, true), w, false);
  // Moving average of the opening removes its flat-topped steps; then never above the data.
  std::vector<double> prefix(y.size() + 1, 0.0);
  for (std::size_t i = 0; i < y.size(); ++i) prefix[i + 1] = prefix[i] + opened[i];
  std::vector<double> out(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t a = i >= w ? i - w : 0;
    const std::size_t b = std::min(y.size() - 1, i + w);
    out[i] = std::min(y[i], (prefix[b + 1] - prefix[a]) / static_cast<double>(b - a + 1));
  }
  return out;
}

std::vector<double> anchor_background(const std::vector<double>& x, const std::vector<double>& anchor_x,
                                      const std::vector<double>& anchor_y, AnchorInterpolation interpolation) {
  if (anchor_x.empty() || anchor_x.size() != anchor_y.size())
    throw InputError("background anchors", 0, "need at least one anchor, with one intensity per position");
  std::vector<std::size_t> order(anchor_x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return anchor_x[a] < anchor_x[b]; });
  std::vector<double> ax, ay;
  for (auto k : order) {
    if (!std::isfinite(anchor_x[k]) || !std::isfinite(anchor_y[k]))
      throw InputError("background anchors", 0, "anchor values must be finite");
    if (!ax.empty() && !(anchor_x[k] > ax.back()))
      throw InputError("background anchors", 0, "two anchors share x = " + format_number(anchor_x[k]));
    ax.push_back(anchor_x[k]);
    ay.push_back(anchor_y[k]);
  }
  const std::size_t m = ax.size();
  std::vector<double> out(x.size());
  // Second derivatives of the natural cubic spline (tridiagonal solve); zero for linear interpolation.
  std::vector<double> d2(m, 0.0);
  if (interpolation == AnchorInterpolation::CubicSpline && m >= 3) {
    std::vector<double> c(m, 0.0), rhs(m, 0.0);
    for (std::size_t i = 1; i + 1 < m; ++i) {
      const double h0 = ax[i] - ax[i - 1], h1 = ax[i + 1] - ax[i];
      const double diag = 2.0 * (h0 + h1) - h0 * c[i - 1];
      c[i] = h1 / diag;
      rhs[i] = (6.0 * ((ay[i + 1] - ay[i]) / h1 - (ay[i] - ay[i - 1]) / h0) - h0 * rhs[i - 1]) / diag;
    }
    for (std::size_t i = m - 2; i >= 1; --i) d2[i] = rhs[i] - c[i] * d2[i + 1];
  }
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double t = x[k];
    if (m == 1 || t <= ax.front()) {
      out[k] = ay.front();
      continue;
    }
    if (t >= ax.back()) {
      out[k] = ay.back();
      continue;
    }
    const std::size_t j = static_cast<std::size_t>(std::upper_bound(ax.begin(), ax.end(), t) - ax.begin()) - 1;
    const double h = ax[j + 1] - ax[j];
    const double a = (ax[j + 1] - t) / h, b = (t - ax[j]) / h;
    out[k] = a * ay[j] + b * ay[j + 1] + ((a * a * a - a) * d2[j] + (b * b * b - b) * d2[j + 1]) * h * h / 6.0;
  }
  return out;
}

std::vector<double> estimate_background(const Pattern& p, const BackgroundOptions& o) {
  if (p.size() < 3 && o.method != BackgroundMethod::None && o.method != BackgroundMethod::Anchors)
    throw InputError(p.source, 0, "background estimation needs at least 3 points");
  switch (o.method) {
    case BackgroundMethod::None:
      return std::vector<double>(p.size(), 0.0);
    case BackgroundMethod::Snip:
      if (!(o.snip_window_x >= 0) || snip_iterations_for(p, o) < 1)
        throw InputError(p.source, 0, "SNIP needs at least 1 iteration (or a positive window)");
      return snip_background(p.y, snip_iterations_for(p, o), o.snip_lls, o.snip_decreasing);
    case BackgroundMethod::Chebyshev:
      if (o.chebyshev_order < 0 || o.chebyshev_order > 30)
        throw InputError(p.source, 0, "the Chebyshev order must be between 0 and 30");
      if (static_cast<std::size_t>(o.chebyshev_order) + 1 > p.size())
        throw InputError(p.source, 0, "the Chebyshev order is too high for the number of points");
      return chebyshev_background(p.x, p.y, o.chebyshev_order, std::max(0, o.chebyshev_iterations));
    case BackgroundMethod::RollingBall:
      if (!(o.ball_radius > 0) || !std::isfinite(o.ball_radius))
        throw InputError(p.source, 0, "the rolling-ball radius must be positive");
      return rolling_ball_background(p.x, p.y, o.ball_radius);
    case BackgroundMethod::Anchors:
      return anchor_background(p.x, o.anchor_x, o.anchor_y, o.anchor_interpolation);
  }
  return std::vector<double>(p.size(), 0.0);
}

Pattern subtract_background(const Pattern& p, const BackgroundOptions& o) {
  if (o.method == BackgroundMethod::None) return p;
  const std::vector<double> bg = estimate_background(p, o);
  Pattern out = p;
  for (std::size_t i = 0; i < out.size(); ++i) out.y[i] -= bg[i];
  std::string step = std::string("background_") + background_method_name(o.method) + "(";
  switch (o.method) {
    case BackgroundMethod::Snip:
      if (o.snip_window_x > 0) step += "window_x=" + format_number(o.snip_window_x) + ", ";
      step += "iterations=" + std::to_string(snip_iterations_for(p, o)) + ", lls=" + (o.snip_lls ? "true" : "false") +
              ", window=" + (o.snip_decreasing ? "decreasing" : "increasing");
      break;
    case BackgroundMethod::Chebyshev:
      step += "order=" + std::to_string(o.chebyshev_order) + ", iterations=" + std::to_string(o.chebyshev_iterations);
      break;
    case BackgroundMethod::RollingBall:
      step += "radius=" + format_number(o.ball_radius);
      break;
    case BackgroundMethod::Anchors:
      step += std::string("points=") + std::to_string(o.anchor_x.size()) + ", interpolation=" +
              (o.anchor_interpolation == AnchorInterpolation::CubicSpline ? "cubic-spline" : "linear");
      break;
    case BackgroundMethod::None:
      break;
  }
  out.history.push_back(step + ")");
  return out;
}

}  // namespace pxrd
