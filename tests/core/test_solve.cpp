// End-to-end solve (classical: indexing, Le Bail, direct-space search, Rietveld) of a simulated rocksalt
// pattern, outputs, cancel, and the bad-input messages.
#include <QtTest>

#include <algorithm>

#include <filesystem>
#include <limits>
#include <random>

#include "structures.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/rietveld.hpp"
#include "pxrd/error.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/solve.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

using namespace pxrd;

namespace {
Crystal nacl() {
  Crystal c;
  const double a = 5.6402;
  c.lattice = Lattice::from_parameters(a, a, a, 90, 90, 90);
  const double f[4][3] = {{0, 0, 0}, {0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}};
  for (const auto& t : f) {
    Site na;
    na.element = "Na";
    na.atomic_number = 11;
    na.frac = Eigen::Vector3d(t[0], t[1], t[2]);
    Site cl = na;
    cl.element = "Cl";
    cl.atomic_number = 17;
    cl.frac = Eigen::Vector3d(t[0] + 0.5, t[1], t[2]);
    c.sites.push_back(na);
    c.sites.push_back(cl);
  }
  c.wrap_to_unit_cell();
  return c;
}

Pattern simulated(const Crystal& c) {
  ProfileOptions prof;
  prof.shape = ProfileShape::PseudoVoigt;
  prof.fwhm_deg = 0.08;
  GridOptions grid;
  grid.x_min = 10;
  grid.x_max = 100;
  grid.x_step = 0.02;
  Pattern p = simulate_pattern(c, radiation_from_string("CuKa12"), prof, grid);
  for (double& y : p.y) y = 20 * y + 50;  // counts on a flat background
  p.source = "simulated NaCl";
  return p;
}
// A Cu Kα pattern from x_min_deg to 90° 2θ on the default grid step.
Pattern cu_ka_pattern(const Crystal& c, const ProfileOptions& prof, double x_min_deg, const std::string& source) {
  GridOptions grid;
  grid.x_min = x_min_deg;
  grid.x_max = 90;
  Pattern p = simulate_pattern(c, radiation_from_string("CuKa"), prof, grid);
  p.source = source;
  return p;
}
Pattern nanocrystalline(const Crystal& c, double size_angstrom) {
  ProfileOptions prof;
  prof.size_angstrom = size_angstrom;
  return cu_ka_pattern(c, prof, 10, "simulated nanocrystalline NaCl");
}

// The evaluation's ideal condition: Cu Kα, Gaussian FWHM 0.1°, 2θ 5–90°.
Pattern ideal_pattern(const Crystal& c) {
  Pattern p = ideal_cu_ka_pattern(c);
  p.source = "simulated ideal pattern";
  return p;
}
// Without the model, 12 s, three candidates.
SolveOptions classical_options(const std::string& formula) {
  SolveOptions o;
  o.formula = formula;
  o.time_budget_s = 12;
  o.k = 3;
  return o;
}

SolveOptions nanocrystalline_options(double size_angstrom, double budget_s) {
  SolveOptions o;
  o.formula = "NaCl";
  o.time_budget_s = budget_s;
  o.k = 3;
  o.size_angstrom = size_angstrom;
  return o;
}

// A deterministic stand-in for the model: the primitive NaCl cell, its edge 1 % off, for a 2-atom request.
class PrimitiveNaclGenerator : public CandidateGenerator {
 public:
  std::string name() const override { return "test generator"; }
  std::vector<Crystal> generate(const GenerationRequest& request, const CancelToken&, ProgressSink&) override {
    ++calls;
    requested += request.count;
    if (request.atomic_numbers.size() != 2) return {};
    Crystal c = primitive_standard_cell(nacl(), 1e-3);
    const LatticeParameters p = c.lattice.parameters();
    c.lattice = Lattice::from_parameters(1.01 * p.a_angstrom, 1.01 * p.b_angstrom, 1.01 * p.c_angstrom, p.alpha_deg,
                                         p.beta_deg, p.gamma_deg);
    return std::vector<Crystal>(static_cast<std::size_t>(request.count), c);
  }
  int calls = 0;
  int requested = 0;  // samples asked for, over all calls
};

// A model that also returns broken samples: a flat cell, a NaN cell and a cell with no volume.
class SometimesDegenerateGenerator : public PrimitiveNaclGenerator {
 public:
  std::vector<Crystal> generate(const GenerationRequest& request, const CancelToken& cancel,
                                ProgressSink& progress) override {
    std::vector<Crystal> out = PrimitiveNaclGenerator::generate(request, cancel, progress);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<Eigen::Matrix3d> broken = {
        (Eigen::Matrix3d() << 4, 0, 0, 0, 4, 0, 4, 4, 1e-7).finished(),
        (Eigen::Matrix3d() << 4, 0, 0, 0, nan, 0, 0, 0, 4).finished(),
        Eigen::Matrix3d::Zero()};
    for (std::size_t i = 0; i < out.size(); ++i)
      if (i % 2 == 0) out[i].lattice = Lattice(broken[(i / 2) % broken.size()]);
    return out;
  }
};
// Solves the ideal pattern of `truth` classically (no model); the best candidate must come from `origin`, have the
// space group, fit (R_wp < 0.01) and match the structure.
SolveResult solve_expecting_best(const Crystal& truth, const std::string& formula, const std::string& origin, int group) {
  CancelToken cancel;
  NullProgress progress;
  const SolveResult r = solve(ideal_pattern(truth), classical_options(formula), nullptr, cancel, progress);
  qInfo().noquote() << solve_table(r).c_str();
  [&] {
    QVERIFY(!r.candidates.empty());
    const SolvedCandidate& best = r.candidates.front();
    QCOMPARE(best.origin, origin);
    QCOMPARE(best.space_group_number, group);
    QVERIFY(best.rwp < 0.01);
    QVERIFY(match_structures(best.crystal, truth, MatchTolerances{0.3, 0.5, 10}).matched);
  }();
  return r;
}

}  // namespace

class TestSolve : public QObject {
  Q_OBJECT
 private slots:
  void solvesRocksaltClassically() {
    const Crystal truth = nacl();
    const Pattern pattern = simulated(truth);
    SolveOptions o;
    o.formula = "NaCl";
    o.time_budget_s = 15;
    o.k = 5;
    CancelToken cancel;
    NullProgress progress;
    std::vector<double> streamed_rwp;  // the callback sees every refined candidate before the final ranking
    const SolveResult r =
        solve(pattern, o, nullptr, cancel, progress, [&](const SolvedCandidate& c) { streamed_rwp.push_back(c.rwp); });
    QVERIFY(!r.candidates.empty());
    QVERIFY(!r.cells.empty());
    QVERIFY(streamed_rwp.size() >= r.candidates.size());
    QVERIFY(std::find(streamed_rwp.begin(), streamed_rwp.end(), r.candidates.front().rwp) != streamed_rwp.end());
    qInfo().noquote() << solve_table(r).c_str();
    for (const CellCandidate& c : r.cells)
      qInfo() << crystal_system_name(c.system) << c.lattice.parameters().a_angstrom << c.lattice.parameters().c_angstrom
              << "M20" << c.m20 << "Le Bail" << c.lebail_rwp;
    const SolvedCandidate& best = r.candidates.front();
    qInfo() << "best" << best.space_group_symbol.c_str() << "R_wp" << best.rwp << "time" << r.wall_time_s;
    QCOMPARE(best.space_group_number, 225);
    QVERIFY(best.rwp < 0.1);
    // Indexing sees the Kα1 positions (within 0.0004° here; the unstripped doublets' apexes are up to 0.01° off).
    const double lambda1 = radiation_from_string("CuKa12").lambda1_angstrom;
    for (const ObservedPeak& peak : r.peaks) {
      double nearest = 180;
      for (int h = 0; h <= 6; ++h)
        for (int k = 0; k <= h; ++k)
          for (int l = 0; l <= k; ++l) {
            if (h + k + l == 0 || (h % 2 + k % 2 + l % 2) % 3 != 0) continue;  // fcc: all even or all odd
            const double d = 5.6402 / std::sqrt(double(h * h + k * k + l * l));
            if (lambda1 / (2 * d) < 1)
              nearest = std::min(nearest, std::abs(2 * rad_to_deg(std::asin(lambda1 / (2 * d))) - peak.two_theta_deg));
          }
      QVERIFY2(nearest < 0.003, qPrintable(QString("peak at %1° is %2° from a Kα1 line").arg(peak.two_theta_deg).arg(nearest)));
    }
    MatchTolerances loose{0.3, 0.5, 10};
    QVERIFY(match_structures(best.crystal, truth, loose).matched);
    QCOMPARE(int(best.crystal.size()), 2);  // primitive cell
    // Outputs: one CIF and one fit per candidate, summary.json last.
    const std::string dir = QDir::tempPath().toStdString() + "/pxrd_test_solve_out";
    std::filesystem::remove_all(dir);
    write_solve_outputs(r, o, "simulated", dir);
    QVERIFY(std::filesystem::exists(dir + "/candidate_01.cif"));
    QVERIFY(std::filesystem::exists(dir + "/fit_01.xye"));
    const std::string summary = read_file(dir + "/summary.json");
    QVERIFY(summary.find("\"rwp\"") != std::string::npos);
    QVERIFY(summary.find("\"number\": 225") != std::string::npos);
    std::filesystem::remove_all(dir);
  }
  void nanocrystallineWithSize() {
    // 60 Å crystallites: sinc² fits on binned data, final agreement on every point of the data.
    const Crystal truth = nacl();
    const SolveOptions o = nanocrystalline_options(60, 15);
    CancelToken cancel;
    NullProgress progress;
    const SolveResult r = solve(nanocrystalline(truth, 60), o, nullptr, cancel, progress);
    QVERIFY(!r.candidates.empty());
    const SolvedCandidate& best = r.candidates.front();
    qInfo() << "60 A: best" << best.space_group_symbol.c_str() << "R_wp" << best.rwp << "size"
            << 0.886 * r.data.lambda1_angstrom / deg_to_rad(best.profile.x) << "time" << r.wall_time_s;
    QCOMPARE(best.y_calc.size(), r.data.size());
    QVERIFY(best.profile.sinc2_size);
    QVERIFY(best.rwp < 0.05);
    QVERIFY(match_structures(best.crystal, truth, MatchTolerances{0.3, 0.5, 10}).matched);
  }
  void noResolvedPeaksUsesTheGenerator() {
    // 8 Å crystallites leave no resolved peaks: cells come from the generator alone (no indexing).
    const Crystal truth = nacl();
    const SolveOptions o = nanocrystalline_options(8, 10);
    CancelToken cancel;
    NullProgress progress;
    PrimitiveNaclGenerator generator;
    const SolveResult r = solve(nanocrystalline(truth, 8), o, &generator, cancel, progress);
    QVERIFY(generator.calls > 0);
    QVERIFY(!r.cells.empty());
    for (const CellCandidate& c : r.cells) QVERIFY(c.origin.rfind("generator", 0) == 0);  // plain or symmetric lattice
    QVERIFY(!r.candidates.empty());
    qInfo() << "8 A: best R_wp" << r.candidates.front().rwp << r.candidates.front().space_group_symbol.c_str();
    QVERIFY(r.candidates.front().rwp < 0.05);
    QVERIFY(match_structures(r.candidates.front().crystal, truth, MatchTolerances{0.3, 0.5, 10}).matched);
    // The generator's samples all match each other: its modes are refined first, and the notes say so.
    const auto mentions_modes = [](const SolveResult& result) {
      for (const std::string& n : result.notes)
        if (n.find("the model's modes") != std::string::npos) return true;
      return false;
    };
    QVERIFY(mentions_modes(r));
    // Sharp peaks pin the structure: no mode slots there.
    SolveOptions sharp = o;
    sharp.size_angstrom = 0;
    PrimitiveNaclGenerator sharp_generator;
    QVERIFY(!mentions_modes(solve(simulated(truth), sharp, &sharp_generator, cancel, progress)));
    // Without resolved peaks the model is the only source of cells and is asked for more samples.
    // (Z = 1 to 10 for NaCl, by MP-20 frequency; rounding moves the total by less than one per Z.)
    qInfo() << "samples asked for: broad" << generator.requested << "sharp" << sharp_generator.requested;
    QVERIFY(std::abs(generator.requested - o.generator_samples_broad) <= 5);
    QVERIFY(sharp_generator.requested <= o.generator_samples + 5);
    QVERIFY(generator.requested > 2 * sharp_generator.requested);
    // Without a generator the same pattern is refused with a reason.
    bool refused = false;
    try {
      solve(nanocrystalline(truth, 8), o, nullptr, cancel, progress);
    } catch (const InputError& e) {
      qInfo() << "without a generator:" << e.what();
      refused = std::string(e.what()).find("need the model") != std::string::npos;
    } catch (const std::exception& e) {
      qInfo() << "without a generator, other error:" << e.what();
    }
    QVERIFY(refused);
  }
  void fewLinesLetLeBailJudgeMoreCells() {
    // Mo2CN (MP-20 test mp-1221519, Pmm2) on an ideal pattern: A-centred but for the order of C and N, so the lines
    // that break the centring are too weak to find and only 9 lines are left. Many cells index all of them; the
    // true one ranks 22nd by M20. Le Bail then judges up to 24 cells; with the first 6 only, every fit stopped
    // near R_wp 0.07 and so did the best candidate. Classical (no model), so that only the cells decide.
    using pxrd::test::site;
    Crystal truth;
    truth.lattice = Lattice::from_parameters(2.828959, 2.910269, 5.035433, 90, 90, 90);
    truth.sites = {site("Mo", 42, 0.5, 0.5, 0.166417), site("Mo", 42, 0.5, 0, 0.667411), site("C", 6, 0, 0, 0.998694),
                   site("N", 7, 0, 0.5, 0.500778)};
    CancelToken cancel;
    NullProgress progress;
    const SolveResult r = solve(ideal_pattern(truth), classical_options("Mo2CN"), nullptr, cancel, progress);
    qInfo() << "lines" << r.peaks.size() << "cells" << r.cells.size() << "best Le Bail" << r.best_lebail_rwp;
    qInfo().noquote() << solve_table(r).c_str();
    QVERIFY(r.peaks.size() < 12);
    QVERIFY(r.cells.size() > 6);
    QVERIFY(r.best_lebail_rwp < 0.06);
    QVERIFY(!r.candidates.empty());
    QVERIFY(r.candidates.front().rwp < 0.01);
  }
  void sharpCubicCellGetsASpaceGroupSearch() {
    // EuGePt (MP-20 mp-19798, P2_13, 12 atoms) on an ideal pattern: indexing finds the cubic cell, but a P1 search
    // of 36 coordinates ended near R_wp 0.2 within the budget. The space-group search of the best cell places the
    // three 4a orbits (x, x, x) and fits exactly. Classical (no model).
    using pxrd::test::site;
    Crystal truth;
    truth.lattice = Lattice::from_parameters(6.589278, 6.589278, 6.589278, 90, 90, 90);
    const struct {
      const char* element;
      int z;
      double x;
    } orbits[3] = {{"Eu", 63, 0.128485}, {"Ge", 32, 0.826026}, {"Pt", 78, 0.423778}};
    for (const auto& o : orbits) {
      const double x = o.x;
      // P2_13 4a: (x,x,x), (-x+1/2,-x,x+1/2), (-x,x+1/2,-x+1/2), (x+1/2,-x+1/2,-x)
      truth.sites.push_back(site(o.element, o.z, x, x, x));
      truth.sites.push_back(site(o.element, o.z, 0.5 - x, -x, 0.5 + x));
      truth.sites.push_back(site(o.element, o.z, -x, 0.5 + x, 0.5 - x));
      truth.sites.push_back(site(o.element, o.z, 0.5 + x, 0.5 - x, -x));
    }
    truth.wrap_to_unit_cell();
    QCOMPARE(find_space_group(truth, 1e-3).number, 198);
    solve_expecting_best(truth, "EuGePt", "space-group search", 198);
  }
  void centredSubCellOfASuperstructure() {
    // A GdFeO3-type perovskite TbScO3 (Pnma, 20 atoms; coordinates made up, tilts and the Tb shift small): the
    // lines that break the C-centring of its (a, c) face are too weak to index, so the best cell is C-centred and its
    // 10-atom primitive cell cannot hold the structure. The orbit search of the conventional cell as a primitive
    // cell finds it. Classical (no model).
    using pxrd::test::site;
    Crystal truth;
    truth.lattice = Lattice::from_parameters(5.60, 7.80, 5.45, 90, 90, 90);
    const auto pnma = [](const Eigen::Vector3d& p) {
      const double x = p.x(), y = p.y(), z = p.z();
      return std::vector<Eigen::Vector3d>{{x, y, z},         {0.5 - x, -y, z + 0.5},  {-x, y + 0.5, -z},
                                          {x + 0.5, 0.5 - y, 0.5 - z}, {-x, -y, -z}, {x + 0.5, y, 0.5 - z},
                                          {x, 0.5 - y, z},   {0.5 - x, y + 0.5, z + 0.5}};
    };
    const struct {
      const char* element;
      int z;
      Eigen::Vector3d x;
    } asymmetric[4] = {{"Tb", 65, {0.015, 0.25, 0.995}}, {"Sc", 21, {0, 0, 0.5}}, {"O", 8, {0.49, 0.25, 0.06}},
                       {"O", 8, {0.28, 0.03, 0.72}}};
    for (const auto& a : asymmetric)
      for (Eigen::Vector3d q : pnma(a.x)) {
        q = q.unaryExpr([](double v) { return v - std::floor(v); });
        bool seen = false;
        for (const Site& t : truth.sites)
          seen = seen || (t.atomic_number == a.z && (t.frac - q).cwiseAbs().maxCoeff() < 1e-9);
        if (!seen) truth.sites.push_back(site(a.element, a.z, q.x(), q.y(), q.z()));
      }
    QCOMPARE(truth.sites.size(), std::size_t(20));
    QCOMPARE(find_space_group(truth, 1e-3).number, 62);
    const SolveResult r = solve_expecting_best(truth, "TbScO3", "space-group direct-space", 62);
    QVERIFY(!r.cells.empty());
    QCOMPARE(r.cells.front().centring, std::string("C"));
    QVERIFY(!r.candidates.empty());
    QCOMPARE(r.candidates.front().crystal.sites.size(), std::size_t(20));
  }
  void degenerateModelSamplesDoNotEndTheSolve() {
    // Half the samples have broken cells; the solve goes on with the rest, at 8 Å (model cells only) and with
    // sharp peaks (model cells refined on the peak positions).
    const Crystal truth = nacl();
    CancelToken cancel;
    NullProgress progress;
    for (const auto& [pattern, size] : {std::pair{nanocrystalline(truth, 8), 8.0}, std::pair{simulated(truth), 0.0}}) {
      SolveOptions o = nanocrystalline_options(size, 10);
      SometimesDegenerateGenerator generator;
      const SolveResult r = solve(pattern, o, &generator, cancel, progress);
      QVERIFY(generator.calls > 0);
      QVERIFY(!r.candidates.empty());
      qInfo() << "size" << size << "best R_wp" << r.candidates.front().rwp;
      QVERIFY(match_structures(r.candidates.front().crystal, truth, MatchTolerances{0.3, 0.5, 10}).matched);
    }
  }
  // A primitive fcc cell distorted by about 1 % is recognised as near an F-centred cubic lattice; NaCl moved into
  // it has the 8 atoms of the conventional cell, a cubic metric and the volume of four primitive cells.
  void symmetricLatticeOfADistortedCell() {
    Crystal prim = primitive_standard_cell(nacl(), 1e-3);
    const LatticeParameters p = prim.lattice.parameters();
    prim.lattice = Lattice::from_parameters(1.01 * p.a_angstrom, 0.995 * p.b_angstrom, 1.0 * p.c_angstrom,
                                            p.alpha_deg + 0.8, p.beta_deg - 0.5, p.gamma_deg);
    const std::vector<SymmetricLattice> found = symmetric_lattices(prim.lattice);
    QVERIFY(!found.empty());
    const SymmetricLattice& best = found.front();
    QCOMPARE(best.system, CrystalSystem::Cubic);
    QCOMPARE(QString::fromStdString(best.centring), QString("F"));
    const LatticeParameters q = best.conventional.parameters();
    QVERIFY(std::abs(q.a_angstrom - q.b_angstrom) < 1e-6 && std::abs(q.a_angstrom - q.c_angstrom) < 1e-6);
    QVERIFY(std::abs(q.alpha_deg - 90) < 1e-6 && std::abs(q.gamma_deg - 90) < 1e-6);
    QVERIFY(std::abs(best.conventional.volume_angstrom3() / (4 * prim.lattice.volume_angstrom3()) - 1) < 0.03);
    const Crystal moved = in_symmetric_lattice(prim, best);
    QCOMPARE(moved.sites.size(), std::size_t(8));
    QCOMPARE(find_space_group(Crystal{moved.name, moved.lattice, moved.sites, ""}, 0.05).number, 225);
    // An orthorhombic cell with 20 % differences stays orthorhombic.
    const auto ortho = symmetric_lattices(Lattice::from_parameters(4.0, 4.8, 5.9, 90.3, 89.8, 90.0));
    QVERIFY(!ortho.empty());
    QCOMPARE(ortho.front().system, CrystalSystem::Orthorhombic);
  }

  // Five F-cubic cells scattered by a few per cent around a = 5.64 Å and one tetragonal cell: one cubic group
  // whose median edge is the true one, then the tetragonal group.
  void consensusOfScatteredLattices() {
    std::vector<SymmetricLattice> proposals;
    for (double a : {5.50, 5.80, 5.64, 5.62, 5.70}) {
      SymmetricLattice v;
      v.conventional = Lattice::from_parameters(a, a, a, 90, 90, 90);
      v.system = CrystalSystem::Cubic;
      v.centring = "F";
      v.space_group = 225;
      proposals.push_back(v);
    }
    SymmetricLattice t;
    t.conventional = Lattice::from_parameters(4.0, 4.0, 5.6, 90, 90, 90);
    t.system = CrystalSystem::Tetragonal;
    t.space_group = 123;
    proposals.insert(proposals.begin() + 1, t);
    const std::vector<LatticeGroup> groups = consensus_lattices(proposals);
    QCOMPARE(groups.size(), std::size_t(2));
    QCOMPARE(groups[0].members, (std::vector<std::size_t>{0, 2, 3, 4, 5}));
    QCOMPARE(QString::fromStdString(groups[0].lattice.centring), QString("F"));
    const LatticeParameters p = groups[0].lattice.conventional.parameters();
    QVERIFY(std::abs(p.a_angstrom - 5.64) < 1e-9 && std::abs(p.c_angstrom - 5.64) < 1e-9);
    QVERIFY(std::abs(p.beta_deg - 90) < 1e-9);
    QCOMPARE(groups[1].members, (std::vector<std::size_t>{1}));
    QCOMPARE(groups[1].lattice.system, CrystalSystem::Tetragonal);
    // 8 % apart is another group.
    SymmetricLattice far = proposals[0];
    far.conventional = Lattice::from_parameters(6.1, 6.1, 6.1, 90, 90, 90);
    proposals.push_back(far);
    QCOMPARE(consensus_lattices(proposals).size(), std::size_t(3));
  }

  void cellOrderForTheSearch() {
    // Cells within 1.15 × the best Le Bail R_wp (+0.005) keep their proposal order, the rest follow by R_wp (a
    // failed fit, R_wp 1, last), and the search takes the first three within 1.5 × best + 0.02.
    const CellOrder order = cells_for_search({0.05, 0.02, 0.021, 1.0, 0.3, 0.04});
    QCOMPARE(order.order, (std::vector<std::size_t>{1, 2, 5, 0, 4, 3}));
    QCOMPARE(order.searched, std::size_t{3});
    QCOMPARE(order.best_rwp, 0.02);
    QCOMPARE(cells_for_search({0.02, 0.2}).searched, std::size_t{1});
    QCOMPARE(cells_for_search({1.0, 1.0}).searched, std::size_t{2});  // nothing fitted: the search still runs
    QCOMPARE(cells_for_search({}).searched, std::size_t{0});
    // The first cubic cell goes first when it fits better than the cells proposed before it (not otherwise, and a
    // second cubic cell never passes the first).
    QCOMPARE(cells_for_search({0.032, 0.028, 0.030}, {false, true, false}).order, (std::vector<std::size_t>{1, 0, 2}));
    QCOMPARE(cells_for_search({0.027, 0.028, 0.030}, {false, true, false}).order, (std::vector<std::size_t>{0, 1, 2}));
    QCOMPARE(cells_for_search({0.030, 0.028, 0.027}, {true, false, true}).order, (std::vector<std::size_t>{0, 1, 2}));
    QVERIFY_THROWS_EXCEPTION(Error, cells_for_search({0.03, 0.02}, {true}));
  }
  void bestEquivalentOfAModelSample() {
    // Sorted best fit first: a zinc-blende arrangement, rock salt displaced by 0.1 Å, another zinc blende and an
    // exact rock salt (the marked model sample). Its best equivalent is the displaced rock salt; the second zinc
    // blende's is the first; a structure matching nothing before it is its own.
    const Crystal rocksalt = nacl();
    Crystal displaced = rocksalt;
    displaced.sites[0].frac += Eigen::Vector3d(0.1 / 5.6402, 0, 0);
    Crystal zincblende = rocksalt;
    for (Site& s : zincblende.sites)
      if (s.atomic_number == 17) s.frac -= Eigen::Vector3d(0.25, 0.25, 0.25);
    zincblende.wrap_to_unit_cell();
    const std::vector<Crystal> best_first{zincblende, displaced, zincblende, rocksalt};
    QCOMPARE(best_equivalents(best_first, {3, 2, 0, 1}), (std::vector<std::size_t>{1, 0, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(Error, best_equivalents(best_first, {4}));
  }
  void searchesToContinueAfterTheFirstRound() {
    // Space-group searches at 0.001, 0.0035 and 0.005 (limit 2 × 0.001 + 0.002 = 0.004), a P1 search at 0.3 and
    // a space-group search that found nothing: the P1 search goes on whatever its score.
    QCOMPARE(searches_to_continue({0.001, 0.0035, 0.005, 0.3, 1.0}, {true, true, true, false, true}),
             (std::vector<std::size_t>{0, 1, 3}));
    // No space-group search found anything: all go on.
    QCOMPARE(searches_to_continue({1.0, 0.2, 1.0}, {true, false, true}), (std::vector<std::size_t>{0, 1, 2}));
    QVERIFY_THROWS_EXCEPTION(Error, searches_to_continue({0.1}, {true, false}));
  }
  void searchBudgetsByWeight() {
    const auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
      if (got.size() != want.size()) return false;
      for (std::size_t i = 0; i < got.size(); ++i)
        if (std::abs(got[i] - want[i]) > 1e-12) return false;
      return true;
    };
    // Equal weights: as many rounds as searches per thread, rounded up (3 searches, 2 threads: 6 s each of 12).
    QVERIFY(near(search_budgets({1, 1, 1}, 2, 12), {6, 6, 6}));
    // A group search of weight 3 and five P1 searches on 2 threads: 8 units, 4 per thread; one thread runs the
    // group search (9 s) then a P1 search (3 s), the other four P1 searches.
    QVERIFY(near(search_budgets({3, 1, 1, 1, 1, 1}, 2, 12), {9, 3, 3, 3, 3, 3}));
    // A search never gets more than the time there is, even alone or beside a light one.
    QVERIFY(near(search_budgets({3}, 2, 12), {12}));
    QVERIFY(near(search_budgets({3, 1}, 2, 12), {12, 4}));
    QVERIFY(near(search_budgets({1, 1}, 1, 10), {5, 5}));
    QVERIFY(search_budgets({}, 2, 10).empty());
    QVERIFY_THROWS_EXCEPTION(Error, search_budgets({1, 0}, 2, 10));
    QVERIFY_THROWS_EXCEPTION(Error, search_budgets({1}, 0, 10));
  }
  void zCandidatesOfATrueCell() {
    // CoSe2 (pyrite type, Pa-3): 4 formula units in a = 5.843 Å (199.4 Å³). The volume estimate makes Z = 3 the
    // most likely; the true Z = 4 comes second.
    const double v_formula = formula_volume_estimate(Composition::parse("CoSe2").reduced());
    QVERIFY(v_formula > 40 && v_formula < 70);
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 2, 0), (std::vector<int>{3, 4}));
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 1, 0), std::vector<int>{3});
    // At most max_atoms atoms, and only divisors of a given cell content (Co8Se16: Z in {1, 2, 4, 8}).
    const std::vector<int> small = z_candidates(199.4, v_formula, 3, 9, 5, 0);
    QVERIFY(!small.empty());
    for (int z : small) QVERIFY(3 * z <= 9);
    const std::vector<int> divisors = z_candidates(199.4, v_formula, 3, 30, 5, 8);
    QVERIFY(!divisors.empty());
    for (int z : divisors) QVERIFY(8 % z == 0);
    QVERIFY(z_candidates(1.0, v_formula, 3, 20, 3, 0).empty());  // no Z fills 1 Å³
    // The model's Z replaces the estimate's last choice, unless already chosen or implausible.
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 1, 0, 4), std::vector<int>{4});
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 2, 0, 4), (std::vector<int>{3, 4}));
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 2, 0, 2), (std::vector<int>{3, 2}));
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 1, 0, 1), std::vector<int>{3});  // 66 Å³ per atom
    QCOMPARE(z_candidates(199.4, v_formula, 3, 20, 1, 0, 3), std::vector<int>{3});
    QCOMPARE(z_candidates(199.4, v_formula, 3, 9, 1, 0, 4), std::vector<int>{3});   // 12 atoms > max_atoms 9
    QCOMPARE(z_candidates(199.4, v_formula, 3, 30, 1, 6, 4), std::vector<int>{3});  // 4 does not divide 6
    QCOMPARE(z_candidates(199.4, v_formula, 3, 90, 1, 0, 12), std::vector<int>{3}); // 5.5 Å³ per atom
  }
  void indexingCellOrderByFormulaVolume() {
    // Lab-like Heusler Hg2MgSc (Fm-3m, 84.87 Å³ per primitive cell): the odd-index lines are lost in noise and the
    // a/2 P cell (42.4 Å³, half a formula unit) indexed first; it holds no Z and goes last.
    const double v_hg2mgsc = formula_volume_estimate(Composition::parse("Hg2MgSc").reduced());
    QVERIFY(v_hg2mgsc > 84.87 / 1.35 && v_hg2mgsc < 84.87 * 1.35);
    QCOMPARE(indexing_cell_order({42.4, 84.87}, v_hg2mgsc, 4, 48, 0), (std::vector<std::size_t>{1, 0}));
    // A cell 1.4 × too dense for one formula unit goes after the true cell (Z 1), not after its double (Z 2).
    QCOMPARE(indexing_cell_order({v_hg2mgsc / 1.4, 84.87, 2 * 84.87}, v_hg2mgsc, 4, 48, 0),
             (std::vector<std::size_t>{1, 0, 2}));
    QCOMPARE(indexing_cell_order({v_hg2mgsc / 1.4, 2 * 84.87, 84.87}, v_hg2mgsc, 4, 48, 0),
             (std::vector<std::size_t>{1, 2, 0}));
    // R-3m NaAlO2 (39.05 Å³, 1.35 × denser than the estimate) stays ahead of a 12-formula-unit supercell.
    const double v_naalo2 = formula_volume_estimate(Composition::parse("NaAlO2").reduced());
    QVERIFY(v_naalo2 / 39.05 >= 1.35 && v_naalo2 / 39.05 < 1.6);
    QCOMPARE(indexing_cell_order({39.05, 800.28}, v_naalo2, 4, 48, 0), (std::vector<std::size_t>{0, 1}));
    // Cells of one tier keep the indexing order; no cell at all is no order.
    QCOMPARE(indexing_cell_order({2 * 84.87, 84.87, 10.0, 3 * 84.87}, v_hg2mgsc, 4, 48, 0),
             (std::vector<std::size_t>{0, 1, 3, 2}));
    QVERIFY(indexing_cell_order({}, v_hg2mgsc, 4, 48, 0).empty());
  }
  void generatorZSharesFollowMp20() {
    // The Z values, or an empty list when the shares are not positive or do not sum to 1.
    const auto z_of = [](const std::vector<std::pair<int, double>>& shares) {
      std::vector<int> out;
      double total = 0;
      for (const auto& [z, share] : shares) {
        if (!(share > 0)) return std::vector<int>{};
        out.push_back(z);
        total += share;
      }
      return std::abs(total - 1) < 1e-12 ? out : std::vector<int>{};
    };
    const auto share_of = [](const std::vector<std::pair<int, double>>& shares, int z) {
      for (const auto& [zz, share] : shares)
        if (zz == z) return share;
      return 0.0;
    };
    // One atom per formula unit: Z up to 20, but only those MP-20 has (8 and 20, not 5).
    const auto elements = generator_z_shares(1, 20, 0);
    QCOMPARE(z_of(elements), (std::vector<int>{1, 2, 3, 4, 6, 7, 8, 10, 16, 20}));
    QVERIFY(share_of(elements, 8) > share_of(elements, 6));
    // ABCD formulas are mostly one per cell; square roots of the frequencies hedge: 3692 vs 1200 gives 1.75 : 1.
    const auto four = generator_z_shares(4, 20, 0);
    QCOMPARE(z_of(four), (std::vector<int>{1, 2, 3, 4, 5}));
    QVERIFY(std::abs(share_of(four, 1) / share_of(four, 2) - std::sqrt(3692.0 / 1200.0)) < 1e-9);
    // The limits: at most max_atoms atoms, only divisors of a cell content, Z = 1 beyond the table.
    QCOMPARE(z_of(generator_z_shares(3, 9, 0)), (std::vector<int>{1, 2, 3}));
    QCOMPARE(z_of(generator_z_shares(3, 20, 4)), (std::vector<int>{1, 2, 4}));
    QCOMPARE(z_of(generator_z_shares(12, 20, 0)), std::vector<int>{1});
    QCOMPARE(z_of(generator_z_shares(25, 40, 0)), std::vector<int>{1});  // beyond the model's 20 atoms: still asked
  }
  // C and N one electron apart: exchanging them in a structure where the sites differ fits nearly as well and
  // is returned; Na and Cl (six electrons apart) give no exchange.
  void siteExchangeOfNeighbouringElements() {
    Crystal cn = nacl();
    for (Site& s : cn.sites) {
      const bool first = s.atomic_number == 11;
      s.atomic_number = first ? 6 : 7;
      s.element = first ? "C" : "N";
    }
    cn.sites[0].atomic_number = 7;  // one C/N pair exchanged: the two species no longer sit on equivalent sites
    cn.sites[0].element = "N";
    cn.sites[1].atomic_number = 6;
    cn.sites[1].element = "C";
    const Pattern pattern = simulated(cn);
    const PowderData data = powder_data_from_pattern(pattern, 10, 100);
    SolvedCandidate c;
    c.crystal = cn;
    c.profile.w = 0.08 * 0.08;
    c.profile.eta = 0.5;
    const RietveldResult e = rietveld_evaluate(data, cn, c.profile);
    c.rwp = e.rwp;
    CancelToken cancel;
    const auto variants = site_exchange_variants(c, data, 4, cancel);
    QVERIFY(!variants.empty());
    QVERIFY(variants.size() <= 4);
    for (const SolvedCandidate& v : variants) {
      QVERIFY(v.rwp <= 1.05 * c.rwp + 0.001);
      int carbons = 0;
      for (const Site& s : v.crystal.sites) carbons += s.atomic_number == 6;
      QCOMPARE(2 * carbons, static_cast<int>(v.crystal.sites.size()));  // composition kept
      QVERIFY(v.origin.find("C/N exchanged") != std::string::npos);
    }
    SolvedCandidate salt;
    salt.crystal = nacl();
    salt.profile = c.profile;
    salt.rwp = rietveld_evaluate(data, salt.crystal, salt.profile).rwp;
    QVERIFY(site_exchange_variants(salt, data, 4, cancel).empty());
  }

  void cancelBeforeAnythingIsFound() {
    CancelToken cancel;
    cancel.cancel();
    NullProgress progress;
    SolveOptions o;
    o.formula = "NaCl";
    QVERIFY_THROWS_EXCEPTION(Cancelled, solve(simulated(nacl()), o, nullptr, cancel, progress));
  }
  void badInput() {
    CancelToken cancel;
    NullProgress progress;
    const Pattern p = simulated(nacl());
    SolveOptions o;
    o.formula = "NaCl";
    o.time_budget_s = 1;  // too small
    QVERIFY_THROWS_EXCEPTION(InputError, solve(p, o, nullptr, cancel, progress));
    o.time_budget_s = 10;
    o.formula = "Xx2O";  // not an element
    QVERIFY_THROWS_EXCEPTION(InputError, solve(p, o, nullptr, cancel, progress));
    o.formula = "C60H122";  // more atoms than any cell tried
    QVERIFY_THROWS_EXCEPTION(InputError, solve(p, o, nullptr, cancel, progress));
    // Q data without a wavelength.
    o.formula = "NaCl";
    Pattern q = p;
    q.x_unit = XUnit::QInvAngstrom;
    for (double& x : q.x) x = x / 20.0;
    q.radiation.reset();
    QVERIFY_THROWS_EXCEPTION(InputError, solve(q, o, nullptr, cancel, progress));
    // No peaks: a flat line with Poisson noise (150 counts).
    Pattern flat = p;
    std::mt19937 rng(7);
    std::poisson_distribution<int> counts(150);
    for (double& y : flat.y) y = counts(rng);
    QVERIFY_THROWS_EXCEPTION(InputError, solve(flat, o, nullptr, cancel, progress));
  }
};

QTEST_GUILESS_MAIN(TestSolve)
#include "test_solve.moc"
