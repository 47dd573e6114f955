#pragma once
// Lattice centrings (International Tables A, Table 1.2.1.1 / 2.2.13.1): the centring translations of a
// conventional cell and the transform to one of its primitive cells. The solver searches atom positions in the
// primitive cell (a quarter of the atoms for F) and refines in the conventional one.
#include <array>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "pxrd/crystal.hpp"
#include "pxrd/lattice.hpp"

namespace pxrd {

struct Centring {
  std::string symbol = "P";                    // P, I, F, C, A, B, R (obverse, hexagonal axes)
  std::vector<Eigen::Vector3d> translations;   // fractional, including (0, 0, 0)
  // Rows give the primitive vectors in conventional fractions: primitive.matrix() = to_primitive · conventional.
  Eigen::Matrix3d to_primitive = Eigen::Matrix3d::Identity();
  int multiplicity() const { return static_cast<int>(translations.size()); }
};

// Throws Error for an unknown symbol.
Centring centring_from_symbol(const std::string& symbol);

// The primitive cell of a centred conventional cell.
Lattice primitive_lattice(const Lattice& conventional, const Centring& centring);

// The same centring with to_primitive leading to the Niggli-reduced primitive cell of `conventional` (the cell
// the generator was trained on). For P this is just the Niggli basis of the cell.
Centring with_niggli_primitive(const Lattice& conventional, const Centring& centring);

// hkl of the conventional cell in the primitive cell's indices (h_p = T h_c); false for a reflection the
// centring forbids (non-integer primitive indices; out is then left unchanged).
bool primitive_hkl(const std::array<int, 3>& hkl_conventional, const Centring& centring, std::array<int, 3>& out);

// A structure found in the primitive cell, expressed in the conventional cell with every centring image
// (n × the atoms), wrapped into [0, 1).
Crystal expand_to_conventional(const Crystal& primitive, const Lattice& conventional, const Centring& centring);

}  // namespace pxrd
