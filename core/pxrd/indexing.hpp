#pragma once
// Classical indexing of peak positions for sharp patterns: trial assignments of low-index reflections to the
// first lines (cubic, hexagonal, tetragonal, orthorhombic; monoclinic when none of those indexes every line;
// triclinic, by a zone search, when still none does),
// zero shift and cell by least squares, ranked by de Wolff's M20 (J. Appl. Cryst. 1, 108 (1968)).
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/lattice.hpp"
#include "pxrd/lebail.hpp"

namespace pxrd {

struct ObservedPeak {
  double two_theta_deg = 0;
  double height = 0;     // above the estimated background
  double fwhm_deg = 0;
};

// Peaks of a raw pattern: rough background (moving minimum, smoothed), local maxima above the noise, Kα2
// shoulders of stronger Kα1 peaks removed. Sorted by 2θ; at most max_peaks of the strongest are kept.
// background_window_deg: the SNIP clipping window (wider for broad, nanocrystalline peaks).
std::vector<ObservedPeak> find_peaks_for_indexing(const PowderData& data, int max_peaks = 40,
                                                  double background_window_deg = 1.0);

struct IndexingOptions {
  int lines = 20;                   // the first N lines used (M20 uses up to 20)
  int max_unindexed = 2;            // lines allowed to stay unindexed (impurities, spurious peaks)
  double tolerance_deg = 0.05;      // final 2θ tolerance after the zero shift is fitted
  double max_zero_deg = 0.3;
  double min_volume_angstrom3 = 10;  // of the cell and of the primitive cell of its centring
  double min_length_angstrom = 2.2;  // no real cell edge is shorter
  double max_volume_angstrom3 = 2500;
  int max_solutions = 8;
  int threads = 2;                  // workers for the monoclinic and triclinic searches
  // When this fires the search ends and returns the cells found so far (the monoclinic and triclinic searches can
  // take longer than a solve's budget); `cancel` instead aborts with Cancelled.
  const CancelToken* finish_early = nullptr;
  std::vector<CrystalSystem> systems = {CrystalSystem::Cubic, CrystalSystem::Hexagonal, CrystalSystem::Tetragonal,
                                        CrystalSystem::Orthorhombic, CrystalSystem::Monoclinic,
                                        CrystalSystem::Triclinic};
};

struct IndexingSolution {
  Lattice lattice;
  CrystalSystem system = CrystalSystem::Triclinic;
  double zero_deg = 0;
  double m20 = 0;           // de Wolff figure of merit over the lines used, for the best centring, halved per
                            // unindexed line
  double m20_indexed_lines = 0;  // the same M20 before that halving (judges a cell that leaves impurity lines)
  std::string centring = "P";  // lattice centring whose reflection conditions gave that M20 (P, I, F, C, A, B, R)
  int lines_used = 0;
  int lines_indexed = 0;
};

// Distinct cells sorted by M20 × a symmetry preference (cubic 2, hexagonal/tetragonal 1.3). lambda is the Kα1 (or single) wavelength.
std::vector<IndexingSolution> index_peaks(const std::vector<double>& two_theta_deg, double lambda_angstrom,
                                          const IndexingOptions& options, const CancelToken& cancel);

}  // namespace pxrd
