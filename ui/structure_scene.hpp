#pragma once
// What the 3D view draws, computed without Qt or VTK so that it can be tested: atoms wrapped into the cell and
// de-duplicated, then replicated into na×nb×nc supercells; optional images on the far faces; bonds by covalent radii.
#include <Eigen/Dense>
#include <array>
#include <string>
#include <vector>

#include "pxrd/crystal.hpp"

namespace pxrd::ui {

struct SceneAtom {
  int atomic_number = 0;
  std::string element;
  std::string label;       // site label, or element + index
  Eigen::Vector3d frac;    // in units of the unit cell (can exceed 1 in a supercell)
  Eigen::Vector3d cart;    // Å
  double radius_angstrom = 0;
  unsigned colour_rgb = 0;
};

struct SceneBond {
  int a = 0, b = 0;        // indices into atoms
};

struct SceneOptions {
  int na = 1, nb = 1, nc = 1;
  bool boundary_images = true;    // also draw atoms that sit on the far faces/edges/corners (frac 0 → n)
  bool bonds = true;
  double bond_tolerance = 1.15;   // bonded when d < tolerance × (r_i + r_j)
  double duplicate_tolerance_angstrom = 0.01;
};

struct Scene {
  std::vector<SceneAtom> atoms;
  std::vector<SceneBond> bonds;
  std::array<Eigen::Vector3d, 8> corners;  // of the whole supercell box, Cartesian Å
  Eigen::Matrix3d lattice_rows;            // unit cell vectors as rows
  std::size_t unique_sites = 0;            // after wrapping and de-duplication
};

Scene build_scene(const Crystal& crystal, const SceneOptions& options = {});

}  // namespace pxrd::ui
