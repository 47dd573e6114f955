#pragma once
// Refinement of a rough cell (a generator sample's lattice) on the observed peak positions: a local indexing
// that reaches monoclinic and triclinic cells, which the trial indexing (cubic to orthorhombic) does not try.
#include <vector>

#include "pxrd/lattice.hpp"

namespace pxrd {

struct CellOnPeaks {
  Lattice lattice;
  double zero_deg = 0;
  double indexed_fraction = 0;   // of the lines used, within the final tolerance
  double mean_abs_dev_deg = 0;   // over the indexed lines
  int lines = 0;
};

// Each of the first `lines` peaks is assigned to the nearest calculated reflection within a tolerance that
// shrinks from start_tolerance_deg to final_tolerance_deg, and the reciprocal metric (6 terms) plus a zero
// shift are fitted by linear least squares in 2θ-weighted 1/d². A fit that fails (too few lines, a metric that
// is not positive definite) keeps the previous cell. two_theta_deg: Kα1 (or single) positions, lambda that λ.
CellOnPeaks refine_cell_on_peaks(const std::vector<double>& two_theta_deg, const Lattice& rough,
                                 double lambda_angstrom, double start_tolerance_deg = 0.4,
                                 double final_tolerance_deg = 0.05, int lines = 20);

}  // namespace pxrd
