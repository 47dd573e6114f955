// pxrd-diff info / convert / formats, run as a user would.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_run.hpp"

using pxrd_cli_test::run_pxrd_diff;

namespace {
const QString kData = PXRD_TEST_DATA_DIR "/formats/";

QJsonObject json_of(const QString& text) {
  QJsonParseError err;
  const auto doc = QJsonDocument::fromJson(text.toUtf8(), &err);
  if (err.error != QJsonParseError::NoError) qWarning() << "bad JSON:" << err.errorString() << text.left(300);
  return doc.object();
}
}  // namespace

class TestCliFormats : public QObject {
  Q_OBJECT
 private slots:
  void info_json_bruker_raw() {
    const auto r = run_pxrd_diff({"info", kData + "bruker_raw/BT86.raw", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = json_of(r.out);
    QCOMPARE(o["format"].toString(), QString("bruker_raw"));
    QCOMPARE(o["points"].toInt(), 2374);
    QCOMPARE(o["x_min"].toDouble(), 3.0);
    QVERIFY(std::fabs(o["x_max"].toDouble() - 40.0003) < 1e-3);
    QCOMPARE(o["x_unit"].toString(), QString("two_theta_deg"));
    QCOMPARE(o["wavelength_angstrom"].toDouble(), 1.5406);
    QCOMPARE(o["wavelength2_angstrom"].toDouble(), 1.54439);
    QCOMPARE(o["ratio"].toDouble(), 0.5);
    QCOMPARE(o["skipped_lines"].toArray().size(), 0);
  }

  void info_json_unknown_radiation_and_skipped_lines() {
    const auto r = run_pxrd_diff({"info", kData + "gsas_std/PBSO4.XRA", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = json_of(r.out);
    QCOMPARE(o["format"].toString(), QString("gsas"));
    QVERIFY(o["wavelength_angstrom"].isNull());
    QVERIFY(o["wavelength2_angstrom"].isNull());
    QVERIFY(o["ratio"].isNull());
    QCOMPARE(o["skipped_lines"].toArray(), QJsonArray({1}));
  }

  void info_structure_cif() {
    const auto r = run_pxrd_diff({"info", kData + "gsas_std/PbSO4-Wyckoff.cif", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = json_of(r.out);
    QCOMPARE(o["kind"].toString(), QString("structure"));
    QCOMPARE(o["cell"].toObject()["a_angstrom"].toDouble(), 8.48);
    QCOMPARE(o["sites"].toInt(), 24);  // 4 PbSO4 in Pnma
    QVERIFY(o["formula"].toString().contains("Pb4"));
    QCOMPARE(o["space_group_number"].toInt(), 62);  // Pnma, as the file states
    QCOMPARE(o["space_group"].toString(), QString("Pnma"));
  }

  void info_bad_file_is_one_line_exit_2() {
    QTemporaryDir dir;
    const QString path = dir.path() + "/junk.xy";
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray("\x89PNG\r\n\x1a\n\0\0garbage", 17));
    f.close();
    const auto r = run_pxrd_diff({"info", path, "--json"});
    QCOMPARE(r.code, 2);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY(r.err.contains(path));
    QVERIFY(r.err.contains("not a recognised pattern format"));
  }

  void convert_to_every_writer() {
    QTemporaryDir dir;
    for (const QString ext : {"xy", "xye", "cif", "fxye"}) {
      const QString out = dir.path() + "/pbso4." + ext;
      const auto c = run_pxrd_diff({"convert", kData + "gsas_std/PBSO4.XRA", "-o", out});
      QVERIFY2(c.code == 0, qPrintable(c.err));
      const auto r = run_pxrd_diff({"info", out, "--json"});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      const QJsonObject o = json_of(r.out);
      QCOMPARE(o["points"].toInt(), 6001);
      QCOMPARE(o["x_min"].toDouble(), 10.0);
    }
    const auto bad = run_pxrd_diff({"convert", kData + "gsas_std/PBSO4.XRA", "-o", dir.path() + "/x.docx"});
    QCOMPARE(bad.code, 2);
  }

  void formats_lists_builtin_and_plugins() {
    const auto r = run_pxrd_diff({"formats", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonArray readers = json_of(r.out)["readers"].toArray();
    QStringList ids;
    for (const auto& v : readers) {
      ids << v.toObject()["id"].toString();
      QCOMPARE(v.toObject()["source"].toString(), QString("built-in"));
    }
    for (const char* id : {"xy", "xrdml", "bruker_raw", "bruker_raw4", "bruker_brml", "bruker_uxd", "rigaku_ras",
                           "rigaku_rasx", "gsas", "gsas_fxye", "chi", "pdcif", "stoe_raw", "riet7", "dbws",
                           "philips_rd", "philips_udf"})
      QVERIFY2(ids.contains(id), id);

    qputenv("PXRD_PLUGIN_PATH", PXRD_BIN_DIR "/../example_plugins");
    const auto p = run_pxrd_diff({"formats", "--json"});
    qunsetenv("PXRD_PLUGIN_PATH");
    QCOMPARE(p.code, 0);
    bool found = false;
    for (const auto& v : json_of(p.out)["readers"].toArray())
      if (v.toObject()["id"].toString() == "example_demo") {
        found = true;
        QVERIFY(v.toObject()["source"].toString().endsWith("example_format.so"));
      }
    QVERIFY(found);
  }
};

QTEST_GUILESS_MAIN(TestCliFormats)
#include "test_cli_formats.moc"
