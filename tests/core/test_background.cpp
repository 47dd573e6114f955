// Background estimators against a known smooth background under sharp peaks.
#include <QtTest>
#include <cmath>
#include <string>

#include "pxrd/background.hpp"
#include "pxrd/error.hpp"

using pxrd::Pattern;

namespace {
struct Synthetic {
  Pattern pattern;
  std::vector<double> background;
  double strongest = 0;
};

// 10–90° at 0.02°, a slowly varying background and eight sharp Gaussian peaks (FWHM 0.1–0.25°, up to 1000).
Synthetic make_synthetic(double (*background)(double), double noise_amplitude = 0) {
  Synthetic s;
  s.pattern.source = "synthetic";
  const double centres[] = {18.2, 25.7, 31.4, 38.9, 45.0, 52.6, 66.3, 78.1};
  const double heights[] = {300, 1000, 450, 200, 800, 120, 350, 250};
  const double fwhms[] = {0.1, 0.12, 0.15, 0.15, 0.18, 0.2, 0.22, 0.25};
  s.strongest = 1000;
  for (int i = 0; i <= 4000; ++i) {
    const double x = 10 + 0.02 * i;
    double y = background(x);
    s.background.push_back(y);
    for (int k = 0; k < 8; ++k) {
      const double sigma = fwhms[k] / 2.354820045;
      y += heights[k] * std::exp(-0.5 * std::pow((x - centres[k]) / sigma, 2));
    }
    // Deterministic "noise": a fast oscillation, so the test does not depend on a random generator.
    y += noise_amplitude * std::sin(i * 2.7) * std::sqrt(std::max(y, 0.0));
    s.pattern.x.push_back(x);
    s.pattern.y.push_back(y);
  }
  return s;
}

double smooth_background(double x) { return 150 + 60 * std::exp(-(x - 10) / 12) + 25 * std::sin(x / 14); }
double gentle_background(double x) { return 200 + 0.8 * (x - 50) + 10 * std::sin(x / 20); }

double worst_error(const std::vector<double>& estimate, const std::vector<double>& truth) {
  double worst = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) worst = std::max(worst, std::abs(estimate[i] - truth[i]));
  return worst;
}
}  // namespace

class TestBackground : public QObject {
  Q_OBJECT
 private slots:
  void snip_recovers_smooth_background() {
    const Synthetic s = make_synthetic(smooth_background);
    for (bool lls : {true, false}) {
      const auto bg = pxrd::snip_background(s.pattern.y, 40, lls);
      const double worst = worst_error(bg, s.background);
      qInfo("SNIP lls=%d: worst background error %.2f (strongest peak 1000)", lls, worst);
      QVERIFY2(worst < 0.02 * s.strongest, qPrintable(QString("lls=%1: worst %2").arg(lls).arg(worst)));
    }
    // Decreasing windows give the same quality here.
    const auto dec = pxrd::snip_background(s.pattern.y, 40, true, true);
    QVERIFY(worst_error(dec, s.background) < 0.02 * s.strongest);
    // Too few iterations leave the peak bases in the background.
    const auto short_window = pxrd::snip_background(s.pattern.y, 2, true);
    QVERIFY(worst_error(short_window, s.background) > 0.05 * s.strongest);
  }

  void snip_with_noise_stays_close() {
    const Synthetic s = make_synthetic(smooth_background, 1.0);  // ±√I, like counting noise
    const auto bg = pxrd::snip_background(s.pattern.y, 40, true);
    qInfo("SNIP with noise: worst background error %.2f", worst_error(bg, s.background));
    QVERIFY2(worst_error(bg, s.background) < 0.03 * s.strongest,
             qPrintable(QString::number(worst_error(bg, s.background))));
  }

  void chebyshev_fits_under_the_peaks() {
    const Synthetic s = make_synthetic(gentle_background);
    const auto bg = pxrd::chebyshev_background(s.pattern.x, s.pattern.y, 6, 100);
    const double worst = worst_error(bg, s.background);
    qInfo("Chebyshev order 6: worst background error %.2f", worst);
    QVERIFY2(worst < 0.02 * s.strongest, qPrintable(QString::number(worst)));
    int above = 0;
    for (std::size_t i = 0; i < bg.size(); ++i) above += bg[i] > s.pattern.y[i] + 1.0;
    QVERIFY2(above < 10, qPrintable(QString::number(above)));
    // Without iterations the plain least-squares fit is pulled up by the peaks.
    const auto plain = pxrd::chebyshev_background(s.pattern.x, s.pattern.y, 6, 0);
    QVERIFY(worst_error(plain, s.background) > worst);
  }

  void rolling_ball_under_narrow_peaks() {
    const Synthetic s = make_synthetic(gentle_background);
    const auto bg = pxrd::rolling_ball_background(s.pattern.x, s.pattern.y, 1.0);
    const double worst = worst_error(bg, s.background);
    qInfo("rolling ball r = 1°: worst background error %.2f", worst);
    QVERIFY2(worst < 0.02 * s.strongest, qPrintable(QString::number(worst)));
    for (std::size_t i = 0; i < bg.size(); ++i) QVERIFY(bg[i] <= s.pattern.y[i]);
  }

  void anchors_linear_and_spline() {
    std::vector<double> x;
    for (int i = 0; i <= 200; ++i) x.push_back(i * 0.05);
    // Linear through points on a line reproduces the line, and is constant outside the anchors.
    const auto lin = pxrd::anchor_background(x, {8, 2, 5}, {17, 5, 11}, pxrd::AnchorInterpolation::Linear);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double expected = x[i] < 2 ? 5 : (x[i] > 8 ? 17 : 2 * x[i] + 1);
      QVERIFY(std::abs(lin[i] - expected) < 1e-12);
    }
    // A natural cubic spline through 21 samples of sin follows it closely in the interior.
    std::vector<double> ax, ay;
    for (int k = 0; k <= 20; ++k) {
      ax.push_back(k * 0.5);
      ay.push_back(std::sin(k * 0.5));
    }
    const auto spl = pxrd::anchor_background(x, ax, ay, pxrd::AnchorInterpolation::CubicSpline);
    const auto lin2 = pxrd::anchor_background(x, ax, ay, pxrd::AnchorInterpolation::Linear);
    double worst_spline = 0, worst_linear = 0;
    for (std::size_t i = 20; i <= 180; ++i) {
      worst_spline = std::max(worst_spline, std::abs(spl[i] - std::sin(x[i])));
      worst_linear = std::max(worst_linear, std::abs(lin2[i] - std::sin(x[i])));
    }
    QVERIFY2(worst_spline < 2e-3, qPrintable(QString::number(worst_spline)));
    QVERIFY(worst_linear > 5 * worst_spline);
    for (std::size_t k = 0; k < ax.size(); ++k) QVERIFY(std::abs(spl[k * 10] - ay[k]) < 1e-12);  // through anchors
    const auto one = pxrd::anchor_background(x, {3}, {7}, pxrd::AnchorInterpolation::CubicSpline);
    QCOMPARE(one.front(), 7.0);
    QCOMPARE(one.back(), 7.0);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError,
                             pxrd::anchor_background(x, {1, 1}, {2, 3}, pxrd::AnchorInterpolation::Linear));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::anchor_background(x, {}, {}, pxrd::AnchorInterpolation::Linear));
  }

  void subtract_records_history() {
    const Synthetic s = make_synthetic(smooth_background);
    pxrd::BackgroundOptions o;
    o.method = pxrd::BackgroundMethod::Snip;
    o.snip_iterations = 30;
    const Pattern net = pxrd::subtract_background(s.pattern, o);
    QCOMPARE(net.history.back(), std::string("background_snip(iterations=30, lls=true, window=increasing)"));
    const auto bg = pxrd::estimate_background(s.pattern, o);
    for (std::size_t i = 0; i < net.size(); ++i) QCOMPARE(net.y[i], s.pattern.y[i] - bg[i]);
    // A window in x units sets the iterations from the step (0.02°): 0.6° → 30 points, the same background.
    pxrd::BackgroundOptions w = o;
    w.snip_iterations = 1;
    w.snip_window_x = 0.6;
    QCOMPARE(pxrd::estimate_background(s.pattern, w), bg);
    QCOMPARE(pxrd::subtract_background(s.pattern, w).history.back(),
             std::string("background_snip(window_x=0.6, iterations=30, lls=true, window=increasing)"));
    o.method = pxrd::BackgroundMethod::None;
    QCOMPARE(pxrd::subtract_background(s.pattern, o).y, s.pattern.y);
    o.method = pxrd::BackgroundMethod::Chebyshev;
    o.chebyshev_order = 40;
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::subtract_background(s.pattern, o));
    o.method = pxrd::BackgroundMethod::RollingBall;
    o.ball_radius = -1;
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::subtract_background(s.pattern, o));
    QVERIFY(pxrd::background_method_from_string("rolling-ball") == pxrd::BackgroundMethod::RollingBall);
    QCOMPARE(std::string(pxrd::background_method_name(pxrd::BackgroundMethod::Chebyshev)), std::string("chebyshev"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::background_method_from_string("magic"));
  }
};

QTEST_GUILESS_MAIN(TestBackground)
#include "test_background.moc"
