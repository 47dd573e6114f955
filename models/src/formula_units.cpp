#include "pxrd/models/formula_units.hpp"

#include <algorithm>
#include <cmath>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"

namespace pxrd::models {

std::vector<int> cell_content(const Composition& composition, int formula_units) {
  if (formula_units < 1) throw InputError("--z", 0, "Z must be at least 1");
  std::vector<int> out;
  for (const auto& [symbol, amount] : composition.amounts()) {
    const double n = amount * formula_units;
    const long rounded = std::lround(n);
    if (std::abs(n - rounded) > 1e-6 || rounded < 0)
      throw InputError("formula", 0, "the amount of " + symbol + " is not an integer; the model needs whole atoms");
    const int z = atomic_number(symbol);
    for (long i = 0; i < rounded; ++i) out.push_back(z);
  }
  if (out.empty()) throw InputError("formula", 0, "the formula has no atoms");
  return out;
}

std::vector<FormulaUnitsScore> rank_formula_units(Model& model, const Composition& reduced,
                                                  const PeakCondition& observed, double lambda_angstrom,
                                                  int max_atoms, int samples_per_z, unsigned long long seed,
                                                  const CancelToken& cancel, ProgressSink& progress) {
  const auto base = cell_content(reduced, 1);
  const int zmax = std::max(1, max_atoms / static_cast<int>(base.size()));
  std::vector<SampleRequest> requests;
  for (int z = 1; z <= zmax; ++z) {
    SampleRequest r;
    r.atomic_numbers = cell_content(reduced, z);
    r.condition = observed;
    r.count = samples_per_z;
    r.seed = seed + 7919ull * z;
    requests.push_back(std::move(r));
  }
  const auto samples = model.sample(requests, cancel, progress);
  std::vector<FormulaUnitsScore> scores;
  for (int z = 1; z <= zmax; ++z) {
    FormulaUnitsScore s;
    s.z = z;
    for (const auto& c : samples[z - 1]) {
      cancel.throw_if_cancelled();
      s.best_score = std::max(s.best_score, peak_match_score(observed, c, lambda_angstrom));
      const double agreement = broadened_peak_agreement(observed, c, lambda_angstrom);
      s.best_agreement = std::max(s.best_agreement, agreement);
      s.mean_agreement += agreement / double(samples[z - 1].size());
    }
    scores.push_back(s);
  }
  std::stable_sort(scores.begin(), scores.end(),
                   [](const FormulaUnitsScore& a, const FormulaUnitsScore& b) { return a.best_score > b.best_score; });
  return scores;
}

}  // namespace pxrd::models
