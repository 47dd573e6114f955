#include "pxrd/crystal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pxrd/elements.hpp"

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

double closest_contact_ratio(const Crystal& crystal) {
  double best = std::numeric_limits<double>::infinity();
  if (crystal.sites.empty()) return best;
  // In the reduced cell the nearest image of a wrapped difference is among its 27 neighbours.
  const Crystal reduced = niggli_reduced(crystal);
  const Eigen::Matrix3d to_cart = reduced.lattice.matrix().transpose();
  for (std::size_t i = 0; i < reduced.sites.size(); ++i) {
    const double ri = covalent_radius_angstrom(reduced.sites[i].atomic_number);
    for (std::size_t j = i; j < reduced.sites.size(); ++j) {
      const double sum = ri + covalent_radius_angstrom(reduced.sites[j].atomic_number);
      Eigen::Vector3d d = reduced.sites[j].frac - reduced.sites[i].frac;
      d = d.array() - d.array().round();
      for (int a = -1; a <= 1; ++a)
        for (int b = -1; b <= 1; ++b)
          for (int c = -1; c <= 1; ++c) {
            if (i == j && a == 0 && b == 0 && c == 0) continue;
            best = std::min(best, (to_cart * (d + Eigen::Vector3d(a, b, c))).norm() / sum);
          }
    }
  }
  return best;
}

}  // namespace pxrd
