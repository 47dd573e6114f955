// `pxrd-diff simulate`, run as a user would: peak table, .xy and sticks CSV outputs, one-line errors.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "cli_run.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/units.hpp"

namespace {
using pxrd_cli_test::Run;
Run run(const QStringList& args) { return pxrd_cli_test::run_pxrd_diff(QStringList{"simulate"} + args); }

const QString kNaCl = PXRD_TEST_DATA_DIR "/cif/nacl_symops.cif";
}  // namespace

class TestCliSimulate : public QObject {
  Q_OBJECT
 private slots:
  void help() {
    const Run r = run({"--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("usage: pxrd-diff simulate"));
  }

  void peak_table_on_stdout() {
    const Run r = run({kNaCl});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("CuKa (λ 1.54184 Å)"));  // the radiation in force is shown
    // NaCl (a = 5.64 Å in the file): 200 is the strongest line, 111 is present, 100 and 110 are absent.
    bool found200 = false, found111 = false;
    for (const QString& line : r.out.split('\n')) {
      if (line.startsWith('#') || line.trimmed().isEmpty()) continue;
      const QStringList f = line.split(' ', Qt::SkipEmptyParts);
      QVERIFY(f.size() >= 7);
      const QString hkl = f.mid(4, 3).join(' ');
      QVERIFY(hkl != "1 0 0" && hkl != "1 1 0");
      if (hkl == "2 0 0") {
        found200 = true;
        QVERIFY(std::abs(f[0].toDouble() - pxrd::d_angstrom_to_two_theta_deg(5.64 / 2, 1.54184)) < 1e-3);
        QCOMPARE(f[2], QString("100.000"));
        QCOMPARE(f[3], QString("6"));
      }
      if (hkl == "1 1 1") found111 = true;
    }
    QVERIFY(found200 && found111);
  }

  void hexagonal_indices_and_debye_waller() {
    // hcp Mg (U_iso 0.0127 Å² in the file). pymatgen 2022.11.7, XRDCalculator('CuKa').get_pattern on this CIF,
    // which ignores U_iso, gives 32.2062° I 23.902 (1 0 -1 0) ×6 and 47.8534° I 15.144 (1 0 -1 2) ×12.
    const QString mg = PXRD_TEST_DATA_DIR "/cif/hcp_mg_symbol_only.cif";
    auto row = [](const QString& out, const QString& hkl) -> QStringList {
      for (const QString& line : out.split('\n'))
        if (!line.startsWith('#') && line.endsWith("  " + hkl)) return line.split(' ', Qt::SkipEmptyParts);
      return {};
    };
    const Run plain = run({mg, "--no-debye-waller"});
    QVERIFY2(plain.code == 0, qPrintable(plain.err));
    const QStringList a = row(plain.out, "1 0 -1 0"), b = row(plain.out, "1 0 -1 2");
    QVERIFY(a.size() == 8 && b.size() == 8);
    QCOMPARE(a[0], QString("32.2062"));
    QCOMPARE(a[2], QString("23.902"));
    QCOMPARE(a[3], QString("6"));
    QCOMPARE(b[2], QString("15.144"));
    // With B = 8π²U ≈ 1.0 Å² the higher-angle line loses more.
    const Run damped = run({mg});
    const QStringList bd = row(damped.out, "1 0 -1 2");
    QVERIFY(bd.size() == 8 && bd[2].toDouble() < 15.144 - 0.5);
  }

  void writes_xy_and_sticks() {
    QTemporaryDir dir;
    const QString xy = dir.filePath("nacl.xy"), csv = dir.filePath("nacl.csv");
    const Run r = run({kNaCl, "--wavelength", "CuKa12", "--two-theta", "10", "80", "0.01", "--profile", "pseudo-voigt",
                       "--size-angstrom", "300", "-o", xy, "--sticks", csv});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const pxrd::Pattern p = pxrd::read_pattern_text(xy.toStdString());
    QCOMPARE(p.size(), std::size_t(7001));
    QVERIFY(p.radiation && p.radiation->has_second_line());
    QCOMPARE(p.radiation->lambda2_angstrom, 1.544426);
    QVERIFY(!p.history.empty() && p.history[0].find("size_angstrom=300") != std::string::npos);
    QVERIFY(std::abs(*std::max_element(p.y.begin(), p.y.end()) - 100.0) < 1e-9);
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines[0], QString("two_theta_deg,d_angstrom,q_inv_angstrom,intensity,multiplicity,hkl"));
    double strongest = 0;
    for (int i = 1; i < lines.size(); ++i) {
      const QStringList c = lines[i].split(',');
      QCOMPARE(c.size(), 6);
      const double tt = c[0].toDouble(), d = c[1].toDouble();
      QVERIFY(tt >= 10 && tt <= 80);
      QVERIFY(std::abs(pxrd::d_angstrom_to_two_theta_deg(d, 1.540598) - tt) < 1e-9);  // sticks of λ1
      strongest = std::max(strongest, c[3].toDouble());
    }
    QCOMPARE(strongest, 100.0);
  }

  void q_grid_output() {
    QTemporaryDir dir;
    const QString out = dir.filePath("q.xy");
    const Run r = run({kNaCl, "--q-grid", "1024", "--wavelength", "MoKa", "-o", out});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const pxrd::Pattern p = pxrd::read_pattern_text(out.toStdString());
    QCOMPARE(p.x_unit, pxrd::XUnit::QInvAngstrom);
    QCOMPARE(p.size(), std::size_t(1024));
    QVERIFY(std::abs(p.x.back() - 4 * pxrd::kPi / 0.71073) < 1e-9);
  }

  void bad_input_is_one_line_exit_2() {
    QTemporaryDir dir;
    const QString out = dir.filePath("never.xy");
    struct Case {
      QStringList args;
      QString names, cause;
    };
    const QList<Case> cases = {
        {{PXRD_TEST_DATA_DIR "/cif/bad_element.cif", "-o", out}, "bad_element.cif", "unknown element"},
        {{kNaCl, "--fwhm", "-1", "-o", out}, "--fwhm", "positive"},
        {{kNaCl, "--two-theta", "5", "200", "0.1", "-o", out}, "--two-theta", "180"},
        {{kNaCl, "--two-theta", "5", "90", "-o", out}, "--two-theta", "3 numbers"},
        {{kNaCl, "--profile", "lorentz", "-o", out}, "--profile", "unknown profile"},
        {{kNaCl, "--wavelength", "XxKa", "-o", out}, "--wavelength", "unknown radiation"},
        {{kNaCl, "--q-grid", "1.5", "-o", out}, "--q-grid", "whole number"},
        {{kNaCl, "--size-angstrom", "0", "-o", out}, "--size-angstrom", "positive"},
        {{dir.filePath("missing.cif"), "-o", out}, "missing.cif", "cannot open"},
        {{kNaCl, kNaCl, "-o", out}, "simulate", "one STRUCTURE.cif"},
    };
    for (const Case& c : cases) {
      const Run r = run(c.args);
      QCOMPARE(r.code, 2);
      QVERIFY2(r.err.count('\n') == 1, qPrintable(r.err));
      QVERIFY2(r.err.contains(c.names) && r.err.contains(c.cause), qPrintable(r.err));
      QVERIFY(!QFile::exists(out));
    }
  }
};

QTEST_GUILESS_MAIN(TestCliSimulate)
#include "test_cli_simulate.moc"
