// `pxrd-diff generate PATTERN --formula F -n N -o DIR`: raw samples of the flow model, conditioned on the pattern's
// peak list, written as candidate_01.cif, … and summary.json. PATTERN may also be a CIF: its ideal Cu Kα pattern
// (simulated, 0–90° 2θ) is then the condition, which is how the model is evaluated.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/json_text.hpp"
#include "pxrd/models/diffusion.hpp"
#include "pxrd/models/formula_units.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"

namespace {

void print_generate_help() {
  std::cout << "usage: pxrd-diff generate PATTERN --formula F -n N -o DIR [options]\n"
               "  PATTERN                powder pattern file (any supported format), or a CIF whose ideal\n"
               "                         Cu Ka pattern (0-90 deg 2theta) is used; '-' for composition only\n"
               "  --formula F            formula; a reduced one (Sc2ZnS4) has its Z enumerated unless --z\n"
               "  --z Z                  formula units in the cell\n"
               "  -n N                   number of samples (10)\n"
               "  -o, --out DIR          output folder: candidate_01.cif, ..., summary.json (per candidate:\n"
               "                         cell, support, agreement, and the space group it is within 0.5 A of)\n"
               "  --weights PATH         model weights (default $PXRD_DIFF_MODEL, else the installed or the\n"
               "                         repository's models/weights/mp20_flow.pt)\n"
               "  --device auto|cpu|cuda (auto)\n"
               "  --steps S              integration steps, at most 100 (50)\n"
               "  --seed N (1)  --threads T (0: all cores)  --max-atoms N (20)\n"
               "  --anneal A             coordinate velocity × (1 + A·t) while sampling, each step\n"
               "                         capped at t = 1 (6)\n"
               "  --guidance W           classifier-free guidance on the pattern, 1 = off (1)\n"
               "  --wavelength W         radiation of a 2theta file without one (CuKa, MoKa12, 1.5406, ...)\n"
               "  --size-angstrom T      crystallite size, if known\n"
               "  --pool P               draw P >= n samples, rank them all and write the first n (n);\n"
               "                         with 3n, the n held the right structure more often in the model's\n"
               "                         evaluation (docs/benchmarks.md, Model)\n"
               "  --order support|sampled  candidate_01 is the sample that matches most of the others (the mode\n"
               "                         of the samples, weighed with the agreement of its 2°-broadened\n"
               "                         peaks with the pattern's and its symmetry at 0.5 A), one sample of\n"
               "                         each distinct structure before any repeat (among the first 100);\n"
               "                         or keep the sampling order (support). Beyond 100 samples only the\n"
               "                         first 20000/n (at least 20) count as supporters\n"
               "Ctrl-C cancels (exit 130).\n";
}

int run_generate(const std::vector<std::string>& argv) {
  pxrd::cli::Args args(argv, {"--help"});
  if (args.has("--help")) {
    print_generate_help();
    return 0;
  }
  args.check_known({"--formula", "--z", "-n", "-o", "--out", "--weights", "--device", "--steps", "--seed", "--threads", "--anneal", "--guidance",
                    "--max-atoms", "--wavelength", "--size-angstrom", "--order", "--pool", "--help"});
  if (args.positionals().size() != 1)
    throw pxrd::InputError("generate", 0, "give exactly one PATTERN (or '-' for composition only)");
  const std::string pattern_path = args.positionals()[0];
  const std::string out_dir = args.has("-o") ? args.get("-o") : args.get("--out");
  const auto composition = pxrd::Composition::parse(args.get("--formula"));
  const int n = static_cast<int>(args.get_int("-n", 10));
  const int steps = static_cast<int>(args.get_int("--steps", 50));
  const auto seed = static_cast<unsigned long long>(args.get_int("--seed", 1));
  const int max_atoms = static_cast<int>(args.get_int("--max-atoms", 20));
  if (n < 1 || n > 10000) throw pxrd::InputError("-n", 0, "must be between 1 and 10000");
  const std::string weights = args.get("--weights", pxrd::cli::default_model_weights_path());
  const std::string order = args.get("--order", "support");
  if (order != "support" && order != "sampled")
    throw pxrd::InputError("--order", 0, "unknown order '" + order + "' (support, sampled)");
  const int pool = static_cast<int>(args.get_int("--pool", n));
  if (pool < n || pool > 10000) throw pxrd::InputError("--pool", 0, "must be between -n and 10000");
  if (pool != n && order == "sampled")
    throw pxrd::InputError("--pool", 0, "a pool larger than -n needs --order support (which ranks it)");

  // The condition.
  pxrd::models::PeakCondition condition;
  double lambda = 0;
  std::string condition_source = "none (composition only)";
  if (pattern_path != "-") {
    const std::string ext = std::filesystem::path(pattern_path).extension().string();
    if (ext == ".cif" || ext == ".CIF") {
      const auto crystal = pxrd::read_cif(pattern_path);
      pxrd::StickOptions opt;
      lambda = opt.lambda_angstrom;
      condition = pxrd::models::condition_from_reflections(pxrd::simulate_sticks(crystal, opt), lambda,
                                                           opt.two_theta_min_deg, opt.two_theta_max_deg);
      condition_source = "ideal Cu Ka sticks of " + pattern_path;
    } else {
      const auto pattern = pxrd::formats::read_pattern(pattern_path);
      if (args.has("--wavelength")) {
        lambda = pxrd::radiation_from_string(args.get("--wavelength")).lambda1_angstrom;
      } else if (pattern.radiation) {
        lambda = pattern.radiation->lambda1_angstrom;
      } else if (pattern.x_unit == pxrd::XUnit::TwoThetaDeg) {
        lambda = pxrd::radiation_from_string("CuKa12").lambda1_angstrom;
        std::cerr << "pxrd-diff generate: note: " << pattern_path
                  << " names no radiation; taking CuKa12 (give --wavelength to change it)\n";
      }
      condition = pxrd::models::condition_from_profile(pattern, lambda);
      condition_source = pattern_path;
    }
    if (!condition.has_pattern()) throw pxrd::InputError(pattern_path, 0, "no peaks found in the pattern");
  }
  condition.size_angstrom = args.get_double("--size-angstrom", 0);
  if (lambda <= 0) lambda = 1.54184;  // only used to score samples against a Q-only pattern

  pxrd::CancelToken cancel;
  pxrd::cli::cancel_on_signals(cancel);
  std::mutex mu;
  std::string last_stage;
  pxrd::FunctionProgress progress([&](double f, const std::string& stage) {
    std::lock_guard<std::mutex> lock(mu);
    static int last_percent = -1;
    const int p = static_cast<int>(100 * f);
    if (stage == last_stage && p / 10 == last_percent / 10) return;
    last_stage = stage;
    last_percent = p;
    std::cerr << "[" << p << "%] " << stage << "\n";
  });

  const auto t0 = std::chrono::steady_clock::now();
  auto model = pxrd::models::Model::load(weights, args.get("--device", "auto"));
  model->set_sampling(steps, 128);
  const int threads = static_cast<int>(args.get_int("--threads", 0));
  model->set_threads(threads);
  model->set_coordinate_anneal(args.get_double("--anneal", pxrd::models::kDefaultCoordinateAnneal));
  model->set_pattern_guidance(args.get_double("--guidance", 1.0));

  // Formula units.
  int z = composition.formula_units();
  const auto reduced = composition.reduced();
  std::vector<pxrd::models::FormulaUnitsScore> z_scores;
  std::string z_source = "formula";
  if (args.has("--z")) {
    z = static_cast<int>(args.get_int("--z", 1));
    if (z < 1) throw pxrd::InputError("--z", 0, "Z must be at least 1");
    z_source = "--z";
  } else if (z == 1 && condition.has_pattern()) {
    z_scores = pxrd::models::rank_formula_units(*model, reduced, condition, lambda, max_atoms, 8, seed, cancel, progress);
    z = z_scores.front().z;
    z_source = "enumerated (best peak match of 8 samples per Z)";
  }
  pxrd::models::SampleRequest request;
  // z multiplies the reduced formula (it equals the given formula's own Z unless --z or the enumeration chose).
  request.atomic_numbers = pxrd::models::cell_content(reduced, z);
  request.condition = condition;
  request.count = pool;
  request.seed = seed;
  const auto samples = model->sample({request}, cancel, progress)[0];
  // The mode first: on the development split it is right about 55 % of the time against 40 % for the first sample
  // (docs/benchmarks.md, Model). Matching is loose (stol 0.5, ltol 0.3, 10°), the tolerance it was chosen with.
  // Loose matching is slow (about 300 comparisons/s per core for 14 atoms): up to 100 samples every one counts
  // as a supporter, beyond that the first 20000 / n (at least 20), so that -n 10000 takes minutes, not hours.
  // A Ctrl-C here keeps the samples: they are written in sampling order, then the command exits as cancelled.
  std::vector<int> support(samples.size(), 0);
  const std::size_t supporters = samples.size() <= 100 ? samples.size() : std::max<std::size_t>(20, 20000 / samples.size());
  // How many samples a sample's support was counted among: a supporter among the other supporters, a later one
  // among all of them.
  const auto support_among = [&](std::size_t i) { return i < supporters ? supporters - 1 : supporters; };
  const pxrd::MatchTolerances loose{0.3, 0.5, 10};
  std::string order_used = order;
  bool distinct_cancelled = false;
  if (order == "support") {
    progress.report(1.0, "ranking by support");
    try {
      support = pxrd::match_support(samples, loose, supporters, &cancel, threads);
    } catch (const pxrd::Cancelled&) {
      order_used = "sampled (ranking cancelled)";
    }
  }
  std::vector<double> peak_match(samples.size(), 0.0), agreement(samples.size(), 0.0);
  if (condition.has_pattern())
    for (std::size_t i = 0; i < samples.size(); ++i) {
      peak_match[i] = pxrd::models::peak_match_score(condition, samples[i], lambda);
      agreement[i] = pxrd::models::broadened_peak_agreement(condition, samples[i], lambda);
    }
  // The key of eval's consensus rows (`consensus_key`): support (scaled to 19 others) + 30 × the 2°-broadened agreement with the peak
  // list + 4 × log2 of the sample's symmetry operations at 0.5 Å (development split, 252 structures: 59.9 % @1,
  // 37.3 % at the strict tolerance; without the symmetry 58.7 % and 30.2 %; docs/benchmarks.md, Model).
  std::vector<double> symmetry_log2(samples.size(), 0.0);
  std::vector<std::size_t> rank(samples.size());
  for (std::size_t i = 0; i < rank.size(); ++i) rank[i] = i;
  if (order_used == "support") {
    pxrd::parallel_for(samples.size(), threads,
                       [&](std::size_t i) { symmetry_log2[i] = pxrd::models::symmetry_order_log2(samples[i]); });
    auto key = [&](std::size_t i) {
      return pxrd::models::consensus_key(support[i], support_among(i), agreement[i], symmetry_log2[i]);
    };
    std::stable_sort(rank.begin(), rank.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
    // Repeats after one of each structure: the first candidates a user opens are different structures. Among the
    // first 100 of the ranking only (at most 4950 comparisons; the rest keep their order).
    try {
      const std::size_t head = std::min<std::size_t>(rank.size(), 100);
      const std::vector<std::size_t> distinct = pxrd::distinct_first(
          samples, std::vector<std::size_t>(rank.begin(), rank.begin() + head), loose, &cancel);
      std::copy(distinct.begin(), distinct.end(), rank.begin());
    } catch (const pxrd::Cancelled&) {
      distinct_cancelled = true;  // the key order stands; the command exits as cancelled below
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::filesystem::create_directories(out_dir);
  std::ostringstream js;
  js << std::setprecision(8);
  js << "{\n  \"model\": " << pxrd::json_quote(model->id()) << ",\n  \"weights\": " << pxrd::json_quote(weights)
     << ",\n  \"device\": " << pxrd::json_quote(model->device()) << ",\n  \"formula\": "
     << pxrd::json_quote(args.get("--formula")) << ",\n  \"cell_formula\": "
     << pxrd::json_quote(reduced.scaled(static_cast<double>(request.atomic_numbers.size()) / reduced.total_atoms()).formula())
     << ",\n  \"z\": " << z << ",\n  \"z_source\": " << pxrd::json_quote(z_source) << ",\n  \"z_scores\": [";
  for (std::size_t i = 0; i < z_scores.size(); ++i)
    js << (i ? ", " : "") << "{\"z\": " << z_scores[i].z << ", \"best_peak_match\": " << z_scores[i].best_score
       << ", \"best_agreement\": " << z_scores[i].best_agreement << ", \"mean_agreement\": " << z_scores[i].mean_agreement
       << "}";
  js << "],\n  \"condition\": " << pxrd::json_quote(condition_source) << ",\n  \"peaks\": " << condition.peaks.size()
     << ",\n  \"wavelength_angstrom\": " << lambda << ",\n  \"steps\": " << steps << ",\n  \"seed\": " << seed
     << ",\n  \"seconds\": " << seconds << ",\n  \"order\": " << pxrd::json_quote(order_used) << ",\n  \"pool\": " << pool
     << ",\n  \"candidates\": [\n";
  const std::size_t listed = std::min(samples.size(), static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < listed; ++i) {
    char name[48];
    std::snprintf(name, sizeof name, "candidate_%02zu.cif", i + 1);
    const std::size_t s = rank[i];
    auto c = samples[s];
    c.name = name;
    pxrd::CifProvenance prov;
    prov.comment_lines = {"raw sample of " + model->id() + " (no refinement)", "condition: " + condition_source,
                          "seed " + std::to_string(seed) + ", sample " + std::to_string(s + 1) +
                              (order_used == "support" ? ", support " + std::to_string(support[s]) : std::string())};
    pxrd::write_cif(out_dir + "/" + name, pxrd::cif_p1_string(c, prov));
    const auto p = c.lattice.parameters();
    js << "    {\"file\": \"" << name << "\", \"a\": " << p.a_angstrom << ", \"b\": " << p.b_angstrom
       << ", \"c\": " << p.c_angstrom << ", \"alpha\": " << p.alpha_deg << ", \"beta\": " << p.beta_deg
       << ", \"gamma\": " << p.gamma_deg << ", \"volume\": " << c.lattice.volume_angstrom3()
       << ", \"sample\": " << s + 1;
    if (order_used == "support")
      js << ", \"support\": " << support[s] << ", \"support_among\": " << support_among(s)
         << ", \"symmetry_log2\": " << symmetry_log2[s];
    // The group the raw sample is close to (0.5 Å, the ranking's tolerance): the structure type it proposes.
    std::string loose_group = "null";  // spglib refuses e.g. atoms closer than the tolerance
    try {
      loose_group = pxrd::json_quote(pxrd::find_space_group(c, pxrd::models::kConsensusSymprecAngstrom).international);
    } catch (const pxrd::Error&) {
    }
    js << ", \"loose_space_group\": " << loose_group;
    if (condition.has_pattern()) js << ", \"peak_match\": " << peak_match[s] << ", \"agreement\": " << agreement[s];
    js << "}" << (i + 1 < listed ? "," : "") << "\n";
  }
  js << "  ]\n}\n";
  pxrd::write_file_atomically(out_dir + "/summary.json", js.str());
  std::cout << listed << (samples.size() > listed ? " of " + std::to_string(samples.size()) : std::string()) << " samples of "
            << request.atomic_numbers.size() << " atoms (Z = " << z << ") in " << seconds << " s written to " << out_dir << "\n";
  pxrd::cli::release_cancel_on_signals();
  if (order_used != order) {
    std::cerr << "pxrd-diff generate: cancelled while ranking; the samples are written in sampling order\n";
    return 130;
  }
  if (distinct_cancelled) {
    std::cerr << "pxrd-diff generate: cancelled while ranking; the samples are written by their key, repeats not moved\n";
    return 130;
  }
  return 0;
}
}  // namespace

PXRD_COMMAND("generate", "sample candidate structures from the flow model for a pattern and formula", run_generate);
