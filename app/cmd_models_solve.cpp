// `pxrd-diff solve PATTERN --formula F -o DIR`: ranked candidate structures for a powder pattern.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "cmd_models_solve.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/models/diffusion.hpp"

namespace pxrd::cli {

namespace {

class StderrProgress final : public ProgressSink {
 public:
  explicit StderrProgress(std::string prefix) : prefix_(std::move(prefix)) {}
  void report(double fraction, const std::string& stage) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stage == last_) return;
    last_ = stage;
    std::cerr << prefix_ << "[" << static_cast<int>(100 * fraction) << "%] " << stage << "\n";
  }
  void set_prefix(std::string p) { prefix_ = std::move(p); }

 private:
  std::mutex mutex_;
  std::string prefix_, last_;
};

void print_solve_help() {
  std::cout << "usage: pxrd-diff solve PATTERN --formula F -o DIR [options]\n"
               "  --formula F            chemical formula, reduced or full (MnO, Mn4O4)\n"
               "  -o, --out DIR          output folder: candidate_NN.cif, fit_NN.xye, summary.json\n"
               "  --wavelength W         radiation: CuKa12, CuKa1, MoKa12, ... or λ in Å (default: the file's;\n"
               "                         a 2θ file without one is taken as CuKa12, and said so)\n"
               "  -k N                   candidates written (10)\n"
               "  --time-budget SEC      wall-time budget (60; at least 5)\n"
               "  --seed N               random seed (1)\n"
               "  --size-angstrom T      crystallite size if known: passed to the model, and the fits then use\n"
               "                         sinc²(ΔQ T/2) peaks (the finite-size model of PXRDNet), T refined\n"
               "  --range MIN MAX        usable 2θ range in degrees (default: the data's, from 5°)\n"
               "  --model PATH           model weights (default $PXRD_DIFF_MODEL, the installed\n"
               "                         model, or models/weights/mp20_flow.pt)\n"
               "  --no-model             classical only: indexing, Le Bail, direct-space search\n"
               "  --no-refine            skip the Rietveld refinement\n"
               "  --max-atoms N          largest cell content tried (48)\n"
               "  --cell-content         the formula is one cell's content (Tb2Ga2I2, as a CIF gives it): the\n"
               "                         primitive cell then holds 1 or 2 TbGaI; without it any Z is tried\n"
               "  --force                write into DIR even if it holds an earlier summary.json\n"
               "  --quiet                no progress on stderr\n"
               "Ctrl-C stops the search and writes the candidates found so far (exit 130).\n"
               "Exit codes: 0 solved; 1 no acceptable fit (files still written); 2 bad input; 130 cancelled.\n";
}

// A result whose best R_wp is far above the Le Bail R_wp (the cell fits, the structure does not): most
// often a wrong formula.
bool poor_fit(const SolveResult& r) {
  if (r.candidates.empty()) return true;
  const double best = r.candidates.front().rwp;
  return best > std::max(3.0 * r.best_lebail_rwp, r.best_lebail_rwp + 0.25);
}

int run_solve(const std::vector<std::string>& argv) {
  Args args(argv, {"--no-model", "--no-refine", "--cell-content", "--force", "--quiet", "--help"});
  if (args.has("--help")) {
    print_solve_help();
    return 0;
  }
  args.check_known({"--formula", "-o", "--out", "--wavelength", "-k", "--time-budget", "--seed", "--size-angstrom",
                    "--range", "--model", "--no-model", "--no-refine", "--max-atoms", "--cell-content", "--force",
                    "--quiet", "--help"});
  const std::vector<std::string> files =
      positionals_of(args, {"--formula", "-o", "--out", "--wavelength", "-k", "--time-budget", "--seed",
                            "--size-angstrom", "--model", "--max-atoms"});
  if (files.size() != 1) throw InputError("solve", 0, "give exactly one pattern file (see --help)");
  const std::string input = files[0];
  const std::string out = args.has("-o") ? args.get("-o") : args.get("--out");
  SolveOptions options;
  options.formula = args.get("--formula");
  solve_options_from_args(args, options);
  if (!args.has("--force") && std::filesystem::exists(out + "/summary.json"))
    throw InputError(out, 0, "already holds the results of a run (summary.json); give --force to overwrite");
  CancelToken cancel;
  cancel_on_signals(cancel);
  const Pattern pattern = formats::read_pattern(input);
  std::unique_ptr<CandidateGenerator> generator = generator_from_args(args);
  ProgressSink& loud = stderr_progress("solve ");
  NullProgress quiet;
  ProgressSink& progress = args.has("--quiet") ? static_cast<ProgressSink&>(quiet) : loud;
  const SolveResult result = solve(pattern, options, generator.get(), cancel, progress);
  for (const std::string& n : result.notes) std::cerr << "pxrd-diff solve: note: " << n << "\n";
  write_solve_outputs(result, options, input, out);
  std::cout << solve_table(result);
  std::cout << "wall time " << result.wall_time_s << " s; files in " << out << "\n";
  if (result.cancelled) return 130;
  if (poor_fit(result)) {
    std::cerr << "pxrd-diff solve: no acceptable structure: the best R_wp "
              << (result.candidates.empty() ? 1.0 : result.candidates.front().rwp) << " is far above the Le Bail R_wp "
              << result.best_lebail_rwp << " of the cell; is the formula right? (candidates written anyway)\n";
    return 1;
  }
  return 0;
}

}  // namespace

std::unique_ptr<CandidateGenerator> generator_from_args(const Args& args) {
  if (args.has("--no-model")) return nullptr;
  std::string path = args.get("--model", "");
  if (path.empty()) {
    path = default_model_weights_path();
    if (!std::filesystem::exists(path)) path.clear();
  }
  if (path.empty()) {
    std::cerr << "pxrd-diff: note: no model weights found (--model, $PXRD_DIFF_MODEL); classical solver only\n";
    return nullptr;
  }
  try {
    return models::load_generator(path, "auto");
  } catch (const Error& e) {
    if (args.has("--model")) throw InputError(path, 0, e.what());
    std::cerr << "pxrd-diff: note: the model could not be loaded (" << e.what() << "); classical solver only\n";
    return nullptr;
  }
}

void solve_options_from_args(const Args& args, SolveOptions& o) {
  if (args.has("--wavelength")) o.radiation = radiation_from_string(args.get("--wavelength"));
  o.k = static_cast<int>(args.get_int("-k", 10));
  if (o.k < 1 || o.k > 99) throw InputError("-k", 0, "must be between 1 and 99");
  o.time_budget_s = args.get_double("--time-budget", 60);
  o.seed = static_cast<unsigned long long>(args.get_int("--seed", 1));
  o.size_angstrom = args.get_double("--size-angstrom", 0);
  o.refine = !args.has("--no-refine");
  o.use_generator = !args.has("--no-model");
  o.max_atoms = static_cast<int>(args.get_int("--max-atoms", 48));
  o.formula_is_cell_content = args.has("--cell-content");
  if (args.has("--range")) {
    const auto r = args.get_list("--range");
    if (r.size() != 2) throw InputError("--range", 0, "give MIN MAX in degrees 2θ");
    o.two_theta_min_deg = parse_double(r[0], "--range");
    o.two_theta_max_deg = parse_double(r[1], "--range");
    if (!(o.two_theta_max_deg > o.two_theta_min_deg)) throw InputError("--range", 0, "MAX must exceed MIN");
  }
}

std::vector<std::string> positionals_of(const Args& args, const std::vector<std::string>& single_value_options) {
  std::vector<std::string> out = args.positionals();
  for (const std::string& o : single_value_options) {
    const std::vector<std::string> values = args.get_list(o);
    for (std::size_t i = 1; i < values.size(); ++i) out.push_back(values[i]);
  }
  return out;
}

ProgressSink& stderr_progress(const std::string& prefix) {
  static StderrProgress sink(prefix);
  sink.set_prefix(prefix);
  return sink;
}

}  // namespace pxrd::cli

PXRD_COMMAND("solve", "solve a structure: ranked candidate CIFs, fits and summary.json", pxrd::cli::run_solve);
