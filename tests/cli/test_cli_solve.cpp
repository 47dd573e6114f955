// `pxrd-diff solve` and `pxrd-diff batch` as a user runs them (classical solver, --no-model): the bundled MnO
// example, outputs, bad input with exit code 2, a batch that continues past a bad item and resumes, and eval-solve
// on a one-row test split.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdlib>
#include <filesystem>

#include "cli_run.hpp"
#include "pxrd/atomic_file.hpp"

using pxrd_cli_test::run_pxrd_diff;

class TestCliSolve : public QObject {
  Q_OBJECT
  QString tmp_;
  const QString mno_ = PXRD_SOURCE_DIR "/resources/examples/MnO.xy";

 private slots:
  void initTestCase() {
    if (run_pxrd_diff({"solve", "--help"}).code != 0) QSKIP("pxrd-diff was built without the model: no solve command");
    tmp_ = QDir::tempPath() + "/pxrd_test_cli_solve";
    std::filesystem::remove_all(tmp_.toStdString());
    std::filesystem::create_directories(tmp_.toStdString());
  }
  void cleanupTestCase() {
    if (!tmp_.isEmpty()) std::filesystem::remove_all(tmp_.toStdString());
  }
  void solvesBundledExample() {
    const QString out = tmp_ + "/mno";
    const auto r = run_pxrd_diff({"solve", mno_, "--formula", "MnO", "--no-model", "--time-budget", "12", "-k", "3",
                                  "-o", out, "--quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("Fm-3m (225)"), qPrintable(r.out));
    QVERIFY(QFile::exists(out + "/candidate_01.cif"));
    QVERIFY(QFile::exists(out + "/fit_01.xye"));
    QVERIFY(QFile::exists(out + "/summary.json"));
    QVERIFY(r.err.contains("assuming"));  // the radiation default is said, not silent
    // A second run does not overwrite without --force.
    const auto again = run_pxrd_diff({"solve", mno_, "--formula", "MnO", "--no-model", "-o", out});
    QCOMPARE(again.code, 2);
    QVERIFY(again.err.contains("--force"));
  }
  void badInputExitsWithTwo() {
    auto r = run_pxrd_diff({"solve", mno_, "--formula", "MnO", "--no-model", "--time-budget", "1", "-o", tmp_ + "/x"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("too small"));
    r = run_pxrd_diff({"solve", mno_, "--formula", "Qq2O", "--no-model", "-o", tmp_ + "/x"});
    QCOMPARE(r.code, 2);
    const std::string qfile = (tmp_ + "/pattern.qye").toStdString();
    pxrd::write_file_atomically(qfile, "1.0 10 1\n1.1 20 1\n1.2 900 3\n1.3 30 1\n");
    r = run_pxrd_diff({"solve", QString::fromStdString(qfile), "--formula", "MnO", "--no-model", "-o", tmp_ + "/x"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("wavelength"), qPrintable(r.err));
    QVERIFY(!QFile::exists(tmp_ + "/x/summary.json"));
    // eval: a pool smaller than k is refused before anything is loaded.
    r = run_pxrd_diff({"eval", "--data", tmp_ + "/no-such-dir", "-k", "5", "--pool", "2"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--pool"), qPrintable(r.err));
    r = run_pxrd_diff({"eval", "--data", tmp_ + "/no-such-dir", "--split", "val"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--split") && r.err.contains("unknown split 'val'"), qPrintable(r.err));
    // eval-solve: an unknown split, and a monitor split without val.csv.xz, are named.
    r = run_pxrd_diff({"eval-solve", "--data", tmp_ + "/no-such-dir", "--no-model", "--split", "val"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--split") && r.err.contains("unknown split 'val'"), qPrintable(r.err));
    r = run_pxrd_diff({"eval-solve", "--data", tmp_ + "/no-such-dir", "--no-model", "--split", "monitor"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("val.csv.xz"), qPrintable(r.err));
  }
  void cancelLeavesNoHalfFiles() {
    const QString out = tmp_ + "/cancelled";
    QProcess p;
    p.start(PXRD_BIN_DIR "/pxrd-diff", {"solve", mno_, "--formula", "MnO", "--no-model", "--time-budget", "60",
                                        "-o", out});
    QVERIFY(p.waitForStarted());
    // Once the search runs (progress on stderr), SIGTERM is handled like Ctrl-C.
    QByteArray err;
    while (!err.contains("direct-space search") && p.state() == QProcess::Running) {
      p.waitForReadyRead(500);
      err += p.readAllStandardError();
    }
    p.terminate();
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 130);
    // Either nothing was found yet (no files), or the partial result is complete: every file is a finished one.
    const QStringList files = QDir(out).entryList(QDir::Files);
    for (const QString& f : files)
      QVERIFY2(f == "summary.json" || f.startsWith("candidate_") || f.startsWith("fit_"), qPrintable(f));
    if (!files.isEmpty()) {
      QVERIFY(files.contains("summary.json"));
      const QString summary = QString::fromStdString(pxrd::read_file((out + "/summary.json").toStdString()));
      QVERIFY(summary.contains("\"cancelled\": true"));
      QVERIFY(summary.trimmed().endsWith("}"));
    }
  }
  // eval-solve end to end on a one-row test split (rock salt NaCl, ideal pattern, classical solver): the item
  // matches at rank 1, and each candidate carries its R_wp, contact ratio, space group, origin and match flag.
  void evalSolveWritesPerCandidateDiagnostics() {
    const std::string dir = (tmp_ + "/mp20").toStdString();
    std::filesystem::create_directories(dir);
    std::string cif =
        "data_NaCl\n_symmetry_space_group_name_H-M 'P 1'\n_cell_length_a 5.64\n_cell_length_b 5.64\n"
        "_cell_length_c 5.64\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_symmetry_equiv_pos_as_xyz\n'x, y, z'\nloop_\n_atom_site_type_symbol\n_atom_site_label\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n";
    const char* na[] = {"0 0 0", "0 0.5 0.5", "0.5 0 0.5", "0.5 0.5 0"};
    const char* cl[] = {"0.5 0.5 0.5", "0.5 0 0", "0 0.5 0", "0 0 0.5"};
    for (int i = 0; i < 4; ++i) {
      cif += std::string("Na Na") + std::to_string(i) + " " + na[i] + " 1\n";
      cif += std::string("Cl Cl") + std::to_string(i) + " " + cl[i] + " 1\n";
    }
    pxrd::write_file_atomically(dir + "/test.csv", "material_id,cif\nmp-22862,\"" + cif + "\"\n");
    QCOMPARE(std::system(("xz -f '" + dir + "/test.csv'").c_str()), 0);
    const QString json = tmp_ + "/eval.json";
    const auto r = run_pxrd_diff({"eval-solve", "--data", QString::fromStdString(dir), "--count", "1", "--conditions",
                                  "ideal", "--no-model", "--time-budget", "8", "-k", "3", "-o", json});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject root =
        QJsonDocument::fromJson(QByteArray::fromStdString(pxrd::read_file(json.toStdString()))).object();
    const QJsonArray items = root["items"].toArray();
    QCOMPARE(items.size(), 1);
    const QJsonObject item = items[0].toObject();
    QCOMPARE(item["material_id"].toString(), QString("mp-22862"));
    QCOMPARE(item["match_stol05"].toArray()[0].toInt(), 1);
    const int n = item["candidates"].toInt();
    QVERIFY(n >= 1 && n <= 3);
    for (const char* key : {"candidate_rwp", "candidate_contact", "candidate_space_group", "candidate_matched",
                            "candidate_origin", "candidate_atoms", "candidate_rwp2"})
      QVERIFY2(item[key].toArray().size() == n, key);
    QCOMPARE(item["candidate_space_group"].toArray()[0].toInt(), 225);
    QCOMPARE(item["candidate_matched"].toArray()[0].toInt(), 1);
    QVERIFY(item["candidate_rwp"].toArray()[0].toDouble() < 0.05);
    QVERIFY(item["candidate_contact"].toArray()[0].toDouble() > 1.0);  // Na–Cl 2.82 Å, radii 1.66 + 1.02 Å
    QVERIFY(!item["candidate_origin"].toArray()[0].toString().isEmpty());
    // --min-atoms: the 8-atom cell is the only pick, so 9 leaves none; a malformed value is named.
    auto bad = run_pxrd_diff({"eval-solve", "--data", QString::fromStdString(dir), "--count", "1", "--no-model",
                              "--min-atoms", "9", "-o", tmp_ + "/none.json"});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--min-atoms") && bad.err.contains("9 or more atoms"), qPrintable(bad.err));
    QVERIFY(!QFile::exists(tmp_ + "/none.json"));
    bad = run_pxrd_diff({"eval-solve", "--data", QString::fromStdString(dir), "--no-model", "--min-atoms", "many"});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--min-atoms"), qPrintable(bad.err));
    // --ids: an id that is not among the picked structures is named, and nothing is solved or written.
    bad = run_pxrd_diff({"eval-solve", "--data", QString::fromStdString(dir), "--count", "1", "--no-model", "--ids",
                         "mp-22862,mp-0", "-o", tmp_ + "/none.json"});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--ids") && bad.err.contains("'mp-0'"), qPrintable(bad.err));
    QVERIFY(!QFile::exists(tmp_ + "/none.json"));
  }
  void batchContinuesAndResumes() {
    const std::string manifest = (tmp_ + "/manifest.csv").toStdString();
    pxrd::write_file_atomically(manifest, "pattern,formula\n" + mno_.toStdString() + ",MnO\nmissing.xy,NaCl\n");
    const QString out = tmp_ + "/batch";
    auto r = run_pxrd_diff({"batch", QString::fromStdString(manifest), "-o", out, "--no-model", "--time-budget", "10",
                            "-k", "2", "--quiet"});
    QCOMPARE(r.code, 1);  // one item failed
    const QString summary = QString::fromStdString(pxrd::read_file((out + "/batch_summary.csv").toStdString()));
    QVERIFY2(summary.contains(",ok,"), qPrintable(summary));
    QVERIFY(summary.contains(",failed,"));
    QVERIFY(QFile::exists(out + "/MnO/summary.json"));
    // Resume: the solved item is skipped (its outputs are not written again) and the rerun reports the same.
    const QDateTime solved_at = QFileInfo(out + "/MnO/summary.json").lastModified();
    const QByteArray solved_summary = pxrd::read_file((out + "/MnO/summary.json").toStdString()).c_str();
    QTest::qWait(1100);  // so that a rewrite would show in the modification time
    r = run_pxrd_diff({"batch", QString::fromStdString(manifest), "-o", out, "--no-model", "--quiet"});
    QCOMPARE(r.code, 1);
    QCOMPARE(QFileInfo(out + "/MnO/summary.json").lastModified(), solved_at);
    QCOMPARE(QByteArray(pxrd::read_file((out + "/MnO/summary.json").toStdString()).c_str()), solved_summary);
    const QString resumed = QString::fromStdString(pxrd::read_file((out + "/batch_summary.csv").toStdString()));
    QVERIFY2(resumed.contains(",ok,") && resumed.contains(",failed,"), qPrintable(resumed));
  }
};

QTEST_GUILESS_MAIN(TestCliSolve)
#include "test_cli_solve.moc"
