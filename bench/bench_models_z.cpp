// How well `generate` finds Z (formula units per cell) for a reduced formula: bench_models_z DATA_DIR [N=100]
// [--split monitor|test] [--weights FILE] [--samples S=8]
// For each structure (evenly spaced through the split), the ideal Cu Kα pattern (Gaussian FWHM 0.1°, 5–90°, as the
// eval conditions) becomes a peak list as `generate` reads a pattern file, and rank_formula_units draws 8 samples
// per Z (--samples) for the reduced formula. Z is chosen by three keys computed on those same samples: the best peak match
// (the key generate uses), the best and the mean 2°-broadened agreement. A choice is
// right when it equals the Z of the truth's primitive cell (the cell the matcher compares; MP-20 mostly stores
// that cell). Prints, per key, the fraction right overall and by the true primitive Z.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <stdexcept>

#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/models/dataset.hpp"
#include "pxrd/models/diffusion.hpp"
#include "pxrd/models/formula_units.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/structure_matcher.hpp"

namespace {

using Score = pxrd::models::FormulaUnitsScore;

struct Key {
  const char* name;
  std::function<double(const Score&)> value;
};

// The Z with the highest key; ties go to the smaller Z (as rank_formula_units orders them).
int chosen_z(std::vector<Score> scores, const Key& key) {
  std::sort(scores.begin(), scores.end(), [](const Score& a, const Score& b) { return a.z < b.z; });
  int best = scores.front().z;
  double best_value = key.value(scores.front());
  for (const Score& s : scores)
    if (key.value(s) > best_value + 1e-12) best = s.z, best_value = key.value(s);
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_models_z DATA_DIR [N=100] [--split monitor|test] [--weights FILE] [--samples S=8]\n";
    return 2;
  }
  try {
    int count = 100, samples_per_z = 8;
    std::string split = "monitor", weights = PXRD_SOURCE_DIR "/models/weights/mp20_flow.pt";
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--split" && i + 1 < argc) split = argv[++i];
      else if (a == "--weights" && i + 1 < argc) weights = argv[++i];
      else if (a == "--samples" && i + 1 < argc) samples_per_z = std::stoi(argv[++i]);
      else count = std::stoi(a);
    }
    if (count < 1 || samples_per_z < 1) {
      std::cerr << "bench_models_z: N and --samples must be at least 1\n";
      return 2;
    }
    const auto all = split == "test" ? pxrd::models::load_test_set(argv[1], 0)
                                     : pxrd::models::load_monitor_set(argv[1], pxrd::models::kDefaultMonitorStride);
    if (all.empty()) throw pxrd::Error("no structures in the " + split + " split of " + std::string(argv[1]));
    auto model = pxrd::models::Model::load(weights, "cpu");
    model->set_sampling(25, 128);
    model->set_threads(2);
    model->set_coordinate_anneal(pxrd::models::kDefaultCoordinateAnneal);
    const double lambda_angstrom = pxrd::radiation_from_string("CuKa").lambda1_angstrom;
    const std::vector<Key> keys = {
        {"best peak match (generate's key)", [](const Score& s) { return s.best_score; }},
        {"best 2° agreement", [](const Score& s) { return s.best_agreement; }},
        {"mean 2° agreement", [](const Score& s) { return s.mean_agreement; }},
    };
    std::vector<int> right(keys.size(), 0);
    std::map<int, std::pair<int, std::vector<int>>> by_z;  // true primitive Z -> (n, right per key)
    int n = 0;
    pxrd::CancelToken cancel;
    pxrd::NullProgress quiet;
    const auto t0 = std::chrono::steady_clock::now();
    const double stride = double(all.size()) / count;
    for (int i = 0; i < count && i < static_cast<int>(all.size()); ++i) {
      const pxrd::Crystal& truth = all[static_cast<std::size_t>(i * stride)].crystal;
      const pxrd::Composition reduced = pxrd::Composition::of(truth).reduced();
      const int atoms_per_formula = static_cast<int>(pxrd::models::cell_content(reduced, 1).size());
      const int true_z = static_cast<int>(pxrd::prepare_for_matching(truth).frac.size()) / atoms_per_formula;
      const auto condition = pxrd::models::condition_from_profile(pxrd::ideal_cu_ka_pattern(truth), lambda_angstrom);
      const auto scores = pxrd::models::rank_formula_units(*model, reduced, condition, lambda_angstrom, 20, samples_per_z,
                                                           1, cancel, quiet);
      auto& zt = by_z[std::min(true_z, 4)];
      if (zt.second.empty()) zt.second.assign(keys.size(), 0);
      ++zt.first;
      ++n;
      for (std::size_t k = 0; k < keys.size(); ++k)
        if (chosen_z(scores, keys[k]) == true_z) ++right[k], ++zt.second[k];
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "Z enumeration (" << samples_per_z << " samples per Z, 25 steps) on " << n << " " << split << " structures, "
              << std::fixed << std::setprecision(1) << seconds / n << " s each\n";
    std::cout << "| key | right | Z=1 | Z=2 | Z=3 | Z≥4 |\n|---|---|---|---|---|---|\n";
    for (std::size_t k = 0; k < keys.size(); ++k) {
      std::cout << "| " << keys[k].name << " | " << 100.0 * right[k] / n << " %";
      for (int z = 1; z <= 4; ++z) {
        const auto it = by_z.find(z);
        if (it == by_z.end()) std::cout << " | –";
        else std::cout << " | " << it->second.second[k] << "/" << it->second.first;
      }
      std::cout << " |\n";
    }
  } catch (const std::logic_error&) {  // std::stoi on a malformed or huge number
    std::cerr << "bench_models_z: N and --samples must be whole numbers\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_models_z: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
