#pragma once
// Space-group symmetry of a crystal (spglib behind core/src/symmetry.cpp; no spglib types here).
// Tolerances: symprec in Å, as spglib's. Sites are told apart by element, occupancy and B_iso.
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "pxrd/crystal.hpp"

namespace pxrd {

struct SpaceGroupInfo {
  int number = 1;                  // 1..230
  std::string international;       // short Hermann-Mauguin symbol, e.g. "Fm-3m", "P2_1/c"
  std::string hall;                // Hall symbol, e.g. "-F 4 2 3"
  std::string crystal_system;      // "triclinic", ..., "cubic"
  std::string point_group;         // e.g. "m-3m"
  int hall_number = 1;             // spglib's setting index, 1..530
  std::string choice;              // setting choice ("1", "2", "H", "R", "" ...)
  double symprec = 0.01;           // the tolerance it was found with, Å
};

struct SymmetryOperation {
  Eigen::Matrix3i rotation = Eigen::Matrix3i::Identity();  // acts on fractional coordinates: x' = R x + t
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
  // "x, y, z" form with fractions ("-y+1/2, x, z+3/4").
  std::string as_xyz() const;
};

struct SymmetryDataset {
  SpaceGroupInfo space_group;
  std::vector<SymmetryOperation> operations;  // in the basis of the analysed cell, centring translations included
  std::vector<int> equivalent_atoms;          // per site: index of the first site of its orbit
  std::vector<std::string> wyckoff_letters;   // per site, in the standard setting
  std::vector<std::string> site_symmetry;     // per site, oriented site-symmetry symbol
  // Standard cell relation, spglib's convention: (a_s b_s c_s) = (a b c) P^-1, x_s = P x + p.
  Eigen::Matrix3d transformation = Eigen::Matrix3d::Identity();
  Eigen::Vector3d origin_shift = Eigen::Vector3d::Zero();
};

// Throws Error when spglib fails (e.g. atoms too close for the tolerance, empty crystal).
SymmetryDataset symmetry_dataset(const Crystal& crystal, double symprec = 0.01);
SpaceGroupInfo find_space_group(const Crystal& crystal, double symprec = 0.01);
// Standardized, idealized cells (spglib's standardize_cell); sites keep element, occupancy and B_iso.
Crystal primitive_standard_cell(const Crystal& crystal, double symprec = 0.01);
Crystal conventional_standard_cell(const Crystal& crystal, double symprec = 0.01);
// Same cell and atoms, with positions and metric averaged over the space group found at symprec, so that the
// symmetry holds exactly (to ~1e-12). The lattice keeps its orientation.
Crystal symmetrize(const Crystal& crystal, double symprec = 0.01);
// One atom at the origin of `lattice`: spglib then sees only the lattice's own (holohedral) symmetry.
Crystal lattice_point_crystal(const Lattice& lattice);
// Operations of a space group in its standard setting (spglib's first Hall setting of the number: unique axis b,
// hexagonal axes for R, origin choice 1), centring translations included. Throws Error outside 1..230.
std::vector<SymmetryOperation> space_group_operations(int space_group_number);
// "triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic". Throws Error outside 1..230.
std::string crystal_system_of(int space_group_number);
// "2.0.2": the spglib in use, for provenance.
std::string spglib_version();

}  // namespace pxrd
