// `pxrd-diff eval-solve --data DIR`: the whole solver on simulated MP-20 test patterns in four conditions
// (ideal; nano 100 Å and 10 Å sinc²; lab-like: Kα1+Kα2, Poisson counts, background with an amorphous hump,
// zero shift), lattice NOT given, k candidates. Reports match@1/5/10 at two tolerances, RMSE, PXRDNet R_wp²
// best-of-k, time per pattern, breakdowns by crystal system and atoms per cell, and ablations.
#include <filesystem>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "cmd_models_solve.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/json_text.hpp"
#include "pxrd/models/dataset.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"

namespace pxrd::cli {

namespace {

void print_evalsolve_help() {
  std::cout << "usage: pxrd-diff eval-solve --data DIR [options]\n"
               "  --data DIR             MP-20 folder holding test.csv.xz (and val.csv.xz for --split monitor)\n"
               "  --count N              structures, evenly spaced through the split's file (10)\n"
               "  --split test|monitor   test.csv.xz (the default, for reporting), or the 252 val crystals the\n"
               "                         model's training held out (every 36th): a development set for tuning\n"
               "  --conditions LIST      comma list of ideal,nano100,nano10,lab (all), or nano20: a 20 Å crystallite,\n"
               "                         which is PXRDNet's \"10 Å\" (their code broadens by sinc²(τQ), not sinc²(Qτ/2))\n"
               "  --ablations            also: no model, no refinement, wrong pattern (ideal condition)\n"
               "  --min-atoms N          of the picked structures, keep those with at least N atoms in the cell\n"
               "                         (a subset of the same --count run, to study large cells)\n"
               "  --ids LIST             of the picked structures, keep those with these material ids (comma list;\n"
               "                         an id not among them is an error), to re-run a chosen few\n"
               "  -k N (10) --time-budget SEC (20) --seed N (1) --model PATH --no-model --max-atoms N\n"
               "  --cell-content         give the solver the cell's atom count (as CSP papers do); default: only\n"
               "                         the formula, with Z free\n"
               "  -o FILE                JSON report (per item and aggregates), written atomically\n"
               "  --save-patterns DIR    also write every simulated pattern there (.xy with its radiation)\n";
}

// The crystallite size of a nanocrystalline condition (0: none).
double condition_size_angstrom(const std::string& condition) {
  if (condition == "nano100") return 100;
  if (condition == "nano20") return 20;
  if (condition == "nano10") return 10;
  return 0;
}

// The simulated "observed" pattern of a condition.
Pattern condition_pattern(const Crystal& truth, const std::string& condition, std::mt19937_64& rng) {
  if (condition != "lab") {
    Pattern p = ideal_cu_ka_pattern(truth, condition_size_angstrom(condition));
    p.source = "simulated (" + condition + ")";
    return p;
  }
  ProfileOptions prof;
  prof.shape = ProfileShape::PseudoVoigt;
  prof.fwhm_deg = 0.08;
  GridOptions grid;
  grid.x_min = 5;
  grid.x_max = 100;
  grid.x_step = 0.02;
  Pattern p = simulate_pattern(truth, radiation_from_string("CuKa12"), prof, grid);
  // Lab: Kα1+Kα2, a zero shift of +0.06°, a decaying background with an amorphous hump near 25°, Poisson counts
  // (peak ~5000).
  for (double& x : p.x) x += 0.06;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double tt = p.x[i];
    const double bg = 60 + 400 * std::exp(-tt / 15) + 120 * std::exp(-0.5 * std::pow((tt - 25) / 5, 2));
    std::poisson_distribution<long> poisson(50 * p.y[i] + bg);
    p.y[i] = static_cast<double>(poisson(rng));
  }
  p.source = "simulated (" + condition + ")";
  return p;
}

struct ItemResult {
  std::string material_id, condition, variant, crystal_system, error;
  int atoms = 0;
  bool match_loose[3] = {false, false, false};  // @1, @5, @10 (stol 0.5, ltol 0.3, angle 10)
  bool match_strict[3] = {false, false, false}; // pymatgen defaults (0.3, 0.2, 5)
  double rmse = std::nan("");                    // of the best-ranked loose match
  double rwp2_best = std::nan("");               // PXRDNet R_wp², best of k
  double time_s = 0;
  int candidates = 0;
  int primitive_atoms = 0;              // of the truth's primitive cell, to compare with candidate_atoms
  std::vector<int> candidate_atoms;     // per ranked candidate, for diagnosis (wrong Z, wrong cell)
  std::vector<double> candidate_rwp2;   // PXRDNet R_wp² of each ranked candidate against the truth
  // Per ranked candidate, to study the ranking: R_wp against the pattern, closest-contact ratio, space group,
  // whether it matches the truth (stol 0.5) and where it came from.
  std::vector<double> candidate_rwp, candidate_contact;
  std::vector<int> candidate_space_group;
  std::vector<bool> candidate_matched;
  std::vector<std::string> candidate_origin;
};

std::string size_bin(int atoms) {
  if (atoms <= 4) return "1-4";
  if (atoms <= 8) return "5-8";
  if (atoms <= 12) return "9-12";
  return "13-20";
}

ItemResult evaluate_one(const Crystal& truth, const Pattern& pattern, const SolveOptions& options,
                        CandidateGenerator* generator, const CancelToken& cancel) {
  ItemResult r;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    NullProgress quiet;
    const SolveResult s = solve(pattern, options, generator, cancel, quiet);
    r.candidates = static_cast<int>(s.candidates.size());
    const MatchPrepared truth_prep = prepare_for_matching(truth);
    r.primitive_atoms = static_cast<int>(truth_prep.frac.size());
    const int cut[3] = {1, 5, 10};
    for (std::size_t i = 0; i < s.candidates.size(); ++i) {
      const MatchPrepared cand = prepare_for_matching(s.candidates[i].crystal);
      const MatchResult loose = match_structures(cand, truth_prep, MatchTolerances{0.3, 0.5, 10});
      const MatchResult strict = match_structures(cand, truth_prep, MatchTolerances{0.2, 0.3, 5});
      for (int c = 0; c < 3; ++c) {
        if (static_cast<int>(i) < cut[c]) {
          r.match_loose[c] = r.match_loose[c] || loose.matched;
          r.match_strict[c] = r.match_strict[c] || strict.matched;
        }
      }
      if (loose.matched && std::isnan(r.rmse)) r.rmse = loose.rms;
      const double rwp2 = pxrdnet_rwp2(truth, s.candidates[i].crystal);
      r.candidate_atoms.push_back(static_cast<int>(s.candidates[i].crystal.size()));
      r.candidate_rwp2.push_back(rwp2);
      r.candidate_rwp.push_back(s.candidates[i].rwp);
      r.candidate_contact.push_back(s.candidates[i].closest_contact_ratio);
      r.candidate_space_group.push_back(s.candidates[i].space_group_number);
      r.candidate_matched.push_back(loose.matched);
      r.candidate_origin.push_back(s.candidates[i].origin);
      if (std::isnan(r.rwp2_best) || rwp2 < r.rwp2_best) r.rwp2_best = rwp2;
    }
  } catch (const Cancelled&) {
    throw;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  r.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

struct Aggregate {
  int n = 0, loose[3] = {0, 0, 0}, strict[3] = {0, 0, 0}, failed = 0, rmse_n = 0;
  double rmse_sum = 0, rwp2_sum = 0;
  int rwp2_n = 0;
  std::vector<double> times;
  void add(const ItemResult& r) {
    ++n;
    for (int c = 0; c < 3; ++c) {
      loose[c] += r.match_loose[c];
      strict[c] += r.match_strict[c];
    }
    if (!std::isnan(r.rmse)) {
      rmse_sum += r.rmse;
      ++rmse_n;
    }
    // Without any candidate the metric is counted as 1 (the worst), so failures are not hidden.
    rwp2_sum += std::isnan(r.rwp2_best) ? 1.0 : std::min(r.rwp2_best, 1.0);
    ++rwp2_n;
    if (!r.error.empty() || r.candidates == 0) ++failed;
    times.push_back(r.time_s);
  }
  double median_time() const {
    if (times.empty()) return 0;
    std::vector<double> t = times;
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  }
};

std::string pct(int k, int n) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(0);
  o << (n ? 100.0 * k / n : 0.0) << " %";
  return o.str();
}

std::string num(double v, int digits) {
  if (!std::isfinite(v)) return "–";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

std::string table_row(const std::string& label, const Aggregate& a) {
  return "| " + label + " | " + std::to_string(a.n) + " | " + pct(a.loose[0], a.n) + " / " + pct(a.loose[1], a.n) +
         " / " + pct(a.loose[2], a.n) + " | " + pct(a.strict[0], a.n) + " / " + pct(a.strict[1], a.n) + " / " +
         pct(a.strict[2], a.n) + " | " + num(a.rmse_n ? a.rmse_sum / a.rmse_n : NAN, 3) + " | " +
         num(a.rwp2_n ? a.rwp2_sum / a.rwp2_n : NAN, 3) + " | " + num(a.median_time(), 1) + " | " +
         std::to_string(a.failed) + " |\n";
}

int run_evalsolve(const std::vector<std::string>& argv) {
  Args args(argv, {"--no-model", "--ablations", "--cell-content", "--help"});
  if (args.has("--help")) {
    print_evalsolve_help();
    return 0;
  }
  args.check_known({"--data", "--count", "--split", "--conditions", "--ablations", "-k", "--time-budget", "--seed", "--model",
                    "--no-model", "--max-atoms", "--min-atoms", "--ids", "--cell-content", "-o", "--save-patterns", "--help"});
  const std::string save_dir = args.get("--save-patterns", "");
  if (!save_dir.empty()) std::filesystem::create_directories(save_dir);
  const std::string data_dir = args.get("--data");
  const int count = static_cast<int>(args.get_int("--count", 10));
  if (count < 1) throw InputError("--count", 0, "must be at least 1");
  std::vector<std::string> conditions;
  {
    std::stringstream ss(args.get("--conditions", "ideal,nano100,nano10,lab"));
    std::string c;
    while (std::getline(ss, c, ','))
      if (!c.empty()) {
        if (c != "ideal" && c != "lab" && condition_size_angstrom(c) == 0)
          throw InputError("--conditions", 0, "unknown condition '" + c + "' (ideal, nano100, nano20, nano10, lab)");
        conditions.push_back(c);
      }
  }
  SolveOptions base;
  base.k = static_cast<int>(args.get_int("-k", 10));
  base.time_budget_s = args.get_double("--time-budget", 20);
  base.seed = static_cast<unsigned long long>(args.get_int("--seed", 1));
  base.max_atoms = static_cast<int>(args.get_int("--max-atoms", 48));
  base.formula_is_cell_content = args.has("--cell-content");
  std::unique_ptr<CandidateGenerator> generator = generator_from_args(args);
  CancelToken cancel;
  cancel_on_signals(cancel);

  // Evenly spaced structures (file order), so that the sample is not just the first rows.
  const std::string split = args.get("--split", "test");
  const std::vector<models::DatasetEntry> all = models::load_evaluation_split(data_dir, split, 0);
  std::vector<const models::DatasetEntry*> picked;
  const double stride = double(all.size()) / count;
  const long long min_atoms = args.get_int("--min-atoms", 0);
  for (int i = 0; i < count && i < static_cast<int>(all.size()); ++i) {
    const models::DatasetEntry& e = all[static_cast<std::size_t>(i * stride)];
    if (static_cast<long long>(e.crystal.size()) >= min_atoms) picked.push_back(&e);
  }
  if (picked.empty()) throw InputError("--min-atoms", 0, "no picked structure has " + std::to_string(min_atoms) + " or more atoms");
  if (args.has("--ids")) {
    std::set<std::string> wanted;
    std::stringstream ss(args.get("--ids"));
    for (std::string id; std::getline(ss, id, ',');)
      if (!id.empty()) wanted.insert(id);
    std::vector<const models::DatasetEntry*> kept;
    for (const models::DatasetEntry* e : picked)
      if (wanted.erase(e->material_id)) kept.push_back(e);
    if (!wanted.empty())
      throw InputError("--ids", 0, "'" + *wanted.begin() + "' is not among the " + std::to_string(picked.size()) +
                                       " structures picked by --count and --min-atoms");
    picked = std::move(kept);
  }

  std::mt19937_64 rng(base.seed);
  std::vector<ItemResult> results;
  auto run_variant = [&](const std::string& condition, const std::string& variant, std::size_t index) {
    const Crystal& truth = picked[index]->crystal;
    // "wrong": the pattern of the next picked structure with this structure's formula (a control: matches
    // should vanish if the solver uses the pattern).
    const Crystal& source = variant == "wrong-pattern" ? picked[(index + 1) % picked.size()]->crystal : truth;
    const Pattern pattern = condition_pattern(source, condition, rng);
    if (!save_dir.empty())
      write_xy(pattern, save_dir + "/" + picked[index]->material_id + "_" + condition + "_" + variant + ".xy");
    SolveOptions o = base;
    o.formula = Composition::of(truth).formula();
    o.size_angstrom = condition_size_angstrom(condition);
    if (variant == "no-refinement") o.refine = false;
    if (variant == "no-model") o.use_generator = false;
    ItemResult r = evaluate_one(truth, pattern, o, generator.get(), cancel);
    r.material_id = picked[index]->material_id;
    r.condition = condition;
    r.variant = variant;
    r.atoms = static_cast<int>(truth.size());
    try {
      r.crystal_system = crystal_system_of(find_space_group(truth, 0.1).number);
    } catch (const Error&) {
      r.crystal_system = "unknown";
    }
    std::cerr << "eval-solve: " << condition << " " << variant << " " << r.material_id << " (" << o.formula
              << "): match@10 " << (r.match_loose[2] ? "yes" : "no") << ", best R_wp² " << num(r.rwp2_best, 3)
              << ", " << num(r.time_s, 1) << " s" << (r.error.empty() ? "" : " — " + r.error) << "\n";
    results.push_back(r);
  };
  for (const std::string& condition : conditions)
    for (std::size_t i = 0; i < picked.size(); ++i) run_variant(condition, "full", i);
  if (args.has("--ablations")) {
    for (std::size_t i = 0; i < picked.size(); ++i) {
      if (generator) run_variant("ideal", "no-model", i);
      run_variant("ideal", "no-refinement", i);
      run_variant("ideal", "wrong-pattern", i);
    }
  }

  // Report: per condition/variant, then breakdowns of the full runs.
  std::map<std::string, Aggregate> by_run, by_system, by_size;
  for (const ItemResult& r : results) {
    by_run[r.condition + " / " + r.variant].add(r);
    if (r.variant == "full") {
      by_system[r.crystal_system].add(r);
      by_size[size_bin(r.atoms)].add(r);
    }
  }
  std::ostringstream md;
  const std::string header =
      "| run | N | match@1/5/10 (stol 0.5) | match@1/5/10 (stol 0.3) | RMSE | R_wp² best-of-k | median s | failed |\n"
      "|---|---|---|---|---|---|---|---|\n";
  md << "model: " << (generator ? generator->name() : std::string("none (classical)")) << "; k = " << base.k
     << ", time budget " << base.time_budget_s << " s, lattice not given, "
     << (base.formula_is_cell_content ? "atom count given" : "Z free") << ", seed " << base.seed << "\n\n" << header;
  for (const auto& [k, a] : by_run) md << table_row(k, a);
  md << "\nBy crystal system (full runs, all conditions):\n\n" << header;
  for (const auto& [k, a] : by_system) md << table_row(k, a);
  md << "\nBy atoms per cell (full runs, all conditions):\n\n" << header;
  for (const auto& [k, a] : by_size) md << table_row(k, a);
  std::cout << md.str();
  if (args.has("-o")) {
    std::ostringstream j;
    j << "{\"model\": \"" << (generator ? generator->name() : std::string("none")) << "\", \"k\": " << base.k
      << ", \"split\": \"" << split << "\", \"time_budget_s\": " << base.time_budget_s
      << ", \"formula_is_cell_content\": " << (base.formula_is_cell_content ? "true" : "false") << ", \"items\": [\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const ItemResult& r = results[i];
      j << (i ? ",\n" : "") << "  {\"material_id\": \"" << r.material_id << "\", \"condition\": \"" << r.condition
        << "\", \"variant\": \"" << r.variant << "\", \"crystal_system\": \"" << r.crystal_system
        << "\", \"atoms\": " << r.atoms << ", \"match_stol05\": [" << r.match_loose[0] << ", " << r.match_loose[1]
        << ", " << r.match_loose[2] << "], \"match_stol03\": [" << r.match_strict[0] << ", " << r.match_strict[1]
        << ", " << r.match_strict[2] << "], \"rmse\": " << (std::isnan(r.rmse) ? "null" : num(r.rmse, 4))
        << ", \"rwp2_best\": " << (std::isnan(r.rwp2_best) ? "null" : num(r.rwp2_best, 4))
        << ", \"time_s\": " << num(r.time_s, 2) << ", \"candidates\": " << r.candidates
        << ", \"primitive_atoms\": " << r.primitive_atoms;
      // One JSON list per candidate attribute, in rank order.
      const auto list = [&](const char* key, std::size_t n, const auto& item) {
        j << ", \"" << key << "\": [";
        for (std::size_t c = 0; c < n; ++c) j << (c ? ", " : "") << item(c);
        j << "]";
      };
      const auto finite = [&](double v, int digits) { return std::isfinite(v) ? num(v, digits) : std::string("null"); };
      list("candidate_atoms", r.candidate_atoms.size(),
           [&](std::size_t c) { return std::to_string(r.candidate_atoms[c]); });
      list("candidate_rwp2", r.candidate_rwp2.size(), [&](std::size_t c) { return finite(r.candidate_rwp2[c], 4); });
      list("candidate_rwp", r.candidate_rwp.size(), [&](std::size_t c) { return finite(r.candidate_rwp[c], 5); });
      list("candidate_contact", r.candidate_contact.size(),
           [&](std::size_t c) { return finite(r.candidate_contact[c], 3); });
      list("candidate_space_group", r.candidate_space_group.size(),
           [&](std::size_t c) { return std::to_string(r.candidate_space_group[c]); });
      list("candidate_matched", r.candidate_matched.size(),
           [&](std::size_t c) { return std::string(r.candidate_matched[c] ? "1" : "0"); });
      list("candidate_origin", r.candidate_origin.size(),
           [&](std::size_t c) { return json_quote(r.candidate_origin[c]); });
      j << "}";
    }
    j << "\n]}\n";
    write_file_atomically(args.get("-o"), j.str());
  }
  return 0;
}

}  // namespace

}  // namespace pxrd::cli

PXRD_COMMAND("eval-solve", "evaluate the whole solver on simulated MP-20 test patterns", pxrd::cli::run_evalsolve);
