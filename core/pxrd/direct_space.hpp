#pragma once
// Direct-space structure search: parallel tempering of atomic positions in a fixed cell against the integrated
// intensities extracted by a Le Bail fit (overlapping reflections compared as sums), with an anti-bump term.
#include <vector>

#include <Eigen/Dense>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/lebail.hpp"

namespace pxrd {

// Σ over each group's hkls of |F|² (both Friedel mates), F with pymatgen's form factors (pxrd/scattering.hpp),
// occupancies and exp(−B s²). d is taken from crystal.lattice.
std::vector<double> group_intensities(const Crystal& crystal, const std::vector<ReflectionGroup>& groups);

// Observed intensities for the search: Le Bail groups merged into clusters that the data cannot separate.
struct IntensityTarget {
  std::vector<ReflectionGroup> groups;
  std::vector<int> cluster_of_group;     // cluster index of every group
  std::vector<double> cluster_intensity; // observed, summed over the cluster
  std::vector<double> cluster_weight;
  // Optional (see add_profile_metric): the agreement is then the profile's, background refitted, with the
  // clusters' profiles Φ (√w-weighted, background projected out): R² = 1 − (yᵀΦc)² / (yᵀy · cᵀΦᵀΦc).
  Eigen::MatrixXd metric;    // ΦᵀΦ
  Eigen::VectorXd metric_o;  // Φᵀy
  double metric_oo = 0;      // yᵀy
};
// Groups closer than `overlap_fwhm` × FWHM in 2θ (λ1) are one cluster.
IntensityTarget intensity_target_from_lebail(const LeBailResult& lebail, const PowderData& data,
                                             double overlap_fwhm = 0.5);
// Fills target.metric from the clusters' profiles on `data` (each cluster's groups in the Le Bail fit's
// proportions, Le Bail cell and profile), so that the search compares whole profiles, with a Chebyshev
// background of background_terms refitted, instead of extracted intensities: for peaks so broad that
// extraction is arbitrary and the background trades off against the peaks.
void add_profile_metric(IntensityTarget& target, const LeBailResult& lebail, const PowderData& data,
                        int background_terms = 8);
// R on clusters with the least-squares scale: sqrt(Σ w (Io − c Ic)² / Σ w Io²).
double intensity_r_factor(const IntensityTarget& target, const std::vector<double>& group_intensity);

// A start for a search under a space group: a structure with the group's exact symmetry and the group's
// operations x -> R x + t, all in the fractional coordinates of the searched cell. A replica started from it
// moves whole orbits (one representative per orbit, kept on its special position), so a 20-atom P2_1/c cell has
// 15 free coordinates instead of 60.
struct SymmetricStart {
  int space_group = 1;
  Crystal crystal;
  std::vector<Eigen::Matrix3d> rotations;
  std::vector<Eigen::Vector3d> translations;
};

struct DirectSpaceOptions {
  int replicas = 8;
  long sweeps = 400;               // one sweep = one move per atom per replica
  double time_budget_s = 10;       // the search stops early at this wall time
  double t_min = 0.0005, t_max = 0.2;  // temperatures, in units of the cost (R²)
  double bump_factor = 0.75;       // minimum distance = factor × (r_cov,i + r_cov,j)
  unsigned long long seed = 1;
  int results = 6;                 // best distinct configurations returned
  // Odd replicas search only centrosymmetric arrangements (pairs x, −x and atoms on inversion centres): most
  // inorganic structures have an inversion centre, and the search space halves. Results are still P1.
  bool centrosymmetric = false;
  // When given, the replicas start from these in turn and keep their orbits (centrosymmetric is then ignored);
  // a start whose content differs from the search's is skipped. With more starts than replicas, each is first
  // polished by a short greedy descent (within a quarter of the budget) and the lowest costs become the replicas.
  std::vector<SymmetricStart> symmetric_starts;
};

struct DirectSpaceResult {
  Crystal crystal;   // P1, in the given cell
  double r_intensity = 1;
  double cost = 1;   // R² + anti-bump penalty
  int space_group = 0;  // the group whose orbits the search kept (0: none, a P1 or P-1 replica)
};

// atomic_numbers: the full content of the cell. seeds (may be empty): starting structures with the same
// content (e.g. generator samples), used for the first replicas. Sorted by cost.
std::vector<DirectSpaceResult> direct_space_search(const IntensityTarget& target, const Lattice& lattice,
                                                   const std::vector<int>& atomic_numbers,
                                                   const std::vector<Crystal>& seeds,
                                                   const DirectSpaceOptions& options, const CancelToken& cancel,
                                                   ProgressSink& progress);

}  // namespace pxrd
