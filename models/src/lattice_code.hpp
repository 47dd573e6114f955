#pragma once
// Rotation-invariant lattice code used by the flow: (ln(a/n^⅓), ln(b/n^⅓), ln(c/n^⅓), α, β, γ in degrees), then
// standardised with dataset statistics. n is the number of atoms, so the code is nearly size-independent.
#include <array>
#include <vector>

#include "pxrd/lattice.hpp"

namespace pxrd::models::detail {

using LatticeCode = std::array<double, 6>;

LatticeCode raw_lattice_code(const Lattice& lattice, int n_atoms);
// Inverse of raw_lattice_code; repairs angles into a valid cell (positive metric determinant, 20°..160°).
Lattice lattice_from_raw_code(const LatticeCode& raw, int n_atoms);
// Makes the angles a valid, non-degenerate cell by pulling them towards 90°.
void repair_angles(double& alpha_deg, double& beta_deg, double& gamma_deg);

}  // namespace pxrd::models::detail
