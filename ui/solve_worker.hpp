#pragma once
// Runs a solve (or any long job) in a worker thread: progress, cancel, and candidates that stream in.
// The worker scores each candidate (simulation, agreement, space group) off the GUI thread, so the GUI thread only
// inserts rows and replots.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThread>
#include <QTimer>
#include <functional>
#include <memory>
#include <vector>

#include "document.hpp"
#include "pxrd/cancel.hpp"

namespace pxrd::ui {

struct SolveRequest {
  std::string formula;
  int candidates = 10;
  double time_budget_s = 30;
  bool use_cuda = false;
  Pattern processed;              // observed, processed (background removed), 2θ
  Radiation radiation;
  double size_angstrom = 0;       // sinc² broadening of the simulations (0 = none)
  std::string input_name;         // for provenance
  unsigned long long seed = 1;
};

// The solve pipeline as the worker sees it: calls `emit_candidate` for each structure as soon as it has one.
using SolveFunction = std::function<void(const SolveRequest&, const CancelToken&, ProgressSink&,
                                         const std::function<void(const Crystal&, const std::string& generator)>&)>;
// The core pipeline (solve.hpp) when it is linked in; otherwise a function that throws Error explaining why.
SolveFunction default_solve_function();
bool solver_available();
// Lowers the priority of the calling thread and of the threads it starts later (Linux: nice 15).
void lower_this_thread_priority();
// Scores a structure against the processed pattern (thread-safe).
Candidate score_candidate(const Crystal& crystal, const SolveRequest& request, const std::string& generator);

class SolveWorker : public QObject {
  Q_OBJECT
 public:
  explicit SolveWorker(QObject* parent = nullptr);
  ~SolveWorker() override;  // cancels and joins

  void set_solve_function(SolveFunction fn) { fn_ = std::move(fn); }
  void poll();  // emits progress() when the worker reported something new
  bool start(SolveRequest request);  // false when already running
  void cancel();
  bool running() const { return thread_ != nullptr; }
  bool wait(int ms);                 // for tests and shutdown

 signals:
  void progress(double fraction, const QString& stage);
  void candidate_ready(const pxrd::ui::Candidate& candidate);
  void finished(bool cancelled, const QString& error, int candidates);

 private:
  SolveFunction fn_;
  QThread* thread_ = nullptr;
  std::shared_ptr<CancelToken> cancel_;
  // Progress is coalesced: the worker stores the latest value, the GUI thread looks at it 5 times a second, so a
  // chatty solver never causes more than 5 repaints a second.
  struct Latest;
  std::shared_ptr<Latest> latest_;
  QTimer poll_;
};

// Measures how late a 5 ms timer fires while something runs: the event-loop latency the user feels.
class LatencyProbe : public QObject {
  Q_OBJECT
 public:
  explicit LatencyProbe(QObject* parent = nullptr);
  void start();
  void stop();
  double max_latency_ms() const { return max_ms_; }
  double mean_latency_ms() const { return samples_ ? sum_ms_ / samples_ : 0; }
  int samples() const { return samples_; }
  double percentile_ms(double p) const;  // p in [0, 1], over the samples of the last run
  // (time since start, lateness) of every sample later than `threshold_ms`, for diagnosis.
  std::vector<std::pair<double, double>> stalls(double threshold_ms) const;

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_ns_ = 0;
  std::vector<double> late_ms_;
  std::vector<double> at_ms_;
  double max_ms_ = 0, sum_ms_ = 0;
  int samples_ = 0;
};

}  // namespace pxrd::ui

Q_DECLARE_METATYPE(pxrd::ui::Candidate)
