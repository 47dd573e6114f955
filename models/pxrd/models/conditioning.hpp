#pragma once
// The pattern condition of the model is a peak list (Q, I): positions and relative intensities generalise from
// simulated to measured data better than a raw profile. This header builds it from sticks (with the training
// augmentation) or from a measured/processed profile (simple peak picking).
#include <cstdint>
#include <random>
#include <vector>

#include "pxrd/pattern.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/models/dataset.hpp"

namespace pxrd::models {

struct ConditionPeak {
  double q_inv_angstrom = 0;
  double intensity = 0;  // strongest = 100
};

struct PeakCondition {
  std::vector<ConditionPeak> peaks;           // sorted by Q; empty means "no pattern" (composition-only)
  double q_min_inv_angstrom = 0;     // the observed window
  double q_max_inv_angstrom = 0;
  double size_angstrom = 0;          // crystallite size, 0 = unknown / large
  bool has_pattern() const { return !peaks.empty(); }
};

// Model input keeps at most this many peaks (the strongest).
constexpr int kMaxPeaks = 64;

// Keeps the `max_peaks` strongest peaks, rescales to strongest = 100 and sorts by Q.
void normalise_peaks(PeakCondition& condition, int max_peaks = kMaxPeaks);

// Ideal condition from a stick pattern (e.g. simulate_sticks with its defaults): every reflection above 0.1 % of
// the strongest, window = the stick options' 2θ range at `lambda_angstrom`.
PeakCondition condition_from_reflections(const std::vector<Reflection>& reflections, double lambda_angstrom,
                                         double two_theta_min_deg, double two_theta_max_deg);

// Training augmentation of a radiation-free stick list (see the issue: radiation, crystallite size, widths, noise,
// background residue, zero shift, Kα2, intensity perturbation, limited 2θ range). With probability
// `ideal_fraction` the condition is the ideal Cu Kα 0–90° one that eval uses.
struct AugmentOptions {
  double ideal_fraction = 0.35;
  double no_pattern_fraction = 0.08;  // composition-only examples, so the model also works without a pattern
};
PeakCondition augmented_condition(const std::vector<StickLine>& sticks, std::mt19937_64& rng,
                                  const AugmentOptions& options = {});

// Merges peaks closer than `fwhm_q` (intensity-weighted centroid, summed intensity), as a peak search on a
// broadened profile would see them. Input sorted by Q.
std::vector<ConditionPeak> merge_close_peaks(const std::vector<ConditionPeak>& peaks, double fwhm_q_inv_angstrom);

// Peak list of a profile with the core peak search (prominence above the local base, so a smooth background does
// not need to be removed first); intensities are peak areas. Peaks more than kMaxWidthOverMedian times wider in Q
// than the area-weighted median peak (amorphous humps) are left out. x in 2θ needs `lambda_angstrom` > 0 (or the pattern's
// radiation, λ1 of a doublet). Throws InputError when the wavelength is unknown.
constexpr double kMaxWidthOverMedian = 5.0;
PeakCondition condition_from_profile(const Pattern& pattern, double lambda_angstrom = 0,
                                     double min_relative_height = 0.01);

// Agreement between an observed peak list and a crystal's sticks at `lambda_angstrom` in the observed window:
// (observed intensity fraction with a calculated reflection within `tol_q`) × (calculated intensity fraction with an
// observed peak within `tol_q`). 1 is a perfect match; used to compare formula units and rank samples.
double peak_match_score(const PeakCondition& observed, const Crystal& crystal, double lambda_angstrom,
                        double tol_q_inv_angstrom = 0.02);

// Cosine similarity of two profiles on a 2θ grid over the observed window: the observed peak list and the crystal's
// sticks (the same peak-list form), each drawn as Gaussians of `fwhm_deg`. Broad enough (2°) to forgive the
// percent-level cell errors of raw samples while still weighing intensities; used to rank samples. 0 without a
// pattern.
double broadened_peak_agreement(const PeakCondition& observed, const Crystal& crystal, double lambda_angstrom,
                                double fwhm_deg = 2.0);

// Ranking samples with the mode first: key = support (how many of the other samples a sample matches) + this
// weight × broadened_peak_agreement, so that an agreement 0.1 better outweighs 3 more supporters, + the symmetry
// weight × log2 of the number of symmetry operations of the sample at a loose tolerance (raw samples are a few
// tenths of an Å off their sites; MP-20 crystals are rarely P1). Weights and tolerance chosen on the development
// split (docs/benchmarks.md, Model).
constexpr double kConsensusAgreementWeight = 30.0;
constexpr double kConsensusSymmetryWeight = 4.0;
constexpr double kConsensusSymprecAngstrom = 0.5;

// log2 of the number of operations spglib finds for the crystal in its own cell at `symprec_angstrom` (centring
// translations included): 0 for P1, 1 for P-1, 5.58 for Fm-3m in a primitive cell (48). 0 when spglib fails.
double symmetry_order_log2(const Crystal& crystal, double symprec_angstrom = kConsensusSymprecAngstrom);

// The weights were chosen with 20 samples, where a sample's support is counted among its 19 others.
constexpr double kConsensusReferenceOthers = 19.0;

// support × kConsensusReferenceOthers / others + kConsensusAgreementWeight × agreement + kConsensusSymmetryWeight ×
// symmetry_log2, where `others` is the number of samples the support was counted among. Scaling the support keeps
// the balance the weights were chosen with for any number of samples (unscaled, 40 samples doubled the support's
// weight: 56.8 % @1 on the development split, 58.7 % scaled; docs/benchmarks.md, Model).
double consensus_key(int support, std::size_t others, double agreement, double symmetry_log2);

}  // namespace pxrd::models
