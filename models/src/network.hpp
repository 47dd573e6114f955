#pragma once
// Internal: the denoiser network, batch layout, flow math and weight files. Only models/src includes torch.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "pxrd/models/diffusion.hpp"

namespace pxrd::models::detail {

constexpr int kGlobalFeatures = 7;
constexpr int kPeakFrequencies = 16;
constexpr const char* kWeightsFormat = "pxrd-flow-v1";

// One crystal of a batch, as the data thread prepares it.
struct BatchItem {
  std::vector<int> atomic_numbers;
  std::vector<float> frac_t;      // 3 per atom, in [0,1)
  std::array<float, 6> lat_t{};   // normalised lattice code
  float t = 0;
  bool lattice_given = false;
  const PeakCondition* condition = nullptr;
  // Training only: frac_t and lat_t hold the clean data, these the noise (t = 0) end of the path.
  std::vector<float> noise_frac;  // 3 per atom
  std::array<float, 6> noise_lat{};
};

// Plain arrays for one batch; converted to tensors on the training thread.
struct HostBatch {
  int64_t B = 0, M = 0, E = 0, K = 0;
  std::vector<int64_t> z, crystal, src, dst;
  std::vector<float> frac_t, noise_frac, lat_t, noise_lat, lat_weight, t, n_atoms, peaks, global;
  std::vector<uint8_t> peak_valid;
};
HostBatch make_host_batch(const std::vector<BatchItem>& items);

struct Batch {
  torch::Tensor z, crystal, src, dst, frac_t, noise_frac, lat_t, noise_lat, lat_weight, t, n_atoms, peaks, peak_valid,
      global;
  int64_t B = 0, M = 0;
};
Batch to_tensors(const HostBatch& h, torch::Device device);

// Flow on the torus: x_t = frac(x0 + t·wrap(x1 − x0)), velocity u = wrap(x1 − x0), wrap(x) = x − round(x).
torch::Tensor wrap_delta(const torch::Tensor& x);
std::pair<torch::Tensor, torch::Tensor> torus_path(const torch::Tensor& x0, const torch::Tensor& x1,
                                                   const torch::Tensor& t);
// Subtracts each crystal's mean (translation invariance of the coordinate field).
torch::Tensor remove_crystal_mean(const torch::Tensor& v, const torch::Tensor& crystal, int64_t B);
torch::Tensor scatter_mean(const torch::Tensor& v, const torch::Tensor& index, int64_t n);

struct DenoiserImpl : torch::nn::Module {
  explicit DenoiserImpl(const ModelConfig& config);
  // Returns (coordinate velocity [M,3] mean-free per crystal, lattice velocity [B,6]).
  std::pair<torch::Tensor, torch::Tensor> forward(const Batch& b);

  ModelConfig cfg;
  torch::Tensor lat_mean, lat_std;  // buffers: statistics of the raw lattice code
  torch::nn::Embedding atom_embedding{nullptr};
  torch::nn::Sequential time_mlp{nullptr}, token_mlp{nullptr}, global_mlp{nullptr}, pool_mlp{nullptr},
      node_in{nullptr}, coord_head{nullptr}, lattice_head{nullptr};
  torch::nn::TransformerEncoderLayer peak_attention{nullptr};
  torch::nn::ModuleList ln{nullptr}, lin_src{nullptr}, lin_dst{nullptr}, lin_edge{nullptr}, edge_out{nullptr},
      node_mlp{nullptr}, pattern_inject{nullptr};
  // Atom-to-peak attention (cfg.peak_heads > 0): keys and values of the peak tokens shared by all layers; per layer a
  // LayerNorm, a query map and an output map that starts at zero, so that adding it to trained weights leaves the
  // model's function unchanged.
  torch::nn::ModuleList peak_ln{nullptr}, peak_q{nullptr}, peak_out{nullptr};
  torch::nn::Linear peak_kv{nullptr};
  torch::nn::LayerNorm ln_out{nullptr};
};
TORCH_MODULE(Denoiser);

// Training items: for each index, the clean crystal, noise drawn from `rng` (uniform on the torus, standard normal
// for the lattice code), t ~ U(0,1), and an augmented condition (stored in `conditions`, which must outlive the
// items and not reallocate: it is resized here).
std::vector<BatchItem> make_training_items(const std::vector<DatasetEntry>& entries,
                                           const std::vector<std::size_t>& indices, const torch::Tensor& lat_mean,
                                           const torch::Tensor& lat_std, double lattice_given_fraction,
                                           const AugmentOptions& augment, std::mt19937_64& rng,
                                           std::vector<PeakCondition>& conditions);
// Normalised lattice code of a lattice (standardised raw code).
std::array<float, 6> normalised_code(const Lattice& lattice, int n_atoms, const float* mean, const float* std_dev);

struct FlowLoss {
  torch::Tensor coord, lattice;
};
// Builds the path points from a training batch (clean + noise) and returns the two mean squared errors.
FlowLoss flow_loss(Denoiser& model, Batch& batch);

// Deterministic 64-bit mix of a seed and a counter (splitmix64).
uint64_t mix_seed(uint64_t seed, uint64_t counter);

std::string config_string(const ModelConfig& c);
ModelConfig parse_config_string(const std::string& s);

// Weight file (EMA weights for sampling): format tag, config, step, module. Written atomically.
void save_weights(const std::string& path, Denoiser& model, long step);
// Throws Error with a clear message for a missing, corrupt or foreign file.
Denoiser load_weights(const std::string& path, long* step);
// A model of config `wider` holding every parameter and buffer of `from` that it shares by name and shape; the rest
// keep their initialisation (the atom-to-peak attention added to trained weights starts as a no-op).
Denoiser widened_copy(Denoiser& from, const ModelConfig& wider);

// Writes a torch archive to `path` through a temporary file and a rename.
void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace pxrd::models::detail
