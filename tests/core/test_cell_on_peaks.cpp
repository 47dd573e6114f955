// Refinement of a rough (generator) cell on peak positions: a monoclinic cell 2 % off is recovered exactly.
#include <QtTest>

#include <cmath>

#include "pxrd/cell_on_peaks.hpp"
#include "pxrd/lebail.hpp"
#include "pxrd/units.hpp"

using namespace pxrd;

namespace {
// The first n distinct line positions of a cell, shifted by zero_deg.
std::vector<double> lines_of(const Lattice& l, double lambda, double zero_deg, int n) {
  std::vector<double> tt;
  for (const ReflectionGroup& g : enumerate_reflections(l, lambda / (2 * std::sin(deg_to_rad(40.0))))) {
    const double x = 2 * rad_to_deg(std::asin(lambda / (2 * g.d_angstrom))) + zero_deg;
    if (tt.empty() || x - tt.back() > 0.08) tt.push_back(x);  // resolved lines only
    if (static_cast<int>(tt.size()) == n) break;
  }
  return tt;
}
}  // namespace

class TestCellOnPeaks : public QObject {
  Q_OBJECT
 private slots:
  void recovers_a_monoclinic_cell() {
    const double lambda = 1.5406;
    const Lattice truth = Lattice::from_parameters(7.1, 4.5, 10.4, 90, 109, 90);
    const auto tt = lines_of(truth, lambda, 0.03, 22);
    QVERIFY(tt.size() >= 20);
    const Lattice rough = Lattice::from_parameters(7.1 * 1.02, 4.5 * 0.99, 10.4 * 0.985, 90.5, 110, 89.5);
    const CellOnPeaks r = refine_cell_on_peaks(tt, rough, lambda);
    const auto p = r.lattice.parameters();
    qInfo() << p.a_angstrom << p.b_angstrom << p.c_angstrom << p.alpha_deg << p.beta_deg << p.gamma_deg << "zero"
            << r.zero_deg << "indexed" << r.indexed_fraction;
    QCOMPARE(r.indexed_fraction, 1.0);
    QVERIFY(std::abs(p.a_angstrom - 7.1) < 1e-3 && std::abs(p.b_angstrom - 4.5) < 1e-3 && std::abs(p.c_angstrom - 10.4) < 1e-3);
    QVERIFY(std::abs(p.alpha_deg - 90) < 0.01 && std::abs(p.beta_deg - 109) < 0.01 && std::abs(p.gamma_deg - 90) < 0.01);
    QVERIFY(std::abs(r.zero_deg - 0.03) < 0.002);
    QVERIFY(r.mean_abs_dev_deg < 0.002);
  }
  void a_wrong_cell_scores_low() {
    const double lambda = 1.5406;
    const auto tt = lines_of(Lattice::from_parameters(7.1, 4.5, 10.4, 90, 109, 90), lambda, 0, 20);
    const CellOnPeaks r = refine_cell_on_peaks(tt, Lattice::from_parameters(5.3, 6.2, 8.1, 90, 90, 90), lambda);
    QVERIFY2(r.indexed_fraction < 0.8, std::to_string(r.indexed_fraction).c_str());
    // Too few lines: the input comes back unscored.
    const CellOnPeaks few = refine_cell_on_peaks({20, 30}, Lattice::from_parameters(5, 5, 5, 90, 90, 90), lambda);
    QCOMPARE(few.indexed_fraction, 0.0);
  }
};

QTEST_GUILESS_MAIN(TestCellOnPeaks)
#include "test_cell_on_peaks.moc"
