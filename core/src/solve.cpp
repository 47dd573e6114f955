#include "pxrd/solve.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "pxrd/cell_on_peaks.hpp"
#include "pxrd/centring.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/direct_space.hpp"
#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/rietveld.hpp"
#include "pxrd/space_group_search.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

using Clock = std::chrono::steady_clock;

// Above this median FWHM the peak positions are too uncertain (and too overlapped) for indexing.
constexpr double kMaxIndexingFwhmDeg = 1.5;
// Broad patterns: up to kModeSlots model samples that at least kMinModeSupport others match are refined first.
constexpr std::size_t kModeSlots = 2;
constexpr int kMinModeSupport = 2;
// Shares of the search time for the space-group searches of a sharp pattern (the cubic group search, the
// orbit search of a large cell); each P1 search has one.
constexpr int kSharpGroupSearchWeight = 3;
// Sharp peaks: cells whose likeliest content has this many atoms or more (in the primitive cell) are also
// searched under space groups by parallel tempering of orbits.
constexpr int kSymmetricSearchMinAtoms = 13;
// Random starts per group for the orbit search: direct_space_search polishes them briefly and keeps the best as its
// eight replicas (two per group picked a Pnma TbScO3's Wyckoff positions in 1 of 4 seeds, six in 3 of 4).
constexpr int kOrbitStartsPerGroup = 6;
// Sharp patterns with fewer lines than this have up to kCellsJudgedWithFewLines indexing cells fitted by Le Bail.
constexpr std::size_t kFewIndexingLines = 12;
constexpr int kCellsJudgedWithFewLines = 24;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
Clock::time_point after(Clock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The crystal system a cell's parameters allow (tolerances 0.2 % and 0.2°), for cells from the generator or given.
CrystalSystem system_of_cell(const Lattice& lattice) {
  const LatticeParameters p = lattice.parameters();
  auto eq = [](double x, double y) { return std::abs(x - y) < 0.002 * std::max(x, y); };
  auto ang = [](double x, double v) { return std::abs(x - v) < 0.2; };
  const bool right = ang(p.alpha_deg, 90) && ang(p.beta_deg, 90) && ang(p.gamma_deg, 90);
  if (right && eq(p.a_angstrom, p.b_angstrom) && eq(p.b_angstrom, p.c_angstrom)) return CrystalSystem::Cubic;
  if (ang(p.alpha_deg, 90) && ang(p.beta_deg, 90) && ang(p.gamma_deg, 120) && eq(p.a_angstrom, p.b_angstrom))
    return CrystalSystem::Hexagonal;
  if (right && eq(p.a_angstrom, p.b_angstrom)) return CrystalSystem::Tetragonal;
  if (right) return CrystalSystem::Orthorhombic;
  if (ang(p.alpha_deg, 90) && ang(p.gamma_deg, 90)) return CrystalSystem::Monoclinic;
  return CrystalSystem::Triclinic;
}

// Z values allowed by the formula: any, or the divisors of its multiple when it is one cell's content.
bool z_allowed(int z, int z_divides) { return z_divides <= 0 || z_divides % z == 0; }

std::vector<int> cell_content(const Composition& reduced, int z) {
  std::vector<int> out;
  for (const auto& [el, amount] : reduced.amounts()) {
    const int zn = atomic_number(el);
    for (int i = 0; i < static_cast<int>(std::lround(amount)) * z; ++i) out.push_back(zn);
  }
  return out;
}

// A generator sample the solver can work with: finite numbers, a volume per atom that a solid can have, and a
// reduced cell whose planes are at least 1 Å apart. A flat or NaN cell would make the matcher and the reflection
// lists enumerate without end.
bool usable_sample(const Crystal& c) {
  const Eigen::Matrix3d& m = c.lattice.matrix();
  if (c.sites.empty() || !m.allFinite()) return false;
  for (const Site& s : c.sites)
    if (!s.frac.allFinite()) return false;
  const double volume_per_atom = std::abs(m.determinant()) / double(c.sites.size());
  if (!(volume_per_atom > 2.0 && volume_per_atom < 500.0)) return false;
  try {
    const Lattice r = c.lattice.niggli_reduced(1e-3);
    const Eigen::Matrix3d recip = r.reciprocal_matrix();
    for (int k = 0; k < 3; ++k)
      if (!(1.0 / recip.row(k).norm() >= 1.0)) return false;
  } catch (const Error&) {
    return false;
  }
  return true;
}

bool same_lattice(const Lattice& a, const Lattice& b) {
  const LatticeParameters p = a.niggli_reduced(1e-3).parameters(), q = b.niggli_reduced(1e-3).parameters();
  const double dv = std::abs(a.volume_angstrom3() - b.volume_angstrom3()) / a.volume_angstrom3();
  return dv < 0.03 && std::abs(p.a_angstrom - q.a_angstrom) < 0.02 * p.a_angstrom &&
         std::abs(p.b_angstrom - q.b_angstrom) < 0.02 * p.b_angstrom &&
         std::abs(p.c_angstrom - q.c_angstrom) < 0.02 * p.c_angstrom;
}

struct PoolEntry {
  Crystal crystal;
  CrystalSystem system;
  ProfileParams profile;
  std::string origin;
  double rwp = 1;
  bool keep_symmetry = false;  // from the space-group search: refined under its group, not as P1
  bool model_mode = false;     // one of the samples most of the others match: refined whatever its unrefined fit
  bool best_of_mode = false;   // the best-fitting entry with a mode's structure: refined too, hides no other entry
};

// Indices of the first `max_kept` items whose structures match none kept before them (in order; an item the
// matcher cannot prepare is kept). The first `extra_first` items are kept without the check and count as no
// later item's original. Stops early when `cancel` fires.
template <class Item>
std::vector<std::size_t> distinct_structures(const std::vector<Item>& items, std::size_t max_kept,
                                             const CancelToken* cancel, std::size_t extra_first = 0) {
  std::vector<std::size_t> kept;
  std::vector<MatchPrepared> kept_prepared;
  for (std::size_t i = 0; i < items.size() && kept.size() < max_kept && !(cancel && cancel->cancelled()); ++i) {
    if (i < extra_first) {
      kept.push_back(i);
      continue;
    }
    MatchPrepared prep;
    bool duplicate = false;
    try {
      prep = prepare_for_matching(items[i].crystal);
      for (const MatchPrepared& k : kept_prepared) duplicate = duplicate || match_structures(prep, k).fit;
    } catch (const Error&) {
    }
    if (duplicate) continue;
    kept_prepared.push_back(std::move(prep));
    kept.push_back(i);
  }
  return kept;
}

// A token that follows `parent` and also fires at `deadline`; a watchdog thread polls every 20 ms.
class DeadlineCancel {
 public:
  DeadlineCancel(const CancelToken& parent, Clock::time_point deadline) : parent_(parent), deadline_(deadline) {
    watchdog_ = std::thread([this] {
      while (!done_) {
        if (parent_.cancelled() || Clock::now() >= deadline_) {
          token_.cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~DeadlineCancel() {
    done_ = true;
    watchdog_.join();
  }
  DeadlineCancel(const DeadlineCancel&) = delete;
  DeadlineCancel& operator=(const DeadlineCancel&) = delete;
  const CancelToken& token() const { return token_; }

 private:
  const CancelToken& parent_;
  Clock::time_point deadline_;
  CancelToken token_;
  std::atomic<bool> done_{false};
  std::thread watchdog_;
};

// Keeps the highest symmetry (largest tolerance) whose structure fits nearly as well as the P1 refinement;
// returns false when none does (the candidate stays P1). Each space group found gets one short refinement under
// its constraints (cell metric, special positions, orbits), kept when it fits better than the symmetrized
// structure as it stands: symmetrizing a cell refined without constraints moves sharp peaks, and broad peaks pin
// the group's few parameters far better than P1's many. Without `refine` (--no-refine) nothing is re-fitted.
bool symmetrize_candidate(const PowderData& data, SolvedCandidate& c, const RietveldOptions& options, bool refine,
                          const CancelToken& cancel) {
  const double allowed_rwp = c.rwp + std::max(0.005, 0.05 * c.rwp);
  std::vector<int> refined_groups;
  bool found = false;
  Crystal source = c.refined;
  // A second pass starts from the first one's result, which is closer to a higher symmetry than the P1 fit was
  // (a 10 Å Mo2C: Cm from the P1 fit, P-3m1 within 0.4 Å of that Cm structure).
  for (int pass = 0; pass < 2; ++pass) {
    bool raised = false;
    for (double symprec : {1.0, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01}) {
      try {
        const Crystal sym = symmetrize(source, symprec);
        SpaceGroupInfo sg = find_space_group(sym, 1e-3);
        if (found && sg.number <= c.space_group_number) continue;  // the second pass looks only for a higher group
        RietveldResult best = rietveld_evaluate(data, sym, c.profile);
        bool refined = false;
        if (refine && sg.number > 1 &&
            std::find(refined_groups.begin(), refined_groups.end(), sg.number) == refined_groups.end() &&
            !cancel.cancelled()) {
          refined_groups.push_back(sg.number);  // one refinement per group
          RietveldOptions short_fit = options;
          short_fit.iterations = 12;
          try {
            RietveldResult r = rietveld_refine_in_space_group(data, sym, c.profile, short_fit, cancel);
            // The constraints keep the group; the fit may reach a higher one (P3m1 refined into P-3m1).
            const SpaceGroupInfo after = find_space_group(r.crystal, 1e-3);
            if (r.rwp < best.rwp && after.number >= sg.number) {
              best = std::move(r);
              sg = after;
              refined = true;
            }
          } catch (const Error&) {
            // the constraints could not be set up, or the fit failed or was cut by the budget
          }
        }
        if (best.rwp <= allowed_rwp) {
          c.crystal = primitive_standard_cell(best.crystal, 1e-3);
          if (refined) c.refined = best.crystal;
          c.profile = best.profile;
          c.space_group_number = sg.number;
          c.space_group_symbol = sg.international;
          c.symprec_angstrom = symprec;
          c.rwp = best.rwp;
          c.rwp2 = best.rwp2_profile;
          c.gof = best.rexp > 0 ? best.rwp / best.rexp : 0;
          c.y_calc = best.y_calc;
          c.scale = best.scale;
          source = c.crystal;  // spglib sees more symmetry in the standard cell than in a skewed one
          found = raised = true;
          break;
        }
      } catch (const Error&) {
        // spglib could not handle this tolerance
      }
    }
    if (!raised) break;
  }
  if (found) return true;
  try {
    c.crystal = primitive_standard_cell(c.refined, 1e-3);
  } catch (const Error&) {
    c.crystal = c.refined;
  }
  return false;
}

}  // namespace

// Volume of one formula unit from fitted per-element volumes (median error about 6 % on MP-20); it only orders
// the Z values tried.
double formula_volume_estimate(const Composition& reduced) {
  double v = 0;
  for (const auto& [el, amount] : reduced.amounts()) v += amount * atomic_volume_estimate_angstrom3(atomic_number(el));
  return v;
}

// Formula units per cell worth trying: volume per atom between 6 and 60 Å³, formula volume within a factor 1.6 of
// the estimate, at most `max_atoms` atoms, closest to the estimated formula volume first.
std::vector<int> z_candidates(double volume, double formula_volume, int atoms_per_formula, int max_atoms, int how_many,
                              int z_divides, int model_z) {
  // A Z the limits allow, with a physical volume per atom; the estimate and the model's Z both pass this.
  auto possible = [&](int z) {
    if (z <= 0 || z * atoms_per_formula > max_atoms || !z_allowed(z, z_divides)) return false;
    const double v = volume / (z * atoms_per_formula);
    return v >= 6 && v <= 60;
  };
  std::vector<std::pair<double, int>> zs;
  for (int z = 1; z * atoms_per_formula <= max_atoms; ++z) {
    // Outside a factor 1.6 of the estimate (median error 6 %, 90th percentile 19 %) atoms overlap or float.
    const double log_ratio = std::log(volume / z / formula_volume);
    if (possible(z) && std::abs(log_ratio) < std::log(1.6)) zs.push_back({std::abs(log_ratio), z});
  }
  std::sort(zs.begin(), zs.end());
  std::vector<int> out;
  // Beyond the closest, only Z within a factor 1.35 (on 3000 MP-20 training structures the true formula volume
  // is within 1.35 of the estimate for 97.6 %): a search at a wrong Z only takes time from the right one.
  for (std::size_t i = 0; i < zs.size() && static_cast<int>(i) < how_many; ++i)
    if (i == 0 || zs[i].first < std::log(1.35)) out.push_back(zs[i].second);
  // The model's volume per atom is learnt with the structure; the per-element estimate misses by 30 % on some
  // (CoSe2: Z = 3 before the true 4). It replaces rather than adds a Z: a further Z takes time from every search.
  if (how_many > 0 && possible(model_z) && std::find(out.begin(), out.end(), model_z) == out.end()) {
    if (!out.empty()) out.pop_back();
    out.push_back(model_z);
  }
  return out;
}

std::vector<std::size_t> indexing_cell_order(const std::vector<double>& primitive_volumes, double formula_volume,
                                             int atoms_per_formula, int max_atoms, int z_divides) {
  // Tier 0: the likeliest Z puts the formula volume within 1.35 of the estimate (97.6 % of MP-20 structures);
  // 1: only within 1.6; 2: no Z at all.
  struct Entry {
    std::size_t index;
    int tier;
    int z;
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < primitive_volumes.size(); ++i) {
    const double v = primitive_volumes[i];
    const std::vector<int> zs = z_candidates(v, formula_volume, atoms_per_formula, max_atoms, 1, z_divides, 0);
    if (zs.empty()) {
      entries.push_back({i, 2, 0});
      continue;
    }
    const bool likely = std::abs(std::log(v / zs.front() / formula_volume)) < std::log(1.35);
    entries.push_back({i, likely ? 0 : 1, zs.front()});
  }
  // Cells that hold no Z get no search, yet the first cell is the model's lattice hint and gets the cubic group
  // search: they go last.
  std::stable_partition(entries.begin(), entries.end(), [](const Entry& e) { return e.tier < 2; });
  // A tier-1 cell goes after the later tier-0 cells with no more formula units (the even-index lines of a lab
  // Heusler, the odd ones lost in noise, index a sub-cell first). Not after those with more: a supercell can always
  // find a Z near the estimate, and the estimate misses some dense cells (R-3m NaAlO2: 1.35 × its true volume).
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (entries[i].tier != 1) continue;
    std::size_t last = i;
    for (std::size_t j = i + 1; j < entries.size(); ++j)
      if (entries[j].tier == 0 && entries[j].z <= entries[i].z) last = j;
    std::rotate(entries.begin() + static_cast<long>(i), entries.begin() + static_cast<long>(i) + 1,
                entries.begin() + static_cast<long>(last) + 1);
  }
  std::vector<std::size_t> out;
  for (const Entry& e : entries) out.push_back(e.index);
  return out;
}

namespace {
// Structures of MP-20 train_partial + val (24,502; the CIF rows of ../shared/data/mp_20) by atoms per formula unit
// (rows 1-10) and formula units per cell (columns Z = 1-20). Beyond 10 atoms per formula unit only Z = 1 fits 20.
constexpr int kZCountRows = 10;
constexpr int kMp20ZCounts[kZCountRows][20] = {
    {57, 58, 26, 40, 0, 5, 1, 12, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4},
    {502, 249, 36, 142, 4, 28, 2, 46, 3, 6},
    {508, 1211, 308, 968, 9, 64},
    {3692, 1200, 51, 473, 3},
    {1188, 877, 47, 710},
    {843, 837, 76},
    {558, 1155},
    {564, 748},
    {480, 937},
    {1432, 929},
};
}  // namespace

std::vector<std::pair<int, double>> generator_z_shares(int atoms_per_formula, int max_atoms, int z_divides) {
  std::vector<std::pair<int, double>> out;
  double total = 0;
  for (int z = 1; z <= 20 && z * atoms_per_formula <= std::min(20, max_atoms); ++z) {
    if (!z_allowed(z, z_divides)) continue;
    const int count = atoms_per_formula <= kZCountRows ? kMp20ZCounts[atoms_per_formula - 1][z - 1] : (z == 1);
    if (count <= 0) continue;
    out.push_back({z, std::sqrt(double(count))});
    total += out.back().second;
  }
  if (out.empty()) return {{1, 1.0}};
  for (auto& zs : out) zs.second /= total;
  return out;
}

// The Bravais lattices a cell is close to (its metric made symmetric by spglib on a one-atom cell, at
// tolerances of 3 % and 6 % of the cell edge), highest symmetry first, as conventional cells with their
// crystal system and centring. Broad peaks fit a free triclinic cell as well as the true one; these give the
// fits cells with the constraints a real structure would have.
std::vector<SymmetricLattice> symmetric_lattices(const Lattice& cell) {
  std::vector<SymmetricLattice> out;
  const Crystal point = lattice_point_crystal(cell);
  const double edge = std::cbrt(cell.volume_angstrom3());
  for (double fraction : {0.06, 0.03}) {
    try {
      const Crystal sym = symmetrize(point, fraction * edge);  // same axes, symmetric metric
      const SymmetryDataset ds = symmetry_dataset(sym, 1e-3);
      const int number = ds.space_group.number;
      if (number <= 2 || (!out.empty() && out.back().space_group == number)) continue;
      // Rows are vectors: (a_s b_s c_s) = (a b c) P⁻¹ becomes M_s = P⁻ᵀ M.
      const Lattice conventional(ds.transformation.inverse().transpose() * sym.lattice.matrix());
      out.push_back({conventional, crystal_system_of_space_group(number), ds.space_group.international.substr(0, 1), number,
                     ds.transformation});
    } catch (const Error&) {
      // spglib failed at this tolerance
    }
  }
  return out;
}

// A sample moved into the conventional cell of a symmetric lattice near its own: the same atoms (with the
// centring images), the cell made symmetric.
Crystal in_symmetric_lattice(const Crystal& sample, const SymmetricLattice& v) {
  // The sample's cell in conventional fractions: M = Pᵀ M_conventional.
  Centring centring = centring_from_symbol(v.centring);
  centring.to_primitive = v.to_conventional.transpose();
  return expand_to_conventional(sample, v.conventional, centring);
}

CellOrder cells_for_search(const std::vector<double>& lebail_rwp, const std::vector<bool>& cubic) {
  if (!cubic.empty() && cubic.size() != lebail_rwp.size()) throw Error("cells_for_search: the two lists differ in length");
  CellOrder out;
  out.order.resize(lebail_rwp.size());
  for (std::size_t i = 0; i < out.order.size(); ++i) out.order[i] = i;
  for (double r : lebail_rwp) out.best_rwp = std::min(out.best_rwp, r);
  const double best = out.best_rwp;
  // Le Bail cannot tell a cell from its super- and sub-cells (they fit alike): among cells that fit about as well
  // as the best, the proposal order (indexing rank: M20 with centring and symmetry preference; for broad peaks the
  // most supported symmetric lattices first) decides.
  auto tier = [&](std::size_t i) { return lebail_rwp[i] <= 1.15 * best + 0.005 ? 0 : 1; };
  std::stable_sort(out.order.begin(), out.order.end(), [&](std::size_t a, std::size_t b) {
    return tier(a) != tier(b) ? tier(a) < tier(b) : (tier(a) == 1 && lebail_rwp[a] < lebail_rwp[b]);
  });
  // With one parameter, a better fit is not bought with freedom: the first cubic cell goes first when it fits
  // better than the (lower-symmetry) cells proposed before it (a lab Mn2O3's bixbyite cell, proposed second for its
  // impurity lines, fits at 0.028 where a monoclinic cell indexing every line fits at 0.032). Later cubic cells are
  // super-cells or other settings, which Le Bail cannot judge.
  double best_before = 1;
  for (std::size_t p = 0; p < out.order.size() && tier(out.order[p]) == 0; ++p) {
    const std::size_t i = out.order[p];
    if (!cubic.empty() && cubic[i]) {
      if (p == 0 || !(lebail_rwp[i] < best_before)) break;
      std::rotate(out.order.begin(), out.order.begin() + static_cast<long>(p), out.order.begin() + static_cast<long>(p) + 1);
      break;
    }
    best_before = std::min(best_before, lebail_rwp[i]);
  }
  while (out.searched < out.order.size() && out.searched < 3 && lebail_rwp[out.order[out.searched]] <= 1.5 * best + 0.02)
    ++out.searched;
  return out;
}

std::vector<std::size_t> searches_to_continue(const std::vector<double>& best_rwp, const std::vector<bool>& space_group) {
  if (best_rwp.size() != space_group.size()) throw Error("searches_to_continue: the two lists differ in length");
  double best = 1;
  for (std::size_t i = 0; i < best_rwp.size(); ++i)
    if (space_group[i]) best = std::min(best, best_rwp[i]);
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < best_rwp.size(); ++i)
    if (!space_group[i] || best_rwp[i] <= 2 * best + 0.002) out.push_back(i);
  return out;
}

std::vector<double> search_budgets(const std::vector<int>& weights, int threads, double seconds) {
  if (threads < 1) throw Error("search_budgets: at least one thread needed");
  long total = 0;
  int largest = 1;
  for (int w : weights) {
    if (w < 1) throw Error("search_budgets: a weight below 1 (" + std::to_string(w) + ")");
    total += w;
    largest = std::max(largest, w);
  }
  const double per_thread = std::max<double>(largest, std::ceil(double(total) / threads));
  std::vector<double> out;
  for (int w : weights) out.push_back(seconds * w / per_thread);
  return out;
}

std::vector<std::size_t> best_equivalents(const std::vector<Crystal>& best_first, const std::vector<std::size_t>& marked,
                                          const CancelToken* cancel) {
  std::vector<std::size_t> out;
  // Each candidate is prepared once, when first needed: the marked ones share the candidates before them.
  std::vector<std::optional<MatchPrepared>> prepared(best_first.size());
  std::vector<bool> unpreparable(best_first.size(), false);
  for (std::size_t m : marked) {
    if (m >= best_first.size()) throw Error("best_equivalents: index " + std::to_string(m) + " out of range");
    std::size_t best = m;
    try {
      const MatchPrepared target = prepare_for_matching(best_first[m]);
      for (std::size_t i = 0; i < m && !(cancel && cancel->cancelled()); ++i) {
        bool same = false;
        try {
          if (!prepared[i] && !unpreparable[i]) prepared[i] = prepare_for_matching(best_first[i]);
          same = prepared[i] && match_structures(*prepared[i], target).fit;
        } catch (const Error&) {
          // a candidate the matcher cannot prepare is no one's equivalent
          unpreparable[i] = !prepared[i];
        }
        if (same) {
          best = i;
          break;
        }
      }
    } catch (const Error&) {
      // the marked one cannot be prepared: it stays its own best
    }
    out.push_back(best);
  }
  return out;
}

std::vector<LatticeGroup> consensus_lattices(const std::vector<SymmetricLattice>& proposals) {
  std::vector<LatticeGroup> groups;
  auto close = [](const LatticeParameters& p, const LatticeParameters& q) {
    return std::abs(p.a_angstrom - q.a_angstrom) < 0.06 * p.a_angstrom &&
           std::abs(p.b_angstrom - q.b_angstrom) < 0.06 * p.b_angstrom &&
           std::abs(p.c_angstrom - q.c_angstrom) < 0.06 * p.c_angstrom && std::abs(p.alpha_deg - q.alpha_deg) < 3 &&
           std::abs(p.beta_deg - q.beta_deg) < 3 && std::abs(p.gamma_deg - q.gamma_deg) < 3;
  };
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    const SymmetricLattice& v = proposals[i];
    const LatticeParameters p = v.conventional.parameters();
    LatticeGroup* home = nullptr;
    for (LatticeGroup& g : groups) {
      const SymmetricLattice& first = proposals[g.members.front()];
      if (first.space_group == v.space_group && first.centring == v.centring &&
          close(first.conventional.parameters(), p)) {
        home = &g;
        break;
      }
    }
    if (!home) {
      groups.push_back({v, {}});
      home = &groups.back();
    }
    home->members.push_back(i);
  }
  for (LatticeGroup& g : groups) {
    std::array<std::vector<double>, 6> values;
    for (std::size_t m : g.members) {
      const LatticeParameters p = proposals[m].conventional.parameters();
      const double row[6] = {p.a_angstrom, p.b_angstrom, p.c_angstrom, p.alpha_deg, p.beta_deg, p.gamma_deg};
      for (int k = 0; k < 6; ++k) values[k].push_back(row[k]);
    }
    double median[6];
    for (int k = 0; k < 6; ++k) {
      std::vector<double>& x = values[k];
      std::sort(x.begin(), x.end());
      const std::size_t n = x.size();
      median[k] = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
    }
    try {
      g.lattice.conventional = Lattice::from_parameters(median[0], median[1], median[2], median[3], median[4], median[5]);
    } catch (const Error&) {
      // impossible median angles (cannot happen within one group's 3°): keep the first member's cell
    }
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const LatticeGroup& a, const LatticeGroup& b) { return a.members.size() > b.members.size(); });
  return groups;
}

// X-rays barely tell elements one electron apart (C/N, O/F, Mn/Fe), so a structure's exchanges of such atoms
// fit about as well. Returns the exchanges that fit within 5 % (+0.001) of `c`, best first, at most
// `max_variants`, each evaluated on `data` with the candidate's profile (scale and background refitted).
std::vector<SolvedCandidate> site_exchange_variants(const SolvedCandidate& c, const PowderData& data,
                                                    std::size_t max_variants, const CancelToken& cancel) {
  std::vector<SolvedCandidate> out;
  std::map<int, std::vector<std::size_t>> sites_of;
  for (std::size_t i = 0; i < c.crystal.sites.size(); ++i) sites_of[c.crystal.sites[i].atomic_number].push_back(i);
  for (auto a = sites_of.begin(); a != sites_of.end(); ++a) {
    const auto b = std::next(a);
    if (b == sites_of.end() || b->first != a->first + 1) continue;
    std::vector<std::size_t> both = a->second;
    both.insert(both.end(), b->second.begin(), b->second.end());
    if (both.size() > 12) continue;  // at most 924 assignments
    const std::size_t n = both.size(), n_a = a->second.size();
    const unsigned original = (1u << n_a) - 1;  // the first n_a of `both` hold element a
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      if (static_cast<std::size_t>(__builtin_popcount(mask)) != n_a || mask == original || cancel.cancelled()) continue;
      SolvedCandidate v = c;
      for (std::size_t j = 0; j < n; ++j) {
        Site& site = v.crystal.sites[both[j]];
        site.atomic_number = (mask >> j) & 1u ? a->first : b->first;
        site.element = element_symbol(site.atomic_number);
        site.label.clear();
      }
      try {
        const RietveldResult e = rietveld_evaluate(data, v.crystal, c.profile);
        if (e.rwp > 1.05 * c.rwp + 0.001) continue;
        const SpaceGroupInfo sg = find_space_group(v.crystal, 1e-3);
        v.crystal = primitive_standard_cell(v.crystal, 1e-3);
        v.refined = v.crystal;
        v.space_group_number = sg.number;
        v.space_group_symbol = sg.international;
        v.rwp = e.rwp;
        v.rwp2 = e.rwp2_profile;
        v.gof = e.rexp > 0 ? e.rwp / e.rexp : 0;
        v.y_calc = e.y_calc;
        v.scale = e.scale;
        v.origin = c.origin + " (" + element_symbol(a->first) + "/" + element_symbol(b->first) + " exchanged)";
        out.push_back(std::move(v));
      } catch (const Error&) {
        // a degenerate assignment
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SolvedCandidate& x, const SolvedCandidate& y) { return x.rwp < y.rwp; });
  if (out.size() > max_variants) out.resize(max_variants);
  return out;
}

SolveResult solve(const Pattern& input, const SolveOptions& options, CandidateGenerator* generator,
                  const CancelToken& cancel, ProgressSink& progress, const CandidateCallback& on_candidate) {
  const auto t0 = Clock::now();
  SolveResult result;
  if (!(options.time_budget_s >= 5))
    throw InputError("--time-budget", 0,
                     "a time budget of " + format_number(options.time_budget_s) + " s is too small; give at least 5 s");
  if (options.k < 1) throw InputError("-k", 0, "the number of candidates must be at least 1");
  const Composition comp = Composition::parse(options.formula);
  if (comp.empty()) throw InputError("formula", 0, "the formula is empty");
  const Composition reduced = comp.reduced();
  int atoms_per_formula = 0;
  for (const auto& [el, amount] : reduced.amounts()) {
    if (std::abs(amount - std::round(amount)) > 1e-6)
      throw InputError("formula", 0, "non-integer amount of " + el + " in " + options.formula + " (partial occupancy is not supported)");
    atoms_per_formula += static_cast<int>(std::lround(amount));
  }
  if (atoms_per_formula > options.max_atoms)
    throw InputError("formula", 0, options.formula + " has more atoms per formula unit than the solver tries (" +
                                       std::to_string(options.max_atoms) + ")");
  const int z_divides = options.formula_is_cell_content ? comp.formula_units() : 0;

  // 1. Preprocessing: radiation, 2θ, usable range.
  Pattern pattern = input;
  pattern.validate();
  if (options.radiation) {
    pattern.radiation = options.radiation;
    result.radiation_note = "from --wavelength";
  } else if (pattern.radiation && pattern.radiation->lambda1_angstrom > 0) {
    result.radiation_note = "from the file";
  } else if (pattern.x_unit == XUnit::QInvAngstrom) {
    throw InputError(pattern.source, 0, "the pattern is in Q and the file has no wavelength; give --wavelength (e.g. CuKa12 or 0.7093)");
  } else {
    pattern.radiation = radiation_from_string("CuKa12");
    result.radiation_note = "not in the file: assuming a lab Cu Kα1+Kα2 tube (give --wavelength to change)";
    result.notes.push_back("radiation " + result.radiation_note);
  }
  result.radiation = *pattern.radiation;
  if (pattern.x_unit == XUnit::QInvAngstrom) pattern = convert_to_two_theta(pattern);
  const double lo = std::max(options.two_theta_min_deg > 0 ? options.two_theta_min_deg : pattern.x.front(), 5.0);
  const double hi = std::min(options.two_theta_max_deg > 0 ? options.two_theta_max_deg : pattern.x.back(), 150.0);
  result.data = powder_data_from_pattern(pattern, lo, hi);
  const PowderData& data = result.data;
  progress.report(0.02, "peaks");
  // Wider background windows when nothing is found: nanocrystalline peaks are degrees wide.
  for (double window : {1.0, 5.0, 15.0}) {
    result.peaks = find_peaks_for_indexing(data, 40, window);
    if (result.peaks.size() >= 3) {
      // Positions then come from the Kα2-stripped pattern: the apex of an unresolved Kα1/Kα2 doublet lies between
      // the lines by an amount that grows with 2θ, which no zero shift absorbs (a lab Nd2Cu2Ag2 pattern: M20 of
      // the true cell 5.6 unstripped, 37.5 stripped). Whether there are peaks at all is decided unstripped, where
      // the noise is not reshaped.
      if (pattern.radiation->has_second_line()) {
        std::vector<ObservedPeak> stripped =
            find_peaks_for_indexing(powder_data_from_pattern(strip_ka2(pattern), lo, hi), 40, window);
        if (stripped.size() >= 3) result.peaks = std::move(stripped);
      }
      break;
    }
  }
  const bool model_available = generator && options.use_generator;
  if (result.peaks.size() < 3 && !model_available)
    throw InputError(pattern.source, 0, "no diffraction peaks found (" + std::to_string(result.peaks.size()) +
                                            " above the noise): is this a powder pattern? Very broad (nanocrystalline) patterns need the model");
  std::vector<double> fwhms, positions;
  for (const ObservedPeak& p : result.peaks) {
    fwhms.push_back(p.fwhm_deg);
    positions.push_back(p.two_theta_deg);
  }
  // Without resolved peaks (a few-nm crystallite: peaks degrees wide) only the model proposes cells.
  double median_fwhm = std::numeric_limits<double>::infinity();
  if (result.peaks.size() >= 3) {
    std::nth_element(fwhms.begin(), fwhms.begin() + static_cast<long>(fwhms.size() / 2), fwhms.end());
    median_fwhm = fwhms[fwhms.size() / 2];
  } else {
    result.notes.push_back("no resolved diffraction peaks: cells and structures come from the model only");
  }
  // Peaks degrees wide make a zero shift irrelevant, and refining it trades off against the cell.
  const bool no_resolved_peaks = !std::isfinite(median_fwhm);
  RietveldOptions refine_options;
  refine_options.refine_zero = !no_resolved_peaks;
  // Likewise a given crystallite size makes the peaks degrees wide: the other widths only trade off against the
  // cell (a matched 10 Å Hf4CN3 took a Gaussian of 0.8° and a cell 1.8 % short in c, R_wp² 1.26 against the truth).
  refine_options.refine_size_only = no_resolved_peaks && options.size_angstrom > 0;
  ProfileParams start_profile;
  start_profile.eta = 0.5;
  if (options.size_angstrom > 0) {
    // sinc²(Qτ/2) has a FWHM of 5.57/τ in Q, i.e. 0.886 λ / (τ cosθ) rad in 2θ: the X / cosθ term.
    start_profile.x = rad_to_deg(0.886 * data.lambda1_angstrom / options.size_angstrom);
    start_profile.w = 0.0004;
    start_profile.sinc2_size = true;
  } else if (std::isfinite(median_fwhm)) {
    start_profile.w = std::pow(std::max(0.7 * median_fwhm, 0.02), 2);
  } else {
    start_profile.x = rad_to_deg(0.886 * data.lambda1_angstrom / 20.0);  // a 2 nm guess; refined later
  }
  // Broad peaks are oversampled (10 Å gives peaks 8° wide on a 0.02° grid): the fits run on binned data with
  // about 8 points per narrowest FWHM, and the final agreement of every candidate is taken on the full data.
  const double narrowest_fwhm_deg = options.size_angstrom > 0 ? start_profile.x
                                    : std::isfinite(median_fwhm)  ? 0.5 * median_fwhm
                                                                  : start_profile.x;
  const double step_deg =
      data.size() > 1 ? (data.two_theta_deg.back() - data.two_theta_deg.front()) / double(data.size() - 1) : 1.0;
  const int bin_factor = step_deg > 0 ? static_cast<int>(narrowest_fwhm_deg / (8 * step_deg)) : 1;
  const PowderData fit_data = bin_powder_data(data, bin_factor);
  const bool binned = bin_factor > 1;
  const double budget = options.time_budget_s;
  const double formula_volume = formula_volume_estimate(reduced);
  auto remaining = [&] { return budget - seconds_since(t0); };
  auto stage_start = t0;
  auto end_stage = [&](const char* name) {
    const auto now = Clock::now();
    result.stage_seconds.push_back({name, std::chrono::duration<double>(now - stage_start).count()});
    stage_start = now;
  };

  std::vector<PoolEntry> pool;
  std::vector<Crystal> samples;
  std::vector<std::pair<Crystal, CrystalSystem>> symmetric;  // samples in symmetric lattices (broad peaks)
  try {
    // 2. Cells: given, indexing (sharp patterns), generator samples.
    std::vector<CellCandidate> cells;
    if (options.given_cell) cells.push_back({*options.given_cell, system_of_cell(*options.given_cell), "given", "P", 0, 1, 0});
    if (!options.given_cell && median_fwhm < kMaxIndexingFwhmDeg) {
      progress.report(0.05, "indexing");
      IndexingOptions io;
      io.min_volume_angstrom3 = 6.0 * atoms_per_formula;
      io.max_volume_angstrom3 = 45.0 * options.max_atoms;
      // Positions of broad peaks are less certain (overlaps shift them).
      io.tolerance_deg = std::max(io.tolerance_deg, 0.1 * median_fwhm);
      // Indexing stops at 30 % of the budget with the cells found by then: the monoclinic and triclinic searches
      // took 25 s of an 18 s budget on a 100 Å triclinic K6Ge2H4N2O6 with many lines.
      constexpr double kIndexingShare = 0.3;
      DeadlineCancel indexing_deadline(cancel, after(t0, kIndexingShare * budget));
      io.finish_early = &indexing_deadline.token();
      // M20 over fewer than 20 lines is weak evidence. With few lines (a small cell, or a pseudo-symmetric one whose
      // weak lines are not found) many cells index them all and the true one can rank far down (Pmm2 Mo2CN, 9
      // lines: 22nd by M20; from the exact cell its Le Bail fit reaches R_wp 0.003 where the top 6 stop at 0.07).
      // Le Bail, which is cheap for such cells, then judges more of them.
      const bool few_lines = positions.size() < kFewIndexingLines;
      if (few_lines) io.max_solutions = kCellsJudgedWithFewLines;
      const std::size_t cells_kept = few_lines ? kCellsJudgedWithFewLines : 6;
      const auto sols = index_peaks(positions, data.lambda1_angstrom, io, cancel);
      if (indexing_deadline.token().cancelled() && !cancel.cancelled())
        result.notes.push_back("indexing stopped at " + std::to_string(std::lround(100 * kIndexingShare)) +
                               " % of the time budget, with " + std::to_string(sols.size()) +
                               " cell(s) found by then");
      // The centring is read off absent lines. A pseudo-centred structure has its violating lines too weak to be
      // found (Pmm2 Mo2CN is A-centred but for the order of C and N): a centred cell whose primitive cell holds no
      // whole number of formula units is searched as primitive.
      const auto holds_formula = [&](double volume) {
        return !z_candidates(volume, formula_volume, atoms_per_formula, options.max_atoms, 1, z_divides, 0).empty();
      };
      std::vector<CellCandidate> indexed;
      std::vector<double> primitive_volumes;
      std::vector<bool> as_primitive;
      for (const IndexingSolution& sol : sols) {
        indexed.push_back({sol.lattice, sol.system, "indexing", sol.centring, sol.m20, 1, sol.zero_deg});
        const int multiplicity = centring_from_symbol(sol.centring).multiplicity();
        const double volume = sol.lattice.volume_angstrom3();
        as_primitive.push_back(multiplicity > 1 && !holds_formula(volume / multiplicity) && holds_formula(volume));
        if (as_primitive.back()) indexed.back().centring = "P";
        primitive_volumes.push_back(as_primitive.back() ? volume : volume / multiplicity);
      }
      for (std::size_t i : indexing_cell_order(primitive_volumes, formula_volume, atoms_per_formula, options.max_atoms, z_divides)) {
        if (cells.size() >= cells_kept) break;
        if (as_primitive[i])
          result.notes.push_back("the " + sols[i].centring + "-centred cell " + std::to_string(i + 1) +
                                 " of the indexing cannot hold the formula in its primitive cell: searched as primitive");
        cells.push_back(std::move(indexed[i]));
      }
    }
    end_stage("peaks and indexing");
    if (model_available) {
      progress.report(0.1, "generator samples");
      result.generator_name = generator->name();
      // The generator wants the full cell content. With an indexed (or given) cell, sample in it for the
      // likeliest Z values; otherwise let it propose cells for the Z that MP-20 makes likely (its training range is
      // ≤ 20 atoms).
      std::vector<std::pair<int, std::optional<Lattice>>> requests;
      if (!cells.empty()) {
        // A centred cell is given as its Niggli-reduced primitive cell, the form the model was trained on.
        const Centring centring =
            with_niggli_primitive(cells.front().lattice, centring_from_symbol(cells.front().centring));
        const Lattice hint = primitive_lattice(cells.front().lattice, centring);
        for (int z : z_candidates(hint.volume_angstrom3(), formula_volume, atoms_per_formula,
                                  std::min(20, options.max_atoms), 2, z_divides))
          requests.push_back({z, hint});
      }
      // Shares of the samples: each Z in the cell gets the share it had when four free Z were asked for as well; the
      // free requests share the rest by how often each Z occurs in MP-20.
      const bool free_requests = requests.empty() || !options.given_cell;
      const double cell_share = 1.0 / (double(requests.size()) + (free_requests ? 4.0 : 0.0));
      std::vector<double> shares(requests.size(), cell_share);
      if (free_requests) {
        const double free_share = 1.0 - cell_share * double(requests.size());
        for (const auto& [z, share] : generator_z_shares(atoms_per_formula, options.max_atoms, z_divides)) {
          requests.push_back({z, std::nullopt});
          shares.push_back(free_share * share);
        }
      }
      // Sampling runs until 30 % of the budget, but always gets at least 15 % of it even after a slow indexing;
      // a watchdog cancels it (not the run) at that point.
      const double sampling_s = std::max(0.3 * budget - seconds_since(t0), 0.15 * budget);
      const int sample_count = no_resolved_peaks ? options.generator_samples_broad : options.generator_samples;
      DeadlineCancel sampling(cancel, after(Clock::now(), sampling_s));
      int unusable_samples = 0;
      try {
        for (std::size_t i = 0; i < requests.size(); ++i) {
          GenerationRequest req;
          req.count = static_cast<int>(std::lround(sample_count * shares[i]));
          if (req.count < 1) continue;  // a rare Z when few samples are drawn
          req.atomic_numbers = cell_content(reduced, requests[i].first);
          req.pattern = &pattern;
          req.size_angstrom = options.size_angstrom;
          req.seed = options.seed + 101 * i;
          req.lattice_hint = requests[i].second;
          NullProgress quiet;
          for (Crystal& c : generator->generate(req, sampling.token(), quiet)) {
            if (usable_sample(c))
              samples.push_back(std::move(c));
            else
              ++unusable_samples;
          }
          sampling.token().throw_if_cancelled();
        }
      } catch (const Cancelled&) {
        if (cancel.cancelled()) throw;
        result.notes.push_back("model sampling stopped at its share of the time budget (" +
                               std::to_string(samples.size()) + " samples)");
      }
      if (unusable_samples > 0)
        result.notes.push_back(std::to_string(unusable_samples) +
                               " model samples were dropped: non-finite, flat or implausibly dense cells");
      // Model cells: with enough resolved lines each sample's cell is refined on the peak positions (a local
      // indexing that reaches monoclinic and triclinic cells) and the best-indexing ones go on; otherwise the
      // first distinct ones, as sampled.
      std::vector<CellOnPeaks> proposals;
      for (const Crystal& s : samples) {
        CellOnPeaks p;
        p.lattice = s.lattice;
        if (positions.size() >= 7)
          p = refine_cell_on_peaks(positions, s.lattice, data.lambda1_angstrom, 0.4,
                                   std::max(0.05, 0.1 * median_fwhm));
        const double volume_ratio = p.lattice.volume_angstrom3() / s.lattice.volume_angstrom3();
        if (volume_ratio > 0.7 && volume_ratio < 1.4) proposals.push_back(p);  // not a collapsed fit
      }
      if (positions.size() >= 7)
        std::stable_sort(proposals.begin(), proposals.end(), [](const CellOnPeaks& a, const CellOnPeaks& b) {
          return a.indexed_fraction != b.indexed_fraction ? a.indexed_fraction > b.indexed_fraction
                                                          : a.mean_abs_dev_deg < b.mean_abs_dev_deg;
        });
      int added = 0;
      for (const CellOnPeaks& p : proposals) {
        bool known = false;
        for (const CellCandidate& c : cells) known = known || same_lattice(c.lattice, p.lattice);
        if (!known && added < 3) {
          const Lattice reduced_cell = p.lattice.niggli_reduced(1e-3);
          cells.push_back({reduced_cell, system_of_cell(reduced_cell), "generator", "P", 0, 1, p.zero_deg});
          ++added;
        }
      }
      if (no_resolved_peaks) {
        // Symmetric lattices near the cells of the best-agreeing samples come first: constrained cells are
        // what broad peaks can pin. The samples moved into those lattices join the candidate pool.
        std::vector<std::pair<double, std::size_t>> by_agreement;
        for (std::size_t i = 0; i < samples.size() && !cancel.cancelled(); ++i) {
          try {
            by_agreement.push_back({rietveld_evaluate(fit_data, samples[i], start_profile).rwp, i});
          } catch (const Error&) {
            // a degenerate sample
          }
        }
        std::stable_sort(by_agreement.begin(), by_agreement.end());
        // Every sample votes for the symmetric lattices near its cell; the groups' median cells go first, and the
        // samples move into their group's cell (best-agreeing samples first).
        std::vector<SymmetricLattice> proposals;
        std::vector<std::size_t> proposer;
        for (const auto& [rwp, i] : by_agreement)
          for (const SymmetricLattice& v : symmetric_lattices(samples[i].lattice)) {
            proposals.push_back(v);
            proposer.push_back(i);
          }
        const std::vector<LatticeGroup> groups = consensus_lattices(proposals);
        std::vector<std::size_t> group_of(proposals.size());
        for (std::size_t g = 0; g < groups.size(); ++g)
          for (std::size_t m : groups[g].members) group_of[m] = g;
        for (std::size_t m = 0; m < proposals.size() && symmetric.size() < 16; ++m) {
          SymmetricLattice v = proposals[m];
          v.conventional = groups[group_of[m]].lattice.conventional;
          symmetric.push_back({in_symmetric_lattice(samples[proposer[m]], v), v.system});
        }
        std::vector<CellCandidate> symmetric_cells;
        for (std::size_t g = 0; g < groups.size() && symmetric_cells.size() < 5; ++g) {
          const SymmetricLattice& v = groups[g].lattice;
          bool known = false;
          for (const CellCandidate& c : symmetric_cells)
            known = known || (c.centring == v.centring && same_lattice(c.lattice, v.conventional));
          if (known) continue;
          // The Z of most of the samples that proposed the lattice (each sample's cell is one primitive cell of it).
          std::map<int, int> votes;
          for (std::size_t m : groups[g].members)
            ++votes[static_cast<int>(samples[proposer[m]].sites.size()) / atoms_per_formula];
          int model_z = 0, most = 0;
          for (const auto& [z, n] : votes)
            if (n > most) model_z = z, most = n;
          symmetric_cells.push_back(
              {v.conventional, v.system, "generator (symmetric lattice)", v.centring, 0, 1, 0, model_z});
        }
        cells.insert(cells.begin(), symmetric_cells.begin(), symmetric_cells.end());
      }
    }
    if (model_available) end_stage("model sampling");
    if (cells.empty()) {
      const std::string why = !std::isfinite(median_fwhm) ? "no resolved peaks to index"
                              : median_fwhm >= kMaxIndexingFwhmDeg
                                  ? "the peaks are too broad to index (median FWHM " + std::to_string(median_fwhm) + "°)"
                                  : "indexing found no cell for the peak positions (cubic to triclinic tried)";
      throw InputError(pattern.source, 0,
                       "no cell: " + why + (model_available ? " and the model gave no cell" : " and no model is available"));
    }
    // Indexing and model cells alternate, so that both kinds get Le Bail time when it runs short.
    {
      std::vector<CellCandidate> from_model, others, mixed;
      for (CellCandidate& c : cells) (c.origin == "generator" ? from_model : others).push_back(std::move(c));
      for (std::size_t i = 0; i < std::max(from_model.size(), others.size()); ++i) {
        if (i < others.size()) mixed.push_back(std::move(others[i]));
        if (i < from_model.size()) mixed.push_back(std::move(from_model[i]));
      }
      cells = std::move(mixed);
    }
    // Le Bail refinement of every cell; the best few go on.
    std::vector<LeBailResult> fits;
    // Le Bail ends at half the budget (a fit still running then counts as failed, unless it is the only one).
    DeadlineCancel lebail_deadline(cancel, after(t0, 0.5 * budget));
    for (std::size_t i = 0; i < cells.size(); ++i) {
      progress.report(0.12 + 0.13 * double(i) / cells.size(), "Le Bail " + std::to_string(i + 1) + "/" + std::to_string(cells.size()));
      ProfileParams p0 = start_profile;
      p0.zero_deg = cells[i].zero_deg;
      LeBailOptions lo_opt;
      lo_opt.refine_zero = !no_resolved_peaks;
      // A given crystallite size fixes peaks degrees wide; refining their width against overlapping,
      // extracted intensities only lets the two trade off.
      lo_opt.refine_profile = !(no_resolved_peaks && options.size_angstrom > 0);
      // The first cell's fit is needed whatever it costs, but not more than the budget: at the deadline it
      // finishes its cycle and keeps what it has (a 10 Å InTeI cell took 18 s of an 18 s budget alone).
      if (i == 0) lo_opt.finish_early = &lebail_deadline.token();
      try {
        fits.push_back(lebail_fit(fit_data, cells[i].lattice, cells[i].system, p0, lo_opt,
                                  i == 0 ? cancel : lebail_deadline.token()));
      } catch (const Cancelled&) {
        if (cancel.cancelled()) throw;
        fits.push_back(LeBailResult{});
      } catch (const Error&) {
        fits.push_back(LeBailResult{});
      }
      cells[i].lebail_rwp = fits.back().rwp;
      if (fits.back().rwp < 1) cells[i].lattice = fits.back().lattice;
      cells[i].zero_deg = fits.back().profile.zero_deg;
      if (remaining() < 0.5 * budget) break;
    }
    fits.resize(std::min(fits.size(), cells.size()));
    std::vector<double> lebail_rwp;
    for (const LeBailResult& f : fits) lebail_rwp.push_back(f.rwp);
    std::vector<bool> cubic;
    for (const LeBailResult& f : fits) cubic.push_back(f.system == CrystalSystem::Cubic);
    const CellOrder cell_order = cells_for_search(lebail_rwp, cubic);
    const std::vector<std::size_t>& order = cell_order.order;
    for (std::size_t i : order) result.cells.push_back(cells[i]);
    result.best_lebail_rwp = cell_order.best_rwp;
    end_stage("Le Bail");

    // 3. Candidates: direct-space search in the best cells, seeded by generator samples.
    // Every cell is searched in its Niggli-reduced primitive cell, the basis of the model's samples; a centred
    // cell so has 1/n of the atoms (the centring is a constraint).
    struct Job {
      std::size_t fit;
      int z;  // formula units in the searched (primitive) cell
      Centring centring;
      bool space_group = false;  // a space-group search (broad peaks) rather than the P1/P-1 search
      std::vector<int> other_z;  // space-group search: Z for the groups whose orbits cannot hold z
      bool symmetric_search = false;  // parallel tempering of orbits under the groups the lines allow
    };
    std::vector<Job> jobs;
    // The jobs of the oi-th cell of the Le Bail order: its `how_many` most likely Z in its primitive cell.
    auto add_jobs = [&](std::vector<Job>& to, std::size_t oi, int how_many, bool space_group) {
      const LeBailResult& f = fits[order[oi]];
      const Centring centring = with_niggli_primitive(f.lattice, centring_from_symbol(cells[order[oi]].centring));
      for (int z : z_candidates(f.lattice.volume_angstrom3() / centring.multiplicity(), formula_volume,
                                atoms_per_formula, options.max_atoms, how_many, z_divides, cells[order[oi]].model_z))
        to.push_back({order[oi], z, centring, space_group, {}});
    };
    for (std::size_t oi = 0; oi < cell_order.searched; ++oi) add_jobs(jobs, oi, oi == 0 ? 3 : 2, false);
    // Sharp peaks in a cubic cell: the best cell also gets a space-group search, with its likeliest Z. A P1 search
    // of a 12-atom cubic cell has 36 coordinates and ended near R_wp 0.2 on ideal P2_13 EuGePt and BaIrP, where the
    // group search places three (x, x, x) orbits. Tried on every non-triclinic best cell, it took search time
    // that P1 searches in lower symmetries needed (development split: ideal +1 structure, lab and 100 Å -1 each).
    if (!no_resolved_peaks && !order.empty() && fits[order[0]].system == CrystalSystem::Cubic) {
      // Groups whose orbits cannot hold the likeliest Z take the next (bixbyite's Ia-3: Z = 8, the estimate 9).
      std::vector<Job> by_group;
      add_jobs(by_group, 0, 3, true);
      for (std::size_t i = 1; i < by_group.size(); ++i) by_group[0].other_z.push_back(by_group[i].z);
      if (!by_group.empty()) jobs.insert(jobs.begin(), by_group[0]);
    }
    // The other Z searched in P1 for a fit (times `factor`, within max_atoms), likeliest first: an orbit search takes
    // the first Z that the most of its groups can hold (an estimate of 3 TbScO3 in a 20-atom Pnma cell fits no group).
    auto other_z_of = [&](std::size_t fit, int z, int factor) {
      std::vector<int> out;
      for (const Job& j : jobs)
        if (j.fit == fit && !j.space_group && !j.symmetric_search && j.z != z && j.z * factor * atoms_per_formula <= options.max_atoms)
          out.push_back(j.z * factor);
      return out;
    };
    // Sharp peaks in a large symmetric cell: the best cell's likeliest Z is also searched by parallel tempering
    // under the groups its lines allow, whole orbits moving (a P1 search of 13-20 atoms has 39-60 coordinates
    // and stalled near R_wp 0.2-0.4 on most of the large development structures it missed).
    if (!no_resolved_peaks && !jobs.empty() && fits[jobs[0].fit].system != CrystalSystem::Triclinic &&
        fits[jobs[0].fit].system != CrystalSystem::Cubic && jobs[0].z * atoms_per_formula >= kSymmetricSearchMinAtoms) {
      Job symmetric = jobs[0];
      symmetric.symmetric_search = true;
      symmetric.other_z = other_z_of(jobs[0].fit, jobs[0].z, 1);
      jobs.insert(jobs.begin(), symmetric);
    }
    // Sharp peaks in a centred best cell: its conventional cell is also searched as a primitive cell, by the orbit
    // search under the primitive groups its lines allow. Perovskites with tilted octahedra break the centring only
    // by weak lines, and indexing labels their cells centred (a BaEuSrWO6 double perovskite, P-4n2, as I).
    if (!no_resolved_peaks && !order.empty()) {
      const LeBailResult& f = fits[order[0]];
      const Centring centring = centring_from_symbol(cells[order[0]].centring);
      const auto first = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.fit == order[0] && !j.space_group; });
      if (f.system != CrystalSystem::Cubic && centring.multiplicity() > 1 && first != jobs.end()) {
        const int z = first->z * centring.multiplicity();
        // Only when the primitive cell is too small for its own orbit search (whose time the conventional search
        // would share: a 16-atom C-centred Cm cell was lost to a 32-atom search of its conventional cell).
        if (first->z * atoms_per_formula < kSymmetricSearchMinAtoms && z * atoms_per_formula >= kSymmetricSearchMinAtoms &&
            z * atoms_per_formula <= options.max_atoms) {
          Job conventional{order[0], z, with_niggli_primitive(f.lattice, centring_from_symbol("P")), false,
                           other_z_of(order[0], first->z, centring.multiplicity())};
          conventional.symmetric_search = true;
          jobs.insert(jobs.begin(), conventional);
        }
      }
    }
    // Broad peaks cannot pin free coordinates: the cells with a metric symmetry are also searched under the
    // space groups they can host, and those searches go first.
    if (no_resolved_peaks) {
      // Among cells of one symmetry class, a Le Bail fit 1.5 times worse is a worse cell (a triclinic cell, with
      // more free parameters, fits better than the true tetragonal one and is not compared): the group searches
      // go to the best symmetric cells only (a 10 Å Tb2Ga2I2: 0.006 for the true hexagonal cell, 0.015 for two
      // others, which took two thirds of the time).
      double best_symmetric = 1;
      for (const Job& j : jobs)
        if (fits[j.fit].system != CrystalSystem::Triclinic) best_symmetric = std::min(best_symmetric, fits[j.fit].rwp);
      std::vector<Job> by_group;
      for (const Job& j : jobs)
        if (fits[j.fit].system != CrystalSystem::Triclinic && fits[j.fit].rwp <= 1.5 * best_symmetric + 0.002)
          by_group.push_back({j.fit, j.z, j.centring, true, {}});
      // The symmetric cells Le Bail ranks lower are searched too, with one Z (the model's, else the estimate's),
      // and only the first round unless they fit about as well as the best (below): Le Bail prefers larger cells (a
      // 10 Å Ru2Th: the model's cubic F cell ranked 7th of 8, and the search in it finds Fd-3m at R_wp 0.0008). Two
      // Z per cell cost two structures more than they gained (docs/benchmarks.md).
      for (std::size_t oi = cell_order.searched; oi < order.size(); ++oi) {
        const LeBailResult& f = fits[order[oi]];
        if (f.system == CrystalSystem::Triclinic || !(f.rwp <= 3 * best_symmetric + 0.01)) continue;
        add_jobs(by_group, oi, 1, true);
      }
      jobs.insert(jobs.begin(), by_group.begin(), by_group.end());
    }
    if (jobs.empty() && samples.empty())
      throw InputError("formula", 0,
                       options.formula + " cannot fill any cell found (best cell volume " +
                           std::to_string(fits[order[0]].lattice.volume_angstrom3()) +
                           " Å³ gives an impossible volume per atom); check the formula");
    const int threads = std::max(1, options.threads);
    // The search takes this share of the time left; the rest refines its best candidates. Broad peaks: 0.4, as
    // 0.6 left most 10 Å runs with candidates unrefined (10 Å, development split: R_wp² 0.261 → 0.248–0.255).
    const double search_share = no_resolved_peaks ? 0.4 : 0.6;
    const double search_start_s = seconds_since(t0);
    const double search_end_s = search_start_s + std::max(1.0, search_share * remaining());
    std::vector<std::vector<PoolEntry>> found_by_job(jobs.size());
    auto run_job = [&](std::size_t j, int round, double search_budget) {
      const LeBailResult& f = fits[jobs[j].fit];
      const double searched = (seconds_since(t0) - search_start_s) / (search_end_s - search_start_s);
      progress.report(0.25 + 0.45 * std::min(1.0, searched), "direct-space search");
      if (jobs[j].space_group) {
        SpaceGroupSearchOptions so;
        so.seed = options.seed + 29 * j + 1000003ULL * round;
        so.time_budget_s = search_budget;
        so.refine = refine_options;
        so.refine.iterations = 12;
        so.refine.refine_b_iso = false;  // as SpaceGroupSearchOptions: B waits for the final refinement
        // Resolved peaks can tell the rarer groups apart (the searches of sharp patterns are of cubic cells).
        so.rare_groups = !no_resolved_peaks;
        so.repeat_until_budget = !no_resolved_peaks;
        for (int z : jobs[j].other_z) so.other_contents.push_back(cell_content(reduced, z));
        if (!no_resolved_peaks) {
          so.lambda_angstrom = data.lambda1_angstrom;
          for (const ObservedPeak& p : result.peaks) so.observed_two_theta_deg.push_back(p.two_theta_deg - f.profile.zero_deg);
        }
        try {
          for (SpaceGroupSearchResult& r :
               space_group_search(fit_data, primitive_lattice(f.lattice, jobs[j].centring),
                                  cell_content(reduced, jobs[j].z), f.profile, so, cancel)) {
            PoolEntry e{std::move(r.crystal), crystal_system_of_space_group(r.space_group_number), r.profile,
                        "space-group search", r.rwp};
            e.keep_symmetry = true;
            found_by_job[j].push_back(std::move(e));
          }
        } catch (const Cancelled&) {
          throw;
        } catch (const Error&) {
          // spglib could not analyse the cell: the P1 search covers it
        }
        return;
      }
      // Peaks degrees wide: extracted intensities are arbitrary where peaks overlap, so the search compares
      // profiles instead, group by group (only near-coincident groups merged).
      IntensityTarget target = intensity_target_from_lebail(f, fit_data, no_resolved_peaks ? 0.05 : 0.5);
      if (no_resolved_peaks) add_profile_metric(target, f, fit_data);
      if (target.cluster_intensity.size() < 2) return;
      const Centring& centring = jobs[j].centring;
      const Lattice search_lattice = primitive_lattice(f.lattice, centring);
      for (ReflectionGroup& g : target.groups) {
        std::vector<std::array<int, 3>> kept;
        std::array<int, 3> hp{};
        for (const auto& h : g.hkls)
          if (primitive_hkl(h, centring, hp)) kept.push_back(hp);
        g.hkls = std::move(kept);
      }
      const std::vector<int> content = cell_content(reduced, jobs[j].z);
      DirectSpaceOptions dso;
      dso.seed = options.seed + 17 * j + 1000003ULL * round;
      dso.time_budget_s = search_budget;
      dso.sweeps = std::max(300L, 40000L / static_cast<long>(content.size()));
      dso.centrosymmetric = true;
      NullProgress quiet;
      if (jobs[j].symmetric_search) {
        // Starts in the four groups whose reflection conditions best fit the lines.
        SpaceGroupSearchOptions so;
        so.seed = dso.seed;
        so.lambda_angstrom = data.lambda1_angstrom;
        for (const ObservedPeak& pk : result.peaks) so.observed_two_theta_deg.push_back(pk.two_theta_deg - f.profile.zero_deg);
        std::vector<int> zs = {jobs[j].z};
        zs.insert(zs.end(), jobs[j].other_z.begin(), jobs[j].other_z.end());
        std::vector<int> searched_content;
        for (int z : zs) {
          try {
            std::vector<int> z_content = cell_content(reduced, z);
            std::vector<SymmetricStart> starts = symmetric_starts(search_lattice, z_content, so, 4, kOrbitStartsPerGroup);
            if (starts.size() > dso.symmetric_starts.size()) {
              dso.symmetric_starts = std::move(starts);
              searched_content = std::move(z_content);
            }
          } catch (const Error&) {
            return;  // spglib could not analyse the cell: the P1 search covers it
          }
        }
        if (dso.symmetric_starts.empty()) return;
        dso.sweeps = std::max(300L, 40000L / static_cast<long>(searched_content.size()));
        for (const DirectSpaceResult& d : direct_space_search(target, search_lattice, searched_content, {}, dso, cancel, quiet)) {
          PoolEntry e{d.crystal, d.space_group > 0 ? crystal_system_of_space_group(d.space_group) : CrystalSystem::Triclinic,
                      f.profile, "space-group direct-space", d.r_intensity};
          e.keep_symmetry = d.space_group > 0;
          found_by_job[j].push_back(std::move(e));
        }
        return;
      }
      std::vector<Crystal> seeds;
      for (const Crystal& s : samples)
        if (s.sites.size() == content.size()) seeds.push_back(s);
      // Centred: refined in the primitive cell too (P1 in the conventional cell would have n times the free
      // coordinates and can fit an ideal pattern with a wrong structure); its cell is then free (triclinic).
      // Primitive: back to the conventional axes, where the cell keeps its crystal-system constraints.
      const bool centred = centring.multiplicity() > 1;
      for (const DirectSpaceResult& d : direct_space_search(target, search_lattice, content, seeds, dso, cancel, quiet))
        found_by_job[j].push_back({centred ? d.crystal : expand_to_conventional(d.crystal, f.lattice, centring),
                                   centred ? CrystalSystem::Triclinic : f.system, f.profile,
                                   seeds.empty() ? "direct-space" : "generator+direct-space", d.r_intensity});
    };
    // Broad peaks: a search that runs out of groups or sweeps leaves time, and further rounds with new seeds use it
    // (more starts find more of the structures that fit alike). Sharp peaks: a search that ended has converged.
    std::vector<std::size_t> active(jobs.size());
    for (std::size_t j = 0; j < jobs.size(); ++j) active[j] = j;
    for (int round = 0; round < (no_resolved_peaks ? 8 : 1); ++round) {
      if (round > 0) {
        std::vector<double> best_rwp;
        std::vector<bool> space_group;
        for (std::size_t j : active) {
          best_rwp.push_back(1);
          for (const PoolEntry& e : found_by_job[j]) best_rwp.back() = std::min(best_rwp.back(), e.rwp);
          space_group.push_back(jobs[j].space_group);
        }
        std::vector<std::size_t> kept;
        for (std::size_t a : searches_to_continue(best_rwp, space_group)) kept.push_back(active[a]);
        active = std::move(kept);
      }
      // The sharp group searches (first in the list) get kSharpGroupSearchWeight shares: with one share,
      // bixbyite (Mn2O3, Ia-3, 40 atoms) was found with 2 of 3 seeds in 60 s, the third stopping at I2_13; with
      // three, 3 of 3, and no change on 20 ideal and 20 lab-like development patterns.
      std::vector<int> weights;
      for (std::size_t j : active)
        weights.push_back((jobs[j].space_group || jobs[j].symmetric_search) && !no_resolved_peaks ? kSharpGroupSearchWeight : 1);
      const std::vector<double> search_budget =
          search_budgets(weights, threads, std::max(round == 0 ? 1.0 : 0.0, search_end_s - seconds_since(t0)));
      const double longest = search_budget.empty() ? 0 : *std::max_element(search_budget.begin(), search_budget.end());
      if (round > 0 && longest < 0.5) break;
      parallel_for(active.size(), threads, [&](std::size_t a) { run_job(active[a], round, search_budget[a]); });
    }
    for (const auto& found : found_by_job) pool.insert(pool.end(), found.begin(), found.end());
    end_stage("direct-space search");
    // Generator samples as candidates of their own, in their own cell (profile of the best Le Bail fit).
    const ProfileParams sample_profile = fits.empty() ? start_profile : fits[order[0]].profile;
    std::vector<int> support;
    if (no_resolved_peaks && samples.size() > 2) {
      // Broad peaks leave many structures fitting alike, and an unrefined sample ranks low among refined search
      // results: the model's modes (the samples that most of the others match) get refinement slots of their own.
      DeadlineCancel support_deadline(cancel, after(Clock::now(), 0.05 * budget));
      try {
        support = match_support(samples, MatchTolerances{0.3, 0.5, 10}, 200, &support_deadline.token(),
                                std::max(1, options.threads));
      } catch (const Cancelled&) {
        if (cancel.cancelled()) throw;
        support.clear();
      }
    }
    std::vector<std::size_t> modes;
    for (std::size_t i = 0; i < support.size(); ++i)
      if (support[i] >= kMinModeSupport) modes.push_back(i);
    std::stable_sort(modes.begin(), modes.end(), [&](std::size_t a, std::size_t b) { return support[a] > support[b]; });
    if (modes.size() > kModeSlots) modes.resize(kModeSlots);
    if (!modes.empty())
      result.notes.push_back(std::to_string(modes.size()) + " model sample(s) that " + std::to_string(kMinModeSupport) +
                             " or more of the others match (the model's modes) refined first; highest support " +
                             std::to_string(support[modes.front()]) + " of " + std::to_string(samples.size() - 1));
    for (std::size_t i = 0; i < samples.size(); ++i) {
      pool.push_back({samples[i], system_of_cell(samples[i].lattice), sample_profile, "generator", 1});
      pool.back().model_mode = std::find(modes.begin(), modes.end(), i) != modes.end();
    }
    for (const auto& [crystal, system] : symmetric)
      pool.push_back({crystal, system, sample_profile, "generator (symmetric lattice)", 1});
    // Pre-rank by the profile fit with only scale and background.
    progress.report(0.7, "ranking");
    for (PoolEntry& e : pool) {
      cancel.throw_if_cancelled();
      e.rwp = rietveld_evaluate(fit_data, e.crystal, e.profile).rwp;
    }
  } catch (const Cancelled&) {
    if (pool.empty()) throw;
    result.cancelled = true;
  }
  std::sort(pool.begin(), pool.end(), [](const PoolEntry& a, const PoolEntry& b) { return a.rwp < b.rwp; });
  {
    // The best entry of each mode's structure is refined too. The de-duplication below keeps the first of
    // equivalent entries, so the unrefined mode put first hid the search's results (10 Å CuGeHo: the mode at
    // R_wp 0.27, its structure from the space-group search at 0.001). That entry goes first, hiding nothing:
    // a match can be a near-miss, and in the mode's place it hid a right structure (10 Å RbTlO2).
    std::vector<Crystal> crystals;
    std::vector<std::size_t> modes;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      crystals.push_back(pool[i].crystal);
      if (pool[i].model_mode) modes.push_back(i);
    }
    const std::vector<std::size_t> best = best_equivalents(crystals, modes, &cancel);
    for (std::size_t m = 0; m < modes.size(); ++m)
      if (best[m] != modes[m]) pool[best[m]].best_of_mode = true;
  }
  const auto extra_end =
      std::stable_partition(pool.begin(), pool.end(), [](const PoolEntry& e) { return e.best_of_mode; });
  std::stable_partition(extra_end, pool.end(), [](const PoolEntry& e) { return e.model_mode; });
  // Searches in one cell often converge on one structure: the refinement slots go to distinct structures
  // (the best of each), so that the final de-duplication does not leave fewer than k.
  {
    std::vector<PoolEntry> distinct;
    for (std::size_t i : distinct_structures(pool, static_cast<std::size_t>(options.k + 4), &cancel,
                                             static_cast<std::size_t>(extra_end - pool.begin())))
      distinct.push_back(std::move(pool[i]));
    pool = std::move(distinct);
  }
  end_stage("pre-ranking");

  // 4. Rietveld refinement of the most promising.
  std::vector<SolvedCandidate> solved(std::min(pool.size(), static_cast<std::size_t>(options.k + 4)));
  std::atomic<bool> cancelled_in_refinement{false}, out_of_time{false};
  std::atomic<int> refine_started{0}, refine_failed{0};
  std::string first_refine_error;  // guarded by callback_mutex
  std::mutex callback_mutex;
  // Refinements stop at the end of the budget (plus 5 % grace); those cut short keep their unrefined fit.
  DeadlineCancel refine_deadline(cancel, after(t0, 1.05 * budget));
  parallel_for(solved.size(), std::max(1, options.threads), [&](std::size_t i) {
    const PoolEntry& e = pool[i];
    SolvedCandidate& c = solved[i];
    c.origin = e.origin;
    c.system = e.system;
    RietveldResult r;
    bool refined = false;
    if (options.refine && !result.cancelled && !cancelled_in_refinement && remaining() > 0) {
      progress.report(0.72 + 0.25 * double(refine_started++) / solved.size(), "Rietveld refinement");
      try {
        if (e.keep_symmetry) {
          // Exchanging two atoms would break the orbits: a symmetric candidate is only refined.
          r = rietveld_refine_in_space_group(fit_data, e.crystal, e.profile, refine_options, refine_deadline.token());
          refined = true;
        } else {
          r = rietveld_refine(fit_data, e.crystal, e.system, e.profile, refine_options, refine_deadline.token());
          refined = true;
          // Elements misplaced on the right framework: exchange them, then refine again.
          const RietveldResult exchanged = rietveld_exchange_descent(fit_data, r, 4, refine_deadline.token());
          if (exchanged.rwp < 0.98 * r.rwp) {
            RietveldResult again =
                rietveld_refine(fit_data, exchanged.crystal, e.system, exchanged.profile, refine_options,
                                refine_deadline.token());
            if (again.rwp < r.rwp) r = std::move(again);
          }
        }
      } catch (const Cancelled&) {
        if (cancel.cancelled()) cancelled_in_refinement = true;
        else out_of_time = true;
      } catch (const Error& error) {
        // an impossible cell or a singular fit: the candidate keeps its unrefined agreement (or, when only the
        // exchanges failed, its refined one)
        if (!refined) {
          ++refine_failed;
          std::lock_guard<std::mutex> lock(callback_mutex);
          if (first_refine_error.empty()) first_refine_error = error.what();
        }
      }
    } else if (options.refine && !result.cancelled && !cancelled_in_refinement) {
      out_of_time = true;
    }
    if (!refined) r = rietveld_evaluate(fit_data, e.crystal, e.profile);
    c.refined = r.crystal;
    c.profile = r.profile;
    c.scale = r.scale;
    c.rwp = r.rwp;
    c.rwp2 = r.rwp2_profile;
    c.gof = r.gof;
    c.n_parameters = r.n_parameters;
    c.y_calc = r.y_calc;
    symmetrize_candidate(fit_data, c, refine_options, options.refine, refine_deadline.token());
    c.closest_contact_ratio = closest_contact_ratio(c.crystal);
    if (binned) {
      const RietveldResult full = rietveld_evaluate(data, c.crystal, c.profile);
      c.rwp = full.rwp;
      c.rwp2 = full.rwp2_profile;
      c.gof = full.rexp > 0 ? full.rwp / full.rexp : 0;
      c.y_calc = full.y_calc;
      c.scale = full.scale;
    }
    if (on_candidate) {
      std::lock_guard<std::mutex> lock(callback_mutex);
      on_candidate(c);
    }
  });
  if (cancelled_in_refinement) result.cancelled = true;
  if (out_of_time) result.budget_exhausted = true;
  if (refine_failed > 0)
    result.notes.push_back(std::to_string(refine_failed.load()) +
                           " candidate(s) could not be refined and keep their unrefined fit (first: " +
                           first_refine_error + ")");
  end_stage("Rietveld and symmetry");
  // 5. De-duplicate (structure matcher), rank by R_wp.
  progress.report(0.97, "duplicates and ranking");
  // By R_wp, the candidates with atoms on top of each other last (a lab Mn2O3: a 45-atom P1 refinement with Mn–Mn
  // 1.5 Å fitted the impurity lines at R_wp 0.029, bixbyite 0.033).
  const auto ranked_before = [](const SolvedCandidate& a, const SolvedCandidate& b) {
    const bool a_plausible = a.closest_contact_ratio >= kImplausibleContactRatio;
    const bool b_plausible = b.closest_contact_ratio >= kImplausibleContactRatio;
    return a_plausible != b_plausible ? a_plausible : a.rwp < b.rwp;
  };
  std::sort(solved.begin(), solved.end(), ranked_before);
  // The best three also bring their equally fitting exchanges of atoms one electron apart (the matcher below
  // drops exchanges that are the same structure).
  // They get a tenth of the budget: a 12-atom cell with four Te and four I has 69 exchanges per candidate, each
  // evaluated on the full data (8 s at 10 Å).
  {
    DeadlineCancel exchange_deadline(cancel, after(Clock::now(), 0.1 * budget));
    std::vector<SolvedCandidate> exchanged;
    for (std::size_t i = 0; i < solved.size() && i < 3 && !result.cancelled; ++i)
      for (SolvedCandidate& v : site_exchange_variants(solved[i], data, 4, exchange_deadline.token())) {
        v.closest_contact_ratio = closest_contact_ratio(v.crystal);
        exchanged.push_back(std::move(v));
      }
    if (!exchanged.empty()) {
      solved.insert(solved.end(), std::make_move_iterator(exchanged.begin()), std::make_move_iterator(exchanged.end()));
      std::stable_sort(solved.begin(), solved.end(), ranked_before);
    }
  }
  for (std::size_t i : distinct_structures(solved, static_cast<std::size_t>(options.k), nullptr))
    result.candidates.push_back(std::move(solved[i]));
  const auto implausible = std::count_if(result.candidates.begin(), result.candidates.end(), [](const SolvedCandidate& c) {
    return c.closest_contact_ratio < kImplausibleContactRatio;
  });
  if (implausible > 0)
    result.notes.push_back(std::to_string(implausible) + " candidate(s) with atoms closer than " +
                           std::to_string(std::lround(100 * kImplausibleContactRatio)) +
                           " % of the sum of their covalent radii, ranked after the others");
  if (result.budget_exhausted) result.notes.push_back("time budget reached: some candidates were not refined");
  if (result.cancelled) result.notes.push_back("cancelled: writing the candidates found so far");
  end_stage("duplicates and ranking");
  result.wall_time_s = seconds_since(t0);
  progress.report(1.0, "done");
  return result;
}

}  // namespace pxrd
