// Peak search on synthetic Gaussians with known positions, widths and areas.
#include <QtTest>
#include <cmath>

#include "pxrd/background.hpp"
#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/units.hpp"

using pxrd::Pattern;

namespace {
struct TruePeak {
  double centre, fwhm, height;
};

Pattern gaussians(const std::vector<TruePeak>& peaks, double step, double offset = 0, double noise = 0) {
  Pattern p;
  p.source = "peaks";
  const double fwhm_to_sigma = 1.0 / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  for (int i = 0; 10 + i * step <= 80; ++i) {
    const double x = 10 + i * step;
    double y = offset;
    for (const auto& t : peaks) y += t.height * std::exp(-0.5 * std::pow((x - t.centre) / (t.fwhm * fwhm_to_sigma), 2));
    y += noise * std::sin(i * 2.3);  // deterministic ripple standing in for noise
    p.x.push_back(x);
    p.y.push_back(y);
  }
  return p;
}

const std::vector<TruePeak> kPeaks = {
    {21.337, 0.10, 500}, {29.871, 0.14, 1200}, {36.004, 0.12, 80}, {44.459, 0.20, 640}, {61.218, 0.25, 300}};
}  // namespace

class TestPeaks : public QObject {
  Q_OBJECT
 private slots:
  void positions_widths_heights_areas() {
    const Pattern p = gaussians(kPeaks, 0.02, 50);
    for (auto method : {pxrd::PeakPositionMethod::Parabolic, pxrd::PeakPositionMethod::Centroid}) {
      pxrd::PeakSearchOptions o;
      o.position = method;
      const auto found = pxrd::find_peaks(p, o);
      QCOMPARE(found.size(), kPeaks.size());
      for (std::size_t k = 0; k < kPeaks.size(); ++k) {
        const auto& f = found[k];
        const auto& t = kPeaks[k];
        QVERIFY2(std::abs(f.x - t.centre) < 0.01, qPrintable(QString("x %1 vs %2").arg(f.x).arg(t.centre)));
        QVERIFY2(std::abs(f.fwhm - t.fwhm) < 0.05 * t.fwhm,
                 qPrintable(QString("fwhm %1 vs %2").arg(f.fwhm).arg(t.fwhm)));
        QVERIFY2(std::abs(f.prominence - t.height) < 0.01 * t.height,
                 qPrintable(QString("prominence %1 vs %2").arg(f.prominence).arg(t.height)));
        QVERIFY(std::abs(f.height - (t.height + 50)) < 0.01 * t.height);
        const double true_area = t.height * t.fwhm * std::sqrt(kPi() / (4 * std::log(2.0)));
        QVERIFY2(std::abs(f.area - true_area) < 0.03 * true_area,
                 qPrintable(QString("area %1 vs %2").arg(f.area).arg(true_area)));
      }
    }
    // The log-parabola is exact for a Gaussian.
    const auto exact = pxrd::find_peaks(p);
    QVERIFY(std::abs(exact[1].x - 29.871) < 1e-6);
  }

  void thresholds_reject_small_peaks_and_noise() {
    const Pattern p = gaussians(kPeaks, 0.02, 100, 3.0);
    const auto found = pxrd::find_peaks(p);  // defaults: 1 % of the strongest and SNR 3 → no ripple maxima
    QCOMPARE(found.size(), kPeaks.size());
    pxrd::PeakSearchOptions o;
    o.min_relative_prominence = 0.1;  // 120: drops the 80-high peak
    QCOMPARE(pxrd::find_peaks(p, o).size(), kPeaks.size() - 1);
    o = {};
    o.min_prominence = 550;  // absolute
    QCOMPARE(pxrd::find_peaks(p, o).size(), std::size_t(2));
    o = {};
    o.max_peaks = 3;  // the three most prominent, in x order
    const auto top = pxrd::find_peaks(p, o);
    QCOMPARE(top.size(), std::size_t(3));
    QVERIFY(std::abs(top[0].x - 21.337) < 0.01 && std::abs(top[1].x - 29.871) < 0.01 &&
            std::abs(top[2].x - 44.459) < 0.01);
    o = {};
    o.min_relative_prominence = 0;
    o.min_snr = 0;
    QVERIFY(pxrd::find_peaks(p, o).size() > 100);  // every ripple maximum
  }

  void noise_estimate() {
    // Alternating ±a has residual |2a| at every point: σ = 1.4826 · 2a / √1.5.
    std::vector<double> y;
    for (int i = 0; i < 1001; ++i) y.push_back(i % 2 ? 1.0 : -1.0);
    QVERIFY(std::abs(pxrd::estimate_noise_sigma(y) - 1.4826 * 2 / std::sqrt(1.5)) < 1e-12);
    std::vector<double> line(100);
    for (int i = 0; i < 100; ++i) line[i] = 3 * i;
    QCOMPARE(pxrd::estimate_noise_sigma(line), 0.0);
  }

  void measured_mno_after_snip_and_rachinger() {
    // tests/data/patterns/MnO.xy (measured, Cu Kα1+2; origin in the README there). Rocksalt MnO with
    // a = 4.444 Å (MnO_225.cif) has seven reflections between 10° and 100°: 111 200 220 311 222 400 331.
    pxrd::Pattern p = pxrd::read_pattern_text(PXRD_TEST_DATA_DIR "/patterns/MnO.xy");
    p.radiation = pxrd::radiation_from_string("CuKa12");
    pxrd::BackgroundOptions bg;
    bg.snip_iterations = 60;
    const pxrd::Pattern net = pxrd::subtract_background(p, bg);
    pxrd::PeakSearchOptions o;
    o.min_relative_prominence = 0.02;
    QVERIFY(pxrd::find_peaks(net, o).size() > 7);  // resolved Kα2 shoulders count as peaks before stripping
    const auto peaks = pxrd::find_peaks(pxrd::strip_ka2(net), o);
    const int hkl[7][3] = {{1, 1, 1}, {2, 0, 0}, {2, 2, 0}, {3, 1, 1}, {2, 2, 2}, {4, 0, 0}, {3, 3, 1}};
    QCOMPARE(peaks.size(), std::size_t(7));
    for (int k = 0; k < 7; ++k) {
      const double d = 4.444 / std::sqrt(hkl[k][0] * hkl[k][0] + hkl[k][1] * hkl[k][1] + hkl[k][2] * hkl[k][2]);
      const double expected = pxrd::d_angstrom_to_two_theta_deg(d, 1.540598);
      QVERIFY2(std::abs(peaks[k].x - expected) < 0.05,
               qPrintable(QString("peak %1: %2 vs %3").arg(k).arg(peaks[k].x).arg(expected)));
      QVERIFY(peaks[k].fwhm > 0.05 && peaks[k].fwhm < 0.15 && peaks[k].area > 0);
    }
  }

  void edge_cases() {
    Pattern flat;
    flat.source = "flat";
    flat.x = {1, 2, 3, 4};
    flat.y = {5, 5, 5, 5};
    QVERIFY(pxrd::find_peaks(flat).empty());
    Pattern plateau = flat;
    plateau.y = {1, 4, 4, 1};
    pxrd::PeakSearchOptions o;
    o.min_snr = 0;  // four points give no noise estimate worth the name
    const auto found = pxrd::find_peaks(plateau, o);
    QCOMPARE(found.size(), std::size_t(1));
    QCOMPARE(found[0].x, 2.5);  // the parabola through 1, 4, 4 peaks midway along the flat top
    QVERIFY(found[0].prominence >= 3.0);
    Pattern tiny;
    tiny.source = "tiny";
    tiny.x = {1, 2};
    tiny.y = {1, 2};
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::find_peaks(tiny));
  }

 private:
  static double kPi() { return 3.14159265358979323846; }
};

QTEST_GUILESS_MAIN(TestPeaks)
#include "test_peaks.moc"
