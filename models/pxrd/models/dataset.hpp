#pragma once
// MP-20 training data for the diffusion model: CSV.xz reading, and a compact binary cache holding each crystal with
// its radiation-independent stick pattern, so restarts skip CIF parsing and simulation.
#include <cstdint>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/simulator.hpp"

namespace pxrd::models {

// One reflection with the Lorentz-polarisation factor divided out: |F|² × multiplicity depends only on Q, so a
// pattern for any wavelength is this times LP(θ(λ)).
struct StickLine {
  float q_inv_angstrom = 0;
  float intensity_no_lp = 0;
};

enum class Split : std::uint8_t { Train = 0, Val = 1, Monitor = 2, Test = 3 };

struct DatasetEntry {
  std::string material_id;
  Split split = Split::Train;
  Crystal crystal;
  std::vector<StickLine> sticks;  // sorted by Q, up to kCacheQMax
};

// Sticks are cached up to this Q (Cu Kα reaches it near 2θ = 118°).
constexpr double kCacheQMaxInvAngstrom = 7.0;
// Wavelength used to compute the cached sticks.
constexpr double kCacheLambdaAngstrom = 1.54184;

// Lorentz-polarisation factor (1 + cos² 2θ) / (sin² θ cos θ), as in pymatgen's XRDCalculator.
double lorentz_polarisation(double two_theta_deg);
// Sticks of `crystal` from the core simulator with LP divided out.
std::vector<StickLine> radiation_free_sticks(const Crystal& crystal);
// Back to a pattern at `lambda_angstrom`: intensities scaled so that the strongest visible reflection is 100,
// restricted to [two_theta_min, two_theta_max].
std::vector<Reflection> sticks_at_wavelength(const std::vector<StickLine>& sticks, double lambda_angstrom,
                                             double two_theta_min_deg, double two_theta_max_deg);

// Parses a CSV text (RFC 4180: quoted fields, "" escapes, newlines inside quotes). Throws InputError on an
// unterminated quote. Returns rows of fields, the header included.
std::vector<std::vector<std::string>> parse_csv(const std::string& text, const std::string& source_name);
// Decompresses a .xz file with `xz -dc`. Throws InputError if it cannot be read.
std::string read_xz_file(const std::string& path);

// Reads one MP-20 CSV(.xz): either the instruction/input/output form (CIF in "output") or the CDVAE form
// (CIF in "cif"). Rows whose CIF does not parse are skipped and counted in *skipped.
std::vector<DatasetEntry> read_mp20_csv(const std::string& path, Split split, int* skipped = nullptr);

// Every this-many-th val crystal is held out of training by default; the shipped weights were trained so.
constexpr int kDefaultMonitorStride = 36;
// Whether the val crystal at `val_index` (file order, duplicates skipped) is held out for monitoring.
inline bool held_out_for_monitoring(int val_index, int monitor_stride) {
  return monitor_stride > 0 && val_index % monitor_stride == 0;
}

// Loads train_partial + train_canonical_subset + val from `data_dir` (never test), deduplicated by material_id;
// every `monitor_stride`-th val entry becomes Split::Monitor. Computes the sticks on `threads` threads.
// Uses `cache_path` when it exists and is valid, and writes it otherwise.
// Cells are Niggli-reduced after loading (the cache keeps the cells as read).
std::vector<DatasetEntry> load_training_set(const std::string& data_dir, const std::string& cache_path,
                                            int monitor_stride, int threads, const CancelToken& cancel,
                                            ProgressSink& progress);
// The first `count` crystals of test.csv.xz in file order (count <= 0: all), with their sticks left empty.
std::vector<DatasetEntry> load_test_set(const std::string& data_dir, int count);
// The val crystals that load_training_set holds out for monitoring (every `monitor_stride`-th of val.csv.xz, file
// order; MP-20's splits share no material_id, so the count matches): never trained on, a development set for
// tuning the solver without touching test. Sticks left empty.
std::vector<DatasetEntry> load_monitor_set(const std::string& data_dir, int monitor_stride);
// The split an evaluation names: "test" (test.csv.xz) or "monitor" (load_monitor_set at the default stride), its
// first `count` crystals (count <= 0: all). Throws InputError for another name or an empty split.
std::vector<DatasetEntry> load_evaluation_split(const std::string& data_dir, const std::string& split, int count);

// The two steps that ready entries as training sees them. compute_sticks simulates each entry's radiation-free
// sticks on `threads` threads and drops the entries whose simulation fails; reduce_cells Niggli-reduces every cell.
void compute_sticks(std::vector<DatasetEntry>& entries, int threads, const CancelToken& cancel, ProgressSink& progress);
void reduce_cells(std::vector<DatasetEntry>& entries);

// Binary cache. save writes atomically; load throws Error when the file is corrupt or of another version.
void save_dataset_cache(const std::string& path, const std::vector<DatasetEntry>& entries);
std::vector<DatasetEntry> load_dataset_cache(const std::string& path);

}  // namespace pxrd::models
