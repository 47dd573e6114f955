// The bridge from the worker to the core solve pipeline (pxrd/solve.hpp) and, when linked, the generator
// (pxrd/models/diffusion.hpp, a torch-free header: torch stays inside pxrd_models). Kept in one file so that the
// rest of the UI does not depend on the solver's or the model's types. Runs in the worker thread.
#include <filesystem>

#include "pxrd/error.hpp"
#include "solve_worker.hpp"
#if __has_include("pxrd/solve.hpp")
#include "pxrd/solve.hpp"
#define PXRD_UI_HAVE_SOLVE 1
#endif
#if defined(PXRD_HAVE_PXRD_MODELS) && defined(PXRD_UI_HAVE_SOLVE)
#include "pxrd/models/diffusion.hpp"
#define PXRD_UI_HAVE_MODELS 1
#endif

namespace pxrd::ui {

#ifdef PXRD_UI_HAVE_MODELS
bool model_linked() { return true; }
#else
bool model_linked() { return false; }
#endif

#ifdef PXRD_UI_HAVE_SOLVE
namespace {

// The generator for this request, or nullptr (classical only) with a note saying why. Never throws: a missing or
// corrupt weights file must not stop the solve.
std::unique_ptr<CandidateGenerator> load_model(const SolveRequest& request, SolveSink& sink) {
  auto note = [&](const std::string& text) {
    if (sink.note) sink.note(text);
  };
  if (!request.use_model) {
    note("model switched off: classical solver only");
    return nullptr;
  }
#ifdef PXRD_UI_HAVE_MODELS
  const std::string path = request.model_weights.empty() ? default_model_weights_path() : request.model_weights;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    note("no model weights at " + path + ": classical solver only");
    return nullptr;
  }
  try {
    auto generator = models::load_generator(path, request.use_cuda ? "cuda" : "cpu");
    note("model " + generator->name() + " loaded from " + path);
    return generator;
  } catch (const std::exception& e) {
    note("the model could not be loaded from " + path + " (" + e.what() + "): classical solver only");
  } catch (...) {
    note("the model could not be loaded from " + path + ": classical solver only");
  }
  return nullptr;
#else
  note("this build has no model (configured without PXRD_BUILD_MODELS): classical solver only");
  return nullptr;
#endif
}

// The final candidates are moved out of the streamed ones, so an exact comparison finds each one's stream index.
bool same_structure(const Crystal& a, const Crystal& b) {
  if (a.sites.size() != b.sites.size() || a.lattice.matrix() != b.lattice.matrix()) return false;
  for (std::size_t i = 0; i < a.sites.size(); ++i)
    if (a.sites[i].atomic_number != b.sites[i].atomic_number || a.sites[i].frac != b.sites[i].frac) return false;
  return true;
}

std::string label(const SolvedCandidate& c, const std::string& generator_name) {
  const bool from_model = c.origin.find("generator") != std::string::npos;
  return (from_model && !generator_name.empty() ? generator_name : std::string("classical")) + " (" + c.origin + ")";
}

}  // namespace

bool solver_available() { return true; }

SolveFunction default_solve_function() {
  return [](const SolveRequest& request, const CancelToken& cancel, ProgressSink& progress, SolveSink& sink) {
    progress.report(0, "loading the model");
    const std::unique_ptr<CandidateGenerator> generator = load_model(request, sink);
    const std::string generator_name = generator ? generator->name() : std::string();
    SolveOptions options;
    options.formula = request.formula;
    options.formula_is_cell_content = request.formula_is_cell_content;
    options.radiation = request.radiation;
    options.k = request.candidates;
    options.time_budget_s = request.time_budget_s;
    options.seed = request.seed;
    options.size_angstrom = request.size_angstrom;
    options.use_generator = generator != nullptr;
    // Each candidate goes to the table as soon as it is refined (the core calls this one call at a time).
    std::vector<Crystal> streamed;
    const CandidateCallback on_candidate = [&](const SolvedCandidate& c) {
      streamed.push_back(c.crystal);
      sink.candidate(c.crystal, label(c, generator_name));
    };
    const SolveResult result = solve(request.processed, options, generator.get(), cancel, progress, on_candidate);
    // The final set (de-duplicated, at most k) as stream indices; anything not streamed is handed on now.
    std::vector<int> order;
    std::vector<bool> used(streamed.size(), false);
    for (const SolvedCandidate& c : result.candidates) {
      int found = -1;
      for (std::size_t i = 0; i < streamed.size() && found < 0; ++i)
        if (!used[i] && same_structure(streamed[i], c.crystal)) found = int(i);
      if (found < 0) {
        streamed.push_back(c.crystal);
        used.push_back(false);
        sink.candidate(c.crystal, label(c, generator_name));
        found = int(streamed.size()) - 1;
      }
      used[std::size_t(found)] = true;
      order.push_back(found);
    }
    if (sink.ranked) sink.ranked(order);
    if (sink.note)
      for (const std::string& n : result.notes) sink.note(n);
  };
}
#else
bool solver_available() { return false; }

SolveFunction default_solve_function() {
  return [](const SolveRequest&, const CancelToken&, ProgressSink&, SolveSink&) {
    throw Error("the solve pipeline is not part of this build");
  };
}
#endif

}  // namespace pxrd::ui
