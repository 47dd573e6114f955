#pragma once
// Structure matching compatible with pymatgen's StructureMatcher (science.md §4), with pymatgen's defaults
// primitive_cell=True, scale=True, attempt_supercell=False and species compared by element and occupancy.
#include <optional>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"

namespace pxrd {

struct MatchTolerances {
  double ltol = 0.2;           // fractional length tolerance
  double stol = 0.3;           // site tolerance, in units of (V/N)^(1/3)
  double angle_tol_deg = 5.0;
};

struct MatchResult {
  bool matched = false;        // pymatgen's get_rms_dist() is not None: the DiffCSP/CDVAE "match" criterion
  double rms = 0;              // normalised RMS displacement (pymatgen's get_rms_dist()[0]) when matched
  double max_dist = 0;         // get_rms_dist()[1]: largest normalised displacement of that mapping, when matched
  bool fit = false;            // pymatgen's fit(): some mapping has every normalised displacement below stol
};

// A structure after pymatgen's reduction (Niggli, then get_primitive_structure(0.25 Å), then Niggli again).
// Preparing once pays off when one structure is compared with many (k candidates against one reference).
struct MatchPrepared {
  Eigen::Matrix3d lattice = Eigen::Matrix3d::Identity();  // rows a, b, c (Å)
  std::vector<Eigen::Vector3d> frac;                      // in [0, 1)
  std::vector<int> species;                               // index into species_keys
  std::vector<std::pair<int, long long>> species_keys;    // (Z, occupancy × 1e6)
};

// Throws Error for an empty crystal, a NaN coordinate or a degenerate lattice.
MatchPrepared prepare_for_matching(const Crystal& crystal);
MatchResult match_structures(const MatchPrepared& a, const MatchPrepared& b, const MatchTolerances& tol = {});
MatchResult match_structures(const Crystal& a, const Crystal& b, const MatchTolerances& tol = {});

// For each structure, how many of the others it matches: its support among a set of samples of one distribution.
// The most supported sample is the mode of the set, a choice that needs neither the truth nor a pattern. A
// structure the matcher cannot prepare (degenerate cell, NaN) gets -1 and matches nothing. Only the first
// `max_reference` structures are counted as supporters, which bounds the cost at n × max_reference comparisons
// (loose tolerances make each one slow: about 300 per second per core for 14-atom cells). Runs on `threads`
// workers (0: all cores); throws Cancelled when `cancel` fires.
std::vector<int> match_support(const std::vector<Crystal>& structures, const MatchTolerances& tol = {},
                               std::size_t max_reference = 200, const CancelToken* cancel = nullptr, int threads = 1);

// `order` (a ranking of `structures`, best first) with one structure of each kind ahead of every repeat: walking
// the ranking, a structure that matches none taken before is taken, and the repeats follow in their ranked order.
// The first entry never moves. A structure the matcher cannot prepare counts as a kind of its own. For lists of
// candidates, where a repeat in the first k adds nothing. Throws Cancelled when `cancel` fires.
std::vector<std::size_t> distinct_first(const std::vector<Crystal>& structures, const std::vector<std::size_t>& order,
                                        const MatchTolerances& tol = {}, const CancelToken* cancel = nullptr);

}  // namespace pxrd
