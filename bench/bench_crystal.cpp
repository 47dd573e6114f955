// Crystal model figures: CIF parsing, symmetry, symmetrized CIF writing and structure matching.
// Usage: bench_crystal [cifs-file]
//   cifs-file: CIF texts each preceded by a line "#==== <id>" (default: tests/data/cif/mp20_test_first40.cifs).
//   A file of all MP-20 rows in this form can be made with
//   /usr/bin/python3 -c "import csv,lzma,sys; csv.field_size_limit(1<<30); [sys.stdout.write('#==== '+r['material_id']
//   +'\n'+r['output']+'\n') for f in ('train_partial','val','test') for r in
//   csv.DictReader(lzma.open('/work/shared/data/mp_20/'+f+'.csv.xz','rt',newline=''))]" > mp20.cifs
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"

namespace {

std::vector<std::string> split_cifs(const std::string& all) {
  std::vector<std::string> out;
  std::size_t pos = all.find("#==== ");
  while (pos != std::string::npos) {
    const std::size_t nl = all.find('\n', pos);
    const std::size_t next = all.find("#==== ", nl);
    out.push_back(all.substr(nl + 1, (next == std::string::npos ? all.size() : next) - nl - 1));
    pos = next;
  }
  return out;
}

struct Timer {
  std::clock_t cpu0 = std::clock();
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  double cpu() const { return double(std::clock() - cpu0) / CLOCKS_PER_SEC; }
  double wall() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(); }
};

void report(const char* what, std::size_t n, const Timer& t) {
  std::printf("%-48s %7zu items  %9.0f /s per core (CPU %.3f s, wall %.3f s)\n", what, n, n / t.cpu(), t.cpu(),
              t.wall());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(PXRD_SOURCE_DIR) + "/tests/data/cif/mp20_test_first40.cifs";
  std::vector<std::string> texts = split_cifs(pxrd::read_file(path));
  // Small inputs are repeated so that each figure is measured over at least ~20k structures.
  std::vector<std::string> work;
  while (work.size() < 20000) work.insert(work.end(), texts.begin(), texts.end());

  std::vector<pxrd::Crystal> crystals;
  {
    Timer t;
    for (const std::string& text : work) crystals.push_back(pxrd::read_cif_string(text, "bench"));
    report("read_cif_string (P1 MP-20 CIFs)", work.size(), t);
  }
  crystals.resize(std::min<std::size_t>(crystals.size(), 2000));  // the slower steps on the first 2000
  {
    Timer t;
    int sum = 0;
    for (const auto& c : crystals) sum += pxrd::find_space_group(c, 0.01).number;
    report("find_space_group (spglib, 0.01 A)", crystals.size(), t);
    std::printf("  (checksum %d)\n", sum);
  }
  {
    Timer t;
    std::size_t bytes = 0;
    for (const auto& c : crystals) bytes += pxrd::cif_symmetrized_string(c, 0.01).size();
    report("cif_symmetrized_string", crystals.size(), t);
  }
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<pxrd::Crystal> noisy = crystals;
  for (auto& c : noisy)
    for (auto& s : c.sites)
      s.frac = c.lattice.to_fractional(c.lattice.to_cartesian(s.frac) +
                                       Eigen::Vector3d(noise(rng), noise(rng), noise(rng)));
  {
    Timer t;
    int matched = 0;
    for (std::size_t i = 0; i < crystals.size(); ++i)
      matched += pxrd::match_structures(crystals[i], noisy[i], {0.3, 0.5, 10}).matched;
    report("match_structures vs 0.05 A noisy copy", crystals.size(), t);
    std::printf("  (%d of %zu matched at 0.3/0.5/10)\n", matched, crystals.size());
  }
  {
    Timer t;
    std::vector<pxrd::MatchPrepared> prepared;
    for (const auto& c : noisy) prepared.push_back(pxrd::prepare_for_matching(c));
    report("prepare_for_matching (Niggli + primitive)", noisy.size(), t);
    const pxrd::MatchPrepared reference = pxrd::prepare_for_matching(crystals[0]);
    Timer t2;
    int matched = 0;
    for (int rep = 0; rep < 20; ++rep)
      for (std::size_t i = 0; i < prepared.size(); ++i)
        matched += pxrd::match_structures(reference, prepared[i % prepared.size()], {0.3, 0.5, 10}).matched;
    report("match prepared: one reference vs others", 20 * prepared.size(), t2);
  }
  {
    // Support counting in sets like a model's samples: 30 variants of each distinct structure, each with its own
    // cell strain (up to 10 %); half keep the structure with a displacement of 0.02-0.6 A, half get random
    // coordinates, so that some pairs match and many do not. The reference is the same count through the full
    // match_structures (best rms over every alignment).
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<std::vector<pxrd::Crystal>> sets;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      std::vector<pxrd::Crystal> set;
      for (int copy = 0; copy < 30; ++copy) {
        pxrd::Crystal c = crystals[i];
        const double sigma = 0.02 * std::pow(30.0, unit(rng));
        std::normal_distribution<double> shift(0.0, sigma);
        Eigen::Matrix3d strain = Eigen::Matrix3d::Identity();
        for (int r = 0; r < 3; ++r) strain(r, r) += 0.1 * (2 * unit(rng) - 1);
        const pxrd::Lattice strained(c.lattice.matrix() * strain);
        const bool random_coordinates = copy % 2 == 1;
        for (auto& s : c.sites)
          s.frac = random_coordinates ? Eigen::Vector3d(unit(rng), unit(rng), unit(rng))
                                      : c.lattice.to_fractional(c.lattice.to_cartesian(s.frac) +
                                                                Eigen::Vector3d(shift(rng), shift(rng), shift(rng)));
        c.lattice = strained;
        set.push_back(std::move(c));
      }
      sets.push_back(std::move(set));
    }
    const pxrd::MatchTolerances loose{0.3, 0.5, 10};
    Timer t;
    long support_sum = 0;
    std::vector<std::vector<int>> supports;
    for (const auto& set : sets) {
      supports.push_back(pxrd::match_support(set, loose));
      for (int v : supports.back()) support_sum += v;
    }
    const double pairs = static_cast<double>(sets.size()) * 30 * 29;
    report("match_support (30 samples per set)", static_cast<std::size_t>(pairs), t);
    const double support_cpu = t.cpu();
    Timer t_full;
    long full_sum = 0, differing = 0;
    for (std::size_t i = 0; i < sets.size(); ++i) {
      std::vector<pxrd::MatchPrepared> prepared;
      for (const auto& c : sets[i]) prepared.push_back(pxrd::prepare_for_matching(c));
      for (std::size_t a = 0; a < prepared.size(); ++a) {
        int count = 0;
        for (std::size_t b = 0; b < prepared.size(); ++b)
          if (a != b) count += pxrd::match_structures(prepared[a], prepared[b], loose).matched;
        full_sum += count;
        differing += count != supports[i][a];
      }
    }
    report("  reference: full match_structures per pair", static_cast<std::size_t>(pairs), t_full);
    std::printf("  (support sum %ld, reference %ld, %ld counts differ; CPU ratio reference/support %.2f)\n",
                support_sum, full_sum, differing, t_full.cpu() / support_cpu);
  }
  return 0;
}
