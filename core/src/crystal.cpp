#include "pxrd/crystal.hpp"

#include <cmath>

namespace pxrd {

void Crystal::wrap_to_unit_cell() {
  for (auto& s : sites)
    for (int k = 0; k < 3; ++k) {
      double f = s.frac[k] - std::floor(s.frac[k]);
      if (f >= 1.0) f -= 1.0;  // -1e-17 floors to -1 and lands on exactly 1.0
      s.frac[k] = f;
    }
}

Crystal niggli_reduced(const Crystal& crystal, double tolerance) {
  Eigen::Matrix3d t;
  Crystal out = crystal;
  out.lattice = crystal.lattice.niggli_reduced(tolerance, &t);
  // Row vectors: cart = f_old * M = f_new * (T M), so f_new = f_old * T^-1.
  const Eigen::Matrix3d t_inv_transposed = t.inverse().transpose();
  for (auto& s : out.sites) s.frac = t_inv_transposed * s.frac;
  out.wrap_to_unit_cell();
  return out;
}

}  // namespace pxrd
