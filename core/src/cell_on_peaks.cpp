#include "pxrd/cell_on_peaks.hpp"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "pxrd/error.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

struct Assignment {
  int line;
  std::array<int, 3> hkl;
  double dev_deg;
};

// Nearest calculated reflection for every line within tol (2θ of the cell, shifted by zero).
std::vector<Assignment> assign(const std::vector<double>& tt, const Lattice& lattice, double zero_deg,
                               double lambda, double tol_deg) {
  const double tt_max = std::min(179.0, tt.back() + 2.0);
  const double d_min = lambda / (2.0 * std::sin(deg_to_rad(tt_max / 2.0)));
  const std::vector<ReflectionGroup> groups = enumerate_reflections(lattice, d_min);
  std::vector<double> calc;
  calc.reserve(groups.size());
  for (const ReflectionGroup& g : groups) {
    const double s = lambda / (2.0 * g.d_angstrom);
    calc.push_back(s < 1 ? 2.0 * rad_to_deg(std::asin(s)) + zero_deg : 1e9);
  }
  std::vector<Assignment> out;
  for (std::size_t i = 0; i < tt.size(); ++i) {
    double best = tol_deg;
    int best_g = -1;
    for (std::size_t g = 0; g < calc.size(); ++g) {
      const double dev = std::abs(calc[g] - tt[i]);
      if (dev < best) {
        best = dev;
        best_g = static_cast<int>(g);
      }
    }
    if (best_g >= 0) out.push_back({static_cast<int>(i), groups[static_cast<std::size_t>(best_g)].hkls.front(), best});
  }
  return out;
}

}  // namespace

CellOnPeaks refine_cell_on_peaks(const std::vector<double>& two_theta_deg, const Lattice& rough,
                                 double lambda_angstrom, double start_tolerance_deg, double final_tolerance_deg,
                                 int lines) {
  std::vector<double> tt;
  for (double x : two_theta_deg)
    if (x > 0 && x < 180) tt.push_back(x);
  std::sort(tt.begin(), tt.end());
  if (static_cast<int>(tt.size()) > lines) tt.resize(static_cast<std::size_t>(lines));
  CellOnPeaks result;
  result.lattice = rough;
  result.lines = static_cast<int>(tt.size());
  if (tt.size() < 7 || !(lambda_angstrom > 0)) return result;

  Lattice lattice = rough;
  double zero = 0;
  const int rounds = 8;
  for (int round = 0; round < rounds; ++round) {
    const double tol =
        start_tolerance_deg * std::pow(final_tolerance_deg / start_tolerance_deg, double(round) / (rounds - 1));
    const std::vector<Assignment> as = assign(tt, lattice, zero, lambda_angstrom, tol);
    if (as.size() < 7) break;
    // 1/d² = hᵀ G* h; a peak seen at 2θ_obs = 2θ + zero: 1/d²(2θ_obs) ≈ hᵀ G* h + zero · d(1/d²)/d2θ.
    // Rows are divided by d(1/d²)/d2θ so that residuals are in degrees 2θ.
    Eigen::MatrixXd a(static_cast<Eigen::Index>(as.size()), 7);
    Eigen::VectorXd b(static_cast<Eigen::Index>(as.size()));
    for (std::size_t r = 0; r < as.size(); ++r) {
      const double t = deg_to_rad(tt[static_cast<std::size_t>(as[r].line)]);
      const double q_obs = std::pow(2.0 * std::sin(t / 2.0) / lambda_angstrom, 2);
      const double dq_d2t_deg = 2.0 * std::sin(t) / (lambda_angstrom * lambda_angstrom) * kPi / 180.0;
      const double h = as[r].hkl[0], k = as[r].hkl[1], l = as[r].hkl[2];
      const auto i = static_cast<Eigen::Index>(r);
      a.row(i) << h * h, k * k, l * l, 2 * h * k, 2 * h * l, 2 * k * l, dq_d2t_deg;
      a.row(i) /= dq_d2t_deg;
      b(i) = q_obs / dq_d2t_deg;
    }
    const Eigen::VectorXd x = a.colPivHouseholderQr().solve(b);
    Eigen::Matrix3d gstar;
    gstar << x(0), x(3), x(4), x(3), x(1), x(5), x(4), x(5), x(2);
    if (!x.allFinite() || gstar.llt().info() != Eigen::Success || std::abs(x(6)) > 0.5) break;
    const Eigen::Matrix3d g = gstar.inverse();
    const double la = std::sqrt(g(0, 0)), lb = std::sqrt(g(1, 1)), lc = std::sqrt(g(2, 2));
    try {
      lattice = Lattice::from_parameters(la, lb, lc, rad_to_deg(std::acos(g(1, 2) / (lb * lc))),
                                         rad_to_deg(std::acos(g(0, 2) / (la * lc))),
                                         rad_to_deg(std::acos(g(0, 1) / (la * lb))));
      zero = x(6);
    } catch (const Error&) {
      break;
    }
  }
  const std::vector<Assignment> final_as = assign(tt, lattice, zero, lambda_angstrom, final_tolerance_deg);
  result.lattice = lattice;
  result.zero_deg = zero;
  result.indexed_fraction = double(final_as.size()) / double(tt.size());
  double dev = 0;
  for (const Assignment& s : final_as) dev += s.dev_deg;
  result.mean_abs_dev_deg = final_as.empty() ? 0 : dev / double(final_as.size());
  return result;
}

}  // namespace pxrd
