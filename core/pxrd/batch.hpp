#pragma once
// Batch solving: a CSV manifest of patterns, one output folder per item, a status per item in a summary CSV
// that is rewritten (atomically) after every item, so a stopped batch can be resumed. One failed item never
// stops the batch.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"

namespace pxrd {

struct BatchItem {
  std::string name;           // output sub-folder: the pattern's file stem, made unique
  std::string pattern;        // path (relative paths are taken from the manifest's folder)
  std::string formula;
  std::string wavelength;     // empty: the file's (or the solver's default)
  double size_angstrom = 0;
  int line = 0;               // manifest line, for messages
};

// Header row naming the columns (any order, case-insensitive): pattern, formula, and optionally wavelength and
// size (or size_angstrom). Comma-separated, double quotes allowed, '#' lines and blank lines skipped.
// Throws InputError(path, line, cause) for a missing column, an empty pattern or formula, a bad size.
std::vector<BatchItem> read_batch_manifest(const std::string& path);

struct BatchRecord {
  std::string name, pattern, formula;
  std::string status = "pending";  // ok, poor-fit, failed, cancelled, pending
  std::string message;
  double rwp = std::numeric_limits<double>::quiet_NaN();
  std::string space_group;
  int candidates = 0;
  double wall_time_s = 0;
};

// Runs one item into item_dir and says how it went; exceptions it throws become a "failed" record
// (Cancelled: "cancelled", and the batch stops).
using BatchSolveFn = std::function<BatchRecord(const BatchItem& item, const std::string& item_dir, const CancelToken& cancel)>;

struct BatchOptions {
  bool resume = true;  // skip items already "ok" or "poor-fit" in an existing summary (their folder complete)
};

// DIR/batch_summary.csv holds one row per item (name, pattern, formula, status, rwp, space_group,
// candidates, wall_time_s, message).
std::vector<BatchRecord> run_batch(const std::vector<BatchItem>& items, const std::string& out_dir,
                                   const BatchSolveFn& solve_one, const CancelToken& cancel, ProgressSink& progress,
                                   const BatchOptions& options = {});
std::string batch_summary_path(const std::string& out_dir);
// Reads a summary written by run_batch (empty when the file does not exist).
std::vector<BatchRecord> read_batch_summary(const std::string& path);

}  // namespace pxrd
