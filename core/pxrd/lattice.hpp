#pragma once
// Lattice: rows of matrix() are the vectors a, b, c in Cartesian Å (pymatgen's convention).
#include <Eigen/Dense>

namespace pxrd {

struct LatticeParameters {
  double a_angstrom, b_angstrom, c_angstrom;
  double alpha_deg, beta_deg, gamma_deg;
};

class Lattice {
 public:
  Lattice() : matrix_(Eigen::Matrix3d::Identity()) {}
  explicit Lattice(const Eigen::Matrix3d& rows_abc) : matrix_(rows_abc) {}
  // a along x, b in the xy plane. Throws Error for impossible angles or non-positive lengths.
  static Lattice from_parameters(double a_angstrom, double b_angstrom, double c_angstrom, double alpha_deg,
                                 double beta_deg, double gamma_deg);
  static Lattice from_parameters(const LatticeParameters& p);

  const Eigen::Matrix3d& matrix() const { return matrix_; }
  LatticeParameters parameters() const;
  double volume_angstrom3() const;
  // Rows are a*, b*, c* without the 2π factor, so |g| = 1/d.
  Eigen::Matrix3d reciprocal_matrix() const;
  Eigen::Matrix3d metric_tensor() const { return matrix_ * matrix_.transpose(); }
  Eigen::Vector3d to_cartesian(const Eigen::Vector3d& frac) const { return matrix_.transpose() * frac; }
  Eigen::Vector3d to_fractional(const Eigen::Vector3d& cart) const;
  // d-spacing of (hkl) in Å.
  double d_spacing_angstrom(int h, int k, int l) const;

  // Niggli-reduced lattice (Grosse-Kunstleve, Sauter & Adams 2004). If transform is given, it receives the
  // integer matrix T with reduced.matrix() = T * matrix().
  // tolerance is relative: ε = tolerance · V^(2/3) Å² on the metric entries. Result has det > 0.
  Lattice niggli_reduced(double tolerance = 1e-5, Eigen::Matrix3d* transform = nullptr) const;
  // LLL-reduced lattice (Lenstra, Lenstra & Lovász 1982, δ = 0.75 as in pymatgen); transform as above.
  Lattice lll_reduced(double delta = 0.75, Eigen::Matrix3d* transform = nullptr) const;

 private:
  Eigen::Matrix3d matrix_;
};

}  // namespace pxrd
