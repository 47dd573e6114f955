#include "pxrd/lattice.hpp"

#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

Lattice Lattice::from_parameters(double a, double b, double c, double alpha_deg, double beta_deg, double gamma_deg) {
  if (!(a > 0 && b > 0 && c > 0)) throw Error("lattice lengths must be positive");
  const double ca = std::cos(deg_to_rad(alpha_deg)), cb = std::cos(deg_to_rad(beta_deg));
  const double cg = std::cos(deg_to_rad(gamma_deg)), sg = std::sin(deg_to_rad(gamma_deg));
  const double cx = cb;
  const double cy = (ca - cb * cg) / sg;
  const double cz2 = 1.0 - cx * cx - cy * cy;
  if (!(cz2 > 1e-12) || !(std::abs(sg) > 1e-12)) throw Error("lattice angles do not form a cell");
  Eigen::Matrix3d m;
  m << a, 0, 0, b * cg, b * sg, 0, c * cx, c * cy, c * std::sqrt(cz2);
  return Lattice(m);
}

Lattice Lattice::from_parameters(const LatticeParameters& p) {
  return from_parameters(p.a_angstrom, p.b_angstrom, p.c_angstrom, p.alpha_deg, p.beta_deg, p.gamma_deg);
}

LatticeParameters Lattice::parameters() const {
  const Eigen::Vector3d a = matrix_.row(0), b = matrix_.row(1), c = matrix_.row(2);
  auto angle = [](const Eigen::Vector3d& u, const Eigen::Vector3d& v) {
    double cosv = u.dot(v) / (u.norm() * v.norm());
    cosv = std::max(-1.0, std::min(1.0, cosv));
    return rad_to_deg(std::acos(cosv));
  };
  return {a.norm(), b.norm(), c.norm(), angle(b, c), angle(a, c), angle(a, b)};
}

double Lattice::volume_angstrom3() const { return std::abs(matrix_.determinant()); }

Eigen::Matrix3d Lattice::reciprocal_matrix() const { return matrix_.inverse().transpose(); }

Eigen::Vector3d Lattice::to_fractional(const Eigen::Vector3d& cart) const {
  return matrix_.transpose().partialPivLu().solve(cart);
}

double Lattice::d_spacing_angstrom(int h, int k, int l) const {
  const Eigen::Vector3d g = reciprocal_matrix().transpose() * Eigen::Vector3d(h, k, l);
  return 1.0 / g.norm();
}

}  // namespace pxrd
