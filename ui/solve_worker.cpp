#include "solve_worker.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QMetaObject>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#ifdef __linux__
#include <cerrno>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "pxrd/error.hpp"

namespace pxrd::ui {

void lower_this_thread_priority() {
#ifdef __linux__
  // Linux nice values are per thread and inherited by the threads this one creates (the solver's pool), so
  // the GUI thread keeps its share of a 2-core machine. QThread::LowPriority has no effect under SCHED_OTHER.
  const auto tid = static_cast<pid_t>(syscall(SYS_gettid));
  if (std::getenv("PXRD_SOLVER_SCHED_IDLE")) {
    sched_param param{};
    param.sched_priority = 0;
    if (sched_setscheduler(tid, SCHED_IDLE, &param) == 0) return;
  }
  errno = 0;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) != 0) errno = 0;
#endif
}

std::string default_model_weights_path() {
  const QByteArray env = qgetenv("PXRD_DIFF_MODEL");
  if (!env.isEmpty()) return env.toStdString();
  const QDir bin(QCoreApplication::applicationDirPath());
  const QString installed = bin.absoluteFilePath(QStringLiteral("../share/pxrd-diff/model/weights.pt"));
  if (QFileInfo::exists(installed)) return QDir::cleanPath(installed).toStdString();
  return QDir::cleanPath(bin.absoluteFilePath(QStringLiteral("../../models/weights/mp20_flow.pt"))).toStdString();
}

Candidate score_candidate(const Crystal& crystal, const SolveRequest& request, const std::string& generator) {
  Candidate c;
  c.crystal = crystal;
  c.generator = generator;
  auto calc = std::make_shared<Pattern>(
      backend::simulate_like(crystal, request.radiation, request.processed, request.size_angstrom));
  const backend::Agreement a = backend::agreement(request.processed, *calc);
  c.simulated = std::move(calc);
  c.simulated_radiation = request.radiation;
  c.simulated_size_angstrom = request.size_angstrom;
  c.rwp = a.rwp;
  c.rwp2 = a.rwp2;
  c.s = a.s;
  c.scale = a.scale;
  const backend::SpaceGroupInfo sg = backend::space_group(crystal);
  c.space_group = sg.symbol;
  c.space_group_number = sg.number;
  return c;
}

struct SolveWorker::Latest {
  std::mutex mutex;
  double fraction = 0;
  std::string stage;
  unsigned long serial = 0, shown = 0;
};

SolveWorker::SolveWorker(QObject* parent) : QObject(parent), fn_(default_solve_function()) {
  qRegisterMetaType<pxrd::ui::Candidate>();
  qRegisterMetaType<std::vector<int>>();
  // Every repaint of a window that holds an OpenGL widget (the 3D view) composes the whole window through
  // OpenGL: 20–50 ms with Mesa's software renderer. Twice a second is enough for a progress bar.
  poll_.setInterval(500);
  connect(&poll_, &QTimer::timeout, this, &SolveWorker::poll);
}

SolveWorker::~SolveWorker() {
  cancel();
  if (thread_) {
    thread_->wait();
    delete thread_;
  }
}

bool SolveWorker::start(SolveRequest request) {
  if (thread_) return false;
  cancel_ = std::make_shared<CancelToken>();
  auto token = cancel_;
  auto fn = fn_;
  latest_ = std::make_shared<Latest>();
  thread_ = QThread::create([this, request = std::move(request), token, fn] {
    lower_this_thread_priority();
    auto latest = latest_;
    FunctionProgress sink([latest](double f, const std::string& stage) {
      std::lock_guard<std::mutex> lock(latest->mutex);
      latest->fraction = f;
      latest->stage = stage;
      ++latest->serial;
    });
    int count = 0;
    // Stream ids are unique in the process, so that undo to an earlier solve never confuses two candidates.
    static std::atomic<int> next_stream_id{0};
    std::vector<int> ids;
    QString error;
    bool cancelled = false;
    SolveSink out;
    out.candidate = [&](const Crystal& crystal, const std::string& generator) {
      // Scored here, so the GUI thread only inserts a row.
      Candidate c = score_candidate(crystal, request, generator);
      c.stream_index = next_stream_id++;
      ids.push_back(c.stream_index);
      ++count;
      QMetaObject::invokeMethod(this, [this, c = std::move(c)] { emit candidate_ready(c); }, Qt::QueuedConnection);
    };
    out.ranked = [&](const std::vector<int>& order) {
      std::vector<int> by_id;
      for (int i : order)
        if (i >= 0 && i < int(ids.size())) by_id.push_back(ids[std::size_t(i)]);
      QMetaObject::invokeMethod(this, [this, by_id] { emit ranked(by_id); }, Qt::QueuedConnection);
    };
    out.note = [&](const std::string& text) {
      QMetaObject::invokeMethod(this, [this, t = QString::fromStdString(text)] { emit message(t); },
                                Qt::QueuedConnection);
    };
    try {
      fn(request, *token, sink, out);
      cancelled = token->cancelled();
    } catch (const Cancelled&) {
      cancelled = true;
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    } catch (...) {
      error = QStringLiteral("unknown error in the solver");
    }
    QMetaObject::invokeMethod(this, [this, cancelled, error, count] {
      poll_.stop();
      poll();
      if (thread_) {
        thread_->wait();
        thread_->deleteLater();
        thread_ = nullptr;
      }
      emit finished(cancelled, error, count);
    }, Qt::QueuedConnection);
  });
  thread_->start(QThread::LowPriority);
  poll_.start();
  return true;
}

void SolveWorker::poll() {
  if (!latest_) return;
  double f;
  std::string stage;
  {
    std::lock_guard<std::mutex> lock(latest_->mutex);
    if (latest_->serial == latest_->shown) return;
    latest_->shown = latest_->serial;
    f = latest_->fraction;
    stage = latest_->stage;
  }
  emit progress(f, QString::fromStdString(stage));
}

void SolveWorker::cancel() {
  if (cancel_) cancel_->cancel();
}

bool SolveWorker::wait(int ms) {
  if (!thread_) return true;
  const bool done = ms < 0 ? thread_->wait() : thread_->wait(QDeadlineTimer(ms));
  return done;
}

LatencyProbe::LatencyProbe(QObject* parent) : QObject(parent) {
  timer_.setInterval(5);
  timer_.setTimerType(Qt::PreciseTimer);
  connect(&timer_, &QTimer::timeout, this, [this] {
    const qint64 now = clock_.nsecsElapsed();
    const double late_ms = double(now - last_ns_) / 1e6 - timer_.interval();
    last_ns_ = now;
    max_ms_ = std::max(max_ms_, late_ms);
    sum_ms_ += std::max(late_ms, 0.0);
    late_ms_.push_back(std::max(late_ms, 0.0));
    at_ms_.push_back(double(now) / 1e6);
    ++samples_;
  });
}

void LatencyProbe::start() {
  max_ms_ = sum_ms_ = 0;
  samples_ = 0;
  late_ms_.clear();
  at_ms_.clear();
  clock_.start();
  last_ns_ = 0;
  timer_.start();
}

void LatencyProbe::stop() { timer_.stop(); }

std::vector<std::pair<double, double>> LatencyProbe::stalls(double threshold_ms) const {
  std::vector<std::pair<double, double>> out;
  for (std::size_t i = 0; i < late_ms_.size(); ++i)
    if (late_ms_[i] > threshold_ms) out.emplace_back(at_ms_[i], late_ms_[i]);
  return out;
}

double LatencyProbe::percentile_ms(double p) const {
  if (late_ms_.empty()) return 0;
  std::vector<double> v = late_ms_;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace pxrd::ui
