// Simulator throughput on the first 500 MP-20 test structures (the reference set of the pymatgen test).
// Prints a Markdown table: CPU time per pattern on one thread (= per core) and the batch rate on all cores.
// Compare with tools/dev/pymatgen_sim_timing.py (pymatgen's get_pattern on the same structures).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "../tests/data/simulator/reference_loader.hpp"
#include "pxrd/simulator.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs fn over every crystal until at least min_seconds of CPU time have passed; returns CPU seconds per call.
double time_per_call(const std::vector<pxrd::Crystal>& crystals, const std::function<void(const pxrd::Crystal&)>& fn,
                     double min_seconds, long* calls_out) {
  long calls = 0;
  const double c0 = cpu_seconds();
  double elapsed = 0;
  do {
    for (const auto& c : crystals) fn(c);
    calls += static_cast<long>(crystals.size());
    elapsed = cpu_seconds() - c0;
  } while (elapsed < min_seconds);
  *calls_out = calls;
  return elapsed / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const double min_seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const auto entries = pxrd_sim_ref::load_reference(PXRD_SOURCE_DIR "/tests/data/simulator/pymatgen_reference.txt.xz");
  if (entries.empty()) {
    std::fprintf(stderr, "bench_simulator: cannot read tests/data/simulator/pymatgen_reference.txt.xz\n");
    return 1;
  }
  std::vector<pxrd::Crystal> crystals;
  for (const auto& e : entries) crystals.push_back(e.crystal);
  std::size_t atoms = 0;
  for (const auto& c : crystals) atoms += c.size();
  std::printf("structures: %zu (mean %.1f atoms), hardware threads: %u\n\n", crystals.size(),
              static_cast<double>(atoms) / crystals.size(), std::thread::hardware_concurrency());

  const pxrd::Radiation cuka{"CuKa", 1.54184, 0, 0};
  const pxrd::Radiation cuka12 = pxrd::radiation_from_string("CuKa12");
  pxrd::GridOptions tt_grid;  // 5–90°, step 0.02
  pxrd::GridOptions q_grid;
  q_grid.q_grid = true;
  q_grid.q_points = 4096;
  q_grid.q_max_inv_angstrom = 8.1568;
  pxrd::ProfileOptions gauss;
  pxrd::ProfileOptions pv;
  pv.shape = pxrd::ProfileShape::PseudoVoigt;
  pxrd::ProfileOptions nano = gauss;
  nano.size_angstrom = 100;
  pxrd::ProfileOptions nano10 = gauss;
  nano10.size_angstrom = 10;

  struct Case {
    std::string name;
    std::function<void(const pxrd::Crystal&)> fn;
  };
  const std::vector<Case> cases = {
      {"sticks CuKa, 2θ 0–90° (pymatgen default)",
       [](const pxrd::Crystal& c) {
         pxrd::StickOptions o;
         pxrd::simulate_sticks(c, o);
       }},
      {"sticks CuKa, 2θ 0–180°",
       [](const pxrd::Crystal& c) {
         pxrd::StickOptions o;
         o.two_theta_max_deg = 180;
         pxrd::simulate_sticks(c, o);
       }},
      {"profile: CuKa, Gaussian 0.1°, 2θ 5–90°/0.02° (4251 points)",
       [&](const pxrd::Crystal& c) { pxrd::simulate_pattern(c, cuka, gauss, tt_grid); }},
      {"profile: CuKa12 doublet, pseudo-Voigt 0.1°, 2θ 5–90°/0.02°",
       [&](const pxrd::Crystal& c) { pxrd::simulate_pattern(c, cuka12, pv, tt_grid); }},
      {"profile: Q grid 4096 × 0–8.1568 Å⁻¹, Gaussian 0.1°, sinc² τ = 100 Å",
       [&](const pxrd::Crystal& c) { pxrd::simulate_pattern(c, cuka, nano, q_grid); }},
      {"profile: Q grid 4096, sinc² τ = 10 Å",
       [&](const pxrd::Crystal& c) { pxrd::simulate_pattern(c, cuka, nano10, q_grid); }},
      {"PXRDNet pattern (8192 Q points, σ = 0.040784 Å⁻¹)", [](const pxrd::Crystal& c) { pxrd::pxrdnet_pattern(c); }},
  };
  std::printf("| case (one thread) | ms/pattern (CPU) | patterns/s per core |\n|---|---|---|\n");
  for (const auto& cs : cases) {
    long calls = 0;
    const double t = time_per_call(crystals, cs.fn, min_seconds, &calls);
    std::printf("| %s | %.3f | %.0f |\n", cs.name.c_str(), 1e3 * t, 1.0 / t);
    std::fflush(stdout);
  }
  // Batch on all cores: wall-clock rate.
  const double w0 = wall_seconds();
  int rounds = 0;
  do {
    pxrd::simulate_batch(crystals, cuka, gauss, tt_grid, 0);
    ++rounds;
  } while (wall_seconds() - w0 < min_seconds);
  const double wall = (wall_seconds() - w0) / (rounds * static_cast<double>(crystals.size()));
  std::printf("\nsimulate_batch (threads = 0 → %u), CuKa Gaussian 2θ 5–90°: %.3f ms/pattern wall, %.0f patterns/s\n",
              std::thread::hardware_concurrency(), 1e3 * wall, 1.0 / wall);
  return 0;
}
