// Finite-size (sinc²) filter applied to an existing pattern, through the simulator's kernel.
#include <QtTest>
#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"

using pxrd::Pattern;

namespace {
// A narrow Gaussian (FWHM `fwhm`) at `centre` on a grid x = lo, lo + step, ... ≤ hi.
Pattern narrow_line(double lo, double hi, double step, double centre, double fwhm, pxrd::XUnit unit) {
  Pattern p;
  p.source = "line";
  p.x_unit = unit;
  const double sigma = fwhm / 2.354820045;
  for (int i = 0; lo + i * step <= hi; ++i) {
    const double x = lo + i * step;
    p.x.push_back(x);
    p.y.push_back(1000 * std::exp(-0.5 * std::pow((x - centre) / sigma, 2)));
  }
  return p;
}

double area(const Pattern& p) {
  double a = 0;
  for (std::size_t i = 1; i < p.size(); ++i) a += 0.5 * (p.y[i] + p.y[i - 1]) * (p.x[i] - p.x[i - 1]);
  return a;
}

// sinc² has side lobes of 4.7 % of its maximum: look only for the main peak.
std::vector<pxrd::Peak> main_peaks(const Pattern& p) {
  pxrd::PeakSearchOptions o;
  o.min_relative_prominence = 0.1;
  return pxrd::find_peaks(p, o);
}
}  // namespace

class TestProcessingSize : public QObject {
  Q_OBJECT
 private slots:
  void q_pattern_takes_the_kernel_width() {
    const Pattern p = narrow_line(0.5, 6.0, 0.0005, 3.0, 0.002, pxrd::XUnit::QInvAngstrom);
    const double tau = 100;
    const Pattern b = pxrd::apply_finite_size(p, tau);
    QVERIFY(b.history.back().find("finite_size(size_angstrom=100") == 0);
    QVERIFY2(std::abs(area(b) - area(p)) < 0.01 * area(p), qPrintable(QString("%1 vs %2").arg(area(b)).arg(area(p))));
    const auto peaks = main_peaks(b);
    QCOMPARE(peaks.size(), std::size_t(1));
    QVERIFY(std::abs(peaks[0].x - 3.0) < 0.001);
    // The line is 28× narrower than the kernel, so the result has (nearly) the kernel's FWHM, 5.56624/τ.
    const double kernel = pxrd::sinc2_fwhm_inv_angstrom(tau);
    QVERIFY(std::abs(kernel - 5.56624 / tau) < 1e-4);
    QVERIFY2(std::abs(peaks[0].fwhm - kernel) < 0.05 * kernel,
             qPrintable(QString("fwhm %1 vs kernel %2").arg(peaks[0].fwhm).arg(kernel)));
    // A larger crystallite broadens less.
    const auto mild = main_peaks(pxrd::apply_finite_size(p, 1000));
    QVERIFY(mild[0].fwhm < peaks[0].fwhm / 3);
  }

  void two_theta_pattern_needs_radiation() {
    Pattern p = narrow_line(20, 60, 0.005, 40, 0.02, pxrd::XUnit::TwoThetaDeg);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::apply_finite_size(p, 50));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::apply_finite_size(p, 0));
    p.radiation = pxrd::radiation_from_string("CuKa1");
    const Pattern b = pxrd::apply_finite_size(p, 50);
    QCOMPARE(b.x, p.x);  // the grid is kept
    QVERIFY(b.x_unit == pxrd::XUnit::TwoThetaDeg);
    const auto in_q = main_peaks(pxrd::convert_to_q(b));
    QCOMPARE(in_q.size(), std::size_t(1));
    const double kernel = pxrd::sinc2_fwhm_inv_angstrom(50);
    QVERIFY2(std::abs(in_q[0].fwhm - kernel) < 0.05 * kernel,
             qPrintable(QString("fwhm %1 vs kernel %2").arg(in_q[0].fwhm).arg(kernel)));
  }
};

QTEST_GUILESS_MAIN(TestProcessingSize)
#include "test_processing_size.moc"
