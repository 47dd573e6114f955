#include "lattice_code.hpp"

#include <algorithm>
#include <cmath>

#include "pxrd/units.hpp"

namespace pxrd::models::detail {

LatticeCode raw_lattice_code(const Lattice& lattice, int n_atoms) {
  const auto p = lattice.parameters();
  const double s = std::cbrt(static_cast<double>(std::max(1, n_atoms)));
  return {std::log(p.a_angstrom / s), std::log(p.b_angstrom / s), std::log(p.c_angstrom / s),
          p.alpha_deg, p.beta_deg, p.gamma_deg};
}

namespace {
double metric_determinant(double a, double b, double g) {
  const double ca = std::cos(deg_to_rad(a)), cb = std::cos(deg_to_rad(b)), cg = std::cos(deg_to_rad(g));
  return 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg;
}
}  // namespace

void repair_angles(double& alpha_deg, double& beta_deg, double& gamma_deg) {
  for (double* a : {&alpha_deg, &beta_deg, &gamma_deg}) {
    if (!std::isfinite(*a)) *a = 90.0;
    *a = std::clamp(*a, 20.0, 160.0);
  }
  // Volume factor at least 0.05 (about 13° away from a flat cell); each pass shrinks the deviation from 90° by 20 %.
  for (int it = 0; it < 60 && metric_determinant(alpha_deg, beta_deg, gamma_deg) < 0.05 * 0.05; ++it) {
    alpha_deg = 90 + 0.8 * (alpha_deg - 90);
    beta_deg = 90 + 0.8 * (beta_deg - 90);
    gamma_deg = 90 + 0.8 * (gamma_deg - 90);
  }
}

Lattice lattice_from_raw_code(const LatticeCode& raw, int n_atoms) {
  const double s = std::cbrt(static_cast<double>(std::max(1, n_atoms)));
  double len[3];
  for (int i = 0; i < 3; ++i) {
    const double v = std::isfinite(raw[i]) ? std::clamp(raw[i], -3.0, 3.0) : 0.8;
    len[i] = std::exp(v) * s;
  }
  double al = raw[3], be = raw[4], ga = raw[5];
  repair_angles(al, be, ga);
  return Lattice::from_parameters(len[0], len[1], len[2], al, be, ga);
}

}  // namespace pxrd::models::detail
