// Training loop: a data thread prepares batch k from (seed, k) while the main thread runs step k-1.
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "lattice_code.hpp"
#include "network.hpp"
#include "pxrd/error.hpp"

namespace pxrd::models {

using namespace detail;
using torch::Tensor;
namespace fs = std::filesystem;

namespace {
constexpr const char* kCheckpointFormat = "pxrd-flow-ckpt-v1";

// Bounded queue of prepared batches, produced in step order.
class BatchQueue {
 public:
  void push(HostBatch b) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || q_.size() < 3; });
    if (stop_) return;
    q_.push_back(std::move(b));
    cv_.notify_all();
  }
  bool pop(HostBatch& out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stop_ || !q_.empty(); });
    if (q_.empty()) return false;
    out = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return true;
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return stop_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<HostBatch> q_;
  bool stop_ = false;
};

HostBatch training_batch(const std::vector<DatasetEntry>& train, long step, unsigned long long seed,
                         const TrainOptions& o, const Tensor& mean, const Tensor& sd) {
  std::mt19937_64 rng(mix_seed(seed, static_cast<uint64_t>(step)));
  std::uniform_int_distribution<std::size_t> pick(0, train.size() - 1);
  std::vector<std::size_t> idx(o.batch_size);
  for (auto& i : idx) i = pick(rng);
  std::vector<PeakCondition> conditions;
  auto items = make_training_items(train, idx, mean, sd, o.lattice_given_fraction, o.augment, rng, conditions);
  return make_host_batch(items);
}

void compute_lattice_stats(const std::vector<DatasetEntry>& train, Tensor& mean, Tensor& sd) {
  double s[6] = {0}, s2[6] = {0};
  for (const auto& e : train) {
    const auto c = raw_lattice_code(e.crystal.lattice, static_cast<int>(e.crystal.sites.size()));
    for (int i = 0; i < 6; ++i) {
      s[i] += c[i];
      s2[i] += c[i] * c[i];
    }
  }
  const double n = static_cast<double>(train.size());
  auto m = torch::zeros({6}), d = torch::ones({6});
  for (int i = 0; i < 6; ++i) {
    const double mu = s[i] / n;
    m[i] = mu;
    d[i] = std::sqrt(std::max(1e-6, s2[i] / n - mu * mu));
  }
  mean.copy_(m);
  sd.copy_(d);
}

void save_checkpoint(const std::string& path, Denoiser& model, Denoiser& ema, torch::optim::AdamW& opt, long step,
                     long warmup_origin_step, unsigned long long seed, double learning_rate) {
  torch::serialize::OutputArchive a;
  a.write("format", c10::IValue(std::string(kCheckpointFormat)));
  a.write("config", c10::IValue(config_string(model->cfg)));
  a.write("step", c10::IValue(static_cast<int64_t>(step)));
  a.write("seed", c10::IValue(static_cast<int64_t>(seed)));
  a.write("learning_rate", c10::IValue(learning_rate));
  a.write("warmup_origin", c10::IValue(static_cast<int64_t>(warmup_origin_step)));
  torch::serialize::OutputArchive m, e, o;
  model->save(m);
  ema->save(e);
  opt.save(o);
  a.write("model", m);
  a.write("ema", e);
  a.write("optim", o);
  save_archive_atomically(a, path);
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw Error(path + ": cannot append to the training log");
  out << line << "\n";
}
}  // namespace

TrainSummary train_model(const std::vector<DatasetEntry>& train, const std::vector<DatasetEntry>& monitor,
                         const TrainOptions& o, const CancelToken& cancel, ProgressSink& progress) {
  if (train.empty()) throw Error("training set is empty");
  if (o.out_dir.empty()) throw Error("no output folder for the training run");
  fs::create_directories(o.out_dir);
  const std::string ckpt_path = o.out_dir + "/checkpoint.pt";
  const std::string weights_path = o.out_dir + "/weights.pt";
  const std::string log_path = o.out_dir + "/log.jsonl";
  torch::set_num_threads(std::max(1, o.threads));
  const torch::Device device(torch::kCPU);

  ModelConfig cfg = o.model;
  long step = 0;
  long warmup_origin_step = 0;  // the learning-rate warm-up restarts here (a fine-tune from given weights)
  std::optional<double> checkpoint_learning_rate;
  std::optional<unsigned long long> checkpoint_seed;
  // The checkpoint's config wins over the options on resume.
  torch::serialize::InputArchive resume_archive;
  const bool resuming = o.resume && fs::exists(ckpt_path);
  if (resuming) {
    try {
      resume_archive.load_from(ckpt_path);
      c10::IValue format, config, st;
      resume_archive.read("format", format);
      if (!format.isString() || format.toStringRef() != kCheckpointFormat)
        throw Error(ckpt_path + ": not a PXRD-Diff training checkpoint");
      resume_archive.read("config", config);
      resume_archive.read("step", st);
      cfg = parse_config_string(config.toStringRef());
      step = static_cast<long>(st.toInt());
      c10::IValue origin;
      if (resume_archive.try_read("warmup_origin", origin)) warmup_origin_step = static_cast<long>(origin.toInt());
      c10::IValue saved_seed, saved_rate;
      if (resume_archive.try_read("seed", saved_seed)) checkpoint_seed = static_cast<unsigned long long>(saved_seed.toInt());
      if (resume_archive.try_read("learning_rate", saved_rate)) checkpoint_learning_rate = saved_rate.toDouble();
    } catch (const c10::Error& e) {
      throw Error(ckpt_path + ": checkpoint is corrupt (" + std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
  } else if (o.resume) {
    throw Error(ckpt_path + ": nothing to resume (no checkpoint)");
  }
  // A resume continues with the checkpoint's seed and rate; a value given anyway replaces it, said out loud.
  const unsigned long long seed = o.seed.value_or(checkpoint_seed.value_or(1));
  const double learning_rate = o.learning_rate.value_or(checkpoint_learning_rate.value_or(5e-4));
  if (resuming && o.seed && checkpoint_seed && *o.seed != *checkpoint_seed)
    std::cerr << "train: note: --seed " << *o.seed << " replaces the checkpoint's seed " << *checkpoint_seed
              << " (other batches and monitor noise than an uninterrupted run)\n";
  if (resuming && o.learning_rate && checkpoint_learning_rate && *o.learning_rate != *checkpoint_learning_rate)
    std::cerr << "train: note: --lr " << *o.learning_rate << " replaces the checkpoint's learning rate "
              << *checkpoint_learning_rate << "\n";
  if (resuming && !o.learning_rate && !checkpoint_learning_rate)
    std::cerr << "train: note: the checkpoint predates stored learning rates; using 5e-4 (give --lr to change it)\n";
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    throw Error("the learning rate must be a positive number, not " + json_number(learning_rate));
  torch::manual_seed(seed);
  const bool fine_tuning = !resuming && !o.init_weights.empty();
  Denoiser model(nullptr);
  if (fine_tuning) {
    model = load_weights(o.init_weights, &step);  // its config and lattice statistics replace the options'
    if (o.model.peak_heads > 0 && model->cfg.peak_heads > 0 && o.model.peak_heads != model->cfg.peak_heads)
      throw Error(o.init_weights + ": the weights have " + std::to_string(model->cfg.peak_heads) +
                  " peak attention heads, not the " + std::to_string(o.model.peak_heads) + " asked for");
    if (o.model.peak_heads > 0 && model->cfg.peak_heads == 0) {
      // Atom-to-peak attention added to trained weights: it starts as a no-op and is learned from there.
      ModelConfig wider = model->cfg;
      wider.peak_heads = o.model.peak_heads;
      model = widened_copy(model, wider);
    }
    cfg = model->cfg;
    warmup_origin_step = step;
  } else {
    model = Denoiser(cfg);
  }
  Denoiser ema(cfg);
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(learning_rate).weight_decay(1e-4));
  if (resuming) {
    try {
      torch::serialize::InputArchive m, e, op;
      resume_archive.read("model", m);
      resume_archive.read("ema", e);
      resume_archive.read("optim", op);
      model->load(m);
      ema->load(e);
      opt.load(op);
    } catch (const c10::Error& e) {
      throw Error(ckpt_path + ": checkpoint is corrupt (" + std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
  } else {
    if (!fine_tuning) compute_lattice_stats(train, model->lat_mean, model->lat_std);
    torch::NoGradGuard ng;
    auto src = model->named_parameters();
    for (auto& p : ema->named_parameters()) p.value().copy_(src[p.key()]);
    ema->lat_mean.copy_(model->lat_mean);
    ema->lat_std.copy_(model->lat_std);
    std::ofstream(log_path, std::ios::trunc);
  }
  ema->eval();
  // Steps continue from the weights or the checkpoint, so a decay counted from 0 may already be over.
  if (o.decay_start_step > 0 && o.decay_steps > 0 && step >= o.decay_start_step + o.decay_steps)
    std::cerr << "train: note: the learning-rate decay (--decay-from " << o.decay_start_step << " --decay-steps "
              << o.decay_steps << ") ended before step " << step
              << ", where this run starts (steps continue from the weights or checkpoint): the rate stays at 5 % of "
                 "--lr\n";
  {
    std::ofstream cfg_out(o.out_dir + "/config.txt");
    cfg_out << config_string(cfg) << "\nbatch=" << o.batch_size << "\nlr=" << learning_rate << "\nseed=" << seed
            << "\nthreads=" << o.threads << "\ntrain_crystals=" << train.size() << "\nmonitor_crystals="
            << monitor.size() << "\n";
  }

  // Fixed monitor batches: ideal patterns, fixed noise.
  std::vector<HostBatch> monitor_batches;
  {
    TrainOptions mo = o;
    mo.augment.ideal_fraction = 1.0;
    mo.augment.no_pattern_fraction = 0.0;
    mo.lattice_given_fraction = 0.0;
    std::mt19937_64 rng(mix_seed(seed ^ 0xABCDEFull, 0));
    const std::size_t n = std::min<std::size_t>(monitor.size(), 256);
    for (std::size_t start = 0; start < n; start += 64) {
      std::vector<std::size_t> idx;
      for (std::size_t i = start; i < std::min(n, start + 64); ++i) idx.push_back(i);
      std::vector<PeakCondition> conds;
      auto items = make_training_items(monitor, idx, model->lat_mean, model->lat_std, 0.0, mo.augment, rng, conds);
      monitor_batches.push_back(make_host_batch(items));
    }
  }
  auto monitor_losses = [&]() {
    torch::NoGradGuard ng;
    double lc = 0, ll = 0;
    int n = 0;
    for (const auto& hb : monitor_batches) {
      Batch b = to_tensors(hb, device);
      auto loss = flow_loss(ema, b);
      lc += loss.coord.item<double>();
      ll += loss.lattice.item<double>();
      ++n;
    }
    return std::make_pair(n ? lc / n : 0.0, n ? ll / n : 0.0);
  };

  const Tensor stats_mean = model->lat_mean.clone(), stats_sd = model->lat_std.clone();
  BatchQueue queue;
  const long first_step = step;
  std::thread producer([&] {
    try {
      for (long s = first_step; !queue.stopped(); ++s) queue.push(training_batch(train, s, seed, o, stats_mean, stats_sd));
    } catch (const std::exception& e) {
      std::cerr << "data thread: " << e.what() << "\n";
      queue.stop();
    }
  });
  struct Joiner {
    BatchQueue& q;
    std::thread& t;
    ~Joiner() {
      q.stop();
      if (t.joinable()) t.join();
    }
  } joiner{queue, producer};

  using clock = std::chrono::steady_clock;
  const auto t_start = clock::now();
  auto t_ckpt = t_start;
  auto t_window = t_start;
  double w_loss = 0, w_lc = 0, w_ll = 0, w_gn = 0;
  int w_n = 0;
  TrainSummary summary;
  summary.start_step = step;
  bool first_window = true;
  long crystals = 0;
  model->train();

  auto write_checkpoint = [&] {
    save_checkpoint(ckpt_path, model, ema, opt, step, warmup_origin_step, seed, learning_rate);
    save_weights(weights_path, ema, step);
  };

  while (true) {
    const double elapsed_h = std::chrono::duration<double>(clock::now() - t_start).count() / 3600.0;
    if (cancel.cancelled()) {
      summary.cancelled = true;
      break;
    }
    if (o.hours > 0 && elapsed_h >= o.hours) break;
    if (o.max_steps > 0 && step >= o.max_steps) break;
    HostBatch hb;
    if (!queue.pop(hb)) throw Error("the data thread stopped");
    Batch b = to_tensors(hb, device);
    double warm = std::min(1.0, static_cast<double>(step + 1 - warmup_origin_step) / 300.0);
    if (o.decay_start_step > 0 && o.decay_steps > 0 && step >= o.decay_start_step)
      warm *= std::max(0.05, 1.0 - 0.95 * static_cast<double>(step - o.decay_start_step) / o.decay_steps);
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(learning_rate * warm);
    auto loss = flow_loss(model, b);
    Tensor total = o.coord_weight * loss.coord + loss.lattice;
    opt.zero_grad();
    total.backward();
    const double gn = torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    opt.step();
    {
      torch::NoGradGuard ng;
      const double decay = std::min(0.999, (1.0 + step) / (10.0 + step));
      auto src = model->parameters();
      auto dst = ema->parameters();
      for (std::size_t i = 0; i < src.size(); ++i) dst[i].mul_(decay).add_(src[i], 1.0 - decay);
      ema->lat_mean.copy_(model->lat_mean);
      ema->lat_std.copy_(model->lat_std);
    }
    ++step;
    crystals += b.B;
    w_loss += total.item<double>();
    w_lc += loss.coord.item<double>();
    w_ll += loss.lattice.item<double>();
    w_gn += gn;
    ++w_n;
    if (w_n >= o.log_every) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - t_window).count();
      const double sps = w_n / dt;
      std::ostringstream line;
      line << "{\"kind\":\"train\",\"step\":" << step << ",\"loss\":" << json_number(w_loss / w_n)
           << ",\"loss_coord\":" << json_number(w_lc / w_n) << ",\"loss_lattice\":" << json_number(w_ll / w_n)
           << ",\"grad_norm\":" << json_number(w_gn / w_n) << ",\"lr\":" << json_number(learning_rate * warm)
           << ",\"steps_per_s\":" << json_number(sps) << ",\"crystals_per_s\":" << json_number(sps * o.batch_size)
           << ",\"elapsed_s\":" << json_number(std::chrono::duration<double>(now - t_start).count()) << "}";
      append_line(log_path, line.str());
      if (o.verbose) std::cerr << line.str() << "\n";
      if (first_window) summary.first_loss = w_loss / w_n;
      first_window = false;
      summary.last_loss = w_loss / w_n;
      w_loss = w_lc = w_ll = w_gn = 0;
      w_n = 0;
      t_window = now;
      progress.report(o.max_steps > 0 ? static_cast<double>(step) / o.max_steps : 0.0,
                      "step " + std::to_string(step));
    }
    if (o.monitor_every > 0 && step % o.monitor_every == 0 && !monitor_batches.empty()) {
      const auto [lc, ll] = monitor_losses();
      std::ostringstream line;
      line << "{\"kind\":\"monitor\",\"step\":" << step << ",\"monitor_loss_coord\":" << json_number(lc)
           << ",\"monitor_loss_lattice\":" << json_number(ll)
           << ",\"monitor_loss\":" << json_number(o.coord_weight * lc + ll) << "}";
      append_line(log_path, line.str());
      if (o.verbose) std::cerr << line.str() << "\n";
    }
    if (std::chrono::duration<double>(clock::now() - t_ckpt).count() >= o.checkpoint_minutes * 60.0) {
      write_checkpoint();
      t_ckpt = clock::now();
    }
  }
  write_checkpoint();
  summary.end_step = step;
  summary.seconds = std::chrono::duration<double>(clock::now() - t_start).count();
  summary.crystals_per_second = summary.seconds > 0 ? crystals / summary.seconds : 0;
  return summary;
}

}  // namespace pxrd::models
