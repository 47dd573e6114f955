#pragma once
// Long work is a function of (input, CancelToken, ProgressSink); the UI runs it in a worker thread.
#include <atomic>
#include <functional>
#include <string>

#include "pxrd/error.hpp"

namespace pxrd {

class CancelToken {
 public:
  void cancel() { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
  void throw_if_cancelled() const {
    if (cancelled()) throw Cancelled();
  }
  void reset() { flag_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> flag_{false};
};

// Receives progress from any thread; implementations must be thread-safe.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // fraction in [0, 1]; stage is a short human-readable label ("sampling", "refining 3/10").
  virtual void report(double fraction, const std::string& stage) = 0;
};

class NullProgress final : public ProgressSink {
 public:
  void report(double, const std::string&) override {}
};

// Adapts a callable to a ProgressSink.
class FunctionProgress final : public ProgressSink {
 public:
  explicit FunctionProgress(std::function<void(double, const std::string&)> fn) : fn_(std::move(fn)) {}
  void report(double fraction, const std::string& stage) override { fn_(fraction, stage); }

 private:
  std::function<void(double, const std::string&)> fn_;
};

}  // namespace pxrd
