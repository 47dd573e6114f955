// The bridge from the worker to the core solve pipeline (pxrd/solve.hpp), classical (generator = nullptr): the UI
// links no torch. Kept in one file so that the rest of the UI does not depend on the solver's types.
#include "pxrd/error.hpp"
#include "solve_worker.hpp"
#if __has_include("pxrd/solve.hpp")
#include "pxrd/solve.hpp"
#define PXRD_UI_HAVE_SOLVE 1
#endif

namespace pxrd::ui {

#ifdef PXRD_UI_HAVE_SOLVE
bool solver_available() { return true; }

SolveFunction default_solve_function() {
  return [](const SolveRequest& request, const CancelToken& cancel, ProgressSink& progress,
            const std::function<void(const Crystal&, const std::string&)>& emit_candidate) {
    SolveOptions options;
    options.formula = request.formula;
    options.radiation = request.radiation;
    options.k = request.candidates;
    options.time_budget_s = request.time_budget_s;
    options.seed = request.seed;
    options.size_angstrom = request.size_angstrom;
    // solve() returns its candidates at the end (or at a cancel, the ones found so far); they are handed on
    // one by one, best first.
    const SolveResult result = solve(request.processed, options, nullptr, cancel, progress);
    for (const SolvedCandidate& c : result.candidates) emit_candidate(c.crystal, "classical (" + c.origin + ")");
  };
}
#else
bool solver_available() { return false; }

SolveFunction default_solve_function() {
  return [](const SolveRequest&, const CancelToken&, ProgressSink&,
            const std::function<void(const Crystal&, const std::string&)>&) {
    throw Error("the solve pipeline is not part of this build");
  };
}
#endif

}  // namespace pxrd::ui
