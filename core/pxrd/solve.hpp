#pragma once
// Structure solution from a powder pattern and a formula: preprocessing, cells (indexing and/or generator
// samples) refined by Le Bail, candidates (generator samples + direct-space parallel tempering), Rietveld
// refinement, symmetrization, de-duplication and ranking by R_wp. A function of (input, CancelToken,
// ProgressSink); the generator is optional (nullptr: classical only).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/candidate_generator.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/indexing.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/pattern.hpp"
#include "pxrd/radiation.hpp"

namespace pxrd {

struct SolveOptions {
  std::string formula;                  // reduced or full ("MnO", "Mn4O4")
  std::optional<Radiation> radiation;   // overrides the file's; required when the file has none and x is Q
  int k = 10;                           // candidates written
  double time_budget_s = 60;
  unsigned long long seed = 1;
  double size_angstrom = 0;             // crystallite size if known (passed to the generator)
  double two_theta_min_deg = 0, two_theta_max_deg = 0;  // usable range; 0 = automatic
  bool use_generator = true;            // false: ignore the generator (ablation "no model")
  bool refine = true;                   // false: no Rietveld (ablation "no refinement")
  int max_atoms = 48;                   // largest content searched (a centred cell is searched in its primitive cell)
  // The formula is the content of one cell (as a CIF gives it: "Tb2Ga2I2"), so the primitive cell holds Z reduced
  // units with Z dividing the formula's own multiple (2 here; 1 or 2 tried). Without it Z is free: "TbGaI" or
  // "Hg2Cl2" only fix the ratio. Broad patterns barely constrain Z: a 10 Å TbGaI pattern is fitted as well with 12
  // atoms as with the true 6.
  bool formula_is_cell_content = false;
  int generator_samples = 32;
  // Without resolved peaks the model's samples are the only source of cells, and sampling took about 1 s of an 18 s
  // budget: three times the samples give more of its cells (docs/benchmarks.md, twenty-first session).
  int generator_samples_broad = 96;
  std::optional<Lattice> given_cell;    // evaluation with the lattice given
  int threads = 2;                      // workers for the searches and refinements
};

struct SolvedCandidate;
// Called for every candidate as soon as it is refined and symmetrized, before de-duplication and the final
// ranking (from worker threads, one call at a time), so that a UI can show results as they come.
using CandidateCallback = std::function<void(const SolvedCandidate&)>;

struct SolvedCandidate {
  Crystal crystal;                      // symmetrized where the fit allows, primitive standard cell
  Crystal refined;                      // as refined, P1 in the fitted cell
  int space_group_number = 1;
  std::string space_group_symbol = "P1";
  double symprec_angstrom = 0;          // tolerance the space group was found with
  CrystalSystem system = CrystalSystem::Triclinic;
  ProfileParams profile;
  double scale = 0;
  double rwp = 1, rwp2 = 1, gof = 0;    // rwp2: profile R_wp² (PXRDNet form) without background
  int n_parameters = 0;
  double closest_contact_ratio = 0;     // of `crystal` (pxrd/crystal.hpp); below kImplausibleContactRatio it ranks last
  std::vector<double> y_calc;           // on SolveResult::data
  std::string origin;                   // "direct-space", "generator", "generator+direct-space"
};

// Atoms closer than this fraction of the sum of their covalent radii are not a structure (MP-20: 0.68 at least):
// such candidates, which free refinements of too many atoms produce, rank after the others.
constexpr double kImplausibleContactRatio = 0.6;

struct CellCandidate {
  Lattice lattice;
  CrystalSystem system = CrystalSystem::Triclinic;
  std::string origin;                   // "indexing", "generator", "given"
  std::string centring = "P";           // from the reflection conditions (indexing); the search runs in the primitive cell
  double m20 = 0;
  double lebail_rwp = 1;
  double zero_deg = 0;
  int model_z = 0;                      // formula units per primitive cell of the model samples that proposed it (0: none)
};

struct SolveResult {
  Radiation radiation;
  std::string radiation_note;           // where the radiation came from
  PowderData data;                      // the points used
  std::vector<ObservedPeak> peaks;
  std::vector<CellCandidate> cells;     // refined, best first
  std::vector<SolvedCandidate> candidates;  // ranked by R_wp
  std::string generator_name;           // empty without a generator
  std::vector<std::string> notes;       // warnings for the user
  double best_lebail_rwp = 1;
  double wall_time_s = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;  // wall time of each stage, in order
  bool cancelled = false;               // partial result (whatever was found before the cancel)
  bool budget_exhausted = false;
};

// Building blocks of the solver, public for their tests.
// A Bravais lattice close to a cell's: conventional axes, symmetric metric, and P with x_conventional = P x.
struct SymmetricLattice {
  Lattice conventional;
  CrystalSystem system = CrystalSystem::Triclinic;
  std::string centring = "P";
  int space_group = 1;  // of the lattice alone (its holohedry)
  Eigen::Matrix3d to_conventional = Eigen::Matrix3d::Identity();
};
// The Bravais lattices (monoclinic or higher) within 6 % and 3 % of the cell edge of `cell`, highest first.
std::vector<SymmetricLattice> symmetric_lattices(const Lattice& cell);
// `sample` (in the cell symmetric_lattices was given) moved into that lattice's conventional cell.
Crystal in_symmetric_lattice(const Crystal& sample, const SymmetricLattice& lattice);
// Symmetric lattices proposed by many samples, grouped: the same lattice type (holohedry and centring) and
// conventional parameters within 6 % (angles 3°) of the group's first member. Each group's lattice has the
// median parameters of its members (`members` index `proposals`); most members first, ties in proposal order.
// Single samples scatter by a few per cent around the true cell; their median is what broad peaks cannot give.
struct LatticeGroup {
  SymmetricLattice lattice;
  std::vector<std::size_t> members;
};
std::vector<LatticeGroup> consensus_lattices(const std::vector<SymmetricLattice>& proposals);
// The order in which Le Bail-fitted cells (R_wp 1: failed) are listed and searched, and how many of the first
// are searched (at most 3, those within 1.5 × the best R_wp + 0.02), and that best R_wp. `cubic` (empty, or one
// flag per cell): a cubic cell fitting better than every cell proposed before it goes first.
struct CellOrder {
  std::vector<std::size_t> order;
  std::size_t searched = 0;
  double best_rwp = 1;
};
CellOrder cells_for_search(const std::vector<double>& lebail_rwp, const std::vector<bool>& cubic = {});
// Broad peaks: the searches that go on after the first round, as indices into `best_rwp` (each search's best R_wp
// so far, 1 if it found nothing). A space-group search more than 2 × the best space-group search's R_wp (+0.002)
// is dropped, and its time goes to the others; the P1 / P-1 searches, scored otherwise, all go on.
std::vector<std::size_t> searches_to_continue(const std::vector<double>& best_rwp, const std::vector<bool>& space_group);
// Seconds for each of a round of searches run on `threads` workers that take the next search when one ends:
// seconds × weight / per-thread weight, where the per-thread weight is the total rounded up to whole units
// (searches are indivisible), and at least the largest weight. Weights are whole numbers ≥ 1.
std::vector<double> search_budgets(const std::vector<int>& weights, int threads, double seconds);
// Volume of one formula unit (Å³) from per-element volumes fitted on MP-20 train (median error about 6 %).
double formula_volume_estimate(const Composition& reduced);
// Formula units worth trying in a cell of `volume` Å³, most likely first: at most `how_many`, each within a factor
// 1.6 of the estimate (beyond the first, 1.35), 6–60 Å³ per atom, at most `max_atoms` atoms; with z_divides > 0
// only its divisors. A `model_z` > 0 (the Z of the model samples that proposed the cell) takes the place of the
// last of them unless already among them, if it gives 6–60 Å³ per atom and the Z limits allow it.
std::vector<int> z_candidates(double volume, double formula_volume, int atoms_per_formula, int max_atoms, int how_many,
                              int z_divides, int model_z = 0);
// The order in which indexing cells (their primitive volumes, Å³, in indexing order) are fitted and searched, as a
// permutation: cells that hold the formula at no Z (z_candidates is empty) go last, and a cell whose likeliest Z
// puts the formula volume beyond 1.35 × the estimate goes after every later cell that puts it within 1.35 with no
// more formula units; otherwise the indexing order stays.
std::vector<std::size_t> indexing_cell_order(const std::vector<double>& primitive_volumes, double formula_volume,
                                             int atoms_per_formula, int max_atoms, int z_divides);
// Without a cell, the model is asked for these Z (formula units per cell), each with its share of the samples:
// every Z that gives at most min(20, max_atoms) atoms, is allowed by `z_divides` and occurs in MP-20 at this
// number of atoms per formula unit, sharing in proportion to the square root of its MP-20 frequency (a hedge
// between the prior and equal shares). Shares sum to 1; Z = 1 when nothing else fits.
std::vector<std::pair<int, double>> generator_z_shares(int atoms_per_formula, int max_atoms, int z_divides);
// For candidates sorted best fit first: for each index in `marked`, the first candidate with the same structure
// (the matcher's default tolerances), which may be the marked one itself. A search often finds a model sample's
// structure with a far better fit than the unrefined sample.
std::vector<std::size_t> best_equivalents(const std::vector<Crystal>& best_first, const std::vector<std::size_t>& marked,
                                          const CancelToken* cancel = nullptr);
// Exchanges of atoms one electron apart (C/N, O/F, Mn/Fe) in `c.crystal` that fit `data` within 5 % (+0.001)
// of c.rwp, best first, at most max_variants; each re-evaluated (scale and background) with c.profile.
std::vector<SolvedCandidate> site_exchange_variants(const SolvedCandidate& c, const PowderData& data,
                                                    std::size_t max_variants, const CancelToken& cancel);

// Throws InputError for bad input: formula, Q data without wavelength, no peaks, a formula that fits no cell,
// a time budget too small. A cancel during the search returns the candidates found so far with cancelled set.
SolveResult solve(const Pattern& pattern, const SolveOptions& options, CandidateGenerator* generator,
                  const CancelToken& cancel, ProgressSink& progress,
                  const CandidateCallback& on_candidate = nullptr);

// Writes DIR/candidate_NN.cif, DIR/fit_NN.xye and DIR/summary.json (each atomically; DIR is created).
// `input` names the pattern file in the provenance; `model_version` is written as given.
void write_solve_outputs(const SolveResult& result, const SolveOptions& options, const std::string& input,
                         const std::string& dir);
// The summary.json text (also used by batch).
std::string solve_summary_json(const SolveResult& result, const SolveOptions& options, const std::string& input);
// A table of the ranked candidates for the terminal.
std::string solve_table(const SolveResult& result);

}  // namespace pxrd
