#pragma once
// The solver asks a generator for candidate structures. The diffusion model (models/) implements it; the solver
// in core knows only this interface, so core never depends on torch.
#include <optional>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/lattice.hpp"
#include "pxrd/pattern.hpp"

namespace pxrd {

struct GenerationRequest {
  std::vector<int> atomic_numbers;        // full cell content, one entry per atom (e.g. Ce4O8 -> 12 entries)
  const Pattern* pattern = nullptr;       // processed observed pattern (background removed), may be null
  double size_angstrom = 0;               // crystallite size if known (0 = unknown / large)
  std::optional<Lattice> lattice_hint;    // a cell to sample in, when the solver already has one
  int count = 10;                         // number of samples
  unsigned long long seed = 0;
};

class CandidateGenerator {
 public:
  virtual ~CandidateGenerator() = default;
  virtual std::string name() const = 0;   // model id and version, written to summary.json
  // On a cancel: returns the samples finished so far, or throws Cancelled when there are none.
  virtual std::vector<Crystal> generate(const GenerationRequest& request, const CancelToken& cancel,
                                        ProgressSink& progress) = 0;
};

}  // namespace pxrd
