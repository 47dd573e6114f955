#pragma once
// Small known structures for the refinement and search tests.
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

// Rutile TiO2: Ti 2a (0,0,0), O 4f (x,x,0) with x = 0.3048 (P4_2/mnm).
inline Crystal rutile(double a, double c, double x) {
  Crystal cr;
  cr.lattice = Lattice::from_parameters(a, a, c, 90, 90, 90);
  cr.sites = {site("Ti", 22, 0, 0, 0), site("Ti", 22, 0.5, 0.5, 0.5), site("O", 8, x, x, 0),
              site("O", 8, 1 - x, 1 - x, 0), site("O", 8, 0.5 + x, 0.5 - x, 0.5), site("O", 8, 0.5 - x, 0.5 + x, 0.5)};
  return cr;
}

// Rock salt NaCl in its conventional cell (Fm-3m, 8 atoms).
inline Crystal rock_salt(double a) {
  Crystal nacl;
  nacl.lattice = Lattice::from_parameters(a, a, a, 90, 90, 90);
  const double f[4][3] = {{0, 0, 0}, {0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}};
  for (const auto& t : f) {
    nacl.sites.push_back(site("Na", 11, t[0], t[1], t[2]));
    nacl.sites.push_back(site("Cl", 17, t[0] + 0.5, t[1], t[2]));
  }
  nacl.wrap_to_unit_cell();
  return nacl;
}

}  // namespace pxrd::test
