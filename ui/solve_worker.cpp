#include "solve_worker.hpp"

#include <QMetaObject>
#include <mutex>

#include "pxrd/error.hpp"

namespace pxrd::ui {

Candidate score_candidate(const Crystal& crystal, const SolveRequest& request, const std::string& generator) {
  Candidate c;
  c.crystal = crystal;
  c.generator = generator;
  const Pattern calc = backend::simulate_like(crystal, request.radiation, request.processed, request.size_angstrom);
  const backend::Agreement a = backend::agreement(request.processed, calc);
  c.rwp = a.rwp;
  c.rwp2 = a.rwp2;
  c.s = a.s;
  c.scale = a.scale;
  const backend::SpaceGroupInfo sg = backend::space_group(crystal);
  c.space_group = sg.symbol;
  c.space_group_number = sg.number;
  return c;
}

SolveWorker::SolveWorker(QObject* parent) : QObject(parent), fn_(default_solve_function()) {
  qRegisterMetaType<pxrd::ui::Candidate>();
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
  thread_ = QThread::create([this, request = std::move(request), token, fn] {
    // Progress is throttled to ~20 updates/s so that a chatty solver cannot flood the GUI thread.
    std::mutex m;
    QElapsedTimer since;
    since.start();
    double last_fraction = -1;
    FunctionProgress sink([&](double f, const std::string& stage) {
      std::lock_guard<std::mutex> lock(m);
      if (f < 1.0 && since.elapsed() < 50 && f - last_fraction < 0.05) return;
      since.restart();
      last_fraction = f;
      QMetaObject::invokeMethod(this, [this, f, s = QString::fromStdString(stage)] { emit progress(f, s); },
                                Qt::QueuedConnection);
    });
    int count = 0;
    QString error;
    bool cancelled = false;
    try {
      fn(request, *token, sink, [&](const Crystal& crystal, const std::string& generator) {
        if (token->cancelled()) return;
        Candidate c = score_candidate(crystal, request, generator);
        ++count;
        QMetaObject::invokeMethod(this, [this, c = std::move(c)] { emit candidate_ready(c); }, Qt::QueuedConnection);
      });
      cancelled = token->cancelled();
    } catch (const Cancelled&) {
      cancelled = true;
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    } catch (...) {
      error = QStringLiteral("unknown error in the solver");
    }
    QMetaObject::invokeMethod(this, [this, cancelled, error, count] {
      if (thread_) {
        thread_->wait();
        thread_->deleteLater();
        thread_ = nullptr;
      }
      emit finished(cancelled, error, count);
    }, Qt::QueuedConnection);
  });
  thread_->start(QThread::LowPriority);
  return true;
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
    ++samples_;
  });
}

void LatencyProbe::start() {
  max_ms_ = sum_ms_ = 0;
  samples_ = 0;
  clock_.start();
  last_ns_ = 0;
  timer_.start();
}

void LatencyProbe::stop() { timer_.stop(); }

}  // namespace pxrd::ui
