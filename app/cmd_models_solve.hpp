#pragma once
// Shared by `pxrd-diff solve` and `pxrd-diff batch` (both in cmd_models_*.cpp, built with the model).
#include <memory>
#include <string>

#include "cli.hpp"
#include "pxrd/candidate_generator.hpp"
#include "pxrd/solve.hpp"

namespace pxrd::cli {

// --model PATH, else default_model_weights_path() (cli.hpp); --no-model: none.
// Returns nullptr (and says why on stderr) when no weights are found or they cannot be loaded.
std::unique_ptr<CandidateGenerator> generator_from_args(const Args& args);
// Fills the solve options common to both commands (--k, --time-budget, --seed, --no-refine, --max-atoms, ...).
void solve_options_from_args(const Args& args, SolveOptions& options);
// Positionals plus the extra values that Args attached to single-value options ("--formula MnO file.xy").
std::vector<std::string> positionals_of(const Args& args, const std::vector<std::string>& single_value_options);
// Progress on stderr: one line per stage.
ProgressSink& stderr_progress(const std::string& prefix);

}  // namespace pxrd::cli
