// Writers: .xy/.xye with a key: value header, pdCIF (observed, background, calculated, R factors), FXYE.
// Each is read back through the registry and compared with what was written.
#include <QtTest>

#include <dirent.h>

#include "format_test_util.hpp"
#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace {
const std::string kData = PXRD_TEST_DATA_DIR "/formats/";
using fmt_test::temp_path;

pxrd::Pattern small_pattern() {
  pxrd::Pattern p;
  p.x = {10.0, 10.01, 10.02, 10.03};
  p.y = {100.0, 0.0, 2.5, 1e5};
  p.radiation = pxrd::radiation_from_string("CuKa12");
  p.metadata["sample"] = "quartz 'A'";
  p.history.push_back("snip(iterations=40)");
  p.source = "memory";
  return p;
}
}  // namespace

class TestWriters : public QObject {
  Q_OBJECT
 private slots:
  void xy_round_trip() {
    const pxrd::Pattern in = pxrd::formats::read_pattern(kData + "bruker_raw/BT86.raw");
    const std::string out = temp_path("bt86.xy");
    pxrd::formats::write_pattern(in, out);
    const std::string text = pxrd::read_file(out);
    QVERIFY(text.find("# wavelength_angstrom: 1.5406\n") != std::string::npos);
    QVERIFY(text.find("# ratio: 0.5\n") != std::string::npos);
    const pxrd::Pattern back = pxrd::formats::read_pattern(out);
    QCOMPARE(QString::fromStdString(back.format), QString("xy"));
    QCOMPARE(back.x, in.x);  // shortest round-trip numbers: exact
    QCOMPARE(back.y, in.y);
    QVERIFY(!back.has_esd());
    QCOMPARE(back.radiation->lambda2_angstrom, 1.54439);
    QCOMPARE(QString::fromStdString(back.metadata.at("sample")), QString("BT86"));
  }

  void xye_adds_poisson_esd() {
    const std::string out = temp_path("small.xye");
    pxrd::formats::write_pattern(small_pattern(), out);
    const pxrd::Pattern back = pxrd::formats::read_pattern(out);
    QVERIFY(back.has_esd());
    QCOMPARE(back.esd[0], 10.0);      // √100
    QCOMPARE(back.esd[1], 1.0);       // I ≤ 1 -> 1
    QCOMPARE(back.esd[3], std::sqrt(1e5));
    QVERIFY(std::find(back.history.begin(), back.history.end(), "esd_poisson(sqrt(max(I,1)))") != back.history.end());
  }

  void pdcif_with_extras() {
    pxrd::Pattern p = small_pattern();
    p.esd = {10, 1, 2, 300};
    pxrd::formats::ProfileExtras ex;
    ex.background = {5, 5, 5, 5};
    ex.calculated = {95, 1, 3, 99000};
    ex.r_p = 0.0812;
    ex.r_wp = 0.1234;
    ex.r_exp = 0.05;
    const std::string out = temp_path("small.cif");
    pxrd::formats::write_pattern(p, out, ex);
    const std::string text = pxrd::read_file(out);
    QVERIFY(text.find("_pd_proc_ls_prof_wR_factor 0.1234\n") != std::string::npos);
    QVERIFY(text.find("_pd_proc_ls_prof_R_factor 0.0812\n") != std::string::npos);
    QVERIFY(text.find("_pd_proc_ls_prof_wR_expected 0.05\n") != std::string::npos);
    QVERIFY(text.find("_pd_calc_intensity_total\n") != std::string::npos);
    {
      // Last row: x, observed, weight 1/esd², background, calculated.
      const auto row = text.substr(text.rfind("\n10.03 ") + 1);
      const QStringList f = QString::fromStdString(row).split(' ', Qt::SkipEmptyParts);
      QCOMPARE(f.size(), 5);
      QCOMPARE(f[1].toDouble(), 1e5);
      QCOMPARE(f[2].toDouble(), 1.0 / (300.0 * 300.0));
      QCOMPARE(f[3].toDouble(), 5.0);
      QCOMPARE(f[4].trimmed().toDouble(), 99000.0);
    }
    const pxrd::Pattern back = pxrd::formats::read_pattern(out);
    QCOMPARE(QString::fromStdString(back.format), QString("pdcif"));
    QCOMPARE(back.x, p.x);
    QCOMPARE(back.y, p.y);  // observed, never the calculated column
    for (std::size_t i = 0; i < p.size(); ++i) QVERIFY(std::fabs(back.esd[i] - p.esd[i]) < 1e-9 * p.esd[i]);
    QVERIFY(back.radiation.has_value());
    QVERIFY(back.radiation->has_second_line());
    QCOMPARE(back.radiation->lambda1_angstrom, 1.540598);
    QCOMPARE(back.radiation->lambda2_angstrom, 1.544426);
    QCOMPARE(back.radiation->ratio, 0.5);
  }

  void fxye_round_trip() {
    const pxrd::Pattern in = pxrd::formats::read_pattern(kData + "gsas_fxye/11bmb_6231.fxye");
    const std::string out = temp_path("copy.fxye");
    pxrd::formats::write_pattern(in, out);
    const pxrd::Pattern back = pxrd::formats::read_pattern(out);
    QCOMPARE(QString::fromStdString(back.format), QString("gsas_fxye"));
    QCOMPARE(back.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) QVERIFY(std::fabs(back.x[i] - in.x[i]) < 1e-9);
    QCOMPARE(back.y, in.y);
    QCOMPARE(back.esd, in.esd);
    QCOMPARE(back.radiation->lambda1_angstrom, 0.413529);
  }

  void fxye_from_q_needs_wavelength() {
    pxrd::Pattern q;
    q.x = {1.0, 2.0, 3.0};
    q.y = {1, 2, 3};
    q.x_unit = pxrd::XUnit::QInvAngstrom;
    q.source = "q";
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::write_pattern(q, temp_path("q.fxye")));
    q.radiation = pxrd::radiation_from_string("CuKa1");
    pxrd::formats::write_pattern(q, temp_path("q.fxye"));
    const pxrd::Pattern back = pxrd::formats::read_pattern(temp_path("q.fxye"));
    QCOMPARE(back.x_unit, pxrd::XUnit::TwoThetaDeg);
    const double expected = pxrd::q_inv_angstrom_to_two_theta_deg(2.0, q.radiation->lambda1_angstrom);
    QVERIFY(std::fabs(back.x[1] - expected) < 1e-9);
  }

  void unknown_extension_and_invalid_pattern() {
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::write_pattern(small_pattern(), temp_path("a.docx")));
    pxrd::Pattern bad = small_pattern();
    bad.x[2] = 9.0;  // not increasing
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::write_pattern(bad, temp_path("bad.xy")));
    pxrd::formats::ProfileExtras ex;
    ex.calculated = {1, 2};  // wrong length
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::write_pattern(small_pattern(), temp_path("bad.cif"), ex));
  }

  void no_temporary_files_left() {
    pxrd::formats::write_pattern(small_pattern(), temp_path("clean.xy"));
    DIR* d = ::opendir(fmt_test::temp_dir().path().toStdString().c_str());
    QVERIFY(d);
    int tmp = 0;
    while (dirent* e = ::readdir(d)) tmp += std::string(e->d_name).find(".tmp-") != std::string::npos;
    ::closedir(d);
    QCOMPARE(tmp, 0);
  }
};

QTEST_GUILESS_MAIN(TestWriters)
#include "test_writers.moc"
