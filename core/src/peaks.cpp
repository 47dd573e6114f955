#include "pxrd/peaks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pxrd/error.hpp"

namespace pxrd {

namespace {

struct Candidate {
  std::size_t index = 0;
  double prominence = 0;
  std::size_t left_base = 0, right_base = 0;  // indices of the surrounding minima
};

// Prominence as in topography: walk each way until a higher point (or the end); the base is the higher
// of the two minima found on the way.
Candidate prominence_of(const std::vector<double>& y, std::size_t i) {
  Candidate c;
  c.index = i;
  const double top = y[i];
  std::size_t left_min = i, right_min = i;
  for (std::size_t k = i; k-- > 0;) {
    if (y[k] > top) break;
    if (y[k] < y[left_min]) left_min = k;
  }
  for (std::size_t k = i + 1; k < y.size(); ++k) {
    if (y[k] > top) break;
    if (y[k] < y[right_min]) right_min = k;
  }
  c.left_base = left_min;
  c.right_base = right_min;
  c.prominence = top - std::max(y[left_min], y[right_min]);
  return c;
}

// x where y crosses `level` between points a and b (y[a] and y[b] on either side of it).
double crossing(const std::vector<double>& x, const std::vector<double>& y, std::size_t a, std::size_t b,
                double level) {
  const double dy = y[b] - y[a];
  if (dy == 0) return 0.5 * (x[a] + x[b]);
  return x[a] + (level - y[a]) / dy * (x[b] - x[a]);
}

}  // namespace

double estimate_noise_sigma(const std::vector<double>& y) {
  if (y.size() < 3) return 0.0;
  std::vector<double> d;
  d.reserve(y.size() - 2);
  for (std::size_t i = 1; i + 1 < y.size(); ++i) d.push_back(std::abs(y[i] - 0.5 * (y[i - 1] + y[i + 1])));
  auto mid = d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2);
  std::nth_element(d.begin(), mid, d.end());
  // For white noise σ², the residual has variance 1.5 σ²; 1.4826 turns a median absolute value into σ.
  return 1.4826 * *mid / std::sqrt(1.5);
}

std::vector<Peak> find_peaks(const Pattern& p, const PeakSearchOptions& o) {
  if (p.size() < 3) throw InputError(p.source, 0, "peak search needs at least 3 points");
  const std::vector<double>& x = p.x;
  const std::vector<double>& y = p.y;
  const std::size_t n = y.size();

  std::vector<Candidate> candidates;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (!(y[i] > y[i - 1])) continue;
    // A flat top counts once, at its middle.
    std::size_t j = i;
    while (j + 1 < n && y[j + 1] == y[i]) ++j;
    if (j + 1 >= n || !(y[j + 1] < y[i])) {
      i = j;
      continue;
    }
    candidates.push_back(prominence_of(y, (i + j) / 2));
    i = j;
  }
  if (candidates.empty()) return {};

  const double noise = estimate_noise_sigma(y);
  double max_prominence = 0;
  for (const auto& c : candidates) max_prominence = std::max(max_prominence, c.prominence);
  const double threshold = std::max({o.min_prominence, o.min_relative_prominence * max_prominence, o.min_snr * noise});
  std::vector<Candidate> kept;
  for (const auto& c : candidates)
    if (c.prominence > 0 && c.prominence >= threshold) kept.push_back(c);
  if (o.max_peaks > 0 && kept.size() > o.max_peaks) {
    std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(o.max_peaks), kept.end(),
                      [](const Candidate& a, const Candidate& b) { return a.prominence > b.prominence; });
    kept.resize(o.max_peaks);
    std::sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) { return a.index < b.index; });
  }

  std::vector<Peak> peaks;
  peaks.reserve(kept.size());
  for (const auto& c : kept) {
    const std::size_t i = c.index;
    const double base = y[i] - c.prominence;
    Peak pk;
    pk.x = x[i];
    pk.height = y[i];
    // Parabola through (x, v) at i−1, i, i+1, with v = ln(y − base) when possible (a Gaussian is a parabola
    // in the log). Non-uniform steps are handled by the general three-point vertex formula.
    const double x0 = x[i - 1], x1 = x[i], x2 = x[i + 1];
    const double a0 = y[i - 1] - base, a1 = y[i] - base, a2 = y[i + 1] - base;
    const bool use_log = a0 > 0 && a1 > 0 && a2 > 0;
    const double v0 = use_log ? std::log(a0) : y[i - 1], v1 = use_log ? std::log(a1) : y[i],
                 v2 = use_log ? std::log(a2) : y[i + 1];
    const double d01 = (v1 - v0) / (x1 - x0), d12 = (v2 - v1) / (x2 - x1);
    const double curvature = (d12 - d01) / (x2 - x0);  // half the second derivative
    if (curvature < 0) {
      const double xv = 0.5 * (x0 + x1) - d01 / (2.0 * curvature);
      if (xv > x0 && xv < x2) {
        // Newton form: v(x) = v0 + d01 (x − x0) + curvature (x − x0)(x − x1).
        const double vn = v0 + d01 * (xv - x0) + curvature * (xv - x0) * (xv - x1);
        pk.x = xv;
        pk.height = use_log ? base + std::exp(vn) : vn;
      }
    }
    pk.prominence = pk.height - base;
    // Half-height crossings, searched within the surrounding minima.
    const double level = pk.height - 0.5 * pk.prominence;
    double left = std::numeric_limits<double>::quiet_NaN(), right = left;
    for (std::size_t k = i; k > c.left_base; --k)
      if (y[k - 1] < level) {
        left = crossing(x, y, k - 1, k, level);
        break;
      }
    for (std::size_t k = i; k < c.right_base; ++k)
      if (y[k + 1] < level) {
        right = crossing(x, y, k, k + 1, level);
        break;
      }
    if (std::isfinite(left) && std::isfinite(right))
      pk.fwhm = right - left;
    else if (std::isfinite(left))
      pk.fwhm = 2.0 * (pk.x - left);
    else if (std::isfinite(right))
      pk.fwhm = 2.0 * (right - pk.x);
    if (o.position == PeakPositionMethod::Centroid) {
      // Centroid of y − level over the contiguous points above half height.
      std::size_t a = i, b = i;
      while (a > c.left_base && y[a - 1] > level) --a;
      while (b < c.right_base && y[b + 1] > level) ++b;
      double sw = 0, swx = 0;
      for (std::size_t k = a; k <= b; ++k) {
        sw += y[k] - level;
        swx += (y[k] - level) * x[k];
      }
      if (sw > 0) pk.x = swx / sw;
    }
    // Area above the base, ±1.5 FWHM (99.96 % of a Gaussian) or up to the surrounding minima.
    const double reach = pk.fwhm > 0 ? 1.5 * pk.fwhm : std::numeric_limits<double>::infinity();
    double area = 0;
    for (std::size_t k = c.left_base; k < c.right_base; ++k) {
      if (x[k + 1] < pk.x - reach || x[k] > pk.x + reach) continue;
      area += 0.5 * (std::max(y[k] - base, 0.0) + std::max(y[k + 1] - base, 0.0)) * (x[k + 1] - x[k]);
    }
    pk.area = area;
    pk.snr = noise > 0 ? pk.prominence / noise : std::numeric_limits<double>::infinity();
    peaks.push_back(pk);
  }
  return peaks;
}

}  // namespace pxrd
