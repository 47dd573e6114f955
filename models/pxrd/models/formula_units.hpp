#pragma once
// Cell content for the model from a formula. MP-20 models expect the full cell (Ce4O8, not CeO2), so a reduced
// formula needs Z, the number of formula units: given, or enumerated and judged by the pattern.
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/models/diffusion.hpp"

namespace pxrd::models {

// One atomic number per atom for `formula_units` × composition. Throws InputError for non-integer amounts.
std::vector<int> cell_content(const Composition& composition, int formula_units = 1);

struct FormulaUnitsScore {
  int z = 1;
  double best_score = 0;       // best peak_match_score among the samples drawn with this Z
  double best_agreement = 0;   // best broadened_peak_agreement (2°) among them
  double mean_agreement = 0;   // their mean broadened_peak_agreement
};

// Tries Z = 1, 2, … while Z × atoms(reduced) ≤ max_atoms: draws `samples_per_z` samples per Z and scores them
// against the observed peaks. Returns the scores, best first by the peak match (ties: smaller Z first); the
// 2°-broadened agreements chose no better on the development split (bench_models_z: 73–77 % right for all three).
std::vector<FormulaUnitsScore> rank_formula_units(Model& model, const Composition& reduced,
                                                  const PeakCondition& observed, double lambda_angstrom,
                                                  int max_atoms, int samples_per_z, unsigned long long seed,
                                                  const CancelToken& cancel, ProgressSink& progress);

}  // namespace pxrd::models
