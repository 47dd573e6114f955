// The bridge from the worker to the core solve pipeline (solve.hpp). Kept in one file so that the rest of the
// UI compiles whatever the solver's state is.
#include "pxrd/error.hpp"
#include "solve_worker.hpp"

namespace pxrd::ui {

bool solver_available() { return false; }

SolveFunction default_solve_function() {
  return [](const SolveRequest&, const CancelToken&, ProgressSink&,
            const std::function<void(const Crystal&, const std::string&)>&) {
    throw Error("the solve pipeline is not part of this build");
  };
}

}  // namespace pxrd::ui
