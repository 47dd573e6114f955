// Pattern-file speed: reading a 10⁶-point .xy file (target < 0.5 s), plus writing it and reading the
// same data as .xye, pdCIF and FXYE. Prints one line per case with the best and median of 5 runs.
//   bench_formats [points]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "pxrd/formats.hpp"

namespace {

// Wall time and process CPU time: on a shared machine the CPU time is the steadier figure.
struct Timing {
  double best, median, cpu_median;
};

Timing time_it(const std::function<void()>& fn, int runs = 5) {
  std::vector<double> t, cpu;
  for (int i = 0; i < runs; ++i) {
    const auto a = std::chrono::steady_clock::now();
    const std::clock_t c = std::clock();
    fn();
    cpu.push_back(static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  std::sort(cpu.begin(), cpu.end());
  return {t.front(), t[t.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  pxrd::Pattern p;
  p.x.resize(n);
  p.y.resize(n);
  std::mt19937 rng(1);
  std::poisson_distribution<int> counts(2000);
  for (std::size_t i = 0; i < n; ++i) {
    p.x[i] = 5.0 + 85.0 * static_cast<double>(i) / static_cast<double>(n);
    p.y[i] = counts(rng);
  }
  p.radiation = pxrd::radiation_from_string("CuKa12");
  p.source = "bench";
  char dir_template[] = "/tmp/bench_formats_XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  std::printf("bench_formats: %zu points, files in %s\n", n, dir.c_str());
  bool ok = true;
  for (const char* ext : {"xy", "xye", "cif", "fxye"}) {
    const std::string path = dir + "/pattern." + ext;
    const Timing w = time_it([&] { pxrd::formats::write_pattern(p, path); }, 3);
    std::size_t points = 0;
    std::string format;
    const Timing r = time_it([&] {
      const pxrd::Pattern q = pxrd::formats::read_pattern(path);
      points = q.size();
      format = q.format;
    });
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fclose(f);
    std::printf("  %-5s %6.1f MB  write: best %.3f s wall  read (%s): best %.3f s, median %.3f s wall, "
                "median %.3f s CPU  [%zu points]\n",
                ext, static_cast<double>(bytes) / 1e6, w.best, format.c_str(), r.best, r.median, r.cpu_median, points);
    ok = ok && points == n;
    if (std::string(ext) == "xy")
      std::printf("  target: read a 10^6-point .xy in < 0.5 s: %s (best wall), %s (median CPU)\n",
                  r.best < 0.5 ? "met" : "NOT met", r.cpu_median < 0.5 ? "met" : "NOT met");
    std::remove(path.c_str());
  }
  ::rmdir(dir.c_str());
  return ok ? 0 : 1;
}
