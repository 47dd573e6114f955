// Agreement factors against values worked out by hand.
#include <QtTest>
#include <cmath>

#include "pxrd/agreement.hpp"
#include "pxrd/error.hpp"

class TestAgreement : public QObject {
  Q_OBJECT
 private slots:
  void poisson_weights_with_fitted_scale() {
    // yo = 10, 20, 30, 40 with Poisson weights w = 1/yo, so w·yo = 1:
    //   Σ w yo yc = Σ yc = 11,  Σ w yc² = 0.1 + 0.2 + 0.3 + 0.625 = 1.225,  c = 11 / 1.225
    //   Σ w (yo − c yc)² = Σ yo − c · 11 = 100 − 121 / 1.225,  Σ w yo² = Σ yo = 100
    //   Σ|yo − c yc| = (10 − c) + (20 − 2c) + (30 − 3c) + (5c − 40) = 20 − c   (c ≈ 8.98)
    pxrd::Pattern obs;
    obs.source = "obs";
    obs.x = {1, 2, 3, 4};
    obs.y = {10, 20, 30, 40};
    const std::vector<double> calc = {1, 2, 3, 5};
    const auto a = pxrd::agreement_factors(obs, calc);
    const double c = 11 / 1.225;
    const double chi = 100 - 121 / 1.225;
    QVERIFY(std::abs(a.scale - c) < 1e-12);
    QCOMPARE(a.n, std::size_t(4));
    QCOMPARE(a.p, std::size_t(1));
    QVERIFY(std::abs(a.r_wp - std::sqrt(chi / 100)) < 1e-12);
    QVERIFY(std::abs(a.r_exp - std::sqrt(3.0 / 100)) < 1e-12);
    QVERIFY(std::abs(a.gof - std::sqrt(chi / 100) / std::sqrt(0.03)) < 1e-12);
    QVERIFY(std::abs(a.chi2_red - chi / 3) < 1e-12);
    QVERIFY(std::abs(a.chi2_red - a.gof * a.gof) < 1e-12);
    QVERIFY(std::abs(a.r_p - (20 - c) / 100) < 1e-12);
    QVERIFY(std::abs(a.r_wp - 0.1106567) < 1e-6);  // the same numbers, evaluated
  }

  void esd_weights_and_excluded_points() {
    // esd 1, 2, 0.5 → w = 1, 0.25, 4; the fourth point has esd 0 → w = 0 and is not counted.
    pxrd::Pattern obs;
    obs.source = "obs";
    obs.x = {1, 2, 3, 4};
    obs.y = {4, 6, 2, 100};
    obs.esd = {1, 2, 0.5, 0};
    const std::vector<double> calc = {3, 6, 3, 0};
    const auto a = pxrd::agreement_factors(obs, calc, false);  // scale fixed at 1
    // Σ w (yo − yc)² = 1·1 + 0.25·0 + 4·1 = 5;  Σ w yo² = 16 + 9 + 16 = 41;  N = 3, P = 0.
    QCOMPARE(a.scale, 1.0);
    QCOMPARE(a.n, std::size_t(3));
    QCOMPARE(a.p, std::size_t(0));
    QVERIFY(std::abs(a.r_wp - std::sqrt(5.0 / 41)) < 1e-12);
    QVERIFY(std::abs(a.r_exp - std::sqrt(3.0 / 41)) < 1e-12);
    QVERIFY(std::abs(a.chi2_red - 5.0 / 3) < 1e-12);
    // R_p is unweighted over all points: (1 + 0 + 1 + 100) / 112.
    QVERIFY(std::abs(a.r_p - 102.0 / 112) < 1e-12);

    // Poisson weights ignore points with y ≤ 0.
    pxrd::Pattern counts;
    counts.x = {1, 2, 3};
    counts.y = {0, -5, 9};
    QCOMPARE(counts.weights(), (std::vector<double>{0, 0, 1.0 / 9}));
    const auto b = pxrd::agreement_factors(counts, {1, 1, 3});
    QCOMPARE(b.n, std::size_t(1));
    QCOMPARE(b.scale, 3.0);      // only the weighted point decides the scale
    QVERIFY(std::isnan(b.gof));  // N ≤ P
  }

  void perfect_match_and_errors() {
    const std::vector<double> yo = {5, 50, 500}, w = {1, 1, 1};
    const auto a = pxrd::agreement_factors(yo, {1, 10, 100}, w, true, 2);
    QVERIFY(std::abs(a.scale - 5) < 1e-12);
    QVERIFY(a.r_wp < 1e-12 && a.r_p < 1e-12);
    QCOMPARE(a.p, std::size_t(3));
    QCOMPARE(pxrd::least_squares_scale({2, 4}, {1, 2}, {1, 1}), 2.0);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::agreement_factors(yo, {1, 2}, w));
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::least_squares_scale(yo, {0, 0, 0}, w));
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::agreement_factors(yo, {1, 2, 3}, {0, 0, 0}, false));
  }

  void cosine() {
    QCOMPARE(pxrd::cosine_similarity({1, 0}, {0, 1}), 0.0);
    QVERIFY(std::abs(pxrd::cosine_similarity({1, 2, 3}, {2, 4, 6}) - 1.0) < 1e-15);
    QVERIFY(std::abs(pxrd::cosine_similarity({1, 1}, {1, 0}) - 1 / std::sqrt(2.0)) < 1e-15);
    QCOMPARE(pxrd::cosine_similarity({0, 0}, {1, 0}), 0.0);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::cosine_similarity({1}, {1, 2}));
  }
};

QTEST_GUILESS_MAIN(TestAgreement)
#include "test_agreement.moc"
