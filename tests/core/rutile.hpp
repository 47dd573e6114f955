#pragma once
// Rutile TiO2 for the refinement and search tests: Ti 2a (0,0,0), O 4f (x,x,0) with x = 0.3048 (P4_2/mnm).
#include "pxrd/crystal.hpp"

namespace pxrd::test {

inline Site site(const char* el, int z, double x, double y, double w) {
  Site s;
  s.element = el;
  s.atomic_number = z;
  s.frac = Eigen::Vector3d(x, y, w);
  s.b_iso_angstrom2 = 0.5;
  return s;
}

inline Crystal rutile(double a, double c, double x) {
  Crystal cr;
  cr.lattice = Lattice::from_parameters(a, a, c, 90, 90, 90);
  cr.sites = {site("Ti", 22, 0, 0, 0), site("Ti", 22, 0.5, 0.5, 0.5), site("O", 8, x, x, 0),
              site("O", 8, 1 - x, 1 - x, 0), site("O", 8, 0.5 + x, 0.5 - x, 0.5), site("O", 8, 0.5 - x, 0.5 + x, 0.5)};
  return cr;
}

}  // namespace pxrd::test
