#include "pxrd/indexing.hpp"

#include <algorithm>
#include <set>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include <Eigen/Dense>

#include "pxrd/background.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

std::vector<double> moving_average(const std::vector<double>& v, int half) {
  const int n = static_cast<int>(v.size());
  std::vector<double> prefix(v.size() + 1, 0.0);
  for (int i = 0; i < n; ++i) prefix[static_cast<std::size_t>(i + 1)] = prefix[static_cast<std::size_t>(i)] + v[static_cast<std::size_t>(i)];
  std::vector<double> out(v.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - half), hi = std::min(n - 1, i + half);
    out[static_cast<std::size_t>(i)] = (prefix[static_cast<std::size_t>(hi + 1)] - prefix[static_cast<std::size_t>(lo)]) / (hi - lo + 1);
  }
  return out;
}

}  // namespace

std::vector<ObservedPeak> find_peaks_for_indexing(const PowderData& data, int max_peaks, double background_window_deg) {
  const std::size_t n = data.size();
  std::vector<ObservedPeak> peaks;
  if (n < 10) return peaks;
  const double step = (data.two_theta_deg.back() - data.two_theta_deg.front()) / static_cast<double>(n - 1);
  // Background: SNIP (pxrd/background.hpp), on lightly smoothed data.
  const std::vector<double> smooth = moving_average(data.y, std::max(1, static_cast<int>(0.02 / step)));
  std::vector<double> positive(smooth);
  for (double& v : positive) v = std::max(v, 0.0);
  const std::vector<double> bg = snip_background(positive, std::max(10, static_cast<int>(background_window_deg / step)), true);
  std::vector<double> net(n);
  for (std::size_t i = 0; i < n; ++i) net[i] = smooth[i] - bg[i];
  // Local noise: robust σ of the second differences of the raw data in 1° blocks (counting noise grows with
  // the background, so one global figure lets noise through on a high background).
  const std::size_t block = std::max<std::size_t>(20, static_cast<std::size_t>(1.0 / step));
  std::vector<double> noise(n, 0.0), offset(n, 0.0);
  for (std::size_t b0 = 0; b0 < n; b0 += block) {
    const std::size_t b1 = std::min(n, b0 + block);
    std::vector<double> d2;
    for (std::size_t i = std::max<std::size_t>(b0, 1); i < b1 && i + 1 < n; ++i)
      d2.push_back(std::abs(data.y[i] - 0.5 * (data.y[i - 1] + data.y[i + 1])));
    double sigma = 0;
    if (!d2.empty()) {
      std::nth_element(d2.begin(), d2.begin() + static_cast<long>(d2.size() / 2), d2.end());
      sigma = 1.4826 * d2[d2.size() / 2] / std::sqrt(1.5);  // var(y_i − mean of neighbours) = 1.5 σ²
    }
    // SNIP follows the lower envelope of the noise: the typical net level of the block is an offset.
    std::vector<double> level(net.begin() + static_cast<long>(b0), net.begin() + static_cast<long>(b1));
    std::nth_element(level.begin(), level.begin() + static_cast<long>(level.size() / 2), level.end());
    for (std::size_t i = b0; i < b1; ++i) {
      noise[i] = sigma;
      offset[i] = std::max(0.0, level[level.size() / 2]);
    }
  }
  const double net_max = *std::max_element(net.begin(), net.end());
  if (!(net_max > 0)) return peaks;
  const int half = std::max(2, static_cast<int>(0.04 / step));
  std::vector<std::size_t> apex;  // grid index of each peak's maximum
  for (std::size_t i = 1; i + 1 < n; ++i) {
    // Smoothing over m points divides white noise by √m; 6σ of that, and at least 1 % of the strongest.
    const double sigma_smooth = noise[i] / std::sqrt(2.0 * std::max(1, static_cast<int>(0.02 / step)) + 1);
    if (net[i] - offset[i] < std::max(6.0 * sigma_smooth, 0.01 * net_max)) continue;
    bool is_max = true;
    for (int j = -half; j <= half && is_max; ++j) {
      const long k = static_cast<long>(i) + j;
      if (k < 0 || k >= static_cast<long>(n) || j == 0) continue;
      if (net[static_cast<std::size_t>(k)] > net[i] || (j < 0 && net[static_cast<std::size_t>(k)] == net[i])) is_max = false;
    }
    if (!is_max) continue;
    // Position: parabola through the three top points; width: walk down to half height.
    const double ym = net[i - 1], y0 = net[i], yp = net[i + 1];
    const double denom = ym - 2 * y0 + yp;
    const double shift = std::abs(denom) > 1e-300 ? std::clamp(0.5 * (ym - yp) / denom, -0.5, 0.5) : 0.0;
    const double pos = data.two_theta_deg[i] + shift * step;
    std::size_t l = i, r = i;
    while (l > 0 && net[l] > y0 / 2) --l;
    while (r + 1 < n && net[r] > y0 / 2) ++r;
    const double fwhm = std::max(data.two_theta_deg[r] - data.two_theta_deg[l], 2 * step);
    peaks.push_back({pos, y0, fwhm});
    apex.push_back(i);
  }
  // Counting noise on a broad peak makes several maxima of it (a noisy lab TiO2 line 0.8° wide gave three within
  // 0.12°). Two neighbouring maxima within a quarter of the higher one's width whose dip is within the noise are one
  // peak, the higher one. (Also merging a weaker maximum on a stronger line's flank, the shoulders of a lab Mn2O3,
  // cost three of 20 lab-like development structures their first-ranked match: real weak lines went too.)
  {
    constexpr double kDipSigma = 6.0;  // as the detection threshold
    for (bool merged = true; merged;) {
      merged = false;
      for (std::size_t k = 0; k + 1 < peaks.size(); ++k) {
        const std::size_t i = apex[k], j = apex[k + 1];
        const double lowest = *std::min_element(net.begin() + static_cast<long>(i), net.begin() + static_cast<long>(j) + 1);
        const std::size_t lower = net[i] < net[j] ? k : k + 1, higher = lower == k ? k + 1 : k;
        const double sigma_smooth =
            noise[apex[lower]] / std::sqrt(2.0 * std::max(1, static_cast<int>(0.02 / step)) + 1);
        const bool same_line = peaks[k + 1].two_theta_deg - peaks[k].two_theta_deg < 0.25 * peaks[higher].fwhm_deg;
        if (same_line && net[apex[lower]] - lowest < kDipSigma * sigma_smooth) {
          peaks.erase(peaks.begin() + static_cast<long>(lower));
          apex.erase(apex.begin() + static_cast<long>(lower));
          merged = true;
          break;
        }
      }
    }
  }
  // Kα2 shoulders: a weaker peak where a stronger one's Kα2 line falls.
  if (data.lambda2_angstrom > 0 && data.ratio > 0) {
    std::vector<ObservedPeak> kept;
    for (const ObservedPeak& p : peaks) {
      bool shoulder = false;
      for (const ObservedPeak& q : peaks) {
        if (q.two_theta_deg >= p.two_theta_deg || q.height <= p.height) continue;
        const double d = two_theta_deg_to_d_angstrom(q.two_theta_deg, data.lambda1_angstrom);
        const double tt2 = d_angstrom_to_two_theta_deg(d, data.lambda2_angstrom);
        if (std::abs(tt2 - p.two_theta_deg) < std::max(0.5 * q.fwhm_deg, 2 * step) &&
            p.height < 0.9 * q.height)
          shoulder = true;
      }
      if (!shoulder) kept.push_back(p);
    }
    peaks.swap(kept);
  }
  // Side lobes of sinc² (finite-size) profiles: sinc²(x) has secondary maxima of 4.7 % at x = ±4.49, i.e. 1.6
  // main-lobe FWHM from the peak, about half as wide. A weak, narrow peak just there is not a reflection.
  {
    std::vector<ObservedPeak> kept;
    for (const ObservedPeak& p : peaks) {
      bool lobe = false;
      for (const ObservedPeak& q : peaks) {
        const double distance = std::abs(p.two_theta_deg - q.two_theta_deg) / q.fwhm_deg;
        lobe = lobe || (p.height < 0.08 * q.height && p.fwhm_deg < 0.8 * q.fwhm_deg && distance > 1.3 && distance < 2.0);
      }
      if (!lobe) kept.push_back(p);
    }
    peaks.swap(kept);
  }
  if (static_cast<int>(peaks.size()) > max_peaks) {
    std::sort(peaks.begin(), peaks.end(), [](const ObservedPeak& a, const ObservedPeak& b) { return a.height > b.height; });
    peaks.resize(static_cast<std::size_t>(max_peaks));
    std::sort(peaks.begin(), peaks.end(),
              [](const ObservedPeak& a, const ObservedPeak& b) { return a.two_theta_deg < b.two_theta_deg; });
  }
  return peaks;
}

namespace {

// Q = 1/d² = p · row(hkl), with row = [N] (cubic), [h²+hk+k², l²] (hexagonal), [h²+k², l²] (tetragonal),
// [h², k², l²] (orthorhombic), [h², k², l², hl] (monoclinic, b unique: p = a*², b*², c*², 2a*c* cos β*),
// [h², k², l², hk, hl, kl] (triclinic: p = a*², b*², c*², 2a*·b*, 2a*·c*, 2b*·c*).
using Params = std::array<double, 6>;
struct Line {
  double q;
  Params row;
  unsigned centring = 0;  // bit set of the lattice centrings that allow at least one of its hkl
};

// Lattice centrings and their reflection conditions (International Tables A, Table 2.2.13.1).
enum : unsigned { kP = 1, kI = 2, kF = 4, kC = 8, kA = 16, kB = 32, kR = 64 };
unsigned centring_mask(int h, int k, int l) {
  unsigned m = kP;
  auto even = [](int v) { return v % 2 == 0; };
  if (even(h + k + l)) m |= kI;
  if (even(h + k) && even(k + l)) m |= kF;
  if (even(h + k)) m |= kC;
  if (even(k + l)) m |= kA;
  if (even(h + l)) m |= kB;
  if (((-h + k + l) % 3 + 3) % 3 == 0) m |= kR;  // rhombohedral, obverse, hexagonal axes
  return m;
}
const char* centring_name(unsigned c) {
  switch (c) {
    case kI: return "I";
    case kF: return "F";
    case kC: return "C";
    case kA: return "A";
    case kB: return "B";
    case kR: return "R";
    default: return "P";
  }
}
int lattice_points(unsigned c) { return c == kF ? 4 : c == kR ? 3 : c == kP ? 1 : 2; }
std::vector<unsigned> centrings_of(CrystalSystem s) {
  switch (s) {
    case CrystalSystem::Cubic: return {kP, kI, kF};
    case CrystalSystem::Tetragonal: return {kP, kI};
    case CrystalSystem::Hexagonal: return {kP, kR};
    case CrystalSystem::Monoclinic: return {kP, kC, kA, kI};  // b unique: B is A or C in another setting
    case CrystalSystem::Triclinic: return {kP};  // a centred triclinic cell has a primitive one
    default: return {kP, kI, kF, kC, kA, kB};
  }
}

int n_params(CrystalSystem s) {
  switch (s) {
    case CrystalSystem::Cubic: return 1;
    case CrystalSystem::Hexagonal:
    case CrystalSystem::Tetragonal: return 2;
    case CrystalSystem::Monoclinic: return 4;
    case CrystalSystem::Triclinic: return 6;
    default: return 3;
  }
}

// The row of (hkl) for the system's Q formula.
Params row_of(CrystalSystem s, int h, int k, int l) {
  switch (s) {
    case CrystalSystem::Cubic: return {double(h * h + k * k + l * l), 0, 0, 0};
    case CrystalSystem::Hexagonal: return {double(h * h + h * k + k * k), double(l * l), 0, 0};
    case CrystalSystem::Tetragonal: return {double(h * h + k * k), double(l * l), 0, 0};
    case CrystalSystem::Monoclinic: return {double(h * h), double(k * k), double(l * l), double(h * l)};
    case CrystalSystem::Triclinic:
      return {double(h * h), double(k * k), double(l * l), double(h * k), double(h * l), double(k * l)};
    default: return {double(h * h), double(k * k), double(l * l), 0};
  }
}

// The reciprocal metric G* (Q = hᵀ G* h) of triclinic parameters; positive definite for a real cell.
Eigen::Matrix3d reciprocal_metric(const Params& p) {
  Eigen::Matrix3d g;
  g << p[0], 0.5 * p[3], 0.5 * p[4], 0.5 * p[3], p[1], 0.5 * p[5], 0.5 * p[4], 0.5 * p[5], p[2];
  return g;
}
bool positive_definite(const Eigen::Matrix3d& g) {
  return g(0, 0) > 0 && g(0, 0) * g(1, 1) - g(0, 1) * g(0, 1) > 0 && g.determinant() > 0;
}

// Index bounds for Q <= q_max: |h| <= a √q_max, a² being a diagonal element of the direct metric G = G*⁻¹.
std::array<int, 3> index_bounds(const Eigen::Matrix3d& reciprocal, double q_max) {
  const Eigen::Matrix3d direct = reciprocal.inverse();
  std::array<int, 3> out{};
  for (int i = 0; i < 3; ++i) out[static_cast<std::size_t>(i)] = static_cast<int>(std::sqrt(q_max * direct(i, i))) + 1;
  return out;
}

// Whether a trial metric (triclinic form) puts a calculated line within [q_lo, q_hi] of all but max_unindexed
// of the observed lines, without allocating (most trials of the monoclinic and triclinic searches fail here).
// Too large a cell, or one with more than 8 lines per observed line (it would index anything), fails too.
bool quick_check(const Params& t, const std::vector<double>& q_lo, const std::vector<double>& q_hi,
                 const IndexingOptions& options) {
  const Eigen::Matrix3d g = reciprocal_metric(t);
  if (!positive_definite(g)) return false;
  const double volume = 1.0 / std::sqrt(g.determinant());
  if (!(volume >= options.min_volume_angstrom3 && volume <= options.max_volume_angstrom3)) return false;
  const std::size_t ncheck = q_lo.size();
  const double q_max = q_hi[ncheck - 1];
  const auto [hmax, kmax, lmax] = index_bounds(g, q_max);
  // Without hk and kl terms Q(h, −k, l) = Q(h, k, l): k >= 0 suffices (monoclinic, b unique).
  const int kmin = t[3] == 0 && t[5] == 0 ? 0 : -kmax;
  if (static_cast<long>(2 * hmax + 1) * (lmax + 1) * (kmax + 1) > 6000) return false;  // volume far too large
  unsigned hit = 0;
  int n_calc = 0;
  for (int h = -hmax; h <= hmax; ++h)
    for (int k = kmin; k <= kmax; ++k)
      for (int l = 0; l <= lmax; ++l) {
        if (l == 0 && (k < 0 || (k == 0 && h <= 0))) continue;  // (h k 0) and (−h −k 0) share Q
        const double qc = t[0] * h * h + t[1] * k * k + t[2] * l * l + t[3] * h * k + t[4] * h * l + t[5] * k * l;
        if (qc > q_max) continue;
        if (++n_calc > 8 * static_cast<int>(ncheck)) return false;
        for (std::size_t i = 0; i < ncheck; ++i)
          if (qc >= q_lo[i] && qc <= q_hi[i]) hit |= 1u << i;
      }
  return static_cast<int>(ncheck) - __builtin_popcount(hit) <= options.max_unindexed;
}

// Distinct lines (equal rows merged, centrings OR-ed) with Q <= q_max, sorted by Q; empty when there are more
// than kMaxLines.
constexpr std::size_t kMaxLines = 1500;
std::vector<Line> calculated_lines(CrystalSystem s, const Params& p, double q_max) {
  const int np = n_params(s);
  auto q_of = [&](const Params& row) {
    double q = 0;
    for (int k = 0; k < np; ++k) q += p[static_cast<std::size_t>(k)] * row[static_cast<std::size_t>(k)];
    return q;
  };
  // Index bounds from the smallest reciprocal coefficient along each axis.
  const bool mono = s == CrystalSystem::Monoclinic;
  const bool tri = s == CrystalSystem::Triclinic;
  double pa = s == CrystalSystem::Hexagonal ? 0.75 * p[0] : p[0];
  const double pb = s == CrystalSystem::Orthorhombic || mono ? p[1] : pa;
  double pc = s == CrystalSystem::Cubic ? p[0] : (s == CrystalSystem::Orthorhombic || mono ? p[2] : p[1]);
  if (mono) {
    // Smallest Q per unit h² over all l (and per l² over all h) in the h0l zone.
    const double det = p[0] * p[2] - 0.25 * p[3] * p[3];
    if (!(det > 0)) return {};
    pa = det / p[2];
    pc = det / p[0];
  }
  int hmax = static_cast<int>(std::sqrt(q_max / pa)) + 1;
  int kmax = static_cast<int>(std::sqrt(q_max / pb)) + 1;
  int lmax = static_cast<int>(std::sqrt(q_max / pc)) + 1;
  if (tri) {
    const Eigen::Matrix3d g = reciprocal_metric(p);
    if (!positive_definite(g)) return {};
    const std::array<int, 3> bounds = index_bounds(g, q_max);
    hmax = bounds[0];
    kmax = bounds[1];
    lmax = bounds[2];
  }
  std::vector<Line> lines;
  if (static_cast<long>(2 * hmax + 1) * (2 * kmax + 1) * (lmax + 1) > 400000) return lines;
  // Loops cover one (hkl) of each row: permutations are equivalent for the cubic and tetragonal rows and
  // for the centring conditions; signs matter only for the rhombohedral condition (hexagonal axes), where
  // (−h −k −l) behaves as (h k l) so l >= 0 suffices.
  const bool hex = s == CrystalSystem::Hexagonal;
  // Monoclinic: (h k l), (h −k l) and (−h k −l) share Q, so h of both signs with k, l >= 0 covers all.
  // Triclinic: l >= 0, and for l = 0 one of (h k 0) and (−h −k 0).
  for (int h = hex || mono || tri ? -hmax : 0; h <= hmax; ++h)
    for (int k = hex || tri ? -kmax : 0; k <= (s == CrystalSystem::Cubic || s == CrystalSystem::Tetragonal ? h : kmax); ++k)
      for (int l = 0; l <= (s == CrystalSystem::Cubic ? k : lmax); ++l) {
        if (h == 0 && k == 0 && l == 0) continue;
        if (tri && l == 0 && (k < 0 || (k == 0 && h < 0))) continue;
        const Params row = row_of(s, h, k, l);
        const double q = q_of(row);
        if (q <= q_max) lines.push_back({q, row, centring_mask(h, k, l)});
        // So many lines below the observed ones cannot give a useful M20: reject the trial early.
        if (lines.size() > kMaxLines) return {};
      }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return a.q != b.q ? a.q < b.q : a.row < b.row;
  });
  std::vector<Line> merged;
  for (const Line& l : lines) {
    if (!merged.empty() && merged.back().row == l.row) merged.back().centring |= l.centring;
    else merged.push_back(l);
  }
  return merged;
}

double volume_of(CrystalSystem s, const Params& p) {
  switch (s) {
    case CrystalSystem::Cubic: return std::pow(p[0], -1.5);
    case CrystalSystem::Tetragonal: return 1.0 / (p[0] * std::sqrt(p[1]));
    case CrystalSystem::Hexagonal: {
      const double a = std::sqrt(4.0 / (3.0 * p[0]));
      return a * a * std::sqrt(3.0) / 2.0 / std::sqrt(p[1]);
    }
    case CrystalSystem::Monoclinic: return 1.0 / std::sqrt(std::max(p[1] * (p[0] * p[2] - 0.25 * p[3] * p[3]), 1e-300));
    case CrystalSystem::Triclinic: return 1.0 / std::sqrt(std::max(reciprocal_metric(p).determinant(), 1e-300));
    default: return 1.0 / std::sqrt(p[0] * p[1] * p[2]);
  }
}

Lattice lattice_of(CrystalSystem s, const Params& p) {
  switch (s) {
    case CrystalSystem::Cubic: return cell_from_free_parameters({1 / std::sqrt(p[0])}, s);
    case CrystalSystem::Tetragonal: return cell_from_free_parameters({1 / std::sqrt(p[0]), 1 / std::sqrt(p[1])}, s);
    case CrystalSystem::Hexagonal:
      return cell_from_free_parameters({std::sqrt(4.0 / (3.0 * p[0])), 1 / std::sqrt(p[1])}, s);
    case CrystalSystem::Monoclinic: {
      // a* = √A, c* = √C, cos β* = D / (2 a* c*); β = 180° − β*, a = 1/(a* sin β*), c = 1/(c* sin β*).
      const double cos_beta_star = std::clamp(p[3] / (2 * std::sqrt(p[0] * p[2])), -0.999, 0.999);
      const double sin_beta_star = std::sqrt(1 - cos_beta_star * cos_beta_star);
      return cell_from_free_parameters({1 / (std::sqrt(p[0]) * sin_beta_star), 1 / std::sqrt(p[1]),
                                        1 / (std::sqrt(p[2]) * sin_beta_star), 180.0 - rad_to_deg(std::acos(cos_beta_star))},
                                       s);
    }
    case CrystalSystem::Triclinic: {
      const Eigen::Matrix3d g = reciprocal_metric(p).inverse();  // the direct metric
      const double a = std::sqrt(g(0, 0)), b = std::sqrt(g(1, 1)), c = std::sqrt(g(2, 2));
      auto angle = [](double cosine) { return rad_to_deg(std::acos(std::clamp(cosine, -1.0, 1.0))); };
      return Lattice::from_parameters(a, b, c, angle(g(1, 2) / (b * c)), angle(g(0, 2) / (a * c)),
                                      angle(g(0, 1) / (a * b)));
    }
    default: return cell_from_free_parameters({1 / std::sqrt(p[0]), 1 / std::sqrt(p[1]), 1 / std::sqrt(p[2])}, s);
  }
}

struct Evaluator {
  std::vector<double> two_theta_deg;  // the lines used
  double lambda;
  IndexingOptions options;

  double q_of(double two_theta, double zero) const {
    const double d = two_theta_deg_to_d_angstrom(two_theta - zero, lambda);
    return 1.0 / (d * d);
  }
  double tt_of(double q) const { return d_angstrom_to_two_theta_deg(1.0 / std::sqrt(q), lambda); }

  // Nearest calculated line for each observed line (index into lines, or -1 beyond tolerance).
  std::vector<int> assign(const std::vector<Line>& lines, double zero, double tol_deg) const {
    std::vector<int> out(two_theta_deg.size(), -1);
    for (std::size_t i = 0; i < two_theta_deg.size(); ++i) {
      const double q = q_of(two_theta_deg[i], zero);
      auto it = std::lower_bound(lines.begin(), lines.end(), q, [](const Line& l, double v) { return l.q < v; });
      double best = tol_deg;
      for (auto jt : {it, it == lines.begin() ? it : it - 1}) {
        if (jt == lines.end()) continue;
        const double dtt = std::abs(tt_of(jt->q) + zero - two_theta_deg[i]);
        if (dtt <= best) {
          best = dtt;
          out[i] = static_cast<int>(jt - lines.begin());
        }
      }
    }
    return out;
  }

  // Evaluates trial parameters: assign loosely, refine cell and zero by least squares, reassign tightly, M20.
  bool evaluate(CrystalSystem s, Params p, IndexingSolution& out) const {
    const int np = n_params(s);
    const double v = volume_of(s, p);
    if (!(v >= options.min_volume_angstrom3 && v <= options.max_volume_angstrom3)) return false;
    const double q_max = q_of(two_theta_deg.back(), -options.max_zero_deg) * 1.02;
    const int nobs = static_cast<int>(two_theta_deg.size());
    double zero = 0;
    {
      // Cheap rejection first: the first lines alone, against the calculated lines up to them.
      const std::size_t nfirst = std::min<std::size_t>(two_theta_deg.size(), 8);
      const std::vector<Line> few = calculated_lines(s, p, q_of(two_theta_deg[nfirst - 1], -options.max_zero_deg) * 1.02);
      if (few.empty()) return false;
      const Evaluator head{std::vector<double>(two_theta_deg.begin(), two_theta_deg.begin() + static_cast<long>(nfirst)),
                           lambda, options};
      const std::vector<int> a8 = head.assign(few, 0.0, 0.25);
      if (std::count(a8.begin(), a8.end(), -1) > options.max_unindexed) return false;
    }
    std::vector<Line> lines = calculated_lines(s, p, q_max);
    if (lines.empty()) return false;
    std::vector<int> a = assign(lines, 0.0, 0.25);
    if (std::count(a.begin(), a.end(), -1) > options.max_unindexed) return false;
    for (int pass = 0; pass < 2; ++pass) {
      // Cell and zero by linear least squares in Q: Q(2θ − z) ≈ Q(2θ − z0) − (z − z0) Q',
      // iterated twice for the small nonlinearity (weighted so that residuals are in degrees 2θ).
      for (int it = 0; it < 2; ++it) {
        Eigen::MatrixXd m(nobs, np + 1);
        Eigen::VectorXd rhs(nobs);
        int rows = 0;
        for (int i = 0; i < nobs; ++i) {
          if (a[static_cast<std::size_t>(i)] < 0) continue;
          const double tt = two_theta_deg[static_cast<std::size_t>(i)];
          const double q0 = q_of(tt, zero);
          const double dq = (q_of(tt, zero - 1e-4) - q0) / 1e-4;  // dQ/d2θ at 2θ − z
          const double wgt = 1.0 / std::max(std::abs(dq), 1e-12);
          const Line& l = lines[static_cast<std::size_t>(a[static_cast<std::size_t>(i)])];
          for (int k = 0; k < np; ++k) m(rows, k) = wgt * l.row[static_cast<std::size_t>(k)];
          m(rows, np) = wgt * dq;  // row·p + Q'·z = Q(2θ − z0) + Q'·z0
          rhs(rows) = wgt * (q0 + dq * zero);
          ++rows;
        }
        if (rows < np + 2) return false;
        const Eigen::VectorXd sol = m.topRows(rows).colPivHouseholderQr().solve(rhs.head(rows));
        for (int k = 0; k < np; ++k) {
          // Only the cross terms (monoclinic and triclinic, k >= 3) may be negative.
          if (!(sol(k) > 0) && !(k >= 3 && std::isfinite(sol(k)))) return false;
          p[static_cast<std::size_t>(k)] = sol(k);
        }
        if (np == 4 && !(p[0] * p[2] > 0.25 * p[3] * p[3])) return false;
        if (np == 6 && !positive_definite(reciprocal_metric(p))) return false;
        zero = std::clamp(sol(np), -options.max_zero_deg, options.max_zero_deg);
      }
      const double vv = volume_of(s, p);
      if (!(vv >= options.min_volume_angstrom3 && vv <= options.max_volume_angstrom3)) return false;
      lines = calculated_lines(s, p, q_max);
      if (lines.empty()) return false;
      a = assign(lines, zero, pass == 0 ? 2 * options.tolerance_deg : options.tolerance_deg);
    }
    const int unindexed = static_cast<int>(std::count(a.begin(), a.end(), -1));
    if (unindexed > options.max_unindexed) return false;
    const Lattice lattice = lattice_of(s, p);
    const LatticeParameters lp = lattice.parameters();
    if (std::min({lp.a_angstrom, lp.b_angstrom, lp.c_angstrom}) < options.min_length_angstrom) return false;
    // de Wolff M20 = Q_N / (2 ε̄ N_calc) over the lines used.
    double eps = 0;
    for (int i = 0; i < nobs; ++i) {
      if (a[static_cast<std::size_t>(i)] < 0) continue;
      eps += std::abs(q_of(two_theta_deg[static_cast<std::size_t>(i)], zero) -
                      lines[static_cast<std::size_t>(a[static_cast<std::size_t>(i)])].q);
    }
    // Floor: a 0.003° error at the last line, the precision of good lab data (exact synthetic lines would
    // otherwise make every M20 infinite).
    const double q_last = q_of(two_theta_deg.back(), zero);
    const double eps_floor = std::abs(q_of(two_theta_deg.back() + 0.003, zero) - q_last);
    // de Wolff M20 = Q_N / (2 ε̄ N_calc), with N_calc counting only the lines a centring allows: the best
    // centring that still indexes the lines wins (otherwise centred cells lose to sub-cells).
    double best_m20 = -1;
    unsigned best_c = kP;
    int best_unindexed = 0;
    for (unsigned c : centrings_of(s)) {
      // The primitive cell of a centring must still hold the smallest content (e.g. one formula unit).
      if (lattice.volume_angstrom3() / lattice_points(c) < options.min_volume_angstrom3) continue;
      std::vector<Line> allowed;
      for (const Line& l : lines)
        if (l.centring & c) allowed.push_back(l);
      if (allowed.empty()) continue;
      const std::vector<int> ac = assign(allowed, zero, options.tolerance_deg);
      const int un = static_cast<int>(std::count(ac.begin(), ac.end(), -1));
      if (un > options.max_unindexed) continue;
      double eps = 0;
      for (int i = 0; i < nobs; ++i) {
        if (ac[static_cast<std::size_t>(i)] < 0) continue;
        eps += std::abs(q_of(two_theta_deg[static_cast<std::size_t>(i)], zero) -
                        allowed[static_cast<std::size_t>(ac[static_cast<std::size_t>(i)])].q);
      }
      eps = std::max(eps / std::max(nobs - un, 1), eps_floor);
      int n_calc = 0;
      for (const Line& l : allowed)
        if (l.q <= q_last * (1 + 1e-9)) ++n_calc;
      // Unindexed lines are penalised so that a cell explaining all lines wins over one leaving some out.
      const double m20 = q_last / (2 * eps * std::max(n_calc, 1)) * std::pow(0.5, un);
      if (m20 > best_m20) {
        best_m20 = m20;
        best_c = c;
        best_unindexed = un;
      }
    }
    if (best_m20 < 0) return false;
    out.system = s;
    out.lattice = lattice;
    out.zero_deg = zero;
    out.lines_used = nobs;
    out.lines_indexed = nobs - best_unindexed;
    out.centring = centring_name(best_c);
    out.m20 = best_m20;
    out.m20_indexed_lines = best_m20 * std::pow(2.0, best_unindexed);
    return true;
  }
};

bool same_cell(const IndexingSolution& a, const IndexingSolution& b) {
  if (a.system != b.system) return false;
  if (a.system == CrystalSystem::Monoclinic || a.system == CrystalSystem::Triclinic) {
    // Many settings describe one monoclinic lattice: compare the Niggli-reduced cells.
    const LatticeParameters p = a.lattice.niggli_reduced(1e-3).parameters(), q = b.lattice.niggli_reduced(1e-3).parameters();
    return std::abs(a.lattice.volume_angstrom3() - b.lattice.volume_angstrom3()) < 0.02 * a.lattice.volume_angstrom3() &&
           std::abs(p.a_angstrom - q.a_angstrom) < 0.01 * p.a_angstrom &&
           std::abs(p.b_angstrom - q.b_angstrom) < 0.01 * p.b_angstrom &&
           std::abs(p.c_angstrom - q.c_angstrom) < 0.01 * p.c_angstrom;
  }
  const LatticeParameters p = a.lattice.parameters(), q = b.lattice.parameters();
  return std::abs(p.a_angstrom - q.a_angstrom) < 0.01 * p.a_angstrom &&
         std::abs(p.b_angstrom - q.b_angstrom) < 0.01 * p.b_angstrom &&
         std::abs(p.c_angstrom - q.c_angstrom) < 0.01 * p.c_angstrom;
}

struct FinishedEarly {};

constexpr int kCubicImpurityLines = 6;
constexpr double kImpurityCubicM20 = 20;

}  // namespace

std::vector<IndexingSolution> index_peaks(const std::vector<double>& two_theta_deg, double lambda_angstrom,
                                          const IndexingOptions& options, const CancelToken& cancel) {
  std::vector<double> lines(two_theta_deg);
  std::sort(lines.begin(), lines.end());
  if (static_cast<int>(lines.size()) > options.lines) lines.resize(static_cast<std::size_t>(options.lines));
  std::vector<IndexingSolution> solutions;
  if (lines.size() < 4) return solutions;
  Evaluator ev{lines, lambda_angstrom, options};
  auto add = [&](const IndexingSolution& s) {
    for (IndexingSolution& t : solutions)
      if (same_cell(s, t)) {
        if (s.m20 > t.m20) t = s;
        return;
      }
    solutions.push_back(s);
  };
  auto q_at_zero = [&](double zero) {
    std::vector<double> out(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) out[i] = ev.q_of(lines[i], zero);
    return out;
  };
  const std::vector<double> q = q_at_zero(0.0);
  const std::size_t first = std::min<std::size_t>(lines.size(), 6);
  IndexingSolution sol;
  // One line fixes a cubic trial cell, so a zero shift spoils it at high angles (a lab Mn2O3 at -0.09°: 0.3° off by
  // 2θ = 65°): trial zeros as well.
  auto cubic_trials = [&](const Evaluator& evaluator) {
    for (double zero : {0.0, 0.07, -0.07, 0.14, -0.14})
      for (std::size_t i = 0; i < std::min<std::size_t>(first, 3); ++i)
        for (int nn = 1; nn <= 20; ++nn)
          if (evaluator.evaluate(CrystalSystem::Cubic, {ev.q_of(lines[i], zero) / nn, 0, 0}, sol)) add(sol);
  };
  auto check = [&] {
    cancel.throw_if_cancelled();
    if (options.finish_early && options.finish_early->cancelled()) throw FinishedEarly{};
  };
  try {
    for (CrystalSystem s : options.systems) {
      check();
      if (s == CrystalSystem::Cubic) {
        cubic_trials(ev);
      } else if (s == CrystalSystem::Hexagonal || s == CrystalSystem::Tetragonal) {
        // Low-index (m, l²) pairs, m = h²+hk+k² or h²+k².
        std::vector<std::array<int, 2>> rows;
        const std::vector<int> ms = s == CrystalSystem::Hexagonal ? std::vector<int>{0, 1, 3, 4, 7, 9}
                                                                  : std::vector<int>{0, 1, 2, 4, 5, 8};
        for (int m : ms)
          for (int l2 : {0, 1, 4, 9})
            if (m + l2 > 0) rows.push_back({m, l2});
        // Two lines fix a trial cell, so a lab zero shift spoils it as it does a cubic one (a lab R-3m YOF at
        // +0.06°: its cell was not found, and a 2 × 2 supercell, whose many lines absorb the error, was). Trial
        // zeros add only cells that index every line and are smaller than any found before: the supercells they
        // also find took search time from the true cells (development split, lab-like, 48 hexagonal and tetragonal
        // structures: 33 against 36 matched when every cell they found was kept).
        double smallest_found = std::numeric_limits<double>::infinity();
        for (double zero : {0.0, 0.07, -0.07}) {
          if (zero != 0.0 && smallest_found == std::numeric_limits<double>::infinity())
            for (const IndexingSolution& t : solutions) smallest_found = std::min(smallest_found, t.lattice.volume_angstrom3());
          const std::vector<double> qz = q_at_zero(zero);
          for (std::size_t i = 0; i < first; ++i)
            for (std::size_t j = i + 1; j < first; ++j) {
              check();
              for (const auto& ri : rows)
                for (const auto& rj : rows) {
                  const double det = double(ri[0]) * rj[1] - double(ri[1]) * rj[0];
                  if (std::abs(det) < 1e-9) continue;
                  const double a = (qz[i] * rj[1] - qz[j] * ri[1]) / det;
                  const double c = (ri[0] * qz[j] - rj[0] * qz[i]) / det;
                  if (a > 0 && c > 0 && ev.evaluate(s, {a, c, 0}, sol) &&
                      (zero == 0.0 || (sol.lines_indexed == sol.lines_used &&
                                       sol.lattice.volume_angstrom3() < 0.9 * smallest_found)))
                    add(sol);
                }
            }
        }
      } else if (s == CrystalSystem::Orthorhombic) {
        std::vector<std::array<int, 3>> rows;
        for (int h = 0; h <= 2; ++h)
          for (int k = 0; k <= 2; ++k)
            for (int l = 0; l <= 2; ++l)
              if (h + k + l > 0) rows.push_back({h * h, k * k, l * l});
        for (std::size_t i = 0; i < first; ++i)
          for (std::size_t j = i + 1; j < first; ++j)
            for (std::size_t k = j + 1; k < first; ++k) {
              check();
              for (const auto& ri : rows)
                for (const auto& rj : rows)
                  for (const auto& rk : rows) {
                    Eigen::Matrix3d m;
                    m << ri[0], ri[1], ri[2], rj[0], rj[1], rj[2], rk[0], rk[1], rk[2];
                    const double det = m.determinant();
                    if (std::abs(det) < 1e-9) continue;
                    const Eigen::Vector3d abc = m.inverse() * Eigen::Vector3d(q[i], q[j], q[k]);
                    // a <= b <= c (so A >= B >= C) labels each orthorhombic cell once.
                    if (!(abc(2) > 0 && abc(1) >= abc(2) && abc(0) >= abc(1))) continue;
                    if (ev.evaluate(s, {abc(0), abc(1), abc(2)}, sol)) add(sol);
                  }
            }
      }
    }
    // Whether a solution (of `system`, or any) indexes every line with M20 >= 20: lower symmetries, and further trial
    // zeros, are then not searched.
    auto indexed_well = [&](std::optional<CrystalSystem> system) {
      for (const IndexingSolution& t : solutions)
        if ((!system || t.system == *system) && t.lines_indexed == t.lines_used && t.m20 >= 20) return true;
      return false;
    };
    // A second phase leaves more lines unindexed than allowed (a lab Mn2O3 has three β-MnO2 lines among its first
    // 20). When no cubic cell indexes every line well, cubic cells, whose single parameter makes chance fits
    // rare, may leave kCubicImpurityLines (searched before the lower symmetries, which a deadline can cut).
    const bool cubic_wanted =
        std::find(options.systems.begin(), options.systems.end(), CrystalSystem::Cubic) != options.systems.end();
    if (cubic_wanted && !indexed_well(CrystalSystem::Cubic) && options.max_unindexed < kCubicImpurityLines) {
      Evaluator with_impurities = ev;
      with_impurities.options.max_unindexed = kCubicImpurityLines;
      cubic_trials(with_impurities);
    }
    // Windows of the cheap pre-check (quick_check): the first 12 lines ± (2 tolerances + 0.05°) at a trial zero.
    auto check_windows = [&](double zero, std::vector<double>& q_lo, std::vector<double>& q_hi) {
      const std::size_t ncheck = std::min<std::size_t>(lines.size(), 12);
      const double window_deg = 2 * options.tolerance_deg + 0.05;
      q_lo.assign(ncheck, 0);
      q_hi.assign(ncheck, 0);
      for (std::size_t i = 0; i < ncheck; ++i) {
        q_lo[i] = ev.q_of(lines[i] - window_deg, zero);
        q_hi[i] = ev.q_of(lines[i] + window_deg, zero);
      }
    };
    // Monoclinic (DICVOL's order: only when no higher symmetry indexes every line well): four of the first six
    // lines take low-index rows (|h| + k + l <= 3, indices <= 2), which fixes A, B, C, D; evaluate() refines.
    const bool mono_wanted = std::find(options.systems.begin(), options.systems.end(), CrystalSystem::Monoclinic) !=
                             options.systems.end();
    if (mono_wanted && !indexed_well(std::nullopt)) {
      std::vector<std::array<int, 3>> hkls;
      for (int h = -2; h <= 2; ++h)
        for (int k = 0; k <= 2; ++k)
          for (int l = 0; l <= 2; ++l) {
            if (std::abs(h) + k + l == 0 || std::abs(h) + k + l > 3 || (l == 0 && h < 0)) continue;
            hkls.push_back({h, k, l});
          }
      std::vector<Params> rows;
      for (const auto& t : hkls) rows.push_back(row_of(CrystalSystem::Monoclinic, t[0], t[1], t[2]));
      const std::size_t nfirst = std::min<std::size_t>(lines.size(), 6);
      const std::size_t nr = rows.size();
      // Four exactly fitted lines cannot absorb a lab pattern's zero shift (0.06° already defeats them), and
      // evaluate() only refines it: trial zeros 0, then ±0.07° while nothing good has been found.
      for (double zero : {0.0, 0.07, -0.07}) {
        if (zero != 0.0 && indexed_well(CrystalSystem::Monoclinic)) break;
        const std::vector<double> qz = q_at_zero(zero);
        std::vector<double> q_lo, q_hi;
        check_windows(zero, q_lo, q_hi);
        std::vector<std::array<std::size_t, 4>> quadruples;
        for (std::size_t i = 0; i < nfirst; ++i)
          for (std::size_t j = i + 1; j < nfirst; ++j)
            for (std::size_t k = j + 1; k < nfirst; ++k)
              for (std::size_t m = k + 1; m < nfirst; ++m) quadruples.push_back({i, j, k, m});
        // Each choice of four lines on its own worker; results merge in a fixed order.
        std::vector<std::vector<IndexingSolution>> found(quadruples.size());
        parallel_for(quadruples.size(), options.threads, [&](std::size_t qi) {
          const auto [i, j, k, m] = quadruples[qi];
          std::set<std::array<long, 4>> seen;
          IndexingSolution trial;
          const Eigen::Vector4d qv(qz[i], qz[j], qz[k], qz[m]);
          for (std::size_t ri = 0; ri < nr; ++ri)
            for (std::size_t rj = 0; rj < nr; ++rj) {
              if (rj == ri) continue;
              check();
              for (std::size_t rk = 0; rk < nr; ++rk) {
                if (rk == ri || rk == rj) continue;
                for (std::size_t rm = 0; rm < nr; ++rm) {
                  if (rm == ri || rm == rj || rm == rk) continue;
                  Eigen::Matrix4d mat;
                  for (int c = 0; c < 4; ++c) {
                    mat(0, c) = rows[ri][static_cast<std::size_t>(c)];
                    mat(1, c) = rows[rj][static_cast<std::size_t>(c)];
                    mat(2, c) = rows[rk][static_cast<std::size_t>(c)];
                    mat(3, c) = rows[rm][static_cast<std::size_t>(c)];
                  }
                  const double det = mat.determinant();
                  if (std::abs(det) < 1e-9) continue;
                  const Eigen::Vector4d abcd = mat.inverse() * qv;
                  if (!(abcd(0) > 0 && abcd(1) > 0 && abcd(2) > 0 && abcd(0) * abcd(2) > 0.25 * abcd(3) * abcd(3)))
                    continue;
                  // a* >= c* and β* <= 90° (β >= 90°) label most settings once.
                  if (abcd(0) < abcd(2) || abcd(3) < 0) continue;
                  // Many assignments give the same parameters: evaluate each once (to 0.1 %).
                  std::array<long, 4> key;
                  for (int c = 0; c < 4; ++c) key[static_cast<std::size_t>(c)] = std::lround(1000.0 * abcd(c) / abcd(0));
                  key[0] = std::lround(1e5 * abcd(0));
                  if (!seen.insert(key).second) continue;
                  if (!quick_check({abcd(0), abcd(1), abcd(2), 0, abcd(3), 0}, q_lo, q_hi, options)) continue;
                  if (ev.evaluate(CrystalSystem::Monoclinic, {abcd(0), abcd(1), abcd(2), abcd(3)}, trial))
                    found[qi].push_back(trial);
                }
              }
            }
        });
        for (const auto& list : found)
          for (const IndexingSolution& s : list) add(s);
      }
    }
    // Triclinic, last and only when nothing indexes every line well (a zone search in the manner of ITO, Visser,
    // J. Appl. Cryst. 2, 89 (1969)). Triclinic lattices have no systematic absences, so the three shortest
    // reciprocal vectors of the reduced cell (a basis in 3D) are usually among the first lines: two of the first
    // six lines are taken as A = Q(100) and B = Q(010), and any later line as C = Q(001) (one short axis puts its
    // first line after many lines of the 2D zone of the long ones). For each pair, a line at Q(1±1 0) = A + B ± D
    // gives |D| (|D| <= min(A, B) in a Buerger-reduced reciprocal cell), and likewise E and F. Inverting axes makes
    // D, E >= 0, so F takes both signs. evaluate() refines cell and zero.
    const bool tri_wanted = std::find(options.systems.begin(), options.systems.end(), CrystalSystem::Triclinic) !=
                            options.systems.end();
    if (tri_wanted && !indexed_well(std::nullopt) && lines.size() >= 8) {
      for (double zero : {0.0, 0.07, -0.07}) {
        if (zero != 0.0 && indexed_well(CrystalSystem::Triclinic)) break;
        const std::vector<double> qz = q_at_zero(zero);
        std::vector<double> q_lo, q_hi;
        check_windows(zero, q_lo, q_hi);
        const double tol_q = ev.q_of(lines.back() + 2 * options.tolerance_deg + 0.05, zero) - qz.back();
        // |Q − (Q1 + Q2)| of every line within the reduced-cell range: the candidate cross terms of a pair.
        auto cross_terms = [&](double q1, double q2) {
          std::vector<double> out;
          const double centre = q1 + q2, reach = std::min(q1, q2) + tol_q;
          for (double q : qz) {
            const double d = std::abs(q - centre);
            if (d > reach) continue;
            bool known = false;
            for (double o : out) known = known || std::abs(o - d) < 0.25 * tol_q;
            if (!known) out.push_back(d);
          }
          return out;
        };
        const std::size_t nbasis = std::min<std::size_t>(lines.size(), 6);
        std::vector<std::array<std::size_t, 3>> triples;
        for (std::size_t i = 0; i < nbasis; ++i)
          for (std::size_t j = i + 1; j < nbasis; ++j)
            for (std::size_t k = j + 1; k < lines.size(); ++k) triples.push_back({i, j, k});
        std::vector<std::vector<IndexingSolution>> found(triples.size());
        parallel_for(triples.size(), options.threads, [&](std::size_t ti) {
          const auto [i, j, k] = triples[ti];
          const double a = qz[i], b = qz[j], c = qz[k];
          const std::vector<double> ds = cross_terms(a, b), es = cross_terms(a, c), fs = cross_terms(b, c);
          IndexingSolution trial;
          for (double d : ds)
            for (double e : es) {
              check();
              for (double f : fs)
                for (double sign : {1.0, -1.0}) {
                  if (sign < 0 && f == 0) continue;
                  const Params t{a, b, c, d, e, sign * f};
                  if (!quick_check(t, q_lo, q_hi, options)) continue;
                  if (ev.evaluate(CrystalSystem::Triclinic, t, trial)) found[ti].push_back(trial);
                }
            }
        });
        for (const auto& list : found)
          for (const IndexingSolution& s : list) add(s);
      }
    }
  } catch (const FinishedEarly&) {
    // keep what the finished stages found
  }
  // A lower-symmetry solution with the same cell as a higher-symmetry one (e.g. tetragonal with a = c) adds
  // nothing: drop it.
  std::vector<IndexingSolution> kept;
  for (const IndexingSolution& s : solutions) {
    bool redundant = false;
    const LatticeParameters p = s.lattice.parameters();
    std::array<double, 3> ls{p.a_angstrom, p.b_angstrom, p.c_angstrom};
    std::sort(ls.begin(), ls.end());
    for (const IndexingSolution& t : solutions) {
      if (static_cast<int>(t.system) >= static_cast<int>(s.system) || t.m20 < 0.8 * s.m20) continue;
      if ((t.system == CrystalSystem::Hexagonal) != (s.system == CrystalSystem::Hexagonal)) continue;
      const LatticeParameters r = t.lattice.parameters();
      std::array<double, 3> lt{r.a_angstrom, r.b_angstrom, r.c_angstrom};
      std::sort(lt.begin(), lt.end());
      bool same = true;
      for (int k = 0; k < 3; ++k) same = same && std::abs(ls[k] - lt[k]) < 0.005 * ls[k];
      if (s.system == CrystalSystem::Monoclinic) same = same && std::abs(p.beta_deg - 90) < 0.3;
      if (same) redundant = true;
    }
    if (!redundant) kept.push_back(s);
  }
  solutions.swap(kept);
  // Ranked by M20 with a preference for higher symmetry: with few lines, a low-symmetry sub- or
  // super-cell can match as well as the true one (DICVOL, for instance, searches from high symmetry down).
  auto score = [](const IndexingSolution& s) {
    const double bonus = s.system == CrystalSystem::Cubic ? 2.0
                         : (s.system == CrystalSystem::Hexagonal || s.system == CrystalSystem::Tetragonal) ? 1.3
                         : s.system == CrystalSystem::Monoclinic                                          ? 0.8
                         : s.system == CrystalSystem::Triclinic                                           ? 0.6
                                                                                                          : 1.0;
    return s.m20 * bonus;
  };
  std::sort(solutions.begin(), solutions.end(),
            [&](const IndexingSolution& a, const IndexingSolution& b) { return score(a) > score(b); });
  // A cubic cell leaving impurity lines has its M20 halved for each and falls below the cut (a lab Mn2O3: 14 of 20
  // lines, M20 53 over them, 0.83 in all, behind monoclinic cells indexing every line at 15). When no cubic cell
  // is kept, the first one whose M20 over the lines it indexes reaches kImpurityCubicM20 is, second: the first
  // cell is the model's lattice hint, and a Le Bail fit judges them all.
  const std::size_t cut = static_cast<std::size_t>(std::max(options.max_solutions, 1));
  if (solutions.size() > cut) {
    const auto is_cubic = [](const IndexingSolution& s) { return s.system == CrystalSystem::Cubic; };
    const auto impurity_cubic = std::find_if(solutions.begin() + static_cast<long>(cut), solutions.end(), [&](const IndexingSolution& s) {
      return is_cubic(s) && s.m20_indexed_lines >= kImpurityCubicM20;
    });
    if (std::none_of(solutions.begin(), solutions.begin() + static_cast<long>(cut), is_cubic) &&
        impurity_cubic != solutions.end()) {
      const IndexingSolution kept_cubic = *impurity_cubic;
      solutions.resize(cut - 1);
      solutions.insert(solutions.begin() + static_cast<long>(std::min<std::size_t>(1, solutions.size())), kept_cubic);
    }
  }
  if (solutions.size() > cut) solutions.resize(cut);
  return solutions;
}

}  // namespace pxrd
