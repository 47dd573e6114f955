#pragma once
// One small work-sharing loop for the core and the model: no thread pool object, no Qt, no OpenMP.
#include <cstddef>
#include <functional>

namespace pxrd {

// Runs fn(0..n-1) on `threads` workers, the calling thread being one of them (results are the caller's, indexed,
// so the outcome does not depend on the scheduling). The first exception stops handing out work and is rethrown
// after all workers stop.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& fn);

// `requested` when positive, else the number of hardware threads (at least 1).
int worker_count(int requested);

}  // namespace pxrd
