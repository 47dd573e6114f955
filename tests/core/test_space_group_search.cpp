// Direct-space search under space groups: the groups a lattice can host, rutile found from a 10 Å pattern in
// a cell a few per cent off, and a 14-atom P2_1/n cell found by parallel tempering of its orbits (also when only
// one of several starts has the right Wyckoff positions).
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "structures.hpp"
#include "pxrd/direct_space.hpp"
#include "pxrd/elements.hpp"
#include "pxrd/indexing.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/space_group_search.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

using namespace pxrd;
using pxrd::test::rock_salt;
using pxrd::test::rutile;

namespace {
// The Cu Kα pattern of 10 Å crystallites, binned as the solver bins broad patterns, and its start profile.
PowderData pattern_10_angstrom(const Crystal& truth) {
  ProfileOptions sim;
  sim.size_angstrom = 10;
  sim.debye_waller = false;
  GridOptions grid;
  grid.x_min = 5;
  return bin_powder_data(
      powder_data_from_pattern(simulate_pattern(truth, radiation_from_string("CuKa"), sim, grid), 5, 90), 40);
}
ProfileParams sinc2_profile_10_angstrom(const PowderData& data) {
  ProfileParams p0;
  p0.sinc2_size = true;
  p0.w = 0.0004;
  p0.x = rad_to_deg(0.886 * data.lambda1_angstrom / 10);
  return p0;
}
// Rock salt at 10 Å, searched in its fcc primitive cell 2 % too large, with three trial groups and no time limit.
struct RockSalt10 {
  Crystal truth = rock_salt(5.64);
  PowderData data = pattern_10_angstrom(truth);
  ProfileParams p0 = sinc2_profile_10_angstrom(data);
  Lattice cell = Lattice::from_parameters(1.02 * 5.64 / std::sqrt(2.0), 1.02 * 5.64 / std::sqrt(2.0),
                                          1.02 * 5.64 / std::sqrt(2.0), 60, 60, 60);
  SpaceGroupSearchOptions options = [] {
    SpaceGroupSearchOptions o;
    o.time_budget_s = 1e6;
    o.max_trials = 3;
    o.refine.refine_profile = false;
    return o;
  }();
  CancelToken cancel;
  std::vector<SpaceGroupSearchResult> search(const std::vector<int>& content) {
    return space_group_search(data, cell, content, p0, options, cancel);
  }
};
// A 14-atom P2_1/n cell (P2_1/c in cell choice 2: Mo on 2a, Ca and two O on general positions, 9 free
// coordinates against 42 in P1), its ideal pattern, the intensities a Le Bail fit extracts and its strongest lines.
struct MonoclinicP21n {
  Lattice cell = Lattice::from_parameters(5.6, 6.1, 7.3, 90, 101.5, 90);
  Crystal truth = [this] {
    const std::vector<Eigen::Vector3d> ops_r_sign = {{1, 1, 1}, {-1, 1, -1}, {-1, -1, -1}, {1, -1, 1}};
    const std::vector<Eigen::Vector3d> ops_t = {{0, 0, 0}, {0.5, 0.5, 0.5}, {0, 0, 0}, {0.5, 0.5, 0.5}};
    Crystal c;
    c.lattice = cell;
    const std::vector<std::pair<int, Eigen::Vector3d>> asymmetric = {
        {42, {0, 0, 0}}, {20, {0.25, 0.2, 0.33}}, {8, {0.1, 0.3, 0.1}}, {8, {0.5, 0.05, 0.75}}};
    for (const auto& [z, x] : asymmetric)
      for (std::size_t g = 0; g < 4; ++g) {
        Site s;
        s.atomic_number = z;
        s.element = element_symbol(z);
        s.frac = (ops_r_sign[g].cwiseProduct(x) + ops_t[g]).unaryExpr([](double v) { return v - std::floor(v); });
        bool seen = false;
        for (const Site& t : c.sites) seen = seen || (t.atomic_number == z && (t.frac - s.frac).norm() < 1e-9);
        if (!seen) c.sites.push_back(s);
      }
    return c;
  }();
  PowderData data = powder_data_from_pattern(ideal_cu_ka_pattern(truth), 5, 90);
  CancelToken cancel;
  LeBailResult lb = [this] {
    ProfileParams start;
    start.w = 0.01;
    return lebail_fit(data, cell, CrystalSystem::Monoclinic, start, LeBailOptions{}, cancel);
  }();
  IntensityTarget target = intensity_target_from_lebail(lb, data);
  std::vector<int> content = [this] {
    std::vector<int> z;
    for (const Site& s : truth.sites) z.push_back(s.atomic_number);
    return z;
  }();
  SpaceGroupSearchOptions lines = [this] {
    SpaceGroupSearchOptions so;
    so.seed = 3;
    so.lambda_angstrom = data.lambda1_angstrom;
    for (const ObservedPeak& p : find_peaks_for_indexing(data, 40, 1.0)) so.observed_two_theta_deg.push_back(p.two_theta_deg);
    return so;
  }();
  MonoclinicP21n() {
    QCOMPARE(truth.sites.size(), std::size_t(14));
    QCOMPARE(find_space_group(truth, 0.01).number, 14);
    QVERIFY(intensity_r_factor(target, group_intensities(truth, target.groups)) < 0.01);
  }
  // Whether every operation of the start maps c onto itself.
  bool keeps_operations(const SymmetricStart& st, const Crystal& c) const {
    for (std::size_t g = 0; g < st.rotations.size(); ++g)
      for (const Site& a : c.sites) {
        double nearest = 1;
        for (const Site& b : c.sites) {
          const Eigen::Vector3d d = st.rotations[g] * a.frac + st.translations[g] - b.frac;
          if (b.atomic_number == a.atomic_number) nearest = std::min(nearest, (d.array() - d.array().round()).abs().maxCoeff());
        }
        if (nearest > 1e-6) return false;
      }
    return true;
  }
  // Four replicas, 1500 sweeps and no time limit (deterministic).
  static DirectSpaceOptions search_options() {
    DirectSpaceOptions opt;
    opt.seed = 5;
    opt.replicas = 4;
    opt.sweeps = 1500;
    opt.time_budget_s = 120;
    opt.results = 4;
    return opt;
  }
  std::vector<DirectSpaceResult> search(const DirectSpaceOptions& opt) const {
    NullProgress progress;
    return direct_space_search(target, lb.lattice, content, {}, opt, cancel, progress);
  }
};
}  // namespace

class TestSpaceGroupSearch : public QObject {
  Q_OBJECT
 private slots:
  void directSpaceUnderGroupFindsMonoclinicCell() {
    // The lines must put P2_1/c with the n glide first among the groups (the standard setting's c glide would
    // forbid observed h0l lines), and replicas started from random structures under it, searched against the
    // intensities a Le Bail fit extracts from the ideal pattern, must keep the group and find the structure.
    const MonoclinicP21n m;
    const std::vector<SymmetricStart> starts = symmetric_starts(m.cell, m.content, m.lines, 1, 4);
    QCOMPARE(starts.size(), std::size_t(4));
    QVERIFY(m.keeps_operations(starts.front(), m.truth));  // the n-glide setting
    for (const SymmetricStart& st : starts) {
      QCOMPARE(st.space_group, 14);
      QCOMPARE(st.crystal.sites.size(), m.content.size());
      QCOMPARE(find_space_group(st.crystal, 0.01).number, 14);
      QVERIFY(m.keeps_operations(starts.front(), st.crystal));
    }
    DirectSpaceOptions opt = m.search_options();
    opt.symmetric_starts = starts;
    const std::vector<DirectSpaceResult> res = m.search(opt);
    QVERIFY(!res.empty());
    for (const DirectSpaceResult& r : res) {
      QCOMPARE(r.space_group, 14);
      QVERIFY(m.keeps_operations(starts.front(), r.crystal));
    }
    qInfo() << "best R_I" << res[0].r_intensity;
    QVERIFY(res[0].r_intensity < 0.05);
    QVERIFY(match_structures(res[0].crystal, m.truth, MatchTolerances{0.3, 0.5, 10}).matched);
  }
  void startsCoverEveryGroupFirst() {
    // Round robin over the groups: with two groups of two starts, the first two starts are one of each.
    const MonoclinicP21n m;
    const std::vector<SymmetricStart> starts = symmetric_starts(m.cell, m.content, m.lines, 2, 2);
    QCOMPARE(starts.size(), std::size_t(4));
    QCOMPARE(starts[0].space_group, 14);
    QVERIFY(starts[1].space_group != starts[0].space_group);
    QCOMPARE(starts[2].space_group, starts[0].space_group);
    QCOMPARE(starts[3].space_group, starts[1].space_group);
  }
  void screeningKeepsTheStartWithTheRightSites() {
    // A replica keeps its orbits: one started with oxygen on inversion centres (4 + 2 + 2 instead of 4 + 4) cannot
    // reach the structure. Given more starts than replicas, the search polishes each briefly and keeps the best, so
    // one good start among bad ones is kept and solves it; without it, the bad starts do not.
    const MonoclinicP21n m;
    auto on_centre = [](const Crystal& c, int atomic_number) {
      for (const Site& s : c.sites) {
        const Eigen::Vector3d twice = 2 * s.frac;
        if (s.atomic_number == atomic_number && (twice.array() - twice.array().round()).abs().maxCoeff() < 1e-6) return true;
      }
      return false;
    };
    std::vector<SymmetricStart> bad, good;  // good: Ca and O on general positions, as in the structure
    for (const SymmetricStart& st : symmetric_starts(m.cell, m.content, m.lines, 1, 120)) {
      if (on_centre(st.crystal, 8)) bad.push_back(st);
      else if (!on_centre(st.crystal, 20)) good.push_back(st);
    }
    QVERIFY(bad.size() >= 6 && !good.empty());
    DirectSpaceOptions opt = m.search_options();
    opt.symmetric_starts = {bad.begin(), bad.begin() + 6};
    const std::vector<DirectSpaceResult> stuck = m.search(opt);
    QVERIFY(!stuck.empty());
    opt.symmetric_starts.insert(opt.symmetric_starts.begin() + 3, good.front());
    const std::vector<DirectSpaceResult> found = m.search(opt);
    QVERIFY(!found.empty());
    qInfo() << "best R_I from 6 bad starts" << stuck[0].r_intensity << "with one good start among them" << found[0].r_intensity;
    QVERIFY(on_centre(stuck[0].crystal, 8));
    QVERIFY(stuck[0].r_intensity > 0.1);
    QVERIFY(!on_centre(found[0].crystal, 8));
    QVERIFY(found[0].r_intensity < 0.05);
    QVERIFY(match_structures(found[0].crystal, m.truth, MatchTolerances{0.3, 0.5, 10}).matched);
  }
  void operationsFromTheDatabase() {
    QCOMPARE(space_group_operations(225).size(), std::size_t(192));  // Fm-3m: 48 rotations × 4 centring vectors
    QCOMPARE(space_group_operations(136).size(), std::size_t(16));
    QCOMPARE(space_group_operations(1).size(), std::size_t(1));
    QVERIFY_THROWS_EXCEPTION(Error, space_group_operations(231));
  }

  void groupsOfALattice() {
    // A primitive tetragonal lattice hosts primitive tetragonal groups only, P4/mmm (the most frequent) first.
    const std::vector<int> tp = space_groups_for_lattice(Lattice::from_parameters(4.6, 4.6, 3.0, 90, 90, 90));
    QVERIFY(!tp.empty());
    QCOMPARE(tp.front(), 123);
    for (int g : tp) {
      QCOMPARE(QString::fromStdString(crystal_system_of(g)), QString("tetragonal"));
      QVERIFY(g != 139 && g != 141);  // body-centred
    }
    QVERIFY(std::find(tp.begin(), tp.end(), 136) != tp.end());
    // The primitive cell of an fcc lattice (a rhombohedron of 60°): the face-centred cubic groups.
    const double a = 4.0 / std::sqrt(2.0);
    const std::vector<int> fcc = space_groups_for_lattice(Lattice::from_parameters(a, a, a, 60, 60, 60));
    QCOMPARE(fcc.front(), 225);
    for (int g : fcc) QVERIFY(g == 225 || g == 216 || g == 227 || g == 196 || g == 202 || g == 203 || g == 209 || g == 210 || g == 219 || g == 226 || g == 228);
  }

  void trialOrderFollowsTheObservedReflectionConditions() {
    // Bixbyite (Mn2O3, Ia-3, a = 9.41 Å, 40 atoms in the primitive cell) is too large for MP-20, which has fewer
    // than 10 Ia-3 structures: only with rare groups is Ia-3 tried. Its lines (h + k + l even; 0kl with k and l
    // even, the glide) then put it first: every body-centred group explains them, and Ia-3 allows the fewest
    // reflections among those (Ia-3d and I-43d forbid 222).
    const double a = 9.41, lambda = 1.5406;
    const double edge = a * std::sqrt(3.0) / 2, angle = rad_to_deg(std::acos(-1.0 / 3));
    const Lattice bcc = Lattice::from_parameters(edge, edge, edge, angle, angle, angle);
    SpaceGroupSearchOptions options;
    options.lambda_angstrom = lambda;
    const auto allowed_ia3 = [](int h, int k, int l) {
      const auto glide = [](int p, int q, int r) { return p != 0 || (q % 2 == 0 && r % 2 == 0); };
      return (h + k + l) % 2 == 0 && glide(h, k, l) && glide(k, l, h) && glide(l, h, k);
    };
    for (int h = 0; h <= 8; ++h)
      for (int k = 0; k <= 8; ++k)
        for (int l = 0; l <= 8; ++l) {
          const int n = h * h + k * k + l * l;
          if (n == 0 || !allowed_ia3(h, k, l)) continue;
          const double tt = d_angstrom_to_two_theta_deg(a / std::sqrt(double(n)), lambda);
          if (tt < 75) options.observed_two_theta_deg.push_back(tt);
        }
    const std::vector<int> mp20_only = space_group_trial_order(bcc, SpaceGroupSearchOptions{});
    QVERIFY(std::find(mp20_only.begin(), mp20_only.end(), 206) == mp20_only.end());
    QCOMPARE(mp20_only.front(), 229);  // Im-3m, the most frequent body-centred cubic group
    options.rare_groups = true;
    const std::vector<int> by_lines = space_group_trial_order(bcc, options);
    QCOMPARE(by_lines.front(), 206);
    QVERIFY(std::find(by_lines.begin(), by_lines.end(), 230) > std::find(by_lines.begin(), by_lines.end(), 229));
    // Rock salt's lines (h, k, l of one parity): Fm-3m, the most frequent of the groups with no further conditions.
    const double f = 5.64 / std::sqrt(2.0);
    SpaceGroupSearchOptions rock_salt_lines;
    rock_salt_lines.rare_groups = true;
    rock_salt_lines.lambda_angstrom = lambda;
    for (int n : {3, 4, 8, 11, 12, 16, 19, 20})
      rock_salt_lines.observed_two_theta_deg.push_back(d_angstrom_to_two_theta_deg(5.64 / std::sqrt(double(n)), lambda));
    QCOMPARE(space_group_trial_order(Lattice::from_parameters(f, f, f, 60, 60, 60), rock_salt_lines).front(), 225);
  }

  void findsRutileFromBroadPeaksInAnOffCell() {
    const Crystal truth = rutile(4.594, 2.959, 0.3048);
    const PowderData data = pattern_10_angstrom(truth);
    const ProfileParams p0 = sinc2_profile_10_angstrom(data);
    // a 2 % long, c 2 % short: what a lattice from broad peaks is like.
    const Lattice off = Lattice::from_parameters(1.02 * 4.594, 1.02 * 4.594, 0.98 * 2.959, 90, 90, 90);
    SpaceGroupSearchOptions options;
    options.time_budget_s = 1e6;  // trials, not time, bound the search: the result does not depend on the machine
    options.max_trials = 6;
    options.seed = 7;
    options.refine.refine_profile = false;
    CancelToken cancel;
    const std::vector<SpaceGroupSearchResult> found =
        space_group_search(data, off, {22, 22, 8, 8, 8, 8}, p0, options, cancel);
    QVERIFY(!found.empty());
    for (std::size_t i = 1; i < found.size(); ++i) QVERIFY(found[i - 1].rwp <= found[i].rwp);
    const SpaceGroupSearchResult& best = found.front();
    const LatticeParameters lp = best.crystal.lattice.parameters();
    qInfo() << "best: group" << best.space_group_number << "R_wp" << best.rwp << "a" << lp.a_angstrom << "c"
            << lp.c_angstrom << "of" << found.size();
    QVERIFY(best.rwp < 0.02);  // B is held in the search (refined, it also took up some profile misfit)
    QVERIFY(match_structures(truth, best.crystal, MatchTolerances{0.2, 0.3, 5}).matched);
    QCOMPARE(find_space_group(best.crystal, 1e-3).number, 136);
    QVERIFY(std::abs(lp.a_angstrom / 4.594 - 1) < 0.005 && std::abs(lp.c_angstrom / 2.959 - 1) < 0.005);
  }

  // A centred lattice: rock salt from its 10 Å pattern, searched from the fcc primitive cell 2 % too large. The
  // structures are built in the conventional cell and scored in the primitive one: two atoms, Fm-3m.
  void findsRockSaltInTheFccPrimitiveCell() {
    RockSalt10 c;
    const Crystal& truth = c.truth;
    const std::vector<SpaceGroupSearchResult> found = c.search({11, 17});
    QVERIFY(!found.empty());
    const SpaceGroupSearchResult& best = found.front();
    qInfo() << "best: group" << best.space_group_number << "R_wp" << best.rwp << "atoms" << best.crystal.size();
    QCOMPARE(best.crystal.size(), std::size_t(2));
    QCOMPARE(find_space_group(best.crystal, 1e-3).number, 225);
    QVERIFY(best.rwp < 0.02);  // B is held in the search (refined, it also took up some profile misfit)
    QVERIFY(match_structures(truth, best.crystal, MatchTolerances{0.2, 0.3, 5}).matched);
  }

  // Passes of new starts go on while they improve the best fit: rock salt's two atoms have no free coordinate,
  // so the second pass finds the first pass's fit again and the search stops there (not after 4 passes), far
  // inside its budget.
  void furtherPassesStopWhenTheyImproveNothing() {
    RockSalt10 c;
    const std::size_t one_pass = c.search({11, 17}).size();
    c.options.repeat_until_budget = true;
    const std::vector<SpaceGroupSearchResult> repeated = c.search({11, 17});
    qInfo() << "results: one pass" << one_pass << "repeated" << repeated.size();
    QVERIFY(one_pass > 0);
    QCOMPARE(repeated.size(), 2 * one_pass);
    QCOMPARE(find_space_group(repeated.front().crystal, 1e-3).number, 225);
  }

  // Three NaCl in rock salt's primitive cell leave no room (Na–Na at least 2.5 Å in 46 Å³): each group takes the
  // next content it can hold, one NaCl, and finds rock salt. Without the fallback nothing has two atoms.
  void aContentTheGroupsCannotHoldFallsBackToTheNext() {
    RockSalt10 c;
    const std::vector<int> too_many{11, 11, 11, 17, 17, 17};
    for (const SpaceGroupSearchResult& r : c.search(too_many)) QCOMPARE(r.crystal.size(), std::size_t(6));
    c.options.other_contents = {{11, 17}};
    const std::vector<SpaceGroupSearchResult> found = c.search(too_many);
    QVERIFY(!found.empty());
    QCOMPARE(found.front().crystal.size(), std::size_t(2));
    QCOMPARE(find_space_group(found.front().crystal, 1e-3).number, 225);
    QVERIFY(match_structures(c.truth, found.front().crystal, MatchTolerances{0.2, 0.3, 5}).matched);
  }
};

QTEST_GUILESS_MAIN(TestSpaceGroupSearch)
#include "test_space_group_search.moc"
