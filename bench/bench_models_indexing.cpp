// Classical indexing on MP-20 structures:
//   bench_models_indexing DATA_DIR [N=200] [--verbose] [--split test|monitor] [--min-atoms A]
// (the first N of the split; --min-atoms keeps, of those, the cells with at least A atoms)
// For each structure, the ideal Cu Kα pattern (Gaussian FWHM 0.1°, 5–90°, as eval-solve's "ideal" condition) goes
// through the solver's peak search and index_peaks, once with every crystal system and once without the triclinic
// zone search (the reference, in the same run). A solution is right when its primitive Niggli cell equals the
// truth's (lengths within 1 %, angles within 1°; the Niggli angles are compared as a sorted set, which absorbs
// the 90° boundary). Prints, per true crystal system: right at rank 1, right anywhere, and the mean time.
// (Named bench_models_* because it reads the MP-20 files through the models library.)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <stdexcept>

#include "pxrd/centring.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/indexing.hpp"
#include "pxrd/models/dataset.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/symmetry.hpp"

namespace {

bool same_reduced_cell(const pxrd::Lattice& a, const pxrd::Lattice& b) {
  const pxrd::LatticeParameters p = a.niggli_reduced(1e-3).parameters(), q = b.niggli_reduced(1e-3).parameters();
  const double pl[3] = {p.a_angstrom, p.b_angstrom, p.c_angstrom}, ql[3] = {q.a_angstrom, q.b_angstrom, q.c_angstrom};
  for (int i = 0; i < 3; ++i)
    if (std::abs(pl[i] - ql[i]) > 0.01 * ql[i]) return false;
  // Near 90° a Niggli cell may take the angle or its supplement: compare |cos|.
  const double pa[3] = {p.alpha_deg, p.beta_deg, p.gamma_deg}, qa[3] = {q.alpha_deg, q.beta_deg, q.gamma_deg};
  for (int i = 0; i < 3; ++i)
    if (std::abs(std::abs(std::cos(pa[i] * M_PI / 180)) - std::abs(std::cos(qa[i] * M_PI / 180))) > 0.0175) return false;
  return std::abs(a.volume_angstrom3() - b.volume_angstrom3()) < 0.03 * b.volume_angstrom3();
}

struct Tally {
  int n = 0, rank1[2] = {0, 0}, any[2] = {0, 0};
  double seconds[2] = {0, 0};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_models_indexing DATA_DIR [N=200] [--verbose] [--split test|monitor] [--min-atoms A]\n";
    return 2;
  }
  bool verbose = false;  // the misses, on stderr
  try {
    int count = 200;
    std::size_t min_atoms = 0;
    std::string split = "test";
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--verbose") == 0) verbose = true;
      else if (std::strcmp(argv[i], "--split") == 0 && i + 1 < argc) split = argv[++i];
      else if (std::strcmp(argv[i], "--min-atoms") == 0 && i + 1 < argc) min_atoms = static_cast<std::size_t>(std::stoi(argv[++i]));
      else count = std::stoi(argv[i]);
    }
    const auto entries = pxrd::models::load_evaluation_split(argv[1], split, count);
    std::map<std::string, Tally> by_system;
    Tally all;
    pxrd::CancelToken cancel;
    for (const auto& e : entries) {
      const pxrd::Crystal& truth = e.crystal;
      if (truth.size() < min_atoms) continue;
      std::string system;
      pxrd::Lattice truth_primitive = truth.lattice;
      try {
        system = pxrd::crystal_system_of(pxrd::find_space_group(truth, 0.1).number);
        truth_primitive = pxrd::primitive_standard_cell(truth, 0.1).lattice;
      } catch (const pxrd::Error&) {
        system = "unknown";
      }
      double atoms_per_formula = 0;
      const pxrd::Composition reduced = pxrd::Composition::of(truth).reduced();
      for (const auto& [element, amount] : reduced.amounts()) atoms_per_formula += amount;
      const pxrd::Pattern pattern = pxrd::ideal_cu_ka_pattern(truth);
      const pxrd::PowderData data = pxrd::powder_data_from_pattern(pattern, 5, 90);
      std::vector<double> positions;
      for (const pxrd::ObservedPeak& p : pxrd::find_peaks_for_indexing(data, 40, 1.0)) positions.push_back(p.two_theta_deg);
      Tally& t = by_system[system];
      ++t.n;
      ++all.n;
      for (int variant = 0; variant < 2; ++variant) {
        pxrd::IndexingOptions io;
        io.min_volume_angstrom3 = 6.0 * atoms_per_formula;  // as the solver sets it
        if (variant == 1)  // without the triclinic search
          io.systems.erase(std::remove(io.systems.begin(), io.systems.end(), pxrd::CrystalSystem::Triclinic),
                           io.systems.end());
        const auto t0 = std::chrono::steady_clock::now();
        const auto sols = pxrd::index_peaks(positions, data.lambda1_angstrom, io, cancel);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        bool first = false, anywhere = false;
        for (std::size_t i = 0; i < sols.size(); ++i) {
          const pxrd::Lattice primitive =
              pxrd::primitive_lattice(sols[i].lattice, pxrd::centring_from_symbol(sols[i].centring));
          if (same_reduced_cell(primitive, truth_primitive)) {
            anywhere = true;
            first = first || i == 0;
          }
        }
        if (verbose && variant == 0 && !first) {
          const pxrd::LatticeParameters tp = truth_primitive.niggli_reduced(1e-3).parameters();
          std::cerr << e.material_id << " " << system << " " << positions.size() << " peaks; truth " << tp.a_angstrom << " "
                    << tp.b_angstrom << " " << tp.c_angstrom << " " << tp.alpha_deg << " " << tp.beta_deg << " "
                    << tp.gamma_deg << (anywhere ? " (found lower)" : "") << "\n";
          for (std::size_t i = 0; i < sols.size() && i < 3; ++i) {
            const pxrd::LatticeParameters sp = pxrd::primitive_lattice(sols[i].lattice, pxrd::centring_from_symbol(sols[i].centring))
                                                   .niggli_reduced(1e-3)
                                                   .parameters();
            std::cerr << "   " << pxrd::crystal_system_name(sols[i].system) << " " << sols[i].centring << " M20 " << sols[i].m20
                      << " " << sp.a_angstrom << " " << sp.b_angstrom << " " << sp.c_angstrom << " " << sp.alpha_deg << " "
                      << sp.beta_deg << " " << sp.gamma_deg << "\n";
          }
        }
        for (Tally* x : {&t, &all}) {
          x->rank1[variant] += first;
          x->any[variant] += anywhere;
          x->seconds[variant] += s;
        }
      }
    }
    auto pct = [](int k, int n) { return n ? 100.0 * k / n : 0.0; };
    std::cout << "| true system | N | right @1 (all systems) | right anywhere | mean s | right @1 (no triclinic) | "
                 "right anywhere | mean s |\n|---|---|---|---|---|---|---|---|\n"
              << std::fixed << std::setprecision(1);
    auto row = [&](const std::string& name, const Tally& t) {
      std::cout << "| " << name << " | " << t.n;
      for (int v = 0; v < 2; ++v)
        std::cout << " | " << pct(t.rank1[v], t.n) << " % | " << pct(t.any[v], t.n) << " % | " << std::setprecision(2)
                  << t.seconds[v] / std::max(t.n, 1) << std::setprecision(1);
      std::cout << " |\n";
    };
    for (const auto& [name, t] : by_system) row(name, t);
    row("all", all);
  } catch (const std::logic_error&) {  // std::stoi on a malformed or huge N
    std::cerr << "error: N must be a whole number\n";
    return 2;
  } catch (const pxrd::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
