#include "pxrd/models/dataset.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/units.hpp"

namespace pxrd::models {

double lorentz_polarisation(double two_theta_deg) {
  const double theta = deg_to_rad(two_theta_deg) / 2.0;
  const double c2 = std::cos(2.0 * theta);
  return (1.0 + c2 * c2) / (std::sin(theta) * std::sin(theta) * std::cos(theta));
}

std::vector<StickLine> radiation_free_sticks(const Crystal& crystal) {
  StickOptions opt;
  opt.lambda_angstrom = kCacheLambdaAngstrom;
  opt.two_theta_min_deg = 0.0;
  opt.two_theta_max_deg = q_inv_angstrom_to_two_theta_deg(kCacheQMaxInvAngstrom, kCacheLambdaAngstrom);
  opt.scaled = false;
  const auto refl = simulate_sticks(crystal, opt);
  std::vector<StickLine> out;
  out.reserve(refl.size());
  for (const auto& r : refl) {
    if (r.intensity <= 0) continue;
    StickLine s;
    s.q_inv_angstrom = static_cast<float>(two_theta_deg_to_q_inv_angstrom(r.two_theta_deg, kCacheLambdaAngstrom));
    s.intensity_no_lp = static_cast<float>(r.intensity / lorentz_polarisation(r.two_theta_deg));
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const StickLine& a, const StickLine& b) { return a.q_inv_angstrom < b.q_inv_angstrom; });
  return out;
}

std::vector<Reflection> sticks_at_wavelength(const std::vector<StickLine>& sticks, double lambda_angstrom,
                                             double two_theta_min_deg, double two_theta_max_deg) {
  std::vector<Reflection> out;
  double strongest = 0;
  for (const auto& s : sticks) {
    const double tt = q_inv_angstrom_to_two_theta_deg(s.q_inv_angstrom, lambda_angstrom);
    if (!(tt >= two_theta_min_deg && tt <= two_theta_max_deg)) continue;
    Reflection r;
    r.two_theta_deg = tt;
    r.q_inv_angstrom = s.q_inv_angstrom;
    r.d_angstrom = q_inv_angstrom_to_d_angstrom(s.q_inv_angstrom);
    r.intensity = s.intensity_no_lp * lorentz_polarisation(tt);
    strongest = std::max(strongest, r.intensity);
    out.push_back(std::move(r));
  }
  if (strongest > 0)
    for (auto& r : out) r.intensity *= 100.0 / strongest;
  return out;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text, const std::string& source_name) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false;
  bool row_has_content = false;
  int line = 1;
  int quote_line = 0;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < n && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_quotes = true;
        quote_line = line;
        row_has_content = true;
        break;
      case ',':
        row.push_back(std::move(field));
        field.clear();
        row_has_content = true;
        break;
      case '\r':
        break;
      case '\n':
        ++line;
        if (row_has_content || !field.empty()) {
          row.push_back(std::move(field));
          rows.push_back(std::move(row));
        }
        field.clear();
        row.clear();
        row_has_content = false;
        break;
      default:
        field.push_back(c);
        row_has_content = true;
    }
  }
  if (in_quotes) throw InputError(source_name, quote_line, "unterminated quoted field");
  if (row_has_content || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string read_xz_file(const std::string& path) {
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(path, 0, "cannot open the file");
  }
  // The path is quoted for the shell; single quotes inside it are escaped.
  std::string quoted = "'";
  for (char c : path) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string cmd = "xz -dc " + quoted + " 2>/dev/null";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw InputError(path, 0, "cannot run xz");
  std::string out;
  char buf[1 << 16];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, got);
  const int status = ::pclose(pipe);
  if (status != 0) throw InputError(path, 0, "xz could not decompress the file (is xz installed?)");
  return out;
}

std::vector<DatasetEntry> read_mp20_csv(const std::string& path, Split split, int* skipped) {
  const std::string text = path.size() > 3 && path.substr(path.size() - 3) == ".xz" ? read_xz_file(path) : read_file(path);
  const auto rows = parse_csv(text, path);
  if (rows.empty()) throw InputError(path, 0, "empty CSV");
  const auto& header = rows[0];
  int id_col = -1, cif_col = -1;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "material_id") id_col = static_cast<int>(i);
    if (header[i] == "output" || header[i] == "cif") cif_col = static_cast<int>(i);
  }
  if (id_col < 0 || cif_col < 0) throw InputError(path, 1, "no material_id and output/cif columns");
  std::vector<DatasetEntry> out;
  int bad = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (static_cast<int>(row.size()) <= std::max(id_col, cif_col)) {
      ++bad;
      continue;
    }
    try {
      DatasetEntry e;
      e.material_id = row[id_col];
      e.split = split;
      e.crystal = read_cif_string(row[cif_col], path + ":" + e.material_id);
      e.crystal.wrap_to_unit_cell();
      if (e.crystal.sites.empty() || e.crystal.sites.size() > 64) {
        ++bad;
        continue;
      }
      out.push_back(std::move(e));
    } catch (const Error&) {
      ++bad;
    }
  }
  if (skipped) *skipped = bad;
  return out;
}

namespace {
constexpr char kMagic[8] = {'P', 'X', 'R', 'D', 'M', 'P', '2', '0'};
constexpr std::uint32_t kCacheVersion = 1;

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T get(const std::string& in, std::size_t& pos, const std::string& path) {
  if (pos + sizeof(T) > in.size()) throw Error(path + ": dataset cache is truncated or corrupt");
  T v;
  std::memcpy(&v, in.data() + pos, sizeof(T));
  pos += sizeof(T);
  return v;
}
}  // namespace

void save_dataset_cache(const std::string& path, const std::vector<DatasetEntry>& entries) {
  std::string out(kMagic, kMagic + 8);
  put(out, kCacheVersion);
  put(out, static_cast<std::uint64_t>(entries.size()));
  for (const auto& e : entries) {
    put(out, static_cast<std::uint32_t>(e.material_id.size()));
    out += e.material_id;
    put(out, static_cast<std::uint8_t>(e.split));
    const auto& m = e.crystal.lattice.matrix();
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) put(out, m(i, j));
    put(out, static_cast<std::uint32_t>(e.crystal.sites.size()));
    for (const auto& s : e.crystal.sites) {
      put(out, static_cast<std::uint8_t>(s.atomic_number));
      for (int k = 0; k < 3; ++k) put(out, s.frac[k]);
    }
    put(out, static_cast<std::uint32_t>(e.sticks.size()));
    for (const auto& s : e.sticks) {
      put(out, s.q_inv_angstrom);
      put(out, s.intensity_no_lp);
    }
  }
  write_file_atomically(path, out);
}

std::vector<DatasetEntry> load_dataset_cache(const std::string& path) {
  const std::string in = read_file(path);
  if (in.size() < 20 || std::memcmp(in.data(), kMagic, 8) != 0)
    throw Error(path + ": not a PXRD-Diff dataset cache");
  std::size_t pos = 8;
  if (get<std::uint32_t>(in, pos, path) != kCacheVersion) throw Error(path + ": dataset cache of another version");
  const auto n = get<std::uint64_t>(in, pos, path);
  if (n > 10'000'000) throw Error(path + ": dataset cache is corrupt");
  std::vector<DatasetEntry> entries(n);
  for (auto& e : entries) {
    const auto len = get<std::uint32_t>(in, pos, path);
    if (pos + len > in.size()) throw Error(path + ": dataset cache is truncated or corrupt");
    e.material_id.assign(in.data() + pos, len);
    pos += len;
    e.split = static_cast<Split>(get<std::uint8_t>(in, pos, path));
    Eigen::Matrix3d m;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) m(i, j) = get<double>(in, pos, path);
    e.crystal.lattice = Lattice(m);
    e.crystal.name = e.material_id;
    const auto ns = get<std::uint32_t>(in, pos, path);
    if (ns > 1000) throw Error(path + ": dataset cache is corrupt");
    e.crystal.sites.resize(ns);
    for (auto& s : e.crystal.sites) {
      s.atomic_number = get<std::uint8_t>(in, pos, path);
      if (s.atomic_number < 1 || s.atomic_number > kMaxAtomicNumber) throw Error(path + ": dataset cache is corrupt");
      s.element = element_symbol(s.atomic_number);
      for (int k = 0; k < 3; ++k) s.frac[k] = get<double>(in, pos, path);
    }
    const auto nk = get<std::uint32_t>(in, pos, path);
    if (nk > 1'000'000) throw Error(path + ": dataset cache is corrupt");
    e.sticks.resize(nk);
    for (auto& s : e.sticks) {
      s.q_inv_angstrom = get<float>(in, pos, path);
      s.intensity_no_lp = get<float>(in, pos, path);
    }
  }
  if (pos != in.size()) throw Error(path + ": dataset cache has trailing bytes (corrupt)");
  return entries;
}

void compute_sticks(std::vector<DatasetEntry>& entries, int threads, const CancelToken& cancel,
                    ProgressSink& progress) {
  std::atomic<std::size_t> done{0};
  const std::thread::id caller = std::this_thread::get_id();  // the sink is reported to from this thread only
  parallel_for(entries.size(), worker_count(threads), [&](std::size_t i) {
    if (cancel.cancelled()) return;
    try {
      entries[i].sticks = radiation_free_sticks(entries[i].crystal);
    } catch (const Error&) {
      entries[i].sticks.clear();  // dropped below
    }
    const std::size_t d = ++done;
    if (std::this_thread::get_id() == caller && d % 500 < 2)
      progress.report(static_cast<double>(d) / entries.size(), "simulating sticks");
  });
  cancel.throw_if_cancelled();
  entries.erase(std::remove_if(entries.begin(), entries.end(), [](const DatasetEntry& e) { return e.sticks.empty(); }),
                entries.end());
}

// MP-20's cells are arbitrary (angles of 27° and 161° occur); the model learns one canonical cell per lattice.
void reduce_cells(std::vector<DatasetEntry>& entries) {
  for (auto& e : entries) e.crystal = niggli_reduced(e.crystal);
}

std::vector<DatasetEntry> load_training_set(const std::string& data_dir, const std::string& cache_path,
                                            int monitor_stride, int threads, const CancelToken& cancel,
                                            ProgressSink& progress) {
  if (!cache_path.empty()) {
    std::ifstream probe(cache_path, std::ios::binary);
    if (probe) {
      try {
        auto entries = load_dataset_cache(cache_path);
        progress.report(1.0, "dataset cache loaded");
        reduce_cells(entries);
        return entries;
      } catch (const Error&) {
        // A stale or corrupt cache is rebuilt below.
      }
    }
  }
  std::vector<DatasetEntry> all;
  std::unordered_set<std::string> seen;
  const std::pair<const char*, Split> files[] = {{"train_partial.csv.xz", Split::Train},
                                                 {"train_canonical_subset.csv.xz", Split::Train},
                                                 {"val.csv.xz", Split::Val}};
  for (const auto& [name, split] : files) {
    progress.report(0.0, std::string("reading ") + name);
    auto part = read_mp20_csv(data_dir + "/" + name, split);
    int val_index = 0;
    for (auto& e : part) {
      if (!seen.insert(e.material_id).second) continue;
      if (split == Split::Val && held_out_for_monitoring(val_index++, monitor_stride)) e.split = Split::Monitor;
      all.push_back(std::move(e));
    }
    cancel.throw_if_cancelled();
  }
  compute_sticks(all, threads, cancel, progress);
  if (!cache_path.empty()) save_dataset_cache(cache_path, all);
  reduce_cells(all);
  return all;
}

std::vector<DatasetEntry> load_test_set(const std::string& data_dir, int count) {
  auto entries = read_mp20_csv(data_dir + "/test.csv.xz", Split::Test);
  if (count > 0 && static_cast<int>(entries.size()) > count) entries.resize(count);
  return entries;
}

std::vector<DatasetEntry> load_monitor_set(const std::string& data_dir, int monitor_stride) {
  if (monitor_stride < 1) throw Error("load_monitor_set: the monitor stride must be at least 1");
  std::vector<DatasetEntry> out;
  std::unordered_set<std::string> seen;
  int val_index = 0;
  for (DatasetEntry& e : read_mp20_csv(data_dir + "/val.csv.xz", Split::Val)) {
    if (!seen.insert(e.material_id).second) continue;
    if (!held_out_for_monitoring(val_index++, monitor_stride)) continue;
    e.split = Split::Monitor;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<DatasetEntry> load_evaluation_split(const std::string& data_dir, const std::string& split, int count) {
  if (split != "test" && split != "monitor") throw InputError("--split", 0, "unknown split '" + split + "' (test, monitor)");
  std::vector<DatasetEntry> entries =
      split == "test" ? load_test_set(data_dir, count) : load_monitor_set(data_dir, kDefaultMonitorStride);
  if (count > 0 && static_cast<int>(entries.size()) > count) entries.resize(static_cast<std::size_t>(count));
  if (entries.empty())
    throw InputError(data_dir + (split == "test" ? "/test.csv.xz" : "/val.csv.xz"), 0, "no " + split + " structures found");
  return entries;
}

}  // namespace pxrd::models
