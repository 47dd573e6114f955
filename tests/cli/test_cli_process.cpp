// `pxrd-diff process` and `pxrd-diff compare`, run as a user would: exit codes, outputs, one-line errors.
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <fstream>

#include "cli_run.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/units.hpp"

namespace {
using pxrd_cli_test::Run;

Run run(const QStringList& args) { return pxrd_cli_test::run_pxrd_diff(args); }

// Bad input ends in exit code 2 and exactly one line on stderr that names `file` and contains `cause`.
void expect_input_error(const Run& r, const QString& file, const QString& cause) {
  QCOMPARE(r.code, 2);
  QVERIFY2(r.err.endsWith('\n') && r.err.count('\n') == 1, qPrintable(r.err));
  QVERIFY2(r.err.contains(file), qPrintable(r.err));
  QVERIFY2(r.err.contains(cause), qPrintable(r.err));
}

const QString kData = PXRD_TEST_DATA_DIR "/patterns/";
}  // namespace

class TestCliProcess : public QObject {
  Q_OBJECT
 private slots:
  void help() {
    for (const char* cmd : {"process", "compare"}) {
      const Run r = run({cmd, "--help"});
      QCOMPARE(r.code, 0);
      QVERIFY(r.out.startsWith("usage: pxrd-diff " + QString(cmd)));
    }
  }

  void process_background_and_normalise() {
    QTemporaryDir dir;
    const QString out = dir.filePath("net.xy");
    const Run r =
        run({"process", kData + "MnO.xy", "-o", out, "--background", "snip", "--snip-iterations", "50", "--normalize"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const pxrd::Pattern p = pxrd::read_pattern_text(out.toStdString());
    QCOMPARE(p.size(), std::size_t(9001));
    QCOMPARE(p.history.size(), std::size_t(2));
    QCOMPARE(p.history[0], std::string("background_snip(iterations=50, lls=true, window=increasing)"));
    QCOMPARE(p.history[1], std::string("normalize(max=100)"));
    QVERIFY(std::abs(*std::max_element(p.y.begin(), p.y.end()) - 100.0) < 1e-9);
    // The raw pattern sits on ~2000 counts of background; after SNIP the flat regions are near zero.
    const pxrd::Pattern raw = pxrd::read_pattern_text((kData + "MnO.xy").toStdString());
    QVERIFY(raw.y.front() > 1000);
    QVERIFY(std::abs(p.y.front()) < 5);
  }

  void process_zero_shift_and_q() {
    QTemporaryDir dir;
    const QString shifted = dir.filePath("shifted.xy");
    Run r = run({"process", kData + "MnO.xy", "-o", shifted, "--zero-shift", "0.05"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const pxrd::Pattern s = pxrd::read_pattern_text(shifted.toStdString());
    QVERIFY(std::abs(s.x.front() - 9.95) < 1e-12);
    const QString q = dir.filePath("q.xy");
    r = run({"process", kData + "MnO.xy", "-o", q, "--to-q", "--wavelength", "CuKa1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("CuKa1"));  // the radiation in force is shown
    const pxrd::Pattern qp = pxrd::read_pattern_text(q.toStdString());
    QVERIFY(qp.x_unit == pxrd::XUnit::QInvAngstrom);
    QVERIFY(std::abs(qp.x.front() - pxrd::two_theta_deg_to_q_inv_angstrom(10.0, 1.540598)) < 1e-12);
    QCOMPARE(qp.radiation->lambda1_angstrom, 1.540598);
  }

  void process_resample_and_area() {
    QTemporaryDir dir;
    const QString out = dir.filePath("r.xye");
    const Run r = run({"process", kData + "x3lactos.xye", "-o", out, "--background", "snip", "--snip-window", "0.5",
                       "--resample", "0.01", "--normalize-area"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const pxrd::Pattern p = pxrd::read_pattern_text(out.toStdString());
    QCOMPARE(p.size(), std::size_t(2388));  // 3.0 .. 26.87 in steps of 0.01
    QVERIFY(std::abs(p.x[1] - p.x[0] - 0.01) < 1e-12);
    QCOMPARE(p.history[0], std::string("background_snip(window_x=0.5, iterations=100, lls=true, window=increasing)"));
    double area = 0;
    for (std::size_t i = 1; i < p.size(); ++i) area += 0.5 * (p.y[i] + p.y[i - 1]) * (p.x[i] - p.x[i - 1]);
    QVERIFY(std::abs(area - 1.0) < 1e-9);
    QVERIFY(p.has_esd());  // the esd column of the input is carried through
  }

  void process_bad_input() {
    QTemporaryDir dir;
    const QString out = dir.filePath("o.xy");
    expect_input_error(run({"process", "/no/such/file.xy", "-o", out}), "/no/such/file.xy", "cannot open");
    const QString bad = dir.filePath("bad.xy");
    {
      std::ofstream f(bad.toStdString());
      f << "10 1\n11 2\n12 nan\n13 4\n";
    }
    expect_input_error(run({"process", bad, "-o", out}), bad, "NaN");
    const QString garbage = dir.filePath("garbage.xy");
    {
      std::ofstream f(garbage.toStdString());
      f << "10 1\n11 2\nhello\n13 4\n";
    }
    expect_input_error(run({"process", garbage, "-o", out}), garbage, "non-numeric");
    expect_input_error(run({"process", kData + "MnO.xy", "-o", out, "--strip-ka2"}), "MnO.xy", "Kα2");
    expect_input_error(run({"process", kData + "MnO.xy", "-o", out, "--to-q"}), "MnO.xy", "wavelength");
    expect_input_error(run({"process", kData + "MnO.xy", "-o", out, "--background", "magic"}), "--background",
                       "unknown method");
    expect_input_error(run({"process", kData + "MnO.xy", "-o", out, "--smooth", "-1"}), "MnO.xy", "σ");
    expect_input_error(run({"process", kData + "MnO.xy", "-o", out, "--bogus"}), "--bogus", "unknown option");
    expect_input_error(run({"process", kData + "MnO.xy"}), "process", "-o");
    QVERIFY(!QFile::exists(out));  // nothing written on failure
  }

  void compare_with_itself_and_structure() {
    Run r = run({"compare", kData + "MnO.xy", kData + "MnO.xy", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(j["r_wp"].toDouble(), 0.0);
    QCOMPARE(j["scale"].toDouble(), 1.0);
    QCOMPARE(j["n"].toInt(), 9001);
    QVERIFY(std::abs(j["cosine"].toDouble() - 1.0) < 1e-12);

    // The measured MnO pattern against its reference structure (science check: the right phase agrees far
    // better than chance; measured widths and background keep R_wp well above 0).
    r = run({"compare", kData + "MnO.xy", kData + "MnO_225.cif", "--wavelength", "CuKa12", "--background", "snip",
             "--fwhm", "0.15", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    for (const char* key : {"scale", "r_p", "r_wp", "r_exp", "gof", "chi2_red", "rwp2_pxrdnet", "cosine"})
      QVERIFY2(j[key].isDouble(), key);
    QVERIFY(j["scale"].toDouble() > 0);
    QVERIFY2(j["cosine"].toDouble() > 0.9, qPrintable(r.out));
    QVERIFY2(j["rwp2_pxrdnet"].toDouble() < 0.3, qPrintable(r.out));
    QCOMPARE(j["p"].toInt(), 1);
    // Weights come from the gross counts (all positive here), not from the net intensities after SNIP.
    QCOMPARE(j["n"].toInt(), 9001);
    QVERIFY(std::abs(j["gof"].toDouble() - j["r_wp"].toDouble() / j["r_exp"].toDouble()) < 1e-6);

    // Text output names every factor.
    r = run({"compare", kData + "MnO.xy", kData + "MnO_225.cif", "--wavelength", "CuKa"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    for (const char* label : {"R_p:", "R_wp:", "R_exp:", "S (GoF):", "R_wp2:", "scale:", "N, P:"})
      QVERIFY2(r.out.contains(label), label);
  }

  void compare_across_x_units() {
    // A Q copy of the pattern is mapped back to 2θ with its own wavelength: the two agree.
    QTemporaryDir dir;
    const QString q = dir.filePath("mno.qxy");
    QCOMPARE(run({"process", kData + "MnO.xy", "-o", q, "--wavelength", "CuKa1", "--to-q"}).code, 0);
    const Run r = run({"compare", kData + "MnO.xy", q, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QVERIFY2(j["r_wp"].toDouble() < 1e-9, qPrintable(r.out));
    QVERIFY(j["n"].toInt() >= 9000);
  }

  void compare_bad_input() {
    expect_input_error(run({"compare", kData + "MnO.xy", kData + "MnO_225.cif"}), "MnO.xy", "wavelength");
    expect_input_error(run({"compare", kData + "MnO.xy"}), "compare", "expected PATTERN");
    expect_input_error(run({"compare", kData + "MnO.xy", "/no/such.xy"}), "/no/such.xy", "cannot open");
    QTemporaryDir dir;
    const QString far = dir.filePath("far.xy");
    {
      std::ofstream f(far.toStdString());
      f << "120 1\n121 2\n122 3\n";
    }
    expect_input_error(run({"compare", kData + "MnO.xy", far}), far, "overlap");
    expect_input_error(run({"compare", kData + "MnO.xy", kData + "MnO.xy", "--fwhm", "0"}), "--fwhm", "positive");
  }
};

QTEST_GUILESS_MAIN(TestCliProcess)
#include "test_cli_process.moc"
