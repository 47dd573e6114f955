#pragma once
// Direct-space search under space groups, for patterns whose peaks are too broad to pin free (P1) coordinates:
// random structures built from whole orbits of a group (general and special positions) in a given cell, scored
// against the pattern, the best refined under the group's constraints. A 10-atom P4/mbm structure has 2 free
// coordinates and 2 cell lengths there, against 30 coordinates and 6 cell parameters in P1.
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/direct_space.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/rietveld.hpp"

namespace pxrd {

struct SpaceGroupSearchOptions {
  int max_trials = 12;             // (group, axis setting) pairs tried, most frequent groups first
  int starts_per_trial = 60;       // random symmetric structures scored per trial
  int quick_per_trial = 8;         // the best of them refined briefly under the group
  int refined_per_trial = 2;       // and the best of those refined fully
  RietveldOptions refine = [] {   // the refinement under each group
    RietveldOptions o;
    o.iterations = 12;
    o.refine_zero = false;
    // Displacement parameters wait for the final refinement: a misplaced atom's B runs to its bound and its
    // coordinates stop mattering (a lab Mn2O3's bixbyite oxygens: R_wp 0.055 with B = 10, 0.035 with B held).
    o.refine_b_iso = false;
    return o;
  }();
  double bump_factor = 0.75;       // minimum distance = factor × (r_cov,i + r_cov,j)
  double time_budget_s = 5;
  // Also the groups MP-20 has fewer than 10 structures of (Ia-3, bixbyite's group, needs 40 atoms in the primitive
  // cell), after the others.
  bool rare_groups = false;
  // Resolved lines (2θ, zero shift removed) and their wavelength: the trials are then ordered by the reflection
  // conditions the lines show. Empty: the MP-20 order.
  std::vector<double> observed_two_theta_deg;
  double lambda_angstrom = 1.54056;
  double line_tolerance_deg = 0.1;
  bool repeat_until_budget = false;  // trials done with time left: new starts in them, in the same order (up to 4 passes)
  // Further cell contents (other formula units per cell), in order: a group whose orbits cannot hold `content`
  // takes the first of these it can (Ia-3 cannot hold 9 Mn2O3 in bixbyite's primitive cell, only 8; Im-3m can).
  std::vector<std::vector<int>> other_contents;
  unsigned long long seed = 1;
};

struct SpaceGroupSearchResult {
  Crystal crystal;                 // refined, in a primitive cell of the group's lattice
  int space_group_number = 1;      // the group searched (the refined structure may have more symmetry)
  double rwp = 1;
  ProfileParams profile;
};

// Space groups that a lattice can host in its own metric: the groups of its holohedry's crystal family with the
// same centring, ordered by how often they occur in MP-20's training and validation splits (groups seen fewer
// than 10 times there are left out). Throws Error when spglib cannot analyse the lattice.
std::vector<int> space_groups_for_lattice(const Lattice& lattice);

// The group of each trial space_group_search makes for `lattice` with `options` (rare groups, the order the
// observed lines give, max_trials), in the order tried; an orthorhombic group once per axis setting it gets.
std::vector<int> space_group_trial_order(const Lattice& lattice, const SpaceGroupSearchOptions& options);

// Random structures under `groups` distinct groups, `per_group` each, for a direct-space search in `lattice`
// (primitive): structures and operations in that cell's basis. The groups: those whose reflection conditions
// leave the fewest of options.observed_two_theta_deg unexplained (every monoclinic cell choice and orthorhombic
// axis setting tried), most frequent in MP-20 first. A group whose orbits cannot hold `content`, or whose cell
// cannot be matched, gives none. Ordered round robin: the k-th start of every group, then the (k+1)-th.
std::vector<SymmetricStart> symmetric_starts(const Lattice& lattice, const std::vector<int>& content,
                                             const SpaceGroupSearchOptions& options, int groups, int per_group);

// `lattice`: a cell of the lattice (any setting; its metric symmetry decides the groups); `content`: atomic
// numbers of the atoms in that cell. Results best R_wp first. Stops at the time budget or the cancel.
std::vector<SpaceGroupSearchResult> space_group_search(const PowderData& data, const Lattice& lattice,
                                                       const std::vector<int>& content, const ProfileParams& profile,
                                                       const SpaceGroupSearchOptions& options,
                                                       const CancelToken& cancel);

}  // namespace pxrd
