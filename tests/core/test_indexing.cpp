// Indexing of synthetic peak lists with known cells (zero shift included).
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "structures.hpp"
#include "pxrd/indexing.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"

using namespace pxrd;

namespace {
// 2θ of the first `count` distinct lines of a cell whose reflections pass `allowed`, shifted by zero.
template <class Allowed>
std::vector<double> lines_of(const Lattice& lattice, double lambda, double zero, int count, Allowed allowed) {
  std::vector<double> tt;
  for (const ReflectionGroup& g : enumerate_reflections(lattice, lambda / 2 / std::sin(deg_to_rad(65.0)))) {
    bool any = false;
    for (const auto& h : g.hkls) any = any || allowed(h[0], h[1], h[2]);
    if (!any) continue;
    tt.push_back(d_angstrom_to_two_theta_deg(g.d_angstrom, lambda) + zero);
    if (static_cast<int>(tt.size()) == count) break;
  }
  return tt;
}
}  // namespace

class TestIndexing : public QObject {
  Q_OBJECT
  template <class Allowed>
  void check(const Lattice& cell, CrystalSystem system, double zero, int count, Allowed allowed) {
    const auto tt = lines_of(cell, 1.5406, zero, count, allowed);
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, system);
    const LatticeParameters p = sols[0].lattice.parameters(), t = cell.parameters();
    QVERIFY(std::abs(p.a_angstrom - t.a_angstrom) < 0.01);
    QVERIFY(std::abs(p.b_angstrom - t.b_angstrom) < 0.01);
    QVERIFY(std::abs(p.c_angstrom - t.c_angstrom) < 0.01);
    QVERIFY(std::abs(sols[0].zero_deg - zero) < 0.02);
  }
  // Low symmetry: the lines of `cell` with a zero shift, timed; the first solution must have the system, the
  // Niggli cell (settings differ), the volume and the zero of the truth.
  void check_reduced(const Lattice& cell, CrystalSystem system, double zero, const char* what) {
    const auto tt = lines_of(cell, 1.5406, zero, 20, [](int, int, int) { return true; });
    CancelToken cancel;
    const auto t0 = std::chrono::steady_clock::now();
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    qInfo() << what << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << "s";
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, system);
    const LatticeParameters p = sols[0].lattice.niggli_reduced(1e-3).parameters(), t = cell.niggli_reduced(1e-3).parameters();
    qInfo() << p.a_angstrom << p.b_angstrom << p.c_angstrom << p.alpha_deg << p.beta_deg << p.gamma_deg << sols[0].m20;
    QVERIFY(std::abs(p.a_angstrom - t.a_angstrom) < 0.01 && std::abs(p.b_angstrom - t.b_angstrom) < 0.01 &&
            std::abs(p.c_angstrom - t.c_angstrom) < 0.01);
    QVERIFY(std::abs(sols[0].lattice.volume_angstrom3() - cell.volume_angstrom3()) < 0.5);
    QVERIFY(std::abs(sols[0].zero_deg - zero) < 0.01);
  }

 private slots:
  void cubicFaceCentred() {
    // MnO-like rocksalt: fcc reflections only (h, k, l all odd or all even), zero shift 0.06°.
    const Lattice cell = Lattice::from_parameters(4.445, 4.445, 4.445, 90, 90, 90);
    const auto tt = lines_of(cell, 1.5406, 0.06, 12, [](int h, int k, int l) {
      return ((h + k) % 2 == 0) && ((k + l) % 2 == 0);
    });
    QVERIFY(tt.size() >= 8);
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, CrystalSystem::Cubic);
    QVERIFY(std::abs(sols[0].lattice.parameters().a_angstrom - 4.445) < 0.003);
    QVERIFY(std::abs(sols[0].zero_deg - 0.06) < 0.02);
    QVERIFY(sols[0].m20 > 20);
  }
  void tetragonal() {
    check(Lattice::from_parameters(4.594, 4.594, 2.959, 90, 90, 90), CrystalSystem::Tetragonal, 0.0, 18,
          [](int h, int k, int l) { return (h + k + l) % 2 == 0 || h != 0; });
  }
  void hexagonal() {
    check(Lattice::from_parameters(3.25, 3.25, 5.21, 90, 90, 120), CrystalSystem::Hexagonal, -0.03, 16,
          [](int, int, int) { return true; });
  }
  void rhombohedralWithLabZeroShift() {
    // The peaks found in a simulated lab-like pattern of R-3m YOF (mp-3637, development split; Kα1+Kα2 stripped,
    // Poisson counts, zero +0.06°; 3.836 × 19.164 Å on hexagonal axes, obverse −h + k + l = 3n). Two lines fix a
    // hexagonal trial cell, and at zero 0 the true one was missed: a 2 × 2 supercell (M20 42) came first.
    const std::vector<double> tt = {13.921, 27.970, 28.475, 32.841, 35.804, 42.476, 42.828, 46.775, 47.422,
                                    55.360, 55.933, 56.218, 58.855, 59.963, 65.504, 65.758, 68.776, 69.798,
                                    74.221, 75.048, 75.779, 76.509, 77.821, 78.786, 79.749, 84.962, 86.324,
                                    87.744, 88.222, 88.705, 92.437, 92.913, 93.702, 94.409, 94.889, 98.326};
    IndexingOptions options;
    options.min_volume_angstrom3 = 18;  // as the solver sets it for YOF (6 Å³ per atom of a formula unit)
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.540598, options, cancel);
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, CrystalSystem::Hexagonal);
    QCOMPARE(QString::fromStdString(sols[0].centring), QString("R"));
    QVERIFY2(std::abs(sols[0].lattice.volume_angstrom3() - 244.0) < 1.0,
             qPrintable(QString::number(sols[0].lattice.volume_angstrom3())));
    QVERIFY(std::abs(sols[0].zero_deg - 0.06) < 0.01);
    QCOMPARE(sols[0].lines_indexed, sols[0].lines_used);
  }
  void orthorhombic() {
    check(Lattice::from_parameters(4.8, 5.9, 7.3, 90, 90, 90), CrystalSystem::Orthorhombic, 0.02, 20,
          [](int, int, int) { return true; });
  }
  void centringNeedsRoomForContent() {
    // The rocksalt lines index as F; when the content needs more than a quarter of the cell (a primitive
    // volume of 22 Å³ against 30 required), the F centring is not offered.
    const Lattice cell = Lattice::from_parameters(4.445, 4.445, 4.445, 90, 90, 90);
    const auto tt = lines_of(cell, 1.5406, 0.0, 12, [](int h, int k, int l) {
      return ((h + k) % 2 == 0) && ((k + l) % 2 == 0);
    });
    CancelToken cancel;
    const auto loose = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!loose.empty());
    QCOMPARE(loose[0].centring, std::string("F"));
    IndexingOptions tight;
    tight.min_volume_angstrom3 = 30;
    const auto sols = index_peaks(tt, 1.5406, tight, cancel);
    QVERIFY(!sols.empty());
    for (const IndexingSolution& s : sols) {
      const int points = s.centring == "F" ? 4 : s.centring == "R" ? 3 : s.centring == "P" ? 1 : 2;
      QVERIFY(s.lattice.volume_angstrom3() / points >= 30);
    }
  }
  void sinc2SideLobesAreNotPeaks() {
    // A 60 Å crystallite: sinc² side lobes (4.7 % high, 1.6 FWHM out) must not be taken for reflections.
    Crystal c;
    c.lattice = Lattice::from_parameters(4.2, 4.2, 4.2, 90, 90, 90);
    Site cs{}, cl{};
    cs.element = "Cs";
    cs.atomic_number = 55;
    cs.frac = Eigen::Vector3d(0, 0, 0);
    cl.element = "Cl";
    cl.atomic_number = 17;
    cl.frac = Eigen::Vector3d(0.5, 0.5, 0.5);
    c.sites = {cs, cl};
    ProfileOptions sim;
    sim.size_angstrom = 60;
    const Pattern pattern = simulate_pattern(c, radiation_from_string("CuKa"), sim, GridOptions{});
    const PowderData data = powder_data_from_pattern(pattern, 5, 90);
    const auto groups = enumerate_reflections(c.lattice, 1.0);
    const auto peaks = find_peaks_for_indexing(data, 40, 3.0);
    QVERIFY(peaks.size() >= 6);
    for (const ObservedPeak& p : peaks) {
      double nearest = 1e9;
      for (const ReflectionGroup& g : groups)
        nearest = std::min(nearest, std::abs(d_angstrom_to_two_theta_deg(g.d_angstrom, data.lambda1_angstrom) - p.two_theta_deg));
      QVERIFY2(nearest < 0.3, qPrintable(QString("spurious peak at %1").arg(p.two_theta_deg)));
    }
  }
  void monoclinic() {
    // P2/m-like cell, β = 103°, with a lab-like zero shift of 0.06°; the solution's Niggli cell must equal the
    // true one's (settings differ).
    check_reduced(Lattice::from_parameters(5.1, 6.3, 7.4, 90, 103, 90), CrystalSystem::Monoclinic, 0.06,
                  "monoclinic search");
  }
  void monoclinicCentred() {
    // C2/m-like cell (h + k even): found as C-centred with the conventional volume.
    const Lattice cell = Lattice::from_parameters(11.2, 4.1, 6.6, 90, 112, 90);
    const auto tt = lines_of(cell, 1.5406, 0.0, 20, [](int h, int k, int) { return (h + k) % 2 == 0; });
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!sols.empty());
    qInfo() << sols[0].lattice.parameters().a_angstrom << sols[0].lattice.parameters().b_angstrom
            << sols[0].lattice.parameters().c_angstrom << sols[0].lattice.parameters().beta_deg
            << QString::fromStdString(sols[0].centring) << crystal_system_name(sols[0].system);
    QCOMPARE(sols[0].system, CrystalSystem::Monoclinic);
    QVERIFY(sols[0].centring != "P");
    QVERIFY(std::abs(sols[0].lattice.volume_angstrom3() - cell.volume_angstrom3()) < 0.5);
  }
  void triclinic() {
    // P-1-like cell (no absences) with a lab zero shift: no higher symmetry indexes it, the zone search must,
    // and its Niggli cell must equal the true one's.
    check_reduced(Lattice::from_parameters(5.1, 6.3, 7.4, 78, 95, 103), CrystalSystem::Triclinic, 0.06,
                  "monoclinic and triclinic searches");
  }
  void triclinicWithWeakLinesMissing() {
    // Accidentally weak reflections (here (1 −1 0) and a few others) are absent; one of Q(1±1 0) is enough.
    const Lattice cell = Lattice::from_parameters(4.7, 5.5, 8.9, 101, 92, 84);
    const auto tt = lines_of(cell, 1.5406, 0.0, 20, [](int h, int k, int l) {
      return !(h == 1 && k == -1 && l == 0) && !(h == -1 && k == 1 && l == 0) && (h + 2 * k + 3 * l) % 7 != 5;
    });
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, CrystalSystem::Triclinic);
    QVERIFY(std::abs(sols[0].lattice.volume_angstrom3() - cell.volume_angstrom3()) < 0.5);
  }
  void finishEarlyReturnsWhileCancelThrows() {
    const auto tt = lines_of(Lattice::from_parameters(5.1, 6.3, 7.4, 78, 95, 103), 1.5406, 0.0, 20,
                             [](int, int, int) { return true; });
    CancelToken fired;
    fired.cancel();
    CancelToken running;
    IndexingOptions early;
    early.finish_early = &fired;
    // The deadline had passed before the search began: nothing was found, and that is a result, not an error.
    QVERIFY(index_peaks(tt, 1.5406, early, running).empty());
    bool threw = false;
    try {
      index_peaks(tt, 1.5406, IndexingOptions{}, fired);
    } catch (const Cancelled&) {
      threw = true;
    }
    QVERIFY(threw);
  }
  void cubicWithZeroShiftAndImpurityLines() {
    // A lab bixbyite (Mn2O3, body-centred cubic, a = 9.41 Å) read with a zero of -0.09° and three lines of a
    // rutile-type MnO2 impurity (a = 4.40, c = 2.87 Å) among its first 20: the cubic cell leaves those unindexed.
    const Lattice cell = Lattice::from_parameters(9.41, 9.41, 9.41, 90, 90, 90);
    std::vector<double> tt = lines_of(cell, 1.5406, -0.09, 17, [](int h, int k, int l) { return (h + k + l) % 2 == 0; });
    const Lattice impurity = Lattice::from_parameters(4.40, 4.40, 2.87, 90, 90, 90);
    for (const auto& hkl : {std::array<int, 3>{1, 1, 0}, {1, 0, 1}, {2, 1, 1}})
      tt.push_back(d_angstrom_to_two_theta_deg(impurity.d_spacing_angstrom(hkl[0], hkl[1], hkl[2]), 1.5406) - 0.09);
    std::sort(tt.begin(), tt.end());
    QVERIFY(tt.back() < 70);  // the impurity lines are among the 20 used
    CancelToken cancel;
    const auto sols = index_peaks(tt, 1.5406, IndexingOptions{}, cancel);
    QVERIFY(!sols.empty());
    QCOMPARE(sols[0].system, CrystalSystem::Cubic);
    QCOMPARE(sols[0].centring, std::string("I"));
    QVERIFY(std::abs(sols[0].lattice.parameters().a_angstrom - 9.41) < 0.01);
    QVERIFY(std::abs(sols[0].zero_deg + 0.09) < 0.02);
    QCOMPARE(sols[0].lines_used - sols[0].lines_indexed, 3);
  }
  void cubicKeptAmongCellsIndexingEveryLine() {
    // The lab Mn2O3 again, with four impurity lines and two weak shoulders 0.4° below strong lines among its first
    // 20: the cubic cell leaves six unindexed, which halves its M20 six times; it is still listed, second.
    const Lattice cell = Lattice::from_parameters(9.41, 9.41, 9.41, 90, 90, 90);
    std::vector<double> tt = lines_of(cell, 1.5406, -0.09, 14, [](int h, int k, int l) { return (h + k + l) % 2 == 0; });
    const Lattice impurity = Lattice::from_parameters(4.40, 4.40, 2.87, 90, 90, 90);
    for (const auto& hkl : {std::array<int, 3>{1, 1, 0}, {1, 0, 1}, {2, 0, 0}, {1, 1, 1}})
      tt.push_back(d_angstrom_to_two_theta_deg(impurity.d_spacing_angstrom(hkl[0], hkl[1], hkl[2]), 1.5406) - 0.09);
    tt.push_back(tt[2] - 0.4);
    tt.push_back(tt[12] - 0.4);
    std::sort(tt.begin(), tt.end());
    CancelToken cancel;
    IndexingOptions options;
    options.max_solutions = 6;
    const auto sols = index_peaks(tt, 1.5406, options, cancel);
    const auto cubic = std::find_if(sols.begin(), sols.end(), [](const IndexingSolution& s) { return s.system == CrystalSystem::Cubic; });
    QVERIFY(cubic != sols.end());
    QVERIFY(cubic - sols.begin() <= 1);
    QCOMPARE(cubic->centring, std::string("I"));
    QVERIFY(std::abs(cubic->lattice.parameters().a_angstrom - 9.41) < 0.01);
    QCOMPARE(cubic->lines_used - cubic->lines_indexed, 6);
  }
  void noisyBroadLinesGiveOnePeakEach() {
    // Lines 0.8° wide under Poisson counts (about 5000 at the strongest line on 200 of background; a background
    // window of 3°, as for broad lines): counting noise makes several maxima on each line top, which are one peak.
    ProfileOptions sim;
    sim.fwhm_deg = 0.8;
    GridOptions grid;
    grid.x_min = 10;
    grid.x_step = 0.01;
    Pattern pattern = simulate_pattern(pxrd::test::rock_salt(5.64), radiation_from_string("CuKa"), sim, grid);
    const double y_max = *std::max_element(pattern.y.begin(), pattern.y.end());
    std::mt19937_64 rng(5);
    for (double& y : pattern.y) y = static_cast<double>(std::poisson_distribution<long>(200 + 5000 * y / y_max)(rng));
    const PowderData data = powder_data_from_pattern(pattern, 10, 90);
    const auto peaks = find_peaks_for_indexing(data, 40, 3.0);
    QVERIFY(peaks.size() >= 5);
    for (std::size_t i = 1; i < peaks.size(); ++i)
      QVERIFY2(peaks[i].two_theta_deg - peaks[i - 1].two_theta_deg > 0.2,
               qPrintable(QString("peaks at %1 and %2").arg(peaks[i - 1].two_theta_deg).arg(peaks[i].two_theta_deg)));
    // The strong lines (200, 220, 222, 400, 420, 422 of a = 5.64 Å) give one peak each.
    for (int n : {4, 8, 12, 16, 20, 24}) {
      const double line = d_angstrom_to_two_theta_deg(5.64 / std::sqrt(double(n)), 1.5406);
      const auto near = std::count_if(peaks.begin(), peaks.end(),
                                      [&](const ObservedPeak& p) { return std::abs(p.two_theta_deg - line) < 0.3; });
      QVERIFY2(near == 1, qPrintable(QString("%1 peaks near the line at %2").arg(near).arg(line)));
    }
  }
  void tooFewLines() {
    CancelToken cancel;
    QVERIFY(index_peaks({30.0, 40.0}, 1.5406, IndexingOptions{}, cancel).empty());
  }
};

QTEST_GUILESS_MAIN(TestIndexing)
#include "test_indexing.moc"
