#pragma once
// Structure matching compatible with pymatgen's StructureMatcher (science.md §4).
#include <optional>

#include "pxrd/crystal.hpp"

namespace pxrd {

struct MatchTolerances {
  double ltol = 0.2;           // fractional length tolerance
  double stol = 0.3;           // site tolerance, in units of (V/N)^(1/3)
  double angle_tol_deg = 5.0;
};

struct MatchResult {
  bool matched = false;
  double rms = 0;              // normalised RMS displacement (pymatgen's get_rms_dist()[0]) when matched
};

MatchResult match_structures(const Crystal& a, const Crystal& b, const MatchTolerances& tol = {});

}  // namespace pxrd
