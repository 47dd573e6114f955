#include "pxrd/indexing.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <Eigen/Dense>

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

std::vector<double> moving_minimum(const std::vector<double>& v, int half) {
  const int n = static_cast<int>(v.size());
  std::vector<double> out(v.size());
  for (int i = 0; i < n; ++i) {
    double m = v[static_cast<std::size_t>(i)];
    for (int j = std::max(0, i - half); j <= std::min(n - 1, i + half); ++j) m = std::min(m, v[static_cast<std::size_t>(j)]);
    out[static_cast<std::size_t>(i)] = m;
  }
  return out;
}

}  // namespace

std::vector<ObservedPeak> find_peaks_for_indexing(const PowderData& data, int max_peaks) {
  const std::size_t n = data.size();
  std::vector<ObservedPeak> peaks;
  if (n < 10) return peaks;
  const double step = (data.two_theta_deg.back() - data.two_theta_deg.front()) / static_cast<double>(n - 1);
  // Background: a moving minimum over ~3° then smoothed (wider than sharp peaks, narrower than humps).
  const int bg_half = std::max(3, static_cast<int>(1.5 / step));
  const std::vector<double> smooth = moving_average(data.y, std::max(1, static_cast<int>(0.02 / step)));
  std::vector<double> bg = moving_average(moving_minimum(smooth, bg_half), bg_half);
  std::vector<double> net(n);
  for (std::size_t i = 0; i < n; ++i) net[i] = smooth[i] - bg[i];
  // Noise: median absolute deviation of the raw data from the smoothed curve.
  std::vector<double> dev(n);
  for (std::size_t i = 0; i < n; ++i) dev[i] = std::abs(data.y[i] - smooth[i]);
  std::nth_element(dev.begin(), dev.begin() + static_cast<long>(n / 2), dev.end());
  const double noise = 1.4826 * dev[n / 2];
  const double net_max = *std::max_element(net.begin(), net.end());
  if (!(net_max > 0)) return peaks;
  const double threshold = std::max(4.0 * noise, 0.01 * net_max);
  const int half = std::max(2, static_cast<int>(0.04 / step));
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (net[i] < threshold) continue;
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
// [h², k², l²] (orthorhombic).
struct Line {
  double q;
  std::array<double, 3> row;
};

int n_params(CrystalSystem s) {
  switch (s) {
    case CrystalSystem::Cubic: return 1;
    case CrystalSystem::Hexagonal:
    case CrystalSystem::Tetragonal: return 2;
    default: return 3;
  }
}

std::vector<Line> calculated_lines(CrystalSystem s, const std::array<double, 3>& p, double q_max) {
  std::vector<Line> lines;
  const int np = n_params(s);
  auto q_of = [&](const std::array<double, 3>& row) {
    double q = 0;
    for (int k = 0; k < np; ++k) q += p[static_cast<std::size_t>(k)] * row[static_cast<std::size_t>(k)];
    return q;
  };
  if (s == CrystalSystem::Cubic) {
    const int nmax = static_cast<int>(q_max / p[0]) + 1;
    std::vector<bool> possible(static_cast<std::size_t>(nmax + 1), false);
    const int hmax = static_cast<int>(std::sqrt(nmax)) + 1;
    for (int h = 0; h <= hmax; ++h)
      for (int k = 0; k <= h; ++k)
        for (int l = 0; l <= k; ++l) {
          const int nn = h * h + k * k + l * l;
          if (nn > 0 && nn <= nmax) possible[static_cast<std::size_t>(nn)] = true;
        }
    for (int nn = 1; nn <= nmax; ++nn)
      if (possible[static_cast<std::size_t>(nn)]) lines.push_back({p[0] * nn, {double(nn), 0, 0}});
  } else if (s == CrystalSystem::Hexagonal || s == CrystalSystem::Tetragonal) {
    const int hmax = static_cast<int>(std::sqrt(q_max / p[0] * (s == CrystalSystem::Hexagonal ? 4.0 / 3.0 : 1.0))) + 1;
    const int lmax = static_cast<int>(std::sqrt(q_max / p[1])) + 1;
    std::vector<int> ms;
    for (int h = 0; h <= hmax; ++h)
      for (int k = 0; k <= h; ++k) ms.push_back(s == CrystalSystem::Hexagonal ? h * h + h * k + k * k : h * h + k * k);
    std::sort(ms.begin(), ms.end());
    ms.erase(std::unique(ms.begin(), ms.end()), ms.end());
    for (int m : ms)
      for (int l = 0; l <= lmax; ++l) {
        if (m == 0 && l == 0) continue;
        const std::array<double, 3> row{double(m), double(l * l), 0};
        const double q = q_of(row);
        if (q <= q_max) lines.push_back({q, row});
      }
  } else {
    const int hmax = static_cast<int>(std::sqrt(q_max / p[0])) + 1;
    const int kmax = static_cast<int>(std::sqrt(q_max / p[1])) + 1;
    const int lmax = static_cast<int>(std::sqrt(q_max / p[2])) + 1;
    if (static_cast<long>(hmax + 1) * (kmax + 1) * (lmax + 1) > 200000) return lines;
    for (int h = 0; h <= hmax; ++h)
      for (int k = 0; k <= kmax; ++k)
        for (int l = 0; l <= lmax; ++l) {
          if (h == 0 && k == 0 && l == 0) continue;
          const std::array<double, 3> row{double(h * h), double(k * k), double(l * l)};
          const double q = q_of(row);
          if (q <= q_max) lines.push_back({q, row});
        }
  }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.q < b.q; });
  return lines;
}

double volume_of(CrystalSystem s, const std::array<double, 3>& p) {
  switch (s) {
    case CrystalSystem::Cubic: return std::pow(p[0], -1.5);
    case CrystalSystem::Tetragonal: return 1.0 / (p[0] * std::sqrt(p[1]));
    case CrystalSystem::Hexagonal: {
      const double a = std::sqrt(4.0 / (3.0 * p[0]));
      return a * a * std::sqrt(3.0) / 2.0 / std::sqrt(p[1]);
    }
    default: return 1.0 / std::sqrt(p[0] * p[1] * p[2]);
  }
}

Lattice lattice_of(CrystalSystem s, const std::array<double, 3>& p) {
  switch (s) {
    case CrystalSystem::Cubic: return cell_from_free_parameters({1 / std::sqrt(p[0])}, s);
    case CrystalSystem::Tetragonal: return cell_from_free_parameters({1 / std::sqrt(p[0]), 1 / std::sqrt(p[1])}, s);
    case CrystalSystem::Hexagonal:
      return cell_from_free_parameters({std::sqrt(4.0 / (3.0 * p[0])), 1 / std::sqrt(p[1])}, s);
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
  bool evaluate(CrystalSystem s, std::array<double, 3> p, IndexingSolution& out) const {
    const int np = n_params(s);
    const double v = volume_of(s, p);
    if (!(v >= options.min_volume_angstrom3 && v <= options.max_volume_angstrom3)) return false;
    const double q_max = q_of(two_theta_deg.back(), -options.max_zero_deg) * 1.02;
    const int nobs = static_cast<int>(two_theta_deg.size());
    double zero = 0;
    std::vector<Line> lines = calculated_lines(s, p, q_max);
    if (lines.empty()) return false;
    std::vector<int> a = assign(lines, 0.0, 0.25);
    if (std::count(a.begin(), a.end(), -1) > options.max_unindexed) return false;
    for (int pass = 0; pass < 2; ++pass) {
      // Zero scanned on a grid, cell by linear least squares in Q for each zero.
      double best_rms = 1e30;
      std::array<double, 3> best_p = p;
      double best_zero = zero;
      for (double z = -options.max_zero_deg; z <= options.max_zero_deg + 1e-9; z += 0.01) {
        Eigen::MatrixXd m(nobs, np);
        Eigen::VectorXd rhs(nobs);
        int rows = 0;
        for (int i = 0; i < nobs; ++i) {
          if (a[static_cast<std::size_t>(i)] < 0) continue;
          const Line& l = lines[static_cast<std::size_t>(a[static_cast<std::size_t>(i)])];
          for (int k = 0; k < np; ++k) m(rows, k) = l.row[static_cast<std::size_t>(k)];
          rhs(rows) = q_of(two_theta_deg[static_cast<std::size_t>(i)], z);
          ++rows;
        }
        if (rows < np) return false;
        const Eigen::VectorXd sol = m.topRows(rows).colPivHouseholderQr().solve(rhs.head(rows));
        std::array<double, 3> q = p;
        bool ok = true;
        for (int k = 0; k < np; ++k) {
          q[static_cast<std::size_t>(k)] = sol(k);
          if (!(sol(k) > 0)) ok = false;
        }
        if (!ok) continue;
        double ss = 0;
        for (int i = 0; i < nobs; ++i) {
          if (a[static_cast<std::size_t>(i)] < 0) continue;
          const Line& l = lines[static_cast<std::size_t>(a[static_cast<std::size_t>(i)])];
          double qc = 0;
          for (int k = 0; k < np; ++k) qc += q[static_cast<std::size_t>(k)] * l.row[static_cast<std::size_t>(k)];
          const double d = tt_of(qc) + z - two_theta_deg[static_cast<std::size_t>(i)];
          ss += d * d;
        }
        if (ss < best_rms) {
          best_rms = ss;
          best_p = q;
          best_zero = z;
        }
      }
      if (best_rms >= 1e30) return false;
      p = best_p;
      zero = best_zero;
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
    eps = std::max(eps / (nobs - unindexed), std::abs(q_of(two_theta_deg.back() + 0.003, zero) - q_last));
    const double q_n = q_of(two_theta_deg.back(), zero);
    int n_calc = 0;
    double last = -1;
    for (const Line& l : lines) {
      if (l.q > q_n * (1 + 1e-9)) break;
      if (std::abs(l.q - last) > 1e-9 * l.q) ++n_calc;
      last = l.q;
    }
    out.system = s;
    out.lattice = lattice;
    out.zero_deg = zero;
    out.lines_used = nobs;
    out.lines_indexed = nobs - unindexed;
    // Unindexed lines are penalised so that a cell explaining all lines wins over one leaving some out.
    out.m20 = q_n / (2 * eps * std::max(n_calc, 1)) * std::pow(0.5, unindexed);
    return true;
  }
};

bool same_cell(const IndexingSolution& a, const IndexingSolution& b) {
  const LatticeParameters p = a.lattice.parameters(), q = b.lattice.parameters();
  return a.system == b.system && std::abs(p.a_angstrom - q.a_angstrom) < 0.01 * p.a_angstrom &&
         std::abs(p.b_angstrom - q.b_angstrom) < 0.01 * p.b_angstrom &&
         std::abs(p.c_angstrom - q.c_angstrom) < 0.01 * p.c_angstrom;
}

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
  std::vector<double> q(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) q[i] = ev.q_of(lines[i], 0.0);
  const std::size_t first = std::min<std::size_t>(lines.size(), 6);
  IndexingSolution sol;
  for (CrystalSystem s : options.systems) {
    cancel.throw_if_cancelled();
    if (s == CrystalSystem::Cubic) {
      for (std::size_t i = 0; i < std::min<std::size_t>(first, 3); ++i)
        for (int nn = 1; nn <= 20; ++nn)
          if (ev.evaluate(s, {q[i] / nn, 0, 0}, sol)) add(sol);
    } else if (s == CrystalSystem::Hexagonal || s == CrystalSystem::Tetragonal) {
      // Low-index (m, l²) pairs, m = h²+hk+k² or h²+k².
      std::vector<std::array<int, 2>> rows;
      const std::vector<int> ms = s == CrystalSystem::Hexagonal ? std::vector<int>{0, 1, 3, 4, 7, 9}
                                                                : std::vector<int>{0, 1, 2, 4, 5, 8};
      for (int m : ms)
        for (int l2 : {0, 1, 4, 9})
          if (m + l2 > 0) rows.push_back({m, l2});
      for (std::size_t i = 0; i < first; ++i)
        for (std::size_t j = i + 1; j < first; ++j) {
          cancel.throw_if_cancelled();
          for (const auto& ri : rows)
            for (const auto& rj : rows) {
              const double det = double(ri[0]) * rj[1] - double(ri[1]) * rj[0];
              if (std::abs(det) < 1e-9) continue;
              const double a = (q[i] * rj[1] - q[j] * ri[1]) / det;
              const double c = (ri[0] * q[j] - rj[0] * q[i]) / det;
              if (a > 0 && c > 0 && ev.evaluate(s, {a, c, 0}, sol)) add(sol);
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
            cancel.throw_if_cancelled();
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
                                                                                                          : 1.0;
    return s.m20 * bonus;
  };
  std::sort(solutions.begin(), solutions.end(),
            [&](const IndexingSolution& a, const IndexingSolution& b) { return score(a) > score(b); });
  if (static_cast<int>(solutions.size()) > options.max_solutions)
    solutions.resize(static_cast<std::size_t>(options.max_solutions));
  return solutions;
}

}  // namespace pxrd
