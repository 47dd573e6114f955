// The floor of PXRDNet's R_wp² for a right structure with a slightly wrong cell:
//   bench_models_rwp2_floor DATA_DIR [N=0: all] [--split test|monitor]
// For each MP-20 structure, the true structure is compared with itself, its cell scaled isotropically by 1 ± e
// (coordinates kept): R_wp² (science.md §3: sharp patterns over Q 0–8.1568 Å⁻¹, σ 0.040784 Å⁻¹, each normalised to a
// maximum of 1), the mean of the two signs. Prints, per strain e, the mean over the structures (each capped at 1, as
// eval-solve averages), the median, and how many exceed 0.1 and 0.3. Also counts the structures whose strongest
// smoothed line lies at 2θ > 150° (Cu Kα1), where the Lorentz factor 1/(sin²θ cosθ) grows without bound: there a
// small shift changes the normalising maximum.
// This bounds what any solver can score at 10 Å, where broad peaks fix the cell only approximately.
// (Named bench_models_* because it reads the MP-20 files through the models library.)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "pxrd/models/dataset.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_models_rwp2_floor DATA_DIR [N=0: all] [--split test|monitor]\n";
    return 2;
  }
  try {
    int count = 0;
    std::string split = "test";
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--split") == 0 && i + 1 < argc) split = argv[++i];
      else count = std::stoi(argv[i]);
    }
    const auto entries = pxrd::models::load_evaluation_split(argv[1], split, count);
    const std::vector<double> strains = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02};
    std::vector<std::vector<double>> rwp2(strains.size());
    const std::vector<double> q = pxrd::pxrdnet_q_grid();
    const double q_at_150_deg = pxrd::two_theta_deg_to_q_inv_angstrom(150.0, pxrd::kPxrdnetLambdaAngstrom);
    int max_at_high_angle = 0, used = 0;
    for (const auto& e : entries) {
      std::vector<double> truth;
      try {
        truth = pxrd::pxrdnet_pattern(e.crystal);
      } catch (const std::exception& ex) {
        std::cerr << e.material_id << ": " << ex.what() << " (skipped)\n";
        continue;
      }
      ++used;
      const auto top = std::max_element(truth.begin(), truth.end()) - truth.begin();
      if (q[top] > q_at_150_deg) ++max_at_high_angle;
      for (std::size_t k = 0; k < strains.size(); ++k) {
        double sum = 0;
        for (const double sign : {-1.0, 1.0}) {
          pxrd::Crystal scaled = e.crystal;
          scaled.lattice = pxrd::Lattice(Eigen::Matrix3d(e.crystal.lattice.matrix() * (1.0 + sign * strains[k])));
          sum += pxrd::pxrdnet_rwp2(truth, pxrd::pxrdnet_pattern(scaled));
        }
        rwp2[k].push_back(0.5 * sum);
      }
    }
    if (used == 0) throw std::runtime_error("no structure could be simulated");
    std::cout << "PXRDNet R_wp² of the true structure against itself with the cell scaled by 1 ± e, " << used << " MP-20 "
              << split << " structures\n";
    std::cout << "| cell error e | mean R_wp² (each ≤ 1) | median | > 0.1 | > 0.3 |\n|---|---|---|---|---|\n";
    for (std::size_t k = 0; k < strains.size(); ++k) {
      std::vector<double>& v = rwp2[k];
      std::sort(v.begin(), v.end());
      double mean = 0;
      for (double x : v) mean += std::min(x, 1.0);
      mean /= static_cast<double>(v.size());
      const auto over = [&](double limit) { return std::count_if(v.begin(), v.end(), [&](double x) { return x > limit; }); };
      std::cout << std::fixed << "| " << std::setprecision(2) << 100 * strains[k] << " % | " << std::setprecision(3)
                << mean << " | " << v[v.size() / 2] << " | " << over(0.1) << " | " << over(0.3) << " |\n";
    }
    std::cout << "strongest smoothed line at 2θ > 150° (Cu Kα1): " << max_at_high_angle << " of " << used << "\n";
  } catch (const std::exception& ex) {
    std::cerr << "bench_models_rwp2_floor: " << ex.what() << "\n";
    return 1;
  }
  return 0;
}
