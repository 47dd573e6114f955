// `pxrd-diff batch MANIFEST.csv -o DIR`: solves every pattern of a manifest into DIR/<name>/, with a status per
// item in DIR/batch_summary.csv; a rerun resumes (items already solved are skipped).
#include <cmath>
#include <iostream>

#include "cmd_models_solve.hpp"
#include "pxrd/batch.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"

namespace pxrd::cli {

namespace {

void print_batch_help() {
  std::cout << "usage: pxrd-diff batch MANIFEST.csv -o DIR [solve options]\n"
               "  MANIFEST.csv           header row naming: pattern, formula [, wavelength] [, size]\n"
               "                         (paths relative to the manifest's folder)\n"
               "  -o, --out DIR          one folder per item plus DIR/batch_summary.csv\n"
               "  --restart              solve every item again (default: resume, skipping solved items)\n"
               "  -k, --time-budget, --seed, --model, --no-model, --no-refine, --max-atoms, --cell-content,\n"
               "  --quiet: as for solve\n"
               "Exit codes: 0 every item solved; 1 some failed or fit poorly (see the summary); 2 bad manifest;\n"
               "130 cancelled (the summary says which items ran).\n";
}

int run_batch_command(const std::vector<std::string>& argv) {
  Args args(argv, {"--no-model", "--no-refine", "--cell-content", "--restart", "--quiet", "--help"});
  if (args.has("--help")) {
    print_batch_help();
    return 0;
  }
  args.check_known({"-o", "--out", "-k", "--time-budget", "--seed", "--model", "--no-model", "--no-refine",
                    "--max-atoms", "--cell-content", "--restart", "--quiet", "--help"});
  const std::vector<std::string> files = positionals_of(
      args, {"-o", "--out", "-k", "--time-budget", "--seed", "--model", "--max-atoms"});
  if (files.size() != 1) throw InputError("batch", 0, "give exactly one manifest (see --help)");
  const std::string out = args.has("-o") ? args.get("-o") : args.get("--out");
  const std::vector<BatchItem> items = read_batch_manifest(files[0]);
  SolveOptions base;
  solve_options_from_args(args, base);
  std::unique_ptr<CandidateGenerator> generator = generator_from_args(args);
  CancelToken cancel;
  cancel_on_signals(cancel);
  NullProgress quiet;
  ProgressSink& item_progress = args.has("--quiet") ? static_cast<ProgressSink&>(quiet) : stderr_progress("  ");
  BatchSolveFn solve_one = [&](const BatchItem& item, const std::string& dir, const CancelToken& c) {
    SolveOptions o = base;
    o.formula = item.formula;
    if (!item.wavelength.empty()) o.radiation = radiation_from_string(item.wavelength);
    if (item.size_angstrom > 0) o.size_angstrom = item.size_angstrom;
    const Pattern pattern = formats::read_pattern(item.pattern);
    const SolveResult r = solve(pattern, o, generator.get(), c, item_progress);
    write_solve_outputs(r, o, item.pattern, dir);
    BatchRecord rec;
    rec.candidates = static_cast<int>(r.candidates.size());
    if (!r.candidates.empty()) {
      rec.rwp = r.candidates.front().rwp;
      rec.space_group = r.candidates.front().space_group_symbol;
    }
    const bool poor = r.candidates.empty() ||
                      rec.rwp > std::max(3.0 * r.best_lebail_rwp, r.best_lebail_rwp + 0.25);
    rec.status = r.cancelled ? "cancelled" : (poor ? "poor-fit" : "ok");
    for (const std::string& n : r.notes) rec.message += (rec.message.empty() ? "" : "; ") + n;
    return rec;
  };
  BatchOptions bo;
  bo.resume = !args.has("--restart");
  class Lines final : public ProgressSink {
   public:
    void report(double, const std::string& stage) override { std::cerr << "batch: " << stage << "\n"; }
  } lines;
  ProgressSink& batch_progress = args.has("--quiet") ? static_cast<ProgressSink&>(quiet) : lines;
  const std::vector<BatchRecord> records = run_batch(items, out, solve_one, cancel, batch_progress, bo);
  int ok = 0, bad = 0;
  bool cancelled = false;
  for (const BatchRecord& r : records) {
    std::cout << r.name << "\t" << r.status << "\t" << (std::isfinite(r.rwp) ? std::to_string(r.rwp) : "-") << "\t"
              << r.space_group << "\t" << r.message << "\n";
    if (r.status == "ok") ++ok;
    else if (r.status == "cancelled" || r.status == "pending") cancelled = true;
    else ++bad;
  }
  std::cout << ok << " solved, " << bad << " failed or poor, summary in " << batch_summary_path(out) << "\n";
  if (cancelled) return 130;
  return bad > 0 ? 1 : 0;
}

}  // namespace

}  // namespace pxrd::cli

PXRD_COMMAND("batch", "solve every pattern of a CSV manifest (resumable, status per item)",
             pxrd::cli::run_batch_command);
