#pragma once
// Rietveld refinement by damped least squares (Levenberg–Marquardt, forward-difference derivatives) of cell
// (constrained to a crystal system), zero, profile (U, W, X, η), fractional coordinates and one B_iso per
// element; scale and Chebyshev background are solved linearly at every step.
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/lebail.hpp"

namespace pxrd {

struct RietveldOptions {
  int iterations = 25;
  int background_terms = 8;
  bool refine_cell = true;
  bool refine_zero = true;
  bool refine_profile = true;
  // With refine_profile: only the X term (for sinc² peaks, the crystallite size), the other widths held.
  bool refine_size_only = false;
  bool refine_coordinates = true;
  bool refine_b_iso = true;
  double max_zero_deg = 0.5;
  double b_iso_start_angstrom2 = 0.5;
};

struct RietveldResult {
  Crystal crystal;                 // refined (P1, in the refined cell)
  CrystalSystem system = CrystalSystem::Triclinic;
  ProfileParams profile;
  double scale = 0;
  std::vector<double> background;  // Chebyshev coefficients
  std::vector<double> y_calc;      // on the data points, background included
  std::vector<double> y_background;
  double rwp = 1, rexp = 0, gof = 0;
  double rwp2_profile = 1;         // ∫(a − b)² / ∫a² of background-free observed vs calculated, both max 1
  int n_parameters = 0;
  int n_points = 0;
};

// Evaluates a structure without refining anything but scale and background (for ranking and the ablation).
RietveldResult rietveld_evaluate(const PowderData& data, const Crystal& crystal, const ProfileParams& profile,
                                 int background_terms = 8);

RietveldResult rietveld_refine(const PowderData& data, const Crystal& start, CrystalSystem system,
                               const ProfileParams& start_profile, const RietveldOptions& options,
                               const CancelToken& cancel);

// Refinement under the space group `start` has at symprec_angstrom (give a symmetrized structure, in any cell):
// the metric moves only as the group's rotations allow, and each orbit's first site only within its site
// symmetry, the other sites following as its images. Far fewer parameters than P1: broad (nanocrystalline) peaks
// cannot pin a free cell and free coordinates, but can pin these. Throws Error when spglib fails or a site is
// not an image of its orbit's first site within the tolerance.
RietveldResult rietveld_refine_in_space_group(const PowderData& data, const Crystal& start,
                                              const ProfileParams& start_profile, const RietveldOptions& options,
                                              const CancelToken& cancel, double symprec_angstrom = 1e-3);

// The cell constraints of a space group's conventional standard cell (trigonal groups: hexagonal axes).
CrystalSystem crystal_system_of_space_group(int number);

// Greedy descent over exchanges of two atoms of different elements (positions swapped, each element keeps its
// B), with the cell and profile of `start` held: the continuous refinement cannot move an atom through another,
// so a search that put the right framework with the elements misplaced stays there. Each round takes the
// exchange that lowers R_wp most (by at least 0.2 %); stops after `max_rounds` or when none helps. Returns
// `start` when nothing improves.
RietveldResult rietveld_exchange_descent(const PowderData& data, const RietveldResult& start, int max_rounds,
                                         const CancelToken& cancel, int background_terms = 8);

}  // namespace pxrd
