// Sampling: Euler integration of the learned velocity fields from the noise end (t = 0) to the data end (t = 1).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <cmath>
#include <thread>
#include <tuple>

#include "lattice_code.hpp"
#include "network.hpp"
#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/simulator.hpp"

namespace pxrd::models {

using namespace detail;
using torch::Tensor;

namespace {
// The wavelength of the 2θ grid on which a peak list given in Q is compared: Cu Kα unless its window reaches further.
double agreement_lambda(const PeakCondition& condition) {
  const double cu = StickOptions().lambda_angstrom;
  const double reach_inv_angstrom = 4 * M_PI / cu;
  return condition.q_max_inv_angstrom > reach_inv_angstrom ? 0.999 * 4 * M_PI / condition.q_max_inv_angstrom : cu;
}

// The crystal of one request from the sampler's arrays: its 6 raw lattice-code values (ignored when the request
// gives the lattice) and 3 fractional coordinates per atom.
Crystal crystal_from_state(const SampleRequest& req, const double* raw_code, const float* frac) {
  const int n = static_cast<int>(req.atomic_numbers.size());
  Crystal c;
  LatticeCode raw;
  for (int i = 0; i < 6; ++i) raw[i] = raw_code[i];
  c.lattice = req.lattice_hint ? *req.lattice_hint : lattice_from_raw_code(raw, n);
  for (int a = 0; a < n; ++a) {
    Site s;
    s.atomic_number = req.atomic_numbers[a];
    s.element = element_symbol(s.atomic_number);
    s.frac = Eigen::Vector3d(frac[a * 3], frac[a * 3 + 1], frac[a * 3 + 2]);
    s.label = s.element + std::to_string(a + 1);
    c.sites.push_back(std::move(s));
  }
  return c;
}
}  // namespace

float annealed_coordinate_step(int s, int steps, double anneal) {
  const float dt = 1.0f / steps;
  const float annealed = dt * static_cast<float>(1.0 + anneal * s * dt);
  return std::min(annealed, static_cast<float>(steps - s) / steps);
}

struct Model::Impl {
  Denoiser net{nullptr};
  torch::Device device{torch::kCPU};
  long step = 0;
  int steps = 50;
  int batch_crystals = 128;
  int threads = 0;
  double anneal = kDefaultCoordinateAnneal;
  double guidance = 1.0;
  std::vector<double> steer_times;  // flow times at which pattern steering resamples the particles
  double steer_keep = 0.5;
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::string& weights_path, const std::string& device) {
  auto impl = std::make_unique<Impl>();
  if (device == "cuda") {
    if (!torch::cuda::is_available()) throw Error("--device cuda: this LibTorch build has no usable CUDA device");
    impl->device = torch::Device(torch::kCUDA);
  } else if (device == "auto") {
    impl->device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  } else if (device != "cpu") {
    throw InputError("--device", 0, "unknown device '" + device + "' (auto, cpu or cuda)");
  }
  impl->net = load_weights(weights_path, &impl->step);
  impl->net->to(impl->device);
  impl->net->eval();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::string Model::id() const {
  return "pxrd-flow h" + std::to_string(impl_->net->cfg.hidden) + "x" + std::to_string(impl_->net->cfg.layers) +
         (impl_->net->cfg.peak_heads > 0 ? "+peaks" + std::to_string(impl_->net->cfg.peak_heads) : std::string()) + " step " + std::to_string(impl_->step);
}
std::string Model::device() const { return impl_->device.is_cuda() ? "cuda" : "cpu"; }
long Model::training_steps() const { return impl_->step; }
int Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return static_cast<int>(n);
}
double Model::parameter_checksum() const {
  torch::NoGradGuard ng;
  double s = 0;
  for (const auto& p : impl_->net->parameters()) s += p.abs().sum().to(torch::kCPU).item<double>();
  return s;
}
void Model::set_sampling(int steps, int batch_crystals) {
  if (steps < 1 || steps > 100) throw InputError("--steps", 0, "sampling steps must be between 1 and 100");
  impl_->steps = steps;
  impl_->batch_crystals = std::max(1, batch_crystals);
}
void Model::set_threads(int threads) { impl_->threads = threads; }
void Model::set_coordinate_anneal(double slope) {
  if (!(slope >= 0 && slope <= 100)) throw InputError("--anneal", 0, "must be between 0 and 100");
  impl_->anneal = slope;
}
void Model::set_pattern_steering(const std::vector<double>& times, double keep_fraction) {
  for (double t : times)
    if (!(t > 0 && t < 1)) throw InputError("--steer", 0, "steering times must lie strictly between 0 and 1");
  if (!(keep_fraction > 0 && keep_fraction <= 1)) throw InputError("--steer-keep", 0, "must be in (0, 1]");
  impl_->steer_times = times;
  std::sort(impl_->steer_times.begin(), impl_->steer_times.end());
  impl_->steer_keep = keep_fraction;
}
void Model::set_pattern_guidance(double weight) {
  if (!(weight >= 0 && weight <= 10)) throw InputError("--guidance", 0, "must be between 0 and 10");
  impl_->guidance = weight;
}

std::vector<std::vector<Crystal>> Model::sample(const std::vector<SampleRequest>& requests, const CancelToken& cancel,
                                                ProgressSink& progress) {
  const int threads = impl_->threads > 0 ? impl_->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto& net = impl_->net;
  const Tensor mean_c = net->lat_mean.to(torch::kCPU).contiguous(), sd_c = net->lat_std.to(torch::kCPU).contiguous();
  const float* mean = mean_c.data_ptr<float>();
  const float* sd = sd_c.data_ptr<float>();

  // One job per sample; each draws its noise from (request seed, sample index), so results do not depend on batching.
  struct Job {
    std::size_t request;
    int index;
  };
  std::vector<Job> jobs;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    const auto& req = requests[r];
    if (req.atomic_numbers.empty()) throw InputError("composition", 0, "the cell content is empty");
    for (int z : req.atomic_numbers)
      if (z < 1 || z > kMaxAtomicNumber) throw InputError("composition", 0, "invalid atomic number " + std::to_string(z));
    for (int i = 0; i < req.count; ++i) jobs.push_back({r, i});
  }
  std::vector<std::vector<Crystal>> out(requests.size());
  for (std::size_t r = 0; r < requests.size(); ++r) out[r].resize(std::max(0, requests[r].count));
  const int S = impl_->steps;
  // Parallel over chunks, one intra-op thread per worker: OpenMP's multi-threaded kernels on these small graphs
  // are 6× slower than one thread as soon as another process wants a core (measured: 32 samples, 16 atoms,
  // 23 s with 2 OpenMP threads vs 3.8 s with 1 on a 2-core machine running a training job).
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(threads), jobs.size()));
  const std::size_t chunk = std::max<std::size_t>(
      1, std::min(static_cast<std::size_t>(impl_->batch_crystals), (jobs.size() + workers - 1) / workers));
  torch::set_num_threads(1);
  std::mutex progress_mutex;
  std::atomic<std::size_t> samples_done{0};
  // Pattern steering (sequential Monte Carlo on the pattern agreement): at each steering time the clean structure
  // each particle heads for, x1 ≈ x_t + (1 − t)·v, is scored against its request's peak list; the lowest-scoring
  // particles are replaced by copies of the best, each put back on the flow path at time t with fresh noise, so the
  // copies spread around their donor's structure. Only particles whose request has a pattern take part.
  auto steer_particles = [&](Batch& b, const Tensor& vf, const Tensor& vl, const Tensor& given, float t,
                             std::size_t start, std::size_t end, const std::vector<BatchItem>& items) {
    Tensor x1 = b.frac_t + (1 - t) * vf;
    x1 = (x1 - torch::floor(x1)).to(torch::kCPU).contiguous();
    const Tensor l1_device = torch::where(given, b.lat_t, b.lat_t + (1 - t) * vl);
    const Tensor l1 = l1_device.to(torch::kCPU).contiguous();
    const Tensor l1_raw = (l1_device * net->lat_std + net->lat_mean).to(torch::kCPU).to(torch::kFloat64).contiguous();
    Tensor frac_now = b.frac_t.to(torch::kCPU).contiguous().clone();
    Tensor lat_now = b.lat_t.to(torch::kCPU).contiguous().clone();
    const Tensor given_c = given.to(torch::kCPU).contiguous();
    const float* x1p = x1.data_ptr<float>();
    const float* l1p = l1.data_ptr<float>();
    const double* l1r = l1_raw.data_ptr<double>();
    float* fx = frac_now.data_ptr<float>();
    float* lx = lat_now.data_ptr<float>();
    const bool* gp = given_c.data_ptr<bool>();
    const std::size_t count = end - start;
    std::vector<std::size_t> first_atom(count + 1, 0);
    for (std::size_t i = 0; i < count; ++i) first_atom[i + 1] = first_atom[i] + items[i].atomic_numbers.size();
    std::vector<double> score(count, -1.0);
    for (std::size_t i = 0; i < count; ++i) {
      const auto& req = requests[jobs[start + i].request];
      if (!req.condition.has_pattern()) continue;
      try {
        const Crystal c = crystal_from_state(req, l1r + i * 6, x1p + first_atom[i] * 3);
        score[i] = broadened_peak_agreement(req.condition, c, agreement_lambda(req.condition));
      } catch (const std::exception&) {
        score[i] = -1.0;  // a lattice that cannot be built loses
      }
    }
    bool changed = false;
    for (std::size_t g0 = 0; g0 < count;) {
      std::size_t g1 = g0;
      while (g1 < count && jobs[start + g1].request == jobs[start + g0].request) ++g1;
      const auto& req = requests[jobs[start + g0].request];
      if (req.condition.has_pattern() && g1 - g0 > 1) {
        std::vector<std::size_t> order;
        for (std::size_t i = g0; i < g1; ++i) order.push_back(i);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t c) { return score[a] > score[c]; });
        const std::size_t keep = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(impl_->steer_keep * order.size())));
        for (std::size_t r = keep; r < order.size(); ++r) {
          const std::size_t loser = order[r], donor = order[(r - keep) % keep];
          std::mt19937_64 rng(mix_seed(mix_seed(req.seed, 0x57eeull + static_cast<uint64_t>(t * 1000)),
                                       static_cast<uint64_t>(jobs[start + loser].index)));
          std::uniform_real_distribution<float> u01(0.f, 1.f);
          std::normal_distribution<float> n01(0.f, 1.f);
          for (std::size_t q = 0; q < 3 * req.atomic_numbers.size(); ++q) {
            const float x0 = u01(rng);
            float d = x1p[first_atom[donor] * 3 + q] - x0;
            d -= std::round(d);
            float x = x0 + t * d;
            fx[first_atom[loser] * 3 + q] = x - std::floor(x);
          }
          if (!gp[loser])
            for (int j = 0; j < 6; ++j) lx[loser * 6 + j] = (1 - t) * n01(rng) + t * l1p[donor * 6 + j];
          changed = true;
        }
      }
      g0 = g1;
    }
    if (changed) {
      b.frac_t = frac_now.to(b.frac_t.device());
      b.lat_t = lat_now.to(b.lat_t.device());
    }
    return changed;
  };
  auto run_chunk = [&](std::size_t start, std::size_t end) {
    torch::NoGradGuard worker_ng;
    cancel.throw_if_cancelled();
    std::vector<BatchItem> items(end - start);
    for (std::size_t k = start; k < end; ++k) {
      const auto& req = requests[jobs[k].request];
      auto& it = items[k - start];
      std::mt19937_64 rng(mix_seed(req.seed, static_cast<uint64_t>(jobs[k].index)));
      std::uniform_real_distribution<float> u01(0.f, 1.f);
      std::normal_distribution<float> n01(0.f, 1.f);
      it.atomic_numbers = req.atomic_numbers;
      for (std::size_t a = 0; a < 3 * req.atomic_numbers.size(); ++a) it.frac_t.push_back(u01(rng));
      for (auto& v : it.lat_t) v = n01(rng);
      if (req.lattice_hint) {
        it.lattice_given = true;
        it.lat_t = normalised_code(*req.lattice_hint, static_cast<int>(req.atomic_numbers.size()), mean, sd);
      }
      it.condition = &req.condition;
    }
    Batch b = to_tensors(make_host_batch(items), impl_->device);
    const Tensor given = (b.lat_weight < 0.5).unsqueeze(1);
    // Classifier-free guidance: the same items without their patterns (training drops the pattern in 8 % of the
    // examples, so the network knows both fields); v = v_none + w·(v_pattern − v_none).
    const float w = static_cast<float>(impl_->guidance);
    const bool guided = w != 1.f && std::any_of(items.begin(), items.end(), [](const BatchItem& it) {
                          return it.condition && it.condition->has_pattern();
                        });
    Batch unconditioned;
    if (guided) {
      std::vector<BatchItem> bare = items;
      for (auto& it : bare) it.condition = nullptr;
      unconditioned = to_tensors(make_host_batch(bare), impl_->device);
    }
    const float dt = 1.0f / S;
    auto velocity = [&]() {
      auto [vf, vl] = net->forward(b);
      if (guided) {
        unconditioned.t = b.t;
        unconditioned.frac_t = b.frac_t;
        unconditioned.lat_t = b.lat_t;
        auto [uf, ul] = net->forward(unconditioned);
        vf = uf + w * (vf - uf);
        vl = ul + w * (vl - ul);
      }
      return std::make_pair(vf, vl);
    };
    std::size_t next_steer = 0;
    for (int s = 0; s < S; ++s) {
      cancel.throw_if_cancelled();
      b.t = torch::full({b.B}, s * dt, b.frac_t.options());
      auto [vf, vl] = velocity();
      if (next_steer < impl_->steer_times.size() && s * dt >= impl_->steer_times[next_steer]) {
        while (next_steer < impl_->steer_times.size() && s * dt >= impl_->steer_times[next_steer]) ++next_steer;
        if (steer_particles(b, vf, vl, given, s * dt, start, end, items)) std::tie(vf, vl) = velocity();
      }
      Tensor f = b.frac_t + annealed_coordinate_step(s, S, impl_->anneal) * vf;
      b.frac_t = f - torch::floor(f);
      b.lat_t = torch::where(given, b.lat_t, b.lat_t + dt * vl);
      if (s + 1 == S) samples_done += end - start;
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.report(static_cast<double>(samples_done) / jobs.size(), "sampling");
    }
    const Tensor frac = b.frac_t.to(torch::kCPU).contiguous();
    const Tensor lat = (b.lat_t * net->lat_std + net->lat_mean).to(torch::kCPU).to(torch::kFloat64).contiguous();
    const float* fp = frac.data_ptr<float>();
    const double* lp = lat.data_ptr<double>();
    std::size_t atom = 0;
    for (std::size_t k = start; k < end; ++k) {
      const auto& req = requests[jobs[k].request];
      Crystal c = crystal_from_state(req, lp + (k - start) * 6, fp + atom * 3);
      atom += req.atomic_numbers.size();
      c.wrap_to_unit_cell();
      c.source = id();
      out[jobs[k].request][jobs[k].index] = std::move(c);
    }
  };
  // Steering resamples among the particles of one request, so each request is then one chunk.
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t a = 0; a < jobs.size();) {
    std::size_t e = std::min(jobs.size(), a + chunk);
    if (!impl_->steer_times.empty()) {
      e = a;
      while (e < jobs.size() && jobs[e].request == jobs[a].request) ++e;
    }
    ranges.emplace_back(a, e);
    a = e;
  }
  parallel_for(ranges.size(), static_cast<int>(workers), [&](std::size_t i) { run_chunk(ranges[i].first, ranges[i].second); });
  return out;
}

std::pair<double, double> Model::evaluate_loss(const std::vector<DatasetEntry>& entries, unsigned long long seed) {
  torch::NoGradGuard ng;
  AugmentOptions ideal;
  ideal.ideal_fraction = 1.0;
  ideal.no_pattern_fraction = 0.0;
  std::mt19937_64 rng(mix_seed(seed, 0));
  double lc = 0, ll = 0;
  int n = 0;
  for (std::size_t start = 0; start < entries.size(); start += 64) {
    std::vector<std::size_t> idx;
    for (std::size_t i = start; i < std::min(entries.size(), start + 64); ++i) idx.push_back(i);
    std::vector<PeakCondition> conds;
    auto items = make_training_items(entries, idx, impl_->net->lat_mean, impl_->net->lat_std, 0.0, ideal, rng, conds);
    Batch b = to_tensors(make_host_batch(items), impl_->device);
    auto loss = flow_loss(impl_->net, b);
    lc += loss.coord.item<double>() * idx.size();
    ll += loss.lattice.item<double>() * idx.size();
    n += static_cast<int>(idx.size());
  }
  return {n ? lc / n : 0.0, n ? ll / n : 0.0};
}

namespace {
class FlowGenerator final : public CandidateGenerator {
 public:
  explicit FlowGenerator(std::unique_ptr<Model> model) : model_(std::move(model)) {}
  std::string name() const override { return model_->id(); }
  std::vector<Crystal> generate(const GenerationRequest& request, const CancelToken& cancel,
                                ProgressSink& progress) override {
    SampleRequest r;
    r.atomic_numbers = request.atomic_numbers;
    if (request.pattern && !request.pattern->empty()) r.condition = condition_from_profile(*request.pattern);
    r.condition.size_angstrom = request.size_angstrom;
    r.lattice_hint = request.lattice_hint;
    // Rounds of a few samples, so that a cancel (the solver's time share) keeps the finished ones.
    constexpr int kRound = 8;
    std::vector<Crystal> out;
    for (int done = 0, round = 0; done < request.count; done += kRound, ++round) {
      r.count = std::min(kRound, request.count - done);
      r.seed = request.seed + 7919ull * static_cast<unsigned long long>(round);
      try {
        auto round_samples = model_->sample({r}, cancel, progress);
        for (Crystal& c : round_samples[0]) out.push_back(std::move(c));
      } catch (const Cancelled&) {
        if (out.empty()) throw;
        break;
      }
    }
    return out;
  }

 private:
  std::unique_ptr<Model> model_;
};
}  // namespace

std::unique_ptr<CandidateGenerator> load_generator(const std::string& weights_path, const std::string& device) {
  auto model = Model::load(weights_path, device);
  model->set_coordinate_anneal(kSolverCoordinateAnneal);
  return std::make_unique<FlowGenerator>(std::move(model));
}

std::pair<std::vector<float>, std::vector<float>> torus_flow_path(const std::vector<float>& x0,
                                                                  const std::vector<float>& x1, float t) {
  if (x0.size() != x1.size()) throw Error("torus_flow_path: sizes differ");
  const auto n = static_cast<int64_t>(x0.size());
  Tensor a = torch::from_blob(const_cast<float*>(x0.data()), {n}, torch::kFloat32);
  Tensor b = torch::from_blob(const_cast<float*>(x1.data()), {n}, torch::kFloat32);
  auto [xt, u] = torus_path(a, b, torch::full({n}, t));
  xt = xt.contiguous();
  u = u.contiguous();
  return {std::vector<float>(xt.data_ptr<float>(), xt.data_ptr<float>() + n),
          std::vector<float>(u.data_ptr<float>(), u.data_ptr<float>() + n)};
}

}  // namespace pxrd::models
