#include "pxrd/batch.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "pxrd/atomic_file.hpp"
#include "pxrd/error.hpp"

namespace pxrd {

namespace {

// One CSV record split into fields (double quotes, "" as an escaped quote).
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  for (std::string& f : fields) {
    const auto b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  }
  return fields;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out + "\"";
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* kSummaryHeader = "name,pattern,formula,status,rwp,space_group,candidates,wall_time_s,message";

void write_summary(const std::string& out_dir, const std::vector<BatchRecord>& records) {
  std::ostringstream o;
  o << kSummaryHeader << "\n";
  for (const BatchRecord& r : records) {
    char num[64] = "";
    if (std::isfinite(r.rwp)) std::snprintf(num, sizeof num, "%.6g", r.rwp);
    char wall[64];
    std::snprintf(wall, sizeof wall, "%.3f", r.wall_time_s);
    o << csv_field(r.name) << ',' << csv_field(r.pattern) << ',' << csv_field(r.formula) << ',' << r.status << ','
      << num << ',' << csv_field(r.space_group) << ',' << r.candidates << ',' << wall << ',' << csv_field(r.message)
      << "\n";
  }
  write_file_atomically(batch_summary_path(out_dir), o.str());
}

}  // namespace

std::string batch_summary_path(const std::string& out_dir) { return out_dir + "/batch_summary.csv"; }

std::vector<BatchItem> read_batch_manifest(const std::string& path) {
  const std::string text = read_file(path);
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  std::map<std::string, std::size_t> column;
  std::vector<BatchItem> items;
  std::map<std::string, int> used_names;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line = line.substr(3);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const std::vector<std::string> f = split_csv_line(line);
    if (column.empty()) {
      for (std::size_t i = 0; i < f.size(); ++i) column[lower(f[i])] = i;
      if (!column.count("pattern") || !column.count("formula"))
        throw InputError(path, line_no, "the header must name the columns 'pattern' and 'formula' (optional: wavelength, size)");
      continue;
    }
    auto get = [&](const std::string& key) -> std::string {
      const auto it = column.find(key);
      return it != column.end() && it->second < f.size() ? f[it->second] : std::string();
    };
    BatchItem item;
    item.line = line_no;
    item.pattern = get("pattern");
    item.formula = get("formula");
    item.wavelength = get("wavelength");
    std::string size = get("size");
    if (size.empty()) size = get("size_angstrom");
    if (item.pattern.empty()) throw InputError(path, line_no, "empty pattern path");
    if (item.formula.empty()) throw InputError(path, line_no, "empty formula");
    if (!size.empty()) {
      char* end = nullptr;
      item.size_angstrom = std::strtod(size.c_str(), &end);
      if (end == size.c_str() || *end != '\0' || !(item.size_angstrom >= 0))
        throw InputError(path, line_no, "size '" + size + "' is not a non-negative number of Å");
    }
    std::filesystem::path p(item.pattern);
    if (p.is_relative()) item.pattern = (base / p).lexically_normal().string();
    std::string name = std::filesystem::path(item.pattern).stem().string();
    if (name.empty()) name = "item";
    const int n = ++used_names[name];
    item.name = n == 1 ? name : name + "_" + std::to_string(n);
    items.push_back(std::move(item));
  }
  if (column.empty()) throw InputError(path, 0, "the manifest is empty (no header row)");
  return items;
}

std::vector<BatchRecord> read_batch_summary(const std::string& path) {
  std::vector<BatchRecord> out;
  if (!std::filesystem::exists(path)) return out;
  std::istringstream in(read_file(path));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) continue;
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() < 9) continue;
    BatchRecord r;
    r.name = f[0];
    r.pattern = f[1];
    r.formula = f[2];
    r.status = f[3];
    r.rwp = f[4].empty() ? std::nan("") : std::strtod(f[4].c_str(), nullptr);
    r.space_group = f[5];
    r.candidates = std::atoi(f[6].c_str());
    r.wall_time_s = std::strtod(f[7].c_str(), nullptr);
    r.message = f[8];
    out.push_back(r);
  }
  return out;
}

std::vector<BatchRecord> run_batch(const std::vector<BatchItem>& items, const std::string& out_dir,
                                   const BatchSolveFn& solve_one, const CancelToken& cancel, ProgressSink& progress,
                                   const BatchOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create the output folder " + out_dir + ": " + ec.message());
  std::map<std::string, BatchRecord> previous;
  if (options.resume)
    for (const BatchRecord& r : read_batch_summary(batch_summary_path(out_dir))) previous[r.name] = r;
  std::vector<BatchRecord> records;
  for (const BatchItem& item : items) {
    BatchRecord r;
    r.name = item.name;
    r.pattern = item.pattern;
    r.formula = item.formula;
    records.push_back(r);
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const BatchItem& item = items[i];
    const std::string item_dir = out_dir + "/" + item.name;
    const auto prev = previous.find(item.name);
    if (prev != previous.end() && (prev->second.status == "ok" || prev->second.status == "poor-fit") &&
        prev->second.pattern == item.pattern && std::filesystem::exists(item_dir + "/summary.json")) {
      records[i] = prev->second;
      continue;
    }
    if (cancel.cancelled()) break;
    progress.report(double(i) / items.size(), item.name + " (" + std::to_string(i + 1) + "/" + std::to_string(items.size()) + ")");
    const auto t0 = std::chrono::steady_clock::now();
    BatchRecord r;
    try {
      r = solve_one(item, item_dir, cancel);
    } catch (const Cancelled&) {
      r.status = "cancelled";
      r.message = "cancelled";
    } catch (const std::exception& e) {
      r.status = "failed";
      r.message = e.what();
    }
    r.name = item.name;
    r.pattern = item.pattern;
    r.formula = item.formula;
    r.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    records[i] = r;
    write_summary(out_dir, records);
    if (r.status == "cancelled") break;
  }
  write_summary(out_dir, records);
  progress.report(1.0, "batch done");
  return records;
}

}  // namespace pxrd
