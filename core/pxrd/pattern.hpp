#pragma once
// A powder pattern. x is raw (2θ in degrees or Q in Å⁻¹); processing steps are recorded in history.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pxrd/radiation.hpp"

namespace pxrd {

enum class XUnit { TwoThetaDeg, QInvAngstrom };
const char* x_unit_name(XUnit unit);  // "two_theta_deg" / "q_inv_angstrom"

struct Pattern {
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> esd;                 // empty when the file had none
  XUnit x_unit = XUnit::TwoThetaDeg;
  std::optional<Radiation> radiation;      // empty when unknown
  std::vector<std::string> history;        // "snip(iterations=40)", ...
  std::map<std::string, std::string> metadata;  // sample, instrument, date, step, counting time, ...
  std::string source;                      // file path, for messages
  std::string format;                      // reader id, e.g. "xy"
  std::vector<int> skipped_lines;          // 1-based line numbers the reader skipped

  std::size_t size() const { return x.size(); }
  bool empty() const { return x.empty(); }
  bool has_esd() const { return !esd.empty(); }
  // Throws InputError naming `source` unless: non-empty, sizes agree, all values finite,
  // x strictly increasing.
  void validate() const;
  // Weights for agreement factors: 1/esd² with esd, otherwise 1/y (Poisson); w = 0 where y <= 0 (or esd <= 0).
  std::vector<double> weights() const;
};

}  // namespace pxrd
