// Model throughput: training (crystals/s, MP-20-sized synthetic crystals, batch 64, default h128×4 network) and
// sampling (candidates/s for 20-atom cells), on 1 and 2 threads.
// usage: bench_models [train_steps=30] [samples=128]; also times loading models/weights/mp20_flow.pt.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "pxrd/elements.hpp"
#include "pxrd/models/diffusion.hpp"

using namespace pxrd::models;

namespace {
// Random cells of 4–20 atoms (mean 12) with 2–3 elements and ~15 Å³ per atom; deterministic.
std::vector<DatasetEntry> synthetic_set(int count) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<DatasetEntry> out;
  const int elements[] = {3, 8, 12, 14, 16, 22, 26, 29, 38, 56};
  for (int i = 0; i < count; ++i) {
    DatasetEntry e;
    e.material_id = "synthetic-" + std::to_string(i);
    const int n = 4 + static_cast<int>(u(rng) * 17);
    const double len = std::cbrt(15.0 * n);
    e.crystal.lattice = pxrd::Lattice::from_parameters(len * (0.8 + 0.4 * u(rng)), len * (0.8 + 0.4 * u(rng)),
                                                       len * (0.8 + 0.4 * u(rng)), 80 + 20 * u(rng),
                                                       80 + 20 * u(rng), 80 + 40 * u(rng));
    for (int a = 0; a < n; ++a) {
      pxrd::Site s;
      s.atomic_number = elements[(a % 3 + i) % 10];
      s.element = pxrd::element_symbol(s.atomic_number);
      s.frac = Eigen::Vector3d(u(rng), u(rng), u(rng));
      e.crystal.sites.push_back(s);
    }
    e.sticks = radiation_free_sticks(e.crystal);
    out.push_back(std::move(e));
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 30;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 128;
  const auto data = synthetic_set(512);
  const auto dir = std::filesystem::temp_directory_path() / "pxrd_bench_models";
  pxrd::CancelToken cancel;
  pxrd::NullProgress progress;
  std::string weights;
  for (int threads : {1, 2}) {
    std::filesystem::remove_all(dir);
    TrainOptions o;
    o.out_dir = dir.string();
    o.max_steps = steps;
    o.threads = threads;
    o.monitor_every = 0;
    o.verbose = false;
    o.log_every = steps;
    const auto s = train_model(data, {}, o, cancel, progress);
    std::cout << "train  h" << o.model.hidden << "x" << o.model.layers << " batch " << o.batch_size << ", "
              << threads << " thread(s): " << s.crystals_per_second << " crystals/s ("
              << s.crystals_per_second / o.batch_size << " steps/s)\n";
    weights = (dir / "weights.pt").string();
  }
  auto model = Model::load(weights, "cpu");
  SampleRequest r;
  for (int a = 0; a < 20; ++a) r.atomic_numbers.push_back(a % 2 ? 8 : 22);
  r.condition = condition_from_reflections(
      sticks_at_wavelength(data[0].sticks, kCacheLambdaAngstrom, 0, 90), kCacheLambdaAngstrom, 0, 90);
  r.count = samples;
  for (int threads : {1, 2}) {
    for (int sampling_steps : {25, 50}) {
      model->set_threads(threads);
      model->set_sampling(sampling_steps, 128);
      const auto t0 = std::chrono::steady_clock::now();
      model->sample({r}, cancel, progress);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << "sample 20-atom cells, " << sampling_steps << " steps, " << threads
                << " thread(s): " << samples / sec << " candidates/s\n";
    }
  }
  std::filesystem::remove_all(dir);
  // Loading the shipped weights.
  const std::string shipped = std::string(PXRD_SOURCE_DIR) + "/models/weights/mp20_flow.pt";
  if (std::filesystem::exists(shipped)) {
    const auto t0 = std::chrono::steady_clock::now();
    auto m = Model::load(shipped, "cpu");
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "load " << shipped << ": " << ms << " ms, " << m->parameter_count() << " parameters, " << m->id()
              << "\n";
  }
  return 0;
}
