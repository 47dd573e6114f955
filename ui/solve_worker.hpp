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
  bool formula_is_cell_content = false;  // Z must divide the formula's multiple (SolveOptions)
  int candidates = 10;
  double time_budget_s = 30;
  bool use_cuda = false;
  std::string model_weights;      // generator weights; empty: the shipped ones (default_model_weights_path)
  bool use_model = true;          // false: classical solver only
  Pattern processed;              // observed, processed (background removed), 2θ
  Radiation radiation;
  double size_angstrom = 0;       // sinc² broadening of the simulations (0 = none)
  std::string input_name;         // for provenance
  unsigned long long seed = 1;
};

// What a solve function hands back while it runs (called from its thread).
struct SolveSink {
  // Each structure as soon as it is found; its stream index is the number of earlier calls.
  std::function<void(const Crystal&, const std::string& generator)> candidate;
  // Optional, at the end: the stream indices of the final set, best first (duplicates and extras left out).
  std::function<void(const std::vector<int>& stream_indices)> ranked;
  // Optional: a message for the user (model loaded or not, solver notes).
  std::function<void(const std::string& text)> note;
};

// The solve pipeline as the worker sees it.
using SolveFunction = std::function<void(const SolveRequest&, const CancelToken&, ProgressSink&, SolveSink&)>;
// The core pipeline (solve.hpp) when it is linked in, with the generator when pxrd_models is linked in and its
// weights load; otherwise a function that throws Error explaining why.
SolveFunction default_solve_function();
bool solver_available();
// True when this build links the generator (pxrd_models); whether its weights load is only known at solve time.
bool model_linked();
// Where the shipped weights are: $PXRD_DIFF_MODEL, else <prefix>/share/pxrd-diff/model/weights.pt next to the
// installed program, else models/weights/mp20_flow.pt of the source tree (program in <tree>/<build>/bin).
std::string default_model_weights_path();
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
  void candidate_ready(const pxrd::ui::Candidate& candidate);  // stream_index set (unique in the process)
  void ranked(const std::vector<int>& stream_indices);         // the final set by stream_index, best first
  void message(const QString& text);
  void finished(bool cancelled, const QString& error, int candidates);

 private:
  SolveFunction fn_;
  QThread* thread_ = nullptr;
  std::shared_ptr<CancelToken> cancel_;
  // Progress is coalesced: the worker stores the latest value, the GUI thread looks at it twice a second, so a
  // chatty solver never causes more than 2 repaints a second.
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
