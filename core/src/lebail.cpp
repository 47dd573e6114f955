#include "pxrd/lebail.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>
#include <Eigen/Sparse>

#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

const char* crystal_system_name(CrystalSystem system) {
  switch (system) {
    case CrystalSystem::Cubic: return "cubic";
    case CrystalSystem::Hexagonal: return "hexagonal";
    case CrystalSystem::Tetragonal: return "tetragonal";
    case CrystalSystem::Orthorhombic: return "orthorhombic";
    case CrystalSystem::Monoclinic: return "monoclinic";
    case CrystalSystem::Triclinic: return "triclinic";
  }
  return "triclinic";
}

std::vector<double> cell_free_parameters(const Lattice& lattice, CrystalSystem system) {
  const LatticeParameters p = lattice.parameters();
  switch (system) {
    case CrystalSystem::Cubic: return {(p.a_angstrom + p.b_angstrom + p.c_angstrom) / 3.0};
    case CrystalSystem::Hexagonal:
    case CrystalSystem::Tetragonal: return {(p.a_angstrom + p.b_angstrom) / 2.0, p.c_angstrom};
    case CrystalSystem::Orthorhombic: return {p.a_angstrom, p.b_angstrom, p.c_angstrom};
    case CrystalSystem::Monoclinic: return {p.a_angstrom, p.b_angstrom, p.c_angstrom, p.beta_deg};
    case CrystalSystem::Triclinic:
      return {p.a_angstrom, p.b_angstrom, p.c_angstrom, p.alpha_deg, p.beta_deg, p.gamma_deg};
  }
  return {};
}

Lattice cell_from_free_parameters(const std::vector<double>& f, CrystalSystem system) {
  switch (system) {
    case CrystalSystem::Cubic: return Lattice::from_parameters(f[0], f[0], f[0], 90, 90, 90);
    case CrystalSystem::Hexagonal: return Lattice::from_parameters(f[0], f[0], f[1], 90, 90, 120);
    case CrystalSystem::Tetragonal: return Lattice::from_parameters(f[0], f[0], f[1], 90, 90, 90);
    case CrystalSystem::Orthorhombic: return Lattice::from_parameters(f[0], f[1], f[2], 90, 90, 90);
    case CrystalSystem::Monoclinic: return Lattice::from_parameters(f[0], f[1], f[2], 90, f[3], 90);
    case CrystalSystem::Triclinic: return Lattice::from_parameters(f[0], f[1], f[2], f[3], f[4], f[5]);
  }
  return Lattice();
}

PowderData powder_data_from_pattern(const Pattern& pattern, double two_theta_min_deg, double two_theta_max_deg) {
  if (pattern.x_unit != XUnit::TwoThetaDeg)
    throw InputError(pattern.source, 0, "the fit needs a 2θ pattern; convert Q data with its wavelength first");
  if (!pattern.radiation || !(pattern.radiation->lambda1_angstrom > 0))
    throw InputError(pattern.source, 0, "the pattern has no wavelength; give --wavelength");
  PowderData data;
  data.lambda1_angstrom = pattern.radiation->lambda1_angstrom;
  if (pattern.radiation->has_second_line()) {
    data.lambda2_angstrom = pattern.radiation->lambda2_angstrom;
    data.ratio = pattern.radiation->ratio;
  }
  double y_max = 0;
  for (double v : pattern.y) y_max = std::max(y_max, v);
  // Without esd, Poisson weights with a floor: simulated (noise-free, scaled) patterns would otherwise give
  // enormous weights to the near-zero tails.
  const double floor = std::max(1e-12, 0.01 * y_max);
  const std::vector<double> w_pattern = pattern.weights();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.x[i] < two_theta_min_deg || pattern.x[i] > two_theta_max_deg) continue;
    data.two_theta_deg.push_back(pattern.x[i]);
    data.y.push_back(pattern.y[i]);
    data.w.push_back(pattern.has_esd() ? w_pattern[i] : 1.0 / std::max(pattern.y[i], floor));
  }
  if (data.size() < 20) throw InputError(pattern.source, 0, "fewer than 20 data points in the usable 2θ range");
  return data;
}

namespace {

struct HklLength {
  double g;  // |g| = 1/d, Å⁻¹
  std::array<int, 3> hkl;
};

// Sorted by decreasing d, equal d (relative 1e-5) in one group.
std::vector<ReflectionGroup> groups_by_d(std::vector<HklLength>& items) {
  std::sort(items.begin(), items.end(), [](const HklLength& a, const HklLength& b) { return a.g < b.g; });
  std::vector<ReflectionGroup> groups;
  for (const HklLength& it : items) {
    const double d = 1.0 / it.g;
    if (!groups.empty() && std::abs(groups.back().d_angstrom - d) <= 1e-5 * d)
      groups.back().hkls.push_back(it.hkl);
    else
      groups.push_back({d, {it.hkl}});
  }
  return groups;
}

}  // namespace

std::vector<ReflectionGroup> enumerate_reflections(const Lattice& lattice, double d_min_angstrom) {
  const Eigen::Matrix3d rec = lattice.reciprocal_matrix();
  const LatticeParameters p = lattice.parameters();
  const double g_max = 1.0 / d_min_angstrom;
  const int hmax = static_cast<int>(std::ceil(p.a_angstrom * g_max));
  const int kmax = static_cast<int>(std::ceil(p.b_angstrom * g_max));
  const int lmax = static_cast<int>(std::ceil(p.c_angstrom * g_max));
  // 10⁸ index triples take seconds; only a diverged or absurd cell needs them (100 Å edges at d 0.77 Å need 10⁷).
  if (!(double(hmax + 1) * (2.0 * kmax + 1) * (2.0 * lmax + 1) < 1e8))
    throw Error("a cell of " + std::to_string(p.a_angstrom) + " × " + std::to_string(p.b_angstrom) + " × " +
                std::to_string(p.c_angstrom) + " Å has too many reflections to list");
  std::vector<HklLength> items;
  for (int h = 0; h <= hmax; ++h)
    for (int k = (h == 0 ? 0 : -kmax); k <= kmax; ++k)
      for (int l = (h == 0 && k == 0 ? 1 : -lmax); l <= lmax; ++l) {
        const Eigen::Vector3d g = rec.transpose() * Eigen::Vector3d(h, k, l);
        const double gn = g.norm();
        if (gn <= g_max) items.push_back({gn, {h, k, l}});
      }
  return groups_by_d(items);
}

std::vector<ReflectionGroup> regroup_reflections(const std::vector<ReflectionGroup>& groups, const Lattice& lattice) {
  const Eigen::Matrix3d rt = lattice.reciprocal_matrix().transpose();
  std::vector<HklLength> items;
  for (const ReflectionGroup& group : groups)
    for (const auto& h : group.hkls) items.push_back({(rt * Eigen::Vector3d(h[0], h[1], h[2])).norm(), h});
  return groups_by_d(items);
}

PowderData bin_powder_data(const PowderData& data, int factor) {
  if (factor <= 1) return data;
  PowderData out;
  out.lambda1_angstrom = data.lambda1_angstrom;
  out.lambda2_angstrom = data.lambda2_angstrom;
  out.ratio = data.ratio;
  const std::size_t k = static_cast<std::size_t>(factor);
  for (std::size_t start = 0; start < data.size(); start += k) {
    const std::size_t end = std::min(data.size(), start + k);
    double x = 0, y = 0, y_weighted = 0, variance = 0;
    int used = 0;
    for (std::size_t i = start; i < end; ++i) {
      x += data.two_theta_deg[i];
      y += data.y[i];
      if (data.w[i] > 0) {
        y_weighted += data.y[i];
        variance += 1.0 / data.w[i];
        ++used;
      }
    }
    out.two_theta_deg.push_back(x / static_cast<double>(end - start));
    out.y.push_back(used ? y_weighted / used : y / static_cast<double>(end - start));
    out.w.push_back(used ? double(used) * used / variance : 0.0);
  }
  return out;
}

void update_reflection_d(std::vector<ReflectionGroup>& groups, const Lattice& lattice) {
  const Eigen::Matrix3d rt = lattice.reciprocal_matrix().transpose();
  for (ReflectionGroup& g : groups) {
    const auto& h = g.hkls.front();
    g.d_angstrom = 1.0 / (rt * Eigen::Vector3d(h[0], h[1], h[2])).norm();
  }
}

double ProfileParams::gaussian_fwhm_deg(double theta_rad) const {
  const double t = std::tan(theta_rad);
  return std::sqrt(std::max(u * t * t + v * t + w, 1e-8));
}

double ProfileParams::fwhm_deg(double theta_rad) const {
  return gaussian_fwhm_deg(theta_rad) + std::max(x, 0.0) / std::cos(theta_rad);
}

double reflection_d_min_angstrom(const PowderData& data, const ProfileParams& profile, double reach_fwhm) {
  const double tt_max = data.two_theta_deg.back();
  const double reach = std::max(1.0, reach_fwhm * profile.fwhm_deg(deg_to_rad(tt_max / 2)));
  return two_theta_deg_to_d_angstrom(std::min(tt_max + reach, 179.0), data.lambda1_angstrom);
}

double lorentz_polarisation(double two_theta_deg) {
  const double tt = deg_to_rad(two_theta_deg), th = tt / 2;
  const double c2 = std::cos(tt);
  return (1 + c2 * c2) / (std::sin(th) * std::sin(th) * std::cos(th));
}

double pseudo_voigt(double dx_deg, double fwhm_deg, double eta) {
  const double x = dx_deg / fwhm_deg;
  constexpr double kLn2 = 0.69314718055994531;
  const double g = 2.0 / fwhm_deg * std::sqrt(kLn2 / kPi) * std::exp(-4 * kLn2 * x * x);
  const double l = 2.0 / (kPi * fwhm_deg) / (1 + 4 * x * x);
  return eta * l + (1 - eta) * g;
}

namespace {

// sinc²(y) = (sin y / y)² from a table with linear interpolation (error below 4e-7 of the peak) for |y| < 64,
// exactly beyond: the sine was two thirds of the time of a 10 Å fit.
constexpr double kSincTableStep = 1.0 / 512;
constexpr int kSincTableSize = 64 * 512 + 2;

const std::vector<double>& sinc2_table() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kSincTableSize);
    t[0] = 1;
    for (int i = 1; i < kSincTableSize; ++i) {
      const double y = i * kSincTableStep;
      t[static_cast<std::size_t>(i)] = (std::sin(y) / y) * (std::sin(y) / y);
    }
    return t;
  }();
  return table;
}

inline double sinc2(double y) {
  static const std::vector<double>& table = sinc2_table();
  const double u = std::abs(y) / kSincTableStep;
  if (u >= kSincTableSize - 1) {
    const double s = std::sin(y) / y;
    return s * s;
  }
  const int i = static_cast<int>(u);
  const double f = u - i;
  return table[static_cast<std::size_t>(i)] * (1 - f) + table[static_cast<std::size_t>(i) + 1] * f;
}

}  // namespace

double sinc2_peak(double dx_deg, double sinc2_fwhm_deg, double gaussian_fwhm_deg) {
  // A narrow Gaussian only widens the peak a little: add the widths in quadrature (the quadrature below costs
  // five evaluations).
  const bool convolve = gaussian_fwhm_deg > 0.3 * sinc2_fwhm_deg;
  const double width = convolve ? sinc2_fwhm_deg : std::hypot(sinc2_fwhm_deg, gaussian_fwhm_deg);
  // sinc²(y) = 1/2 at y = 1.391557, and ∫ sinc²(a Δ) dΔ = π / a.
  const double a = 2.0 * 1.391557 / width;
  auto pure = [a](double d) { return a / kPi * sinc2(a * d); };
  if (!convolve) return pure(dx_deg);
  // Physicists' Gauss–Hermite nodes and weights for n = 5 (Abramowitz & Stegun, Table 25.10).
  static constexpr double kNode[5] = {-2.020182870456086, -0.958572464613819, 0.0, 0.958572464613819,
                                      2.020182870456086};
  static constexpr double kWeight[5] = {0.019953242059046, 0.393619323152241, 0.945308720482942,
                                        0.393619323152241, 0.019953242059046};
  const double sigma_sqrt2 = gaussian_fwhm_deg / 2.354820045 * std::sqrt(2.0);
  double acc = 0;
  for (int k = 0; k < 5; ++k) acc += kWeight[k] * pure(dx_deg - sigma_sqrt2 * kNode[k]);
  return acc / std::sqrt(kPi);
}

namespace {

// Calls fn(group, point, unit-intensity contribution) for every point inside each group's peak windows.
template <class Fn>
void for_each_peak_point(const PowderData& data, const std::vector<ReflectionGroup>& groups,
                         const ProfileParams& profile, Fn&& fn) {
  const auto& x = data.two_theta_deg;
  if (x.empty()) return;
  const double eta = std::clamp(profile.eta, 0.0, 1.0);
  const int lines = data.lambda2_angstrom > 0 && data.ratio > 0 ? 2 : 1;
  // sin θ and cos θ of every point (zero-corrected), for the peaks drawn in Q: once per call, not per peak.
  std::vector<double> sin_theta, cos_theta;
  if (profile.sinc2_size) {
    sin_theta.resize(x.size());
    cos_theta.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double th = deg_to_rad(x[i] - profile.zero_deg) / 2;
      sin_theta[i] = std::sin(th);
      cos_theta[i] = std::cos(th);
    }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (int line = 0; line < lines; ++line) {
      const double lambda = line == 0 ? data.lambda1_angstrom : data.lambda2_angstrom;
      const double factor = line == 0 ? 1.0 : data.ratio;
      const double tt = d_angstrom_to_two_theta_deg(groups[g].d_angstrom, lambda);
      if (!std::isfinite(tt) || tt < 1.0 || tt > 179.0) continue;
      const double centre = tt + profile.zero_deg;
      const double theta = deg_to_rad(tt / 2);
      const double fwhm = std::max(profile.fwhm_deg(theta), 1e-3);
      // sinc² tails fall as 1/Δ², like a Lorentzian's: beyond 12 FWHM about 1 % of the area is left out.
      const double half = 12.0 * fwhm;
      if (centre + half < x.front() || centre - half > x.back()) continue;
      const double scale = factor * lorentz_polarisation(tt);
      auto it = std::lower_bound(x.begin(), x.end(), centre - half);
      const std::size_t first = static_cast<std::size_t>(it - x.begin());
      if (profile.sinc2_size) {
        const double sinc2_fwhm = std::max(std::max(profile.x, 1e-4) / std::cos(theta), 1e-3);
        const double gaussian_fwhm = profile.gaussian_fwhm_deg(theta);
        if (gaussian_fwhm > 0.3 * sinc2_fwhm) {
          for (std::size_t i = first; i < x.size() && x[i] <= centre + half; ++i)
            fn(g, i, scale * sinc2_peak(x[i] - centre, sinc2_fwhm, gaussian_fwhm));
          continue;
        }
        // Peaks tens of degrees wide (τ of a few nm): sinc²(ΔQ τ/2) in Q itself, times dQ/d2θ at each point, as
        // the curvature of Q(2θ) makes them asymmetric in 2θ. The narrow Gaussian widens the peak in quadrature.
        const double k = 4 * kPi / lambda;                    // Q = k sin θ
        const double per_deg = kPi / 180.0 / 2.0;             // dθ (rad) per degree 2θ
        const double fwhm_q = std::hypot(sinc2_fwhm, gaussian_fwhm) * k * std::cos(theta) * per_deg;
        const double a = 2.0 * 1.391557 / fwhm_q;             // sinc²(a ΔQ) = 1/2 at half maximum
        const double q_peak = k * std::sin(theta);
        for (std::size_t i = first; i < x.size() && x[i] <= centre + half; ++i) {
          const double y = a * (k * sin_theta[i] - q_peak);
          fn(g, i, scale * a / kPi * sinc2(y) * k * cos_theta[i] * per_deg);
        }
        continue;
      }
      for (std::size_t i = first; i < x.size() && x[i] <= centre + half; ++i)
        fn(g, i, scale * pseudo_voigt(x[i] - centre, fwhm, eta));
    }
  }
}

}  // namespace

std::vector<double> peak_profile(const PowderData& data, const std::vector<ReflectionGroup>& groups,
                                 const std::vector<double>& intensities, const ProfileParams& profile) {
  std::vector<double> y(data.size(), 0.0);
  for_each_peak_point(data, groups, profile,
                      [&](std::size_t g, std::size_t i, double v) { y[i] += intensities[g] * v; });
  return y;
}

PeakShapes peak_shapes(const PowderData& data, const std::vector<ReflectionGroup>& groups, const ProfileParams& profile) {
  PeakShapes out;
  for_each_peak_point(data, groups, profile, [&](std::size_t g, std::size_t i, double v) {
    // Points of one window arrive in order; a new group (or its Kα2 window) starts a segment.
    if (out.segments.empty() || out.segments.back().group != g ||
        out.segments.back().first_point + out.segments.back().values.size() != i)
      out.segments.push_back({g, i, {}});
    out.segments.back().values.push_back(v);
  });
  return out;
}

std::vector<double> sum_peak_shapes(const PeakShapes& shapes, const std::vector<double>& intensities,
                                    std::size_t n_points) {
  std::vector<double> y(n_points, 0.0);
  for (const PeakShapes::Segment& s : shapes.segments) {
    const double intensity = intensities[s.group];
    for (std::size_t k = 0; k < s.values.size(); ++k) y[s.first_point + k] += intensity * s.values[k];
  }
  return y;
}

std::vector<std::vector<double>> background_basis(const PowderData& data, int n_terms) {
  const std::size_t n = data.size();
  std::vector<std::vector<double>> basis(static_cast<std::size_t>(std::max(n_terms, 0)), std::vector<double>(n));
  if (n == 0) return basis;
  const double lo = data.two_theta_deg.front(), hi = data.two_theta_deg.back();
  for (std::size_t i = 0; i < n; ++i) {
    const double t = hi > lo ? 2 * (data.two_theta_deg[i] - lo) / (hi - lo) - 1 : 0;
    double t0 = 1, t1 = t;
    for (int j = 0; j < n_terms; ++j) {
      double v;
      if (j == 0) v = t0;
      else if (j == 1) v = t1;
      else {
        v = 2 * t * t1 - t0;
        t0 = t1;
        t1 = v;
      }
      basis[static_cast<std::size_t>(j)][i] = v;
    }
  }
  return basis;
}

std::vector<double> linear_fit(const PowderData& data, const std::vector<double>& y_target,
                               const std::vector<std::vector<double>>& basis, const std::vector<double>* extra) {
  const int nb = static_cast<int>(basis.size());
  const int n = nb + (extra ? 1 : 0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  std::vector<double> row(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double w = data.w[i];
    if (w <= 0) continue;
    for (int j = 0; j < nb; ++j) row[static_cast<std::size_t>(j)] = basis[static_cast<std::size_t>(j)][i];
    if (extra) row[static_cast<std::size_t>(nb)] = (*extra)[i];
    for (int j = 0; j < n; ++j) {
      b(j) += w * row[static_cast<std::size_t>(j)] * y_target[i];
      for (int k = 0; k <= j; ++k) a(j, k) += w * row[static_cast<std::size_t>(j)] * row[static_cast<std::size_t>(k)];
    }
  }
  for (int j = 0; j < n; ++j)
    for (int k = j + 1; k < n; ++k) a(j, k) = a(k, j);
  for (int j = 0; j < n; ++j) a(j, j) += 1e-10 * (a(j, j) + 1e-30);
  Eigen::VectorXd c = a.ldlt().solve(b);
  // A structure cannot diffract with a negative scale; with peaks degrees wide the background could otherwise
  // fit the pattern with an inverted one (seen at 10 Å). The optimum under scale >= 0 is then the background alone.
  if (extra && c(nb) < 0) {
    c.setZero();
    if (nb > 0) c.head(nb) = a.topLeftCorner(nb, nb).ldlt().solve(b.head(nb));
  }
  std::vector<double> out(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) out[static_cast<std::size_t>(j)] = std::isfinite(c(j)) ? c(j) : 0.0;
  return out;
}

double weighted_r_factor(const PowderData& data, const std::vector<double>& y_calc) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double d = data.y[i] - y_calc[i];
    num += data.w[i] * d * d;
    den += data.w[i] * data.y[i] * data.y[i];
  }
  return den > 0 ? std::sqrt(num / den) : 1.0;
}

double expected_r_factor(const PowderData& data, int n_parameters) {
  double den = 0;
  int n = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    den += data.w[i] * data.y[i] * data.y[i];
    if (data.w[i] > 0) ++n;
  }
  return den > 0 ? std::sqrt(std::max(n - n_parameters, 1) / den) : 1.0;
}

std::vector<double> levenberg_marquardt(
    const std::vector<double>& start, const std::vector<double>& steps,
    const std::function<std::vector<double>(const std::vector<double>&)>& residuals, const LmOptions& options,
    const CancelToken& cancel, double* final_chi2) {
  const int np = static_cast<int>(start.size());
  const std::vector<double>& lower = options.lower;
  const bool bounded = !lower.empty();
  if (bounded && lower.size() != start.size()) throw Error("levenberg_marquardt: one lower bound per parameter");
  std::vector<double> p = start;
  for (int k = 0; k < np && bounded; ++k)
    p[static_cast<std::size_t>(k)] = std::max(p[static_cast<std::size_t>(k)], lower[static_cast<std::size_t>(k)]);
  std::vector<double> r = residuals(p);
  auto chi2_of = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    return s;
  };
  double chi2 = chi2_of(r);
  double lambda = options.lambda0;
  const int m = static_cast<int>(r.size());
  for (int iter = 0; iter < options.max_iterations && np > 0; ++iter) {
    cancel.throw_if_cancelled();
    Eigen::MatrixXd j(m, np);
    for (int k = 0; k < np; ++k) {
      if (k % 8 == 7) cancel.throw_if_cancelled();  // a Jacobian of a big cell takes seconds
      std::vector<double> q = p;
      q[static_cast<std::size_t>(k)] += steps[static_cast<std::size_t>(k)];
      const std::vector<double> rq = residuals(q);
      for (int i = 0; i < m; ++i)
        j(i, k) = (rq[static_cast<std::size_t>(i)] - r[static_cast<std::size_t>(i)]) / steps[static_cast<std::size_t>(k)];
    }
    const Eigen::Map<const Eigen::VectorXd> rv(r.data(), m);
    Eigen::MatrixXd jtj = j.transpose() * j;
    Eigen::VectorXd jtr = j.transpose() * rv;
    for (int k = 0; k < np && bounded; ++k)
      if (p[static_cast<std::size_t>(k)] <= lower[static_cast<std::size_t>(k)] && jtr(k) > 0) {
        jtj.row(k).setZero();  // descent points through the bound: held this step
        jtj.col(k).setZero();
        jtj(k, k) = 1;
        jtr(k) = 0;
      }
    bool improved = false;
    for (int attempt = 0; attempt < 8; ++attempt) {
      Eigen::MatrixXd a = jtj;
      for (int k = 0; k < np; ++k) a(k, k) += lambda * (jtj(k, k) + 1e-12);
      const Eigen::VectorXd delta = a.ldlt().solve(-jtr);
      if (!delta.allFinite()) {
        lambda *= 10;
        continue;
      }
      std::vector<double> q = p;
      for (int k = 0; k < np; ++k) q[static_cast<std::size_t>(k)] += delta(k);
      for (int k = 0; k < np && bounded; ++k)
        q[static_cast<std::size_t>(k)] = std::max(q[static_cast<std::size_t>(k)], lower[static_cast<std::size_t>(k)]);
      std::vector<double> rq = residuals(q);
      const double c2 = chi2_of(rq);
      if (std::isfinite(c2) && c2 < chi2) {
        const double gain = (chi2 - c2) / std::max(chi2, 1e-300);
        p = std::move(q);
        r = std::move(rq);
        chi2 = c2;
        lambda = std::max(lambda / 5, 1e-9);
        improved = true;
        if (gain < 1e-7) iter = options.max_iterations;  // converged
        break;
      }
      lambda *= 8;
    }
    if (!improved) break;
  }
  if (final_chi2) *final_chi2 = chi2;
  return p;
}

namespace {

struct LeBailState {
  const PowderData& data;
  CrystalSystem system;
  std::vector<ReflectionGroup> groups;
  std::vector<std::vector<double>> basis;
  std::vector<double> intensities;
};

// Nonlinear parameters: cell free parameters, zero, U, W, X, eta.
ProfileParams profile_from(const std::vector<double>& p, std::size_t offset, const ProfileParams& base) {
  ProfileParams prof = base;
  prof.zero_deg = p[offset];
  prof.u = std::max(p[offset + 1], 0.0);
  prof.w = std::max(p[offset + 2], 1e-6);
  prof.x = std::max(p[offset + 3], 0.0);
  prof.eta = std::clamp(p[offset + 4], 0.0, 1.0);
  return prof;
}

void lebail_update(LeBailState& s, const ProfileParams& profile, const std::vector<double>& bg, int iterations) {
  const std::size_t n = s.data.size();
  for (int it = 0; it < iterations; ++it) {
    const std::vector<double> yp = peak_profile(s.data, s.groups, s.intensities, profile);
    std::vector<double> num(s.groups.size(), 0.0), den(s.groups.size(), 0.0);
    for_each_peak_point(s.data, s.groups, profile, [&](std::size_t g, std::size_t i, double v) {
      if (i >= n || yp[i] <= 1e-300) return;
      num[g] += v * (s.data.y[i] - bg[i]) / yp[i];
      den[g] += v;
    });
    for (std::size_t g = 0; g < s.groups.size(); ++g)
      if (den[g] > 0) s.intensities[g] = std::max(0.0, s.intensities[g] * num[g] / den[g]);
  }
}

// Pawley step: intensities and background coefficients by one weighted linear least-squares solve (sparse:
// only overlapping peaks couple), with a small ridge for near-coincident groups; negative intensities are
// clipped to zero. Exact where the Le Bail iteration converges slowly (overlaps, poor start).
void pawley_update(LeBailState& s, const ProfileParams& profile, std::vector<double>& bg_coef,
                   const CancelToken& cancel) {
  const std::size_t n = s.data.size(), ng = s.groups.size(), nb = s.basis.size();
  const std::size_t dim = ng + nb;
  // Columns of the design matrix: peak shapes (sparse) and background terms (dense).
  std::vector<std::vector<std::pair<std::size_t, double>>> cols(ng);
  for_each_peak_point(s.data, s.groups, profile, [&](std::size_t g, std::size_t i, double v) {
    if (!cols[g].empty() && cols[g].back().first == i) cols[g].back().second += v;
    else cols[g].push_back({i, v});
  });
  // Kα1 and Kα2 windows of one group may interleave: merge duplicate rows.
  for (auto& c : cols) {
    std::sort(c.begin(), c.end());
    std::vector<std::pair<std::size_t, double>> m;
    for (const auto& e : c)
      if (!m.empty() && m.back().first == e.first) m.back().second += e.second;
      else m.push_back(e);
    c.swap(m);
  }
  std::vector<Eigen::Triplet<double>> trip;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(static_cast<long>(dim));
  std::vector<double> dense(n);
  for (std::size_t g = 0; g < ng; ++g) {
    if (g % 64 == 0) cancel.throw_if_cancelled();  // a big triclinic cell has thousands of overlapping groups
    for (const auto& [i, v] : cols[g]) rhs(static_cast<long>(g)) += s.data.w[i] * v * s.data.y[i];
    // Overlaps with later groups: only groups whose windows intersect.
    for (std::size_t h = g; h < ng; ++h) {
      if (cols[h].empty() || cols[g].empty()) continue;
      if (cols[h].front().first > cols[g].back().first) break;
      double sum = 0;
      std::size_t a = 0, b = 0;
      while (a < cols[g].size() && b < cols[h].size()) {
        if (cols[g][a].first < cols[h][b].first) ++a;
        else if (cols[g][a].first > cols[h][b].first) ++b;
        else {
          sum += s.data.w[cols[g][a].first] * cols[g][a].second * cols[h][b].second;
          ++a;
          ++b;
        }
      }
      if (sum != 0) {
        trip.push_back({static_cast<int>(g), static_cast<int>(h), sum});
        if (h != g) trip.push_back({static_cast<int>(h), static_cast<int>(g), sum});
      }
    }
    for (std::size_t j = 0; j < nb; ++j) {
      double sum = 0;
      for (const auto& [i, v] : cols[g]) sum += s.data.w[i] * v * s.basis[j][i];
      trip.push_back({static_cast<int>(g), static_cast<int>(ng + j), sum});
      trip.push_back({static_cast<int>(ng + j), static_cast<int>(g), sum});
    }
  }
  for (std::size_t j = 0; j < nb; ++j) {
    double r = 0;
    for (std::size_t i = 0; i < n; ++i) r += s.data.w[i] * s.basis[j][i] * s.data.y[i];
    rhs(static_cast<long>(ng + j)) = r;
    for (std::size_t k = 0; k <= j; ++k) {
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += s.data.w[i] * s.basis[j][i] * s.basis[k][i];
      trip.push_back({static_cast<int>(ng + j), static_cast<int>(ng + k), sum});
      if (k != j) trip.push_back({static_cast<int>(ng + k), static_cast<int>(ng + j), sum});
    }
  }
  Eigen::SparseMatrix<double> a(static_cast<long>(dim), static_cast<long>(dim));
  a.setFromTriplets(trip.begin(), trip.end());
  double max_diag = 0;
  for (long k = 0; k < static_cast<long>(dim); ++k) max_diag = std::max(max_diag, a.coeff(k, k));
  for (long k = 0; k < static_cast<long>(dim); ++k) a.coeffRef(k, k) += 1e-3 * a.coeff(k, k) + 1e-12 * max_diag + 1e-300;
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(a);
  if (solver.info() != Eigen::Success) return;
  const Eigen::VectorXd x = solver.solve(rhs);
  if (!x.allFinite()) return;
  for (std::size_t g = 0; g < ng; ++g) s.intensities[g] = cols[g].empty() ? s.intensities[g] : std::max(0.0, x(static_cast<long>(g)));
  for (std::size_t j = 0; j < nb; ++j) bg_coef[j] = x(static_cast<long>(ng + j));
}

std::vector<double> background_values(const std::vector<std::vector<double>>& basis, const std::vector<double>& c,
                                      std::size_t n) {
  std::vector<double> bg(n, 0.0);
  for (std::size_t j = 0; j < basis.size() && j < c.size(); ++j)
    for (std::size_t i = 0; i < n; ++i) bg[i] += c[j] * basis[j][i];
  return bg;
}

}  // namespace

LeBailResult lebail_fit(const PowderData& data, const Lattice& start, CrystalSystem system,
                        const ProfileParams& start_profile, const LeBailOptions& options, const CancelToken& cancel) {
  const double d_min = reflection_d_min_angstrom(data, start_profile);
  LeBailState s{data, system, enumerate_reflections(start, d_min), background_basis(data, options.background_terms), {}};
  const std::size_t n = data.size();
  // Start: all groups equal, scaled together with the background by linear least squares.
  s.intensities.assign(s.groups.size(), 1.0);
  ProfileParams profile = start_profile;
  {
    const std::vector<double> unit = peak_profile(data, s.groups, s.intensities, profile);
    const std::vector<double> c = linear_fit(data, data.y, s.basis, &unit);
    const double scale = std::max(c.back(), 1e-12);
    for (double& v : s.intensities) v = scale;
  }
  std::vector<double> bg_coef(s.basis.size(), 0.0);
  auto refit_background = [&](const ProfileParams& prof) {
    const std::vector<double> yp = peak_profile(data, s.groups, s.intensities, prof);
    std::vector<double> target(n);
    for (std::size_t i = 0; i < n; ++i) target[i] = data.y[i] - yp[i];
    bg_coef = linear_fit(data, target, s.basis, nullptr);
    return yp;
  };
  refit_background(profile);

  std::vector<double> cell = cell_free_parameters(start, system);
  const std::size_t nc = cell.size();
  Lattice lattice = start;
  for (int cycle = 0; cycle < options.cycles; ++cycle) {
    cancel.throw_if_cancelled();
    if (cycle > 0 && options.finish_early && options.finish_early->cancelled()) break;
    pawley_update(s, profile, bg_coef, cancel);
    lebail_update(s, profile, background_values(s.basis, bg_coef, n), 2);
    cancel.throw_if_cancelled();
    refit_background(profile);
    // Least squares of the nonlinear parameters with intensities fixed and the background re-solved. The
    // profile joins from the third cycle: refined against misplaced peaks, it would broaden to cover them.
    std::vector<double> full = cell;
    full.insert(full.end(), {profile.zero_deg, profile.u, profile.w, profile.x, profile.eta});
    std::vector<std::size_t> active;
    std::vector<double> steps;
    for (std::size_t k = 0; k < nc && options.refine_cell; ++k) {
      active.push_back(k);
      steps.push_back(k < 3 ? 1e-4 : 1e-3);  // Å, then degrees
    }
    if (options.refine_zero) {
      active.push_back(nc);
      steps.push_back(1e-4);
    }
    if (options.refine_profile && cycle >= 2) {
      active.insert(active.end(), {nc + 1, nc + 2, nc + 3, nc + 4});
      steps.insert(steps.end(), {1e-4, 1e-5, 1e-4, 1e-3});
    }
    auto expand = [&](const std::vector<double>& q) {
      std::vector<double> f = full;
      for (std::size_t k = 0; k < active.size(); ++k) f[active[k]] = q[k];
      return f;
    };
    auto residual = [&](const std::vector<double>& qa) {
      const std::vector<double> q = expand(qa);
      std::vector<double> fr(q.begin(), q.begin() + static_cast<long>(nc));
      std::vector<ReflectionGroup> groups = s.groups;
      Lattice l;
      try {
        l = cell_from_free_parameters(fr, system);
      } catch (const Error&) {
        return std::vector<double>(n, 1e30);
      }
      update_reflection_d(groups, l);
      ProfileParams prof = profile_from(q, nc, profile);
      prof.zero_deg = std::clamp(prof.zero_deg, -options.max_zero_deg, options.max_zero_deg);
      const std::vector<double> yp = peak_profile(data, groups, s.intensities, prof);
      std::vector<double> target(n);
      for (std::size_t i = 0; i < n; ++i) target[i] = data.y[i] - yp[i];
      const std::vector<double> c = linear_fit(data, target, s.basis, nullptr);
      const std::vector<double> bg = background_values(s.basis, c, n);
      std::vector<double> r(n);
      for (std::size_t i = 0; i < n; ++i) r[i] = std::sqrt(data.w[i]) * (target[i] - bg[i]);
      return r;
    };
    std::vector<double> q0;
    for (std::size_t k : active) q0.push_back(full[k]);
    LmOptions lm;
    lm.max_iterations = 4;
    const std::vector<double> p = expand(levenberg_marquardt(q0, steps, residual, lm, cancel));
    if (options.refine_cell) {
      try {
        lattice = cell_from_free_parameters(std::vector<double>(p.begin(), p.begin() + static_cast<long>(nc)), system);
        cell.assign(p.begin(), p.begin() + static_cast<long>(nc));
        update_reflection_d(s.groups, lattice);
      } catch (const Error&) {
      }
    }
    profile = profile_from(p, nc, profile);
    profile.zero_deg = std::clamp(profile.zero_deg, -options.max_zero_deg, options.max_zero_deg);
    refit_background(profile);
  }
  pawley_update(s, profile, bg_coef, cancel);
  lebail_update(s, profile, background_values(s.basis, bg_coef, n), 3);
  const std::vector<double> yp = refit_background(profile);

  LeBailResult result;
  result.lattice = lattice;
  result.system = system;
  result.profile = profile;
  result.background = bg_coef;
  result.y_background = background_values(s.basis, bg_coef, n);
  result.y_calc.resize(n);
  for (std::size_t i = 0; i < n; ++i) result.y_calc[i] = yp[i] + result.y_background[i];
  result.rwp = weighted_r_factor(data, result.y_calc);
  result.groups = std::move(s.groups);
  result.intensities = std::move(s.intensities);
  return result;
}

}  // namespace pxrd
