// Processing steps on synthetic patterns with known answers.
#include <QtTest>
#include <cmath>
#include <string>

#include "pxrd/error.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/units.hpp"

using pxrd::Pattern;

namespace {
double gaussian(double x, double centre, double fwhm, double height) {
  const double s = fwhm / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  const double t = (x - centre) / s;
  return height * std::exp(-0.5 * t * t);
}

// 2θ grid from `lo` to `hi` with `step`, y = sum of Gaussians (centre, fwhm, height) + constant.
Pattern peaks_pattern(double lo, double hi, double step, const std::vector<std::array<double, 3>>& peaks,
                      double constant = 0.0) {
  Pattern p;
  p.source = "synthetic";
  const int n = static_cast<int>(std::lround((hi - lo) / step)) + 1;
  for (int i = 0; i < n; ++i) {
    const double x = lo + i * step;
    double y = constant;
    for (const auto& pk : peaks) y += gaussian(x, pk[0], pk[1], pk[2]);
    p.x.push_back(x);
    p.y.push_back(y);
  }
  return p;
}

double area(const Pattern& p) {
  double a = 0;
  for (std::size_t i = 1; i < p.size(); ++i) a += 0.5 * (p.y[i] + p.y[i - 1]) * (p.x[i] - p.x[i - 1]);
  return a;
}

double max_of(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }
}  // namespace

class TestProcessing : public QObject {
  Q_OBJECT
 private slots:
  void two_theta_q_round_trip() {
    Pattern p = peaks_pattern(10, 120, 0.5, {{{40, 1, 10}}});
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::convert_to_q(p));  // no radiation: never guessed
    p.radiation = pxrd::radiation_from_string("CuKa1");
    const Pattern q = pxrd::convert_to_q(p);
    QVERIFY(q.x_unit == pxrd::XUnit::QInvAngstrom);
    QCOMPARE(q.history.back(), std::string("to_q(lambda_angstrom=1.540598)"));
    // Q = 4π sin θ / λ at 2θ = 90°: 4π sin 45° / 1.540598.
    const std::size_t i90 = 160;
    QCOMPARE(p.x[i90], 90.0);
    QVERIFY(std::abs(q.x[i90] - 4 * pxrd::kPi * std::sin(pxrd::kPi / 4) / 1.540598) < 1e-12);
    QCOMPARE(q.y, p.y);
    const Pattern back = pxrd::convert_to_two_theta(q);
    for (std::size_t i = 0; i < p.size(); ++i) QVERIFY(std::abs(back.x[i] - p.x[i]) < 1e-9);
    QCOMPARE(back.history.size(), std::size_t(2));

    // Q beyond 4π/λ is unreachable: those points are dropped and counted.
    Pattern wide;
    wide.source = "q";
    wide.x_unit = pxrd::XUnit::QInvAngstrom;
    wide.x = {1, 4, 8, 8.2, 9};
    wide.y = {1, 2, 3, 4, 5};
    wide.radiation = pxrd::radiation_from_string("CuKa1");
    const Pattern tt = pxrd::convert_to_two_theta(wide);
    QCOMPARE(tt.size(), std::size_t(3));
    QVERIFY(tt.history.back().find("dropped_points=2") != std::string::npos);
  }

  void resampling_is_linear() {
    Pattern p;
    p.source = "lin";
    p.x = {0, 0.3, 1.1, 2.0, 3.7, 5};
    for (double x : p.x) p.y.push_back(3 * x - 1);
    const Pattern r = pxrd::resample_uniform(p, -1, 4.05, 0.25);
    QCOMPARE(r.x.front(), 0.0);  // clipped to the data
    QCOMPARE(r.size(), std::size_t(17));
    QVERIFY(std::abs(r.x.back() - 4.0) < 1e-12);
    for (std::size_t i = 0; i < r.size(); ++i) QVERIFY(std::abs(r.y[i] - (3 * r.x[i] - 1)) < 1e-12);
    const Pattern n = pxrd::resample_uniform(p, 11);
    QCOMPARE(n.size(), std::size_t(11));
    QCOMPARE(n.x.back(), 5.0);
    QVERIFY(std::abs(n.y[5] - (3 * 2.5 - 1)) < 1e-12);
    QVERIFY(n.history.back().find("points=11") != std::string::npos);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::resample_uniform(p, 6, 9, 0.1));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::resample_uniform(p, 0, 5, 0));
  }

  void normalisation() {
    Pattern p = peaks_pattern(10, 30, 0.01, {{{15, 0.2, 40}}, {{20, 0.2, 80}}}, 5);
    p.esd.assign(p.size(), 2.0);
    const Pattern m = pxrd::normalize_max(p);
    QVERIFY(std::abs(max_of(m.y) - 100.0) < 1e-12);
    QVERIFY(std::abs(m.esd[0] - 2.0 * 100 / 85.0) < 1e-12);  // esd scales with y
    const Pattern a = pxrd::normalize_area(p, 1.0);
    QVERIFY(std::abs(area(a) - 1.0) < 1e-12);
    Pattern zero = p;
    std::fill(zero.y.begin(), zero.y.end(), 0.0);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::normalize_max(zero));
  }

  void smoothing_preserves_area_and_broadens() {
    const double fwhm0 = 0.3, sigma0 = fwhm0 / 2.354820045;
    const Pattern p = peaks_pattern(10, 40, 0.01, {{{20, fwhm0, 100}}, {{28, fwhm0, 50}}}, 10);
    const double sigma_s = 0.1;
    const Pattern s = pxrd::smooth_gaussian(p, sigma_s);
    QVERIFY(std::abs(area(s) - area(p)) / area(p) < 1e-6);
    // A Gaussian of σ0 smoothed by σs is a Gaussian of √(σ0² + σs²): its height falls by σ0 / √(σ0² + σs²).
    const double expected = 10 + 100 * sigma0 / std::sqrt(sigma0 * sigma0 + sigma_s * sigma_s);
    QVERIFY2(std::abs(s.y[1000] - expected) < 0.002 * expected,
             qPrintable(QString("%1 vs %2").arg(s.y[1000]).arg(expected)));
    QCOMPARE(s.history.back(), std::string("smooth_gaussian(sigma=0.1)"));
    // Non-uniform grid: a linear signal stays linear in the interior.
    Pattern u;
    u.source = "u";
    for (int i = 0; i < 400; ++i) {
      const double x = i * 0.05 + 0.02 * std::sin(i * 1.3);
      u.x.push_back(x);
      u.y.push_back(2 * x + 1);
    }
    const Pattern us = pxrd::smooth_gaussian(u, 0.2);
    for (std::size_t i = 50; i < 350; ++i) QVERIFY(std::abs(us.y[i] - u.y[i]) < 0.01);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::smooth_gaussian(p, 0));
  }

  void zero_shift_moves_peaks_by_exactly_the_shift() {
    const Pattern p = peaks_pattern(10, 50, 0.01, {{{22.37, 0.12, 100}}, {{35.81, 0.15, 60}}});
    const double shift = 0.137;
    const Pattern c = pxrd::correct_zero_shift(p, shift);
    for (std::size_t i = 0; i < p.size(); ++i) QCOMPARE(c.x[i], p.x[i] - shift);
    QCOMPARE(c.y, p.y);
    const auto before = pxrd::find_peaks(p), after = pxrd::find_peaks(c);
    QCOMPARE(before.size(), std::size_t(2));
    QCOMPARE(after.size(), std::size_t(2));
    for (std::size_t k = 0; k < 2; ++k) QVERIFY(std::abs(before[k].x - after[k].x - shift) < 1e-9);
    QCOMPARE(c.history.back(), std::string("zero_shift(shift_deg=0.137)"));
    Pattern q = p;
    q.x_unit = pxrd::XUnit::QInvAngstrom;
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::correct_zero_shift(q, 0.1));
  }

  void rachinger_removes_ka2() {
    // I(2θ) = Σ G(2θ − p_k) + 0.5 Σ G(2θ − p2_k), with p2 the Kα2 position of each Kα1 peak.
    const double l1 = 1.540598, l2 = 1.544426, ratio = 0.5;
    const std::vector<double> centres = {28.44, 47.30, 56.12, 88.03};
    std::vector<std::array<double, 3>> doublet, single;
    for (double c : centres) {
      const double c2 = 2 * pxrd::rad_to_deg(std::asin(l2 / l1 * std::sin(pxrd::deg_to_rad(c) / 2)));
      single.push_back({c, 0.08, 100});
      doublet.push_back({c, 0.08, 100});
      doublet.push_back({c2, 0.08, 100 * ratio});
    }
    Pattern p = peaks_pattern(20, 100, 0.005, doublet);
    const Pattern truth = peaks_pattern(20, 100, 0.005, single);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::strip_ka2(p));  // no doublet known
    p.radiation = pxrd::Radiation{"CuKa12", l1, l2, ratio};
    const Pattern s = pxrd::strip_ka2(p);
    double worst = 0, worst_raw = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      worst = std::max(worst, std::abs(s.y[i] - truth.y[i]));
      worst_raw = std::max(worst_raw, std::abs(p.y[i] - truth.y[i]));
    }
    QVERIFY2(worst < 0.5, qPrintable(QString("largest deviation %1 (of 100)").arg(worst)));  // 0.21 measured
    QVERIFY(worst_raw > 40);  // the unstripped doublet is far from the truth
    QVERIFY(!s.radiation->has_second_line());
    QCOMPARE(s.radiation->name, std::string("CuKa1"));
    QVERIFY(s.history.back().find("rachinger") != std::string::npos);
    // The peak search now sees only the Kα1 lines.
    pxrd::PeakSearchOptions o;
    o.min_relative_prominence = 0.05;
    QVERIFY(pxrd::find_peaks(p, o).size() > centres.size());  // resolved Kα2 lines count as extra peaks
    const auto stripped = pxrd::find_peaks(s, o);
    QCOMPARE(stripped.size(), centres.size());
    for (std::size_t k = 0; k < centres.size(); ++k) QVERIFY(std::abs(stripped[k].x - centres[k]) < 0.005);
  }
};

QTEST_GUILESS_MAIN(TestProcessing)
#include "test_processing.moc"
