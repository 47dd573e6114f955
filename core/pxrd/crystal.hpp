#pragma once
// A crystal structure: lattice plus sites in fractional coordinates. Our own type; gemmi and spglib stay
// behind core/src.
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "pxrd/lattice.hpp"

namespace pxrd {

struct Site {
  std::string element;            // symbol, e.g. "Fe"
  int atomic_number = 0;
  Eigen::Vector3d frac = Eigen::Vector3d::Zero();
  double occupancy = 1.0;
  double b_iso_angstrom2 = 0.0;   // Debye-Waller B; U_iso = B / (8π²)
  std::string label;              // "Fe1"; may be empty
};

struct Crystal {
  std::string name;               // data block name or formula
  Lattice lattice;
  std::vector<Site> sites;        // the full cell (P1), symmetry already expanded
  std::string source;             // file it came from, for messages and provenance

  std::size_t size() const { return sites.size(); }
  // Wraps every fractional coordinate into [0, 1).
  void wrap_to_unit_cell();
};

// The same structure in its Niggli-reduced cell (sites re-expressed and wrapped). One canonical cell per
// lattice, which is what generative models and matchers want.
Crystal niggli_reduced(const Crystal& crystal, double tolerance = 1e-5);

// The shortest distance between two atoms (periodic images included) over the sum of their covalent radii, the
// smallest over all pairs (an atom and its own images included); infinity without atoms. At least 0.68 on 1,932
// MP-20 training structures.
double closest_contact_ratio(const Crystal& crystal);

}  // namespace pxrd
