#include "network.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/units.hpp"
#include "lattice_code.hpp"

namespace pxrd::models::detail {

namespace nn = torch::nn;
using torch::Tensor;

HostBatch make_host_batch(const std::vector<BatchItem>& items) {
  HostBatch h;
  h.B = static_cast<int64_t>(items.size());
  h.K = kMaxPeaks;
  h.lat_t.reserve(h.B * 6);
  h.peaks.assign(h.B * h.K * 2, 0.f);
  h.peak_valid.assign(h.B * h.K, 0);
  int64_t offset = 0;
  for (int64_t c = 0; c < h.B; ++c) {
    const auto& it = items[c];
    const int64_t n = static_cast<int64_t>(it.atomic_numbers.size());
    for (int64_t i = 0; i < n; ++i) {
      h.z.push_back(it.atomic_numbers[i]);
      h.crystal.push_back(c);
      for (int64_t j = 0; j < n; ++j) {
        if (i == j) continue;
        h.src.push_back(offset + j);
        h.dst.push_back(offset + i);
      }
    }
    h.frac_t.insert(h.frac_t.end(), it.frac_t.begin(), it.frac_t.end());
    if (!it.noise_frac.empty()) h.noise_frac.insert(h.noise_frac.end(), it.noise_frac.begin(), it.noise_frac.end());
    h.lat_t.insert(h.lat_t.end(), it.lat_t.begin(), it.lat_t.end());
    h.noise_lat.insert(h.noise_lat.end(), it.noise_lat.begin(), it.noise_lat.end());
    h.lat_weight.push_back(it.lattice_given ? 0.f : 1.f);
    h.t.push_back(it.t);
    h.n_atoms.push_back(static_cast<float>(n));
    const PeakCondition empty;
    const PeakCondition& cond = it.condition ? *it.condition : empty;
    const int np = std::min<int>(static_cast<int>(cond.peaks.size()), static_cast<int>(h.K));
    for (int k = 0; k < np; ++k) {
      h.peaks[(c * h.K + k) * 2 + 0] = static_cast<float>(cond.peaks[k].q_inv_angstrom);
      h.peaks[(c * h.K + k) * 2 + 1] = static_cast<float>(cond.peaks[k].intensity / 100.0);
      h.peak_valid[c * h.K + k] = 1;
    }
    const bool has_size = cond.size_angstrom > 0;
    const float g[kGlobalFeatures] = {cond.has_pattern() ? 1.f : 0.f,
                                      static_cast<float>(cond.q_min_inv_angstrom / 8.0),
                                      static_cast<float>(cond.q_max_inv_angstrom / 8.0),
                                      has_size ? 1.f : 0.f,
                                      has_size ? static_cast<float>(std::log10(cond.size_angstrom) / 3.0) : 0.f,
                                      static_cast<float>(std::log(static_cast<double>(std::max<int64_t>(n, 1))) / 3.0),
                                      it.lattice_given ? 1.f : 0.f};
    h.global.insert(h.global.end(), g, g + kGlobalFeatures);
    offset += n;
  }
  h.M = offset;
  h.E = static_cast<int64_t>(h.src.size());
  return h;
}

namespace {
Tensor from_floats(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}
Tensor from_longs(const std::vector<int64_t>& v) {
  return torch::from_blob(const_cast<int64_t*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kInt64).clone();
}
}  // namespace

Batch to_tensors(const HostBatch& h, torch::Device device) {
  Batch b;
  b.B = h.B;
  b.M = h.M;
  b.z = from_longs(h.z).to(device);
  b.crystal = from_longs(h.crystal).to(device);
  b.src = from_longs(h.src).to(device);
  b.dst = from_longs(h.dst).to(device);
  b.frac_t = from_floats(h.frac_t, {h.M, 3}).to(device);
  if (!h.noise_frac.empty()) b.noise_frac = from_floats(h.noise_frac, {h.M, 3}).to(device);
  b.lat_t = from_floats(h.lat_t, {h.B, 6}).to(device);
  b.noise_lat = from_floats(h.noise_lat, {h.B, 6}).to(device);
  b.lat_weight = from_floats(h.lat_weight, {h.B}).to(device);
  b.t = from_floats(h.t, {h.B}).to(device);
  b.n_atoms = from_floats(h.n_atoms, {h.B}).to(device);
  b.peaks = from_floats(h.peaks, {h.B, h.K, 2}).to(device);
  b.peak_valid = torch::from_blob(const_cast<uint8_t*>(h.peak_valid.data()), {h.B, h.K}, torch::kUInt8)
                     .clone()
                     .to(torch::kBool)
                     .to(device);
  b.global = from_floats(h.global, {h.B, kGlobalFeatures}).to(device);
  return b;
}

Tensor wrap_delta(const Tensor& x) { return x - torch::round(x); }

std::pair<Tensor, Tensor> torus_path(const Tensor& x0, const Tensor& x1, const Tensor& t) {
  const Tensor u = wrap_delta(x1 - x0);
  Tensor xt = x0 + t * u;
  xt = xt - torch::floor(xt);
  return {xt, u};
}

Tensor scatter_mean(const Tensor& v, const Tensor& index, int64_t n) {
  auto sum = torch::zeros({n, v.size(1)}, v.options()).index_add_(0, index, v);
  auto count = torch::zeros({n}, v.options()).index_add_(0, index, torch::ones({v.size(0)}, v.options()));
  return sum / count.clamp_min(1.0).unsqueeze(1);
}

Tensor remove_crystal_mean(const Tensor& v, const Tensor& crystal, int64_t B) {
  return v - scatter_mean(v, crystal, B).index_select(0, crystal);
}

namespace {
nn::Sequential mlp(int in, int hidden, int out) {
  return nn::Sequential(nn::Linear(in, hidden), nn::SiLU(), nn::Linear(hidden, out));
}

Tensor sinusoidal(const Tensor& t, int dim) {
  const int half = dim / 2;
  auto freqs = torch::exp(torch::arange(half, t.options()) * (-std::log(1000.0) / (half - 1)));
  auto arg = t.unsqueeze(1) * 1000.0 * freqs.unsqueeze(0);
  return torch::cat({torch::sin(arg), torch::cos(arg)}, 1);
}

// Peak token features: Q and d scales, intensity forms, and Fourier features of Q from 0.5 to ~90 rad·Å.
Tensor peak_features(const Tensor& peaks) {
  auto q = peaks.select(2, 0).unsqueeze(2);
  auto i = peaks.select(2, 1).unsqueeze(2);
  auto d = (2 * kPi / q.clamp_min(0.1)) / 10.0;
  auto omega = 0.5 * torch::pow(2.0, torch::arange(kPeakFrequencies, peaks.options()) * 0.5);
  auto arg = q * omega.view({1, 1, kPeakFrequencies});
  return torch::cat({q / 8.0, d.clamp_max(3.0), i, torch::sqrt(i.clamp_min(0)), torch::sin(arg), torch::cos(arg)}, 2);
}
constexpr int kPeakFeatureCount = 4 + 2 * kPeakFrequencies;
}  // namespace

DenoiserImpl::DenoiserImpl(const ModelConfig& config) : cfg(config) {
  const int H = cfg.hidden;
  const int edge_in = 6 + 6 * cfg.fourier + cfg.rbf;
  lat_mean = register_buffer("lat_mean", torch::zeros({6}));
  lat_std = register_buffer("lat_std", torch::ones({6}));
  atom_embedding = register_module("atom_embedding", nn::Embedding(kMaxAtomicNumber + 1, H));
  time_mlp = register_module("time_mlp", mlp(64, H, H));
  token_mlp = register_module("token_mlp", mlp(kPeakFeatureCount, H, H));
  global_mlp = register_module("global_mlp", mlp(kGlobalFeatures, H, H));
  peak_attention = register_module(
      "peak_attention", nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(H, 4).dim_feedforward(2 * H).dropout(0.0)));
  pool_mlp = register_module("pool_mlp", mlp(2 * H, H, H));
  node_in = register_module("node_in", mlp(3 * H, H, H));
  ln = register_module("ln", nn::ModuleList());
  lin_src = register_module("lin_src", nn::ModuleList());
  lin_dst = register_module("lin_dst", nn::ModuleList());
  lin_edge = register_module("lin_edge", nn::ModuleList());
  edge_out = register_module("edge_out", nn::ModuleList());
  node_mlp = register_module("node_mlp", nn::ModuleList());
  pattern_inject = register_module("pattern_inject", nn::ModuleList());
  for (int l = 0; l < cfg.layers; ++l) {
    ln->push_back(nn::LayerNorm(nn::LayerNormOptions({H})));
    lin_src->push_back(nn::Linear(H, H));
    lin_dst->push_back(nn::Linear(nn::LinearOptions(H, H).bias(false)));
    lin_edge->push_back(nn::Linear(nn::LinearOptions(edge_in, H).bias(false)));
    edge_out->push_back(nn::Sequential(nn::SiLU(), nn::Linear(H, H), nn::SiLU()));
    node_mlp->push_back(mlp(2 * H, H, H));
    pattern_inject->push_back(nn::Linear(H, H));
  }
  if (cfg.peak_heads > 0) {
    if (H % cfg.peak_heads != 0) throw Error("model config: hidden size must be a multiple of peak_heads");
    peak_ln = register_module("peak_ln", nn::ModuleList());
    peak_q = register_module("peak_q", nn::ModuleList());
    peak_kv = register_module("peak_kv", nn::Linear(H, 2 * H));  // shared by the layers: a quarter of the cost
    peak_out = register_module("peak_out", nn::ModuleList());
    for (int l = 0; l < cfg.layers; ++l) {
      peak_ln->push_back(nn::LayerNorm(nn::LayerNormOptions({H})));
      peak_q->push_back(nn::Linear(nn::LinearOptions(H, H).bias(false)));
      nn::Linear out(H, H);
      torch::NoGradGuard ng;
      out->weight.zero_();
      out->bias.zero_();
      peak_out->push_back(out);
    }
  }
  ln_out = register_module("ln_out", nn::LayerNorm(nn::LayerNormOptions({H})));
  coord_head = register_module("coord_head", mlp(H, H, 3));
  lattice_head = register_module("lattice_head", mlp(3 * H + 6 + kGlobalFeatures, H, 6));
}

std::pair<Tensor, Tensor> DenoiserImpl::forward(const Batch& b) {
  const int64_t B = b.B, M = b.M;
  const auto& crystal = b.crystal;
  Tensor temb = time_mlp->forward(sinusoidal(b.t, 64));

  // Pattern: a global token (window, size, atom count, flags) plus one token per peak, one attention layer,
  // masked mean pooling.
  Tensor tokens = token_mlp->forward(peak_features(b.peaks));                 // [B,K,H]
  Tensor gtok = global_mlp->forward(b.global).unsqueeze(1);                    // [B,1,H]
  tokens = torch::cat({gtok, tokens}, 1);
  Tensor valid = torch::cat({torch::ones({B, 1}, b.peak_valid.options()), b.peak_valid}, 1);  // [B,K+1]
  tokens = peak_attention->forward(tokens.transpose(0, 1), {}, valid.logical_not()).transpose(0, 1);
  Tensor vf = valid.to(tokens.dtype()).unsqueeze(2);
  Tensor pooled = (tokens * vf).sum(1) / vf.sum(1);
  Tensor pvec = pool_mlp->forward(torch::cat({pooled, tokens.select(1, 0)}, 1));  // [B,H]

  Tensor h = node_in->forward(torch::cat(
      {atom_embedding->forward(b.z), temb.index_select(0, crystal), pvec.index_select(0, crystal)}, 1));

  // Edge features that do not change across layers.
  Tensor crystal_src = crystal.index_select(0, b.src);
  Tensor df = wrap_delta(b.frac_t.index_select(0, b.dst) - b.frac_t.index_select(0, b.src));  // [E,3]
  auto k = torch::arange(1, cfg.fourier + 1, df.options()) * (2 * kPi);
  Tensor arg = (df.unsqueeze(2) * k.view({1, 1, -1})).flatten(1);
  // Distance of the minimum-image difference under the noisy lattice.
  Tensor raw = b.lat_t * lat_std + lat_mean;
  Tensor scale = torch::pow(b.n_atoms, 1.0 / 3.0).unsqueeze(1);
  Tensor len = torch::exp(raw.slice(1, 0, 3).clamp(-3, 3)) * scale;
  Tensor cosang = torch::cos(raw.slice(1, 3, 6).clamp(20, 160) * (kPi / 180.0));
  Tensor a = len.select(1, 0), bb = len.select(1, 1), c = len.select(1, 2);
  Tensor ca = cosang.select(1, 0), cb = cosang.select(1, 1), cg = cosang.select(1, 2);
  Tensor G = torch::stack({a * a, a * bb * cg, a * c * cb, a * bb * cg, bb * bb, bb * c * ca, a * c * cb,
                           bb * c * ca, c * c},
                          1)
                 .view({B, 3, 3});
  Tensor Ge = G.index_select(0, crystal_src);
  Tensor d2 = (df.unsqueeze(1).matmul(Ge).squeeze(1) * df).sum(1);
  Tensor dist = torch::sqrt(d2.clamp_min(1e-4));
  Tensor mu = torch::linspace(0.0, 8.0, cfg.rbf, df.options());
  Tensor rbf = torch::exp(-torch::pow((dist.unsqueeze(1) - mu.unsqueeze(0)) / 0.6, 2));
  Tensor edge_static =
      torch::cat({b.lat_t.index_select(0, crystal_src), torch::sin(arg), torch::cos(arg), rbf}, 1);

  // Atom-to-peak attention, batched per crystal: atoms padded into [B, n_max] slots (atoms of a crystal are
  // contiguous), so no per-atom copy of the tokens is made (that was 4× slower than the rest of the network).
  const int heads = cfg.peak_heads;
  const int64_t T = tokens.size(1), dh = heads > 0 ? cfg.hidden / heads : 0;
  Tensor slot_index, key_mask, peak_keys, peak_values;
  int64_t n_max = 0;
  if (heads > 0) {
    Tensor counts = torch::bincount(crystal, {}, B);
    Tensor slot = torch::arange(M, crystal.options()) - (counts.cumsum(0) - counts).index_select(0, crystal);
    n_max = counts.max().item<int64_t>();
    slot_index = crystal * n_max + slot;
    key_mask = valid.logical_not().view({B, 1, 1, T});
    auto kv = peak_kv->forward(tokens).view({B, T, 2, heads, dh});
    peak_keys = kv.select(2, 0).transpose(1, 2);    // [B,h,T,d]
    peak_values = kv.select(2, 1).transpose(1, 2);
  }
  for (int l = 0; l < cfg.layers; ++l) {
    if (heads > 0) {
      Tensor q = peak_q[l]->as<nn::Linear>()->forward(peak_ln[l]->as<nn::LayerNorm>()->forward(h));
      q = torch::zeros({B * n_max, cfg.hidden}, q.options()).index_copy(0, slot_index, q);
      q = q.view({B, n_max, heads, dh}).transpose(1, 2);                                       // [B,h,N,d]
      Tensor scores = torch::matmul(q, peak_keys.transpose(2, 3)) / std::sqrt(static_cast<double>(dh));  // [B,h,N,T]
      Tensor w = torch::softmax(scores.masked_fill(key_mask, -1e9), 3);
      Tensor read = torch::matmul(w, peak_values).transpose(1, 2).reshape({B * n_max, cfg.hidden}).index_select(0, slot_index);
      h = h + peak_out[l]->as<nn::Linear>()->forward(read);
    }
    Tensor hn = ln[l]->as<nn::LayerNorm>()->forward(h);
    Tensor pre = lin_src[l]->as<nn::Linear>()->forward(hn).index_select(0, b.src) +
                 lin_dst[l]->as<nn::Linear>()->forward(hn).index_select(0, b.dst) +
                 lin_edge[l]->as<nn::Linear>()->forward(edge_static);
    Tensor m = edge_out[l]->as<nn::Sequential>()->forward(pre);
    Tensor agg = scatter_mean(m, b.dst, M);
    h = h + node_mlp[l]->as<nn::Sequential>()->forward(torch::cat({hn, agg}, 1)) +
        pattern_inject[l]->as<nn::Linear>()->forward(pvec).index_select(0, crystal);
  }
  Tensor ho = ln_out->forward(h);
  Tensor v_frac = remove_crystal_mean(coord_head->forward(ho), crystal, B);
  Tensor pooled_h = scatter_mean(ho, crystal, B);
  Tensor v_lat = lattice_head->forward(torch::cat({pooled_h, pvec, temb, b.lat_t, b.global}, 1));
  return {v_frac, v_lat};
}

uint64_t mix_seed(uint64_t seed, uint64_t counter) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (counter + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::array<float, 6> normalised_code(const Lattice& lattice, int n_atoms, const float* mean, const float* std_dev) {
  const auto raw = raw_lattice_code(lattice, n_atoms);
  std::array<float, 6> out{};
  for (int i = 0; i < 6; ++i) out[i] = static_cast<float>((raw[i] - mean[i]) / std_dev[i]);
  return out;
}

std::vector<BatchItem> make_training_items(const std::vector<DatasetEntry>& entries,
                                           const std::vector<std::size_t>& indices, const Tensor& lat_mean,
                                           const Tensor& lat_std, double lattice_given_fraction,
                                           const AugmentOptions& augment, std::mt19937_64& rng,
                                           std::vector<PeakCondition>& conditions) {
  const Tensor mean_c = lat_mean.to(torch::kCPU).contiguous(), std_c = lat_std.to(torch::kCPU).contiguous();
  const float* mean = mean_c.data_ptr<float>();
  const float* sd = std_c.data_ptr<float>();
  conditions.assign(indices.size(), PeakCondition{});
  std::vector<BatchItem> items(indices.size());
  std::uniform_real_distribution<float> u01(0.f, 1.f);
  std::normal_distribution<float> n01(0.f, 1.f);
  for (std::size_t k = 0; k < indices.size(); ++k) {
    const auto& e = entries[indices[k]];
    auto& it = items[k];
    const int n = static_cast<int>(e.crystal.sites.size());
    for (const auto& s : e.crystal.sites) {
      it.atomic_numbers.push_back(s.atomic_number);
      for (int d = 0; d < 3; ++d) {
        const double f = s.frac[d] - std::floor(s.frac[d]);
        it.frac_t.push_back(static_cast<float>(f >= 1.0 ? 0.0 : f));
        it.noise_frac.push_back(u01(rng));
      }
    }
    it.lat_t = normalised_code(e.crystal.lattice, n, mean, sd);
    for (auto& v : it.noise_lat) v = n01(rng);
    it.t = u01(rng);
    it.lattice_given = u01(rng) < lattice_given_fraction;
    conditions[k] = augmented_condition(e.sticks, rng, augment);
    it.condition = &conditions[k];
  }
  return items;
}

FlowLoss flow_loss(Denoiser& model, Batch& b) {
  Tensor t_atom = b.t.index_select(0, b.crystal).unsqueeze(1);
  auto [frac_t, u] = torus_path(b.noise_frac, b.frac_t, t_atom);
  u = remove_crystal_mean(u, b.crystal, b.B);
  Tensor tl = b.t.unsqueeze(1);
  Tensor lat1 = b.lat_t;
  Tensor given = (b.lat_weight < 0.5).unsqueeze(1);
  Tensor lat_t = torch::where(given, lat1, (1 - tl) * b.noise_lat + tl * lat1);
  Tensor ul = lat1 - b.noise_lat;
  b.frac_t = frac_t;
  b.lat_t = lat_t;
  auto [vf, vl] = model->forward(b);
  FlowLoss loss;
  loss.coord = (vf - u).pow(2).mean();
  Tensor w = b.lat_weight.unsqueeze(1);
  loss.lattice = ((vl - ul).pow(2) * w).sum() / (w.sum() * 6).clamp_min(1.0);
  return loss;
}

std::string config_string(const ModelConfig& c) {
  std::ostringstream s;
  s << "hidden=" << c.hidden << ";layers=" << c.layers << ";fourier=" << c.fourier << ";rbf=" << c.rbf;
  if (c.peak_heads > 0) s << ";peak_heads=" << c.peak_heads;  // absent in files written before it existed
  return s.str();
}

ModelConfig parse_config_string(const std::string& text) {
  ModelConfig c;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw Error("model config is malformed: '" + text + "'");
    const std::string key = item.substr(0, eq);
    const int value = std::stoi(item.substr(eq + 1));
    if (value <= 0 || value > 4096) throw Error("model config is malformed: '" + text + "'");
    if (key == "hidden") c.hidden = value;
    else if (key == "layers") c.layers = value;
    else if (key == "fourier") c.fourier = value;
    else if (key == "rbf") c.rbf = value;
    else if (key == "peak_heads") c.peak_heads = value;
    else throw Error("model config has an unknown key '" + key + "'");
  }
  return c;
}

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(rd());
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write (" + e.what_without_backtrace() + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot replace the file");
  }
}

void save_weights(const std::string& path, Denoiser& model, long step) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kWeightsFormat)));
  archive.write("config", c10::IValue(config_string(model->cfg)));
  archive.write("step", c10::IValue(static_cast<int64_t>(step)));
  torch::serialize::OutputArchive m;
  model->save(m);
  archive.write("model", m);
  save_archive_atomically(archive, path);
}

Denoiser load_weights(const std::string& path, long* step) {
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw Error(path + ": model weights not found (train a model or give --weights)");
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    c10::IValue format, config, st;
    archive.read("format", format);
    if (!format.isString() || format.toStringRef() != kWeightsFormat)
      throw Error(path + ": not a PXRD-Diff weights file of format " + kWeightsFormat);
    archive.read("config", config);
    archive.read("step", st);
    Denoiser model(parse_config_string(config.toStringRef()));
    torch::serialize::InputArchive m;
    archive.read("model", m);
    model->load(m);
    if (step) *step = static_cast<long>(st.toInt());
    model->eval();
    return model;
  } catch (const c10::Error& e) {
    throw Error(path + ": model weights are corrupt or not a PXRD-Diff model (" +
                std::string(e.what_without_backtrace()).substr(0, 200) + ")");
  } catch (const std::invalid_argument&) {
    throw Error(path + ": model weights have a malformed config");
  }
}

Denoiser widened_copy(Denoiser& from, const ModelConfig& wider) {
  Denoiser to(wider);
  torch::NoGradGuard ng;
  auto copy_shared = [](auto source, auto target) {
    for (auto& item : target) {
      const torch::Tensor* src = source.find(item.key());
      if (src && src->sizes() == item.value().sizes()) item.value().copy_(*src);
    }
  };
  copy_shared(from->named_parameters(), to->named_parameters());
  copy_shared(from->named_buffers(), to->named_buffers());
  return to;
}

}  // namespace pxrd::models::detail
