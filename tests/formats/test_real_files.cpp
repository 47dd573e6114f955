// Every bundled reader on a real instrument file (tests/data/formats, origins in its README):
// exact point count, first and last x, radiation, and intensity values read off the files by hand.
#include <QtTest>

#include "pxrd/formats.hpp"

namespace {
const std::string kData = PXRD_TEST_DATA_DIR "/formats/";

pxrd::Pattern read(const std::string& rel) { return pxrd::formats::read_pattern(kData + rel); }

void check_radiation(const pxrd::Pattern& p, double l1, double l2, double ratio) {
  QVERIFY2(p.radiation.has_value(), p.source.c_str());
  QCOMPARE(p.radiation->lambda1_angstrom, l1);
  QCOMPARE(p.radiation->lambda2_angstrom, l2);
  QCOMPARE(p.radiation->ratio, ratio);
}
}  // namespace

class TestRealFiles : public QObject {
  Q_OBJECT
 private slots:
  void bruker_raw_v3() {
    const auto p = read("bruker_raw/BT86.raw");
    QCOMPARE(QString::fromStdString(p.format), QString("bruker_raw"));
    QCOMPARE(p.size(), std::size_t(2374));
    QCOMPARE(p.x.front(), 3.0);
    QVERIFY(std::fabs(p.x.back() - 40.0003) < 1e-3);  // 3 + 2373 × 0.0155922 (f32 step)
    check_radiation(p, 1.5406, 1.54439, 0.5);
    QCOMPARE(QString::fromStdString(p.radiation->name), QString("CuKa12"));  // ANODE_MATERIAL Cu
    QCOMPARE(p.y[0], 187.0);
    QCOMPARE(p.y.back(), 269.0);
    QCOMPARE(QString::fromStdString(p.metadata.at("sample")), QString("BT86"));
  }
  void bruker_raw_v3_second_file() {
    const auto p = read("bruker_raw/Cu3Au-1.raw");
    QCOMPARE(p.size(), std::size_t(3901));
    QCOMPARE(p.x.front(), 22.0);
    QVERIFY(std::fabs(p.x.back() - 100.0) < 1e-4);
    check_radiation(p, 1.5406, 1.54439, 0.5);
    QCOMPARE(p.y[0], 48.0);
    QCOMPARE(p.y[1], 24.0);
  }
  void bruker_raw_v4() {
    const auto p = read("bruker_raw/bruker_raw4.raw");
    QCOMPARE(QString::fromStdString(p.format), QString("bruker_raw4"));
    QCOMPARE(p.size(), std::size_t(4059));
    QCOMPARE(p.x.front(), 37.0001);
    QVERIFY(std::fabs(p.x.back() - (37.0001 + 4058 * 0.02045454498)) < 1e-6);
    check_radiation(p, 1.5406, 1.54439, 0.5);
    QCOMPARE(p.y[0], 7264.0);
    QCOMPARE(p.y[1], 7202.0);
    QCOMPARE(p.y.back(), 7043.0);
    QCOMPARE(QString::fromStdString(p.metadata.at("sample")), QString("Cu-12%Ag_500C1700h_P5n5rpm1_RT"));
  }
  void uxd_matches_raw() {
    // BT86_.UXD was converted from BT86.raw: same counts, x printed with 4 significant digits in the UXD.
    const auto u = read("uxd/BT86_.UXD");
    const auto r = read("bruker_raw/BT86.raw");
    QCOMPARE(QString::fromStdString(u.format), QString("bruker_uxd"));
    QCOMPARE(u.size(), std::size_t(2374));
    QCOMPARE(u.x.front(), 3.0);
    QCOMPARE(u.x.back(), 40.0);
    check_radiation(u, 1.5406, 1.54439, 0.5);
    QCOMPARE(u.y, r.y);
    for (std::size_t i = 0; i < u.size(); ++i) QVERIFY(std::fabs(u.x[i] - r.x[i]) <= 0.005 + 1e-9);
  }
  void xrdml_intensities() {
    const auto p = read("xrdml/empyrean.xrdml");
    QCOMPARE(QString::fromStdString(p.format), QString("xrdml"));
    QCOMPARE(p.size(), std::size_t(196));
    QCOMPARE(p.x.front(), 30.05);
    QCOMPARE(p.x.back(), 41.75);
    check_radiation(p, 1.540598, 1.544426, 0.5);
    QCOMPARE(QString::fromStdString(p.radiation->name), QString("CuKa12"));  // <anodeMaterial>Cu
    QCOMPARE(p.y[0], 8.0);
    QCOMPARE(p.y[1], 11.0);
    QCOMPARE(p.y.back(), 6.0);
  }
  void xrdml_counts() {
    const auto p = read("xrdml/examples.xrdml");
    QCOMPARE(p.size(), std::size_t(3998));
    QCOMPARE(p.x.front(), 15.02343028);
    QCOMPARE(p.x.back(), 119.98691);
    check_radiation(p, 1.540598, 1.544426, 0.5);
    QCOMPARE(p.y[0], 10704.0);
    QCOMPARE(p.y[1], 10742.0);
    QCOMPARE(QString::fromStdString(p.metadata.at("sample")), QString("example-data"));
  }
  void pdcif_observed_only() {
    const auto p = read("pdcif/1517474.cif");
    QCOMPARE(QString::fromStdString(p.format), QString("pdcif"));
    QCOMPARE(p.size(), std::size_t(3296));
    QCOMPARE(p.x.front(), 1.5);  // _pd_meas_2theta_range_min, not the corrected 1.518
    QVERIFY(std::fabs(p.x.back() - 166.25) < 1e-9);
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 2.0785);
    QCOMPARE(QString::fromStdString(p.radiation->name), QString("custom"));  // neutrons: no anode
    QVERIFY(!p.radiation->has_second_line());
    QCOMPARE(p.y[0], 5540.0);  // _pd_meas_intensity_total; the calculated column holds '.' here
    QCOMPARE(p.esd[0], 160.0);
    QCOMPARE(p.y[1], 4570.0);
    QCOMPARE(QString::fromStdString(p.metadata.at("probe")), QString("neutron"));
  }
  void gsas_std() {
    const auto p = read("gsas_std/PBSO4.XRA");
    QCOMPARE(QString::fromStdString(p.format), QString("gsas"));
    QCOMPARE(p.size(), std::size_t(6001));  // 601 records of 10, the last 9 fields are padding
    QCOMPARE(p.x.front(), 10.0);
    QVERIFY(std::fabs(p.x.back() - 160.0) < 1e-9);
    QVERIFY(!p.radiation.has_value());  // GSAS keeps λ in the instrument file
    QCOMPARE(p.y[0], 179.0);
    QCOMPARE(p.y[1], 147.0);
    QCOMPARE(p.y.back(), 368.0);
  }
  void gsas_std_with_counters() {
    const auto p = read("gsas_std/PBSO4.CWN");
    QCOMPARE(p.size(), std::size_t(2919));
    QCOMPARE(p.x.front(), 10.0);
    QVERIFY(std::fabs(p.x.back() - 155.9) < 1e-9);
    QVERIFY(!p.radiation.has_value());
    QCOMPARE(p.y[0], 220.0);
    QCOMPARE(p.y[1], 214.0);
  }
  void gsas_fxye() {
    const auto p = read("gsas_fxye/11bmb_6231.fxye");
    QCOMPARE(QString::fromStdString(p.format), QString("gsas_fxye"));
    QCOMPARE(p.size(), std::size_t(49497));
    QCOMPARE(p.x.front(), 0.5);
    QVERIFY(std::fabs(p.x.back() - 49.996) < 1e-9);
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 0.413529);  // "# Calibrated wavelength = 0.413529"
    QCOMPARE(p.y[0], 387.774303);
    QCOMPARE(p.esd[0], 28.806587);
  }
  void chi_pyfai() {
    const auto p = read("chi/xrd_LaB6_660c_std_brac2_20250724-194924_70c707_primary-1_mean_tth.chi");
    QCOMPARE(QString::fromStdString(p.format), QString("chi"));
    QCOMPARE(p.size(), std::size_t(4096));
    QCOMPARE(p.x.front(), 6.472655703475010958e-01);
    QVERIFY(std::fabs(p.x.back() - 15.8673213) < 1e-6);
    QVERIFY(!p.radiation.has_value());
    QCOMPARE(p.y[0], 3.065519523620605469e+01);
    QCOMPARE(p.skipped_lines, std::vector<int>{1});
  }
  void rigaku_rasx() {
    const auto p = read("rigaku_rasx/Sample_Repeated_Measurement.rasx");
    QCOMPARE(QString::fromStdString(p.format), QString("rigaku_rasx"));
    QCOMPARE(p.size(), std::size_t(121));
    QCOMPARE(p.x.front(), 127.4);
    QCOMPARE(p.x.back(), 128.0);
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 1.540593);
    QVERIFY(!p.radiation->has_second_line());  // no Kα2/Kα1 ratio in the file
    QCOMPARE(p.y[0], 704.0);
    QCOMPARE(p.y[1], 699.0);
    QCOMPARE(QString::fromStdString(p.metadata.at("sample")), QString("NIST1976c"));
  }
  void stoe_raw() {
    const auto p = read("stoe_raw/stoe.raw");
    QCOMPARE(QString::fromStdString(p.format), QString("stoe_raw"));
    QCOMPARE(p.size(), std::size_t(5404));
    QCOMPARE(p.x.front(), 10.0);
    QVERIFY(std::fabs(p.x.back() - 91.045) < 1e-4);
    QVERIFY(!p.radiation.has_value());
    QCOMPARE(p.y[0], 4213.0);  // 0x1075
    QCOMPARE(p.y[1], 4179.0);  // 0x1053
  }
  void text_xy_tabs_crlf() {
    const auto p = read("xy/MnO.xy");
    QCOMPARE(QString::fromStdString(p.format), QString("xy"));
    QCOMPARE(p.size(), std::size_t(9001));
    QCOMPARE(p.x.front(), 10.0);
    QCOMPARE(p.x.back(), 100.0);
    QVERIFY(!p.radiation.has_value());
    QCOMPARE(p.y[0], 2001.0);
  }
  void text_xye() {
    const auto p = read("xye/x3lactos.xye");
    QCOMPARE(p.size(), std::size_t(4776));
    QCOMPARE(p.x.front(), 3.0);
    QCOMPARE(p.x.back(), 26.875);
    QVERIFY(!p.radiation.has_value());
    QCOMPARE(p.y[0], 297.0);
    QCOMPARE(p.esd[0], 13.2);
  }
  void text_dat() {
    const auto a = read("dat/nacl01.dat");
    QCOMPARE(QString::fromStdString(a.format), QString("xy"));
    QCOMPARE(a.size(), std::size_t(840));
    QCOMPARE(a.x.front(), 19.9143);
    QCOMPARE(a.x.back(), 52.3751);
    QCOMPARE(a.y[0], 31.0);
    const auto b = read("dat/SiC_Zn.dat");
    QCOMPARE(b.size(), std::size_t(4001));
    QCOMPARE(b.x.front(), 20.0);
    QCOMPARE(b.x.back(), 100.0);
    QCOMPARE(b.y[0], 49.0);
  }
  void ill_d1a5_dat() {
    const auto p = read("dat/D1A5.dat");
    QCOMPARE(QString::fromStdString(p.format), QString("riet7"));
    QCOMPARE(p.size(), std::size_t(1680));
    QCOMPARE(p.x.front(), -10.0);
    QVERIFY(std::fabs(p.x.back() - 157.9) < 1e-9);
    QCOMPARE(p.y[0], 0.8);
    QCOMPARE(p.y[1], 0.3);
  }
};

QTEST_GUILESS_MAIN(TestRealFiles)
#include "test_real_files.moc"
