// pxrd-diff train / generate / eval end to end on a two-crystal data folder: exit codes, files, SIGINT stop and resume.
// Needs the pxrd-diff of this build (skipped when it has not been built).
#include <QRegularExpression>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <csignal>

#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/models/conditioning.hpp"

namespace {
const char* kCsCl =
    "data_CsCl\n_symmetry_space_group_name_H-M 'P 1'\n_cell_length_a 4.12\n_cell_length_b 4.12\n_cell_length_c 4.12\n"
    "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_type_symbol\n"
    "_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
    "Cs Cs0 0 0 0 1.0\nCl Cl1 0.5 0.5 0.5 1.0\n";
const char* kMgO =
    "data_MgO\n_symmetry_space_group_name_H-M 'P 1'\n_cell_length_a 2.98\n_cell_length_b 2.98\n_cell_length_c 2.98\n"
    "_cell_angle_alpha 60\n_cell_angle_beta 60\n_cell_angle_gamma 60\nloop_\n_atom_site_type_symbol\n"
    "_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n"
    "Mg Mg0 0 0 0 1.0\nO O1 0.5 0.5 0.5 1.0\n";

QString csv_field(const char* text) { return "\"" + QString(text).replace("\"", "\"\"") + "\""; }
}  // namespace

class TestModelsCli : public QObject {
  Q_OBJECT
  QString bin_ = QString(PXRD_BIN_DIR) + "/pxrd-diff";
  QTemporaryDir dir_;

  int run(const QStringList& args, QString* out = nullptr, QString* err = nullptr, int timeout_ms = 240000) {
    QProcess p;
    p.start(bin_, args);
    if (!p.waitForFinished(timeout_ms)) {
      p.kill();
      p.waitForFinished();
      return -1;
    }
    if (out) *out = QString::fromUtf8(p.readAllStandardOutput());
    if (err) *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
  }

 private slots:
  void initTestCase() {
    if (!QFileInfo::exists(bin_)) QSKIP("pxrd-diff is not built");
    QVERIFY(dir_.isValid());
    const QString data = dir_.filePath("mp20");
    QVERIFY(QDir().mkpath(data));
    const QString csv = "material_id,output\nmp-1,%1\nmp-2,%2\n";
    for (const char* name : {"train_partial.csv", "train_canonical_subset.csv", "val.csv"}) {
      const QString path = data + "/" + name;
      pxrd::write_file_atomically(path.toStdString(), csv.arg(csv_field(kCsCl), csv_field(kMgO)).toStdString());
      QCOMPARE(QProcess::execute("xz", {"-zf", path}), 0);
    }
    pxrd::write_file_atomically(dir_.filePath("cscl.cif").toStdString(), kCsCl);
  }

  void train_writes_weights_and_log() {
    QString out, err;
    const int code = run({"train", "--data", dir_.filePath("mp20"), "--out", dir_.filePath("run"), "--steps", "4",
                          "--hidden", "16", "--layers", "1", "--batch", "4", "--log-every", "2", "--quiet"},
                         &out, &err);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY(QFileInfo::exists(dir_.filePath("run/weights.pt")));
    QVERIFY(QFileInfo::exists(dir_.filePath("run/checkpoint.pt")));
    QFile log(dir_.filePath("run/log.jsonl"));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const auto lines = log.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[1].contains("\"step\":4") && lines[1].contains("loss_coord") && lines[1].contains("steps_per_s"));
    QVERIFY(out.contains("steps 0 -> 4"));
    // The data cache is reused on the next run.
    QVERIFY(QFileInfo::exists(dir_.filePath("mp20_cache.bin")));
    // Fine-tuning continues the step count of the weights (4): a decay that ended before it is pointed out.
    QCOMPARE(run({"train", "--data", dir_.filePath("mp20"), "--out", dir_.filePath("ft"), "--init-from",
                  dir_.filePath("run/weights.pt"), "--steps", "6", "--batch", "4", "--decay-from", "1",
                  "--decay-steps", "2", "--quiet"},
                 &out, &err),
             0);
    QVERIFY2(err.contains("stays at 5 %") && err.contains("before step 4"), qPrintable(err));
    QVERIFY2(out.contains("steps 4 -> 6"), qPrintable(out));
  }

  void sigint_stops_cleanly_and_resume_continues() {
    const QString run_dir = dir_.filePath("run_sig");
    QProcess p;
    p.start(bin_, {"train", "--data", dir_.filePath("mp20"), "--out", run_dir, "--hidden", "16", "--layers", "1",
                   "--batch", "4", "--log-every", "1", "--quiet"});
    QVERIFY(p.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(run_dir + "/log.jsonl").size() > 0, 120000);
    ::kill(static_cast<pid_t>(p.processId()), SIGINT);
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(QString::fromUtf8(p.readAllStandardOutput()).contains("stopped by signal"));
    QVERIFY(QFileInfo::exists(run_dir + "/checkpoint.pt"));
    QString out, err;
    QCOMPARE(run({"train", "--data", dir_.filePath("mp20"), "--out", run_dir, "--resume", "--steps", "200",
                  "--quiet"}, &out, &err), 0);
    QVERIFY2(out.contains("-> 200") && !out.contains("steps 0 ->"), qPrintable(out));
  }

  void generate_writes_cifs_and_summary() {
    const QString gen = dir_.filePath("gen");
    QString out, err;
    // A reduced formula with a pattern: Z is enumerated (1..10 for a 2-atom formula and 20 atoms at most).
    const int code = run({"generate", dir_.filePath("cscl.cif"), "--formula", "CsCl", "-n", "3", "-o", gen,
                          "--weights", dir_.filePath("run/weights.pt"), "--steps", "5", "--threads", "1"},
                         &out, &err);
    QVERIFY2(code == 0, qPrintable(err));
    QFile summary(gen + "/summary.json");
    QVERIFY(summary.open(QIODevice::ReadOnly));
    const QByteArray summary_text = summary.readAll();
    QJsonParseError parse_error;
    const auto json = QJsonDocument::fromJson(summary_text, &parse_error).object();
    QVERIFY2(parse_error.error == QJsonParseError::NoError, summary_text.constData());
    QCOMPARE(json["candidates"].toArray().size(), 3);
    QCOMPARE(json["z_scores"].toArray().size(), 10);
    for (const auto& v : json["z_scores"].toArray()) {
      // Each Z's 8 samples scored against the pattern: the best agreement bounds their mean, and z ranks first.
      const QJsonObject s = v.toObject();
      QVERIFY(s["best_agreement"].toDouble(-1) >= 0 && s["best_agreement"].toDouble() <= 1 + 1e-9);
      QVERIFY(s["mean_agreement"].toDouble(-1) >= 0 && s["mean_agreement"].toDouble() <= s["best_agreement"].toDouble() + 1e-9);
    }
    QCOMPARE(json["z_scores"].toArray()[0].toObject()["z"].toInt(), json["z"].toInt());
    const int z = json["z"].toInt();
    QVERIFY(z >= 1 && z <= 10);
    for (const char* name : {"candidate_01.cif", "candidate_02.cif", "candidate_03.cif"}) {
      const auto c = pxrd::read_cif((gen + "/" + name).toStdString());
      QCOMPARE(static_cast<int>(c.sites.size()), 2 * z);
    }
    // By default the mode comes first: the key support × 19 / others + 30 × agreement + 4 × log2(symmetry operations)
    // (support: matches among the other samples) never rises down the list of first samples of each structure, nor
    // down the repeats after them; the summary's support and symmetry agree with the matcher and spglib run on the
    // written candidates.
    const auto cands = json["candidates"].toArray();
    std::vector<pxrd::Crystal> written;
    QSet<int> sample_numbers;
    std::vector<int> firsts;
    bool repeat_before = false;
    for (int i = 0; i < cands.size(); ++i) {
      written.push_back(pxrd::read_cif((gen + "/" + cands[i].toObject()["file"].toString()).toStdString()));
      sample_numbers.insert(cands[i].toObject()["sample"].toInt());
      auto key = [&](int j) {
        return pxrd::models::consensus_key(cands[j].toObject()["support"].toInt(),
                                           static_cast<std::size_t>(cands[j].toObject()["support_among"].toInt(-1)),
                                           cands[j].toObject()["agreement"].toDouble(-1e9),
                                           cands[j].toObject()["symmetry_log2"].toDouble(-1e9));
      };
      QCOMPARE(cands[i].toObject()["support_among"].toInt(), static_cast<int>(cands.size()) - 1);  // n <= 100: all count
      bool repeat = false;
      for (int f : firsts) {
        try {
          repeat = repeat || pxrd::match_structures(written.back(), written[std::size_t(f)], {0.3, 0.5, 10}).matched;
        } catch (const pxrd::Error&) {
        }
      }
      if (!repeat) firsts.push_back(i);
      QVERIFY(!(repeat_before && !repeat));  // no first of a structure after a repeat
      if (i > 0 && repeat == repeat_before) QVERIFY(key(i) <= key(i - 1) + 1e-6);
      repeat_before = repeat;
      QVERIFY(std::abs(cands[i].toObject()["symmetry_log2"].toDouble() - pxrd::models::symmetry_order_log2(written.back())) < 1e-6);
      // The group within 0.5 Å, or null where spglib refuses (this barely trained model puts atoms on top of each
      // other).
      std::string loose_group;
      try {
        loose_group = pxrd::find_space_group(written.back(), pxrd::models::kConsensusSymprecAngstrom).international;
      } catch (const pxrd::Error&) {
        QVERIFY(cands[i].toObject()["loose_space_group"].isNull());
      }
      if (!loose_group.empty())
        QCOMPARE(cands[i].toObject()["loose_space_group"].toString().toStdString(), loose_group);
    }
    QCOMPARE(sample_numbers, (QSet<int>{1, 2, 3}));
    const std::vector<int> support = pxrd::match_support(written, pxrd::MatchTolerances{0.3, 0.5, 10});
    for (int i = 0; i < cands.size(); ++i) QCOMPARE(cands[i].toObject()["support"].toInt(), support[std::size_t(i)]);
    QCOMPARE(json["order"].toString(), QString("support"));
    // --z fixes the cell content; composition only ('-') needs no pattern.
    QCOMPARE(run({"generate", "-", "--formula", "CsCl", "--z", "2", "-n", "1", "-o", dir_.filePath("gen2"),
                  "--weights", dir_.filePath("run/weights.pt"), "--steps", "3", "--threads", "1"}),
             0);
    QCOMPARE(pxrd::read_cif(dir_.filePath("gen2/candidate_01.cif").toStdString()).sites.size(), std::size_t(4));
    // --order sampled keeps the sampling order.
    QCOMPARE(run({"generate", "-", "--formula", "CsCl", "--z", "1", "-n", "3", "-o", dir_.filePath("gen3"), "--order",
                  "sampled", "--weights", dir_.filePath("run/weights.pt"), "--steps", "3", "--threads", "1"}),
             0);
    QFile summary3(dir_.filePath("gen3/summary.json"));
    QVERIFY(summary3.open(QIODevice::ReadOnly));
    const auto cands3 = QJsonDocument::fromJson(summary3.readAll()).object()["candidates"].toArray();
    QCOMPARE(cands3.size(), 3);
    for (int i = 0; i < 3; ++i) QCOMPARE(cands3[i].toObject()["sample"].toInt(), i + 1);
    QCOMPARE(run({"generate", "-", "--formula", "CsCl", "-n", "1", "-o", dir_.filePath("gen4"), "--order", "best",
                  "--weights", dir_.filePath("run/weights.pt")}),
             2);
    // --pool 5 with -n 2 ranks the same 5 samples as -n 5 and writes only the first 2 of that ranking.
    auto candidates_of = [&](const QStringList& extra, const QString& name) {
      QStringList a = {"generate", "-", "--formula", "CsCl", "--z", "1", "-o", dir_.filePath(name), "--weights",
                       dir_.filePath("run/weights.pt"), "--steps", "3", "--threads", "1"};
      a += extra;
      if (run(a) != 0) return QJsonObject();
      QFile f(dir_.filePath(name + "/summary.json"));
      return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
    };
    const QJsonObject all5 = candidates_of({"-n", "5"}, "gen5"), top2 = candidates_of({"-n", "2", "--pool", "5"}, "gen6");
    QCOMPARE(all5["candidates"].toArray().size(), 5);
    QCOMPARE(top2["candidates"].toArray().size(), 2);
    QCOMPARE(top2["pool"].toInt(), 5);
    for (int i = 0; i < 2; ++i)
      QCOMPARE(top2["candidates"].toArray()[i].toObject()["sample"].toInt(),
               all5["candidates"].toArray()[i].toObject()["sample"].toInt());
    QVERIFY(!QFile::exists(dir_.filePath("gen6/candidate_03.cif")));
    // A pool smaller than -n, or one that --order sampled would not rank, is refused.
    QCOMPARE(run({"generate", "-", "--formula", "CsCl", "-n", "3", "--pool", "2", "-o", dir_.filePath("gen7"),
                  "--weights", dir_.filePath("run/weights.pt")}),
             2);
    QCOMPARE(run({"generate", "-", "--formula", "CsCl", "-n", "2", "--pool", "5", "--order", "sampled", "-o",
                  dir_.filePath("gen7"), "--weights", dir_.filePath("run/weights.pt")}),
             2);
  }

  void eval_solve_reports_every_candidate() {
    // The monitor split of this folder is its first val crystal (CsCl, two atoms in the primitive cell); nano20 is
    // PXRDNet's "10 Å" (a 20 Å crystallite in our sinc²(Qτ/2)).
    const QString report = dir_.filePath("es.json");
    QString out, err;
    const int code = run({"eval-solve", "--data", dir_.filePath("mp20"), "--split", "monitor", "--count", "1",
                          "--conditions", "ideal,nano20", "--model", dir_.filePath("run/weights.pt"), "-k", "3",
                          "--time-budget", "5", "-o", report},
                         &out, &err);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY2(out.contains("| nano20 / full | 1 |"), qPrintable(out));
    QFile f(report);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const auto items = QJsonDocument::fromJson(f.readAll()).object()["items"].toArray();
    QCOMPARE(items.size(), 2);
    QCOMPARE(items[0].toObject()["condition"].toString(), QString("ideal"));
    QCOMPARE(items[1].toObject()["condition"].toString(), QString("nano20"));
    for (const auto& v : items) {
      const QJsonObject item = v.toObject();
      QCOMPARE(item["primitive_atoms"].toInt(), 2);
      const auto atoms = item["candidate_atoms"].toArray();
      const auto rwp2 = item["candidate_rwp2"].toArray();
      QCOMPARE(atoms.size(), item["candidates"].toInt());
      QCOMPARE(rwp2.size(), atoms.size());
      double best = 1e9;
      for (int c = 0; c < atoms.size(); ++c) {
        QVERIFY(atoms[c].toInt() > 0 && atoms[c].toInt() % 2 == 0);  // whole CsCl formula units
        QVERIFY(rwp2[c].toDouble(-1) >= 0);
        best = std::min(best, rwp2[c].toDouble());
      }
      if (!atoms.isEmpty()) QCOMPARE(item["rwp2_best"].toDouble(), std::round(best * 1e4) / 1e4);
    }
    QVERIFY(items[0].toObject()["candidates"].toInt() >= 1);  // sharp CsCl lines index
    QCOMPARE(run({"eval-solve", "--data", dir_.filePath("mp20"), "--conditions", "nano30"}, &out, &err), 2);
    QVERIFY2(err.contains("nano20"), qPrintable(err));
  }

  void bad_inputs_give_exit_codes() {
    QString out, err;
    QCOMPARE(run({"generate", dir_.filePath("cscl.cif"), "--formula", "CsCl", "-n", "1", "-o", dir_.filePath("g3"),
                  "--weights", dir_.filePath("missing.pt")},
                 &out, &err),
             1);
    QVERIFY(err.contains("not found"));
    QCOMPARE(run({"generate", dir_.filePath("cscl.cif"), "--formula", "CsCl", "-n", "1", "-o", dir_.filePath("g4"),
                  "--weights", dir_.filePath("run/weights.pt"), "--steps", "101"},
                 &out, &err),
             2);
    QCOMPARE(run({"generate", dir_.filePath("cscl.cif"), "--formula", "Xx2", "-o", dir_.filePath("g5")}, &out, &err),
             2);
    QCOMPARE(run({"train", "--data", dir_.filePath("nowhere"), "--out", dir_.filePath("r2"), "--cache",
                  dir_.filePath("r2/cache.bin"), "--steps", "1"},
                 &out, &err),
             2);
    QCOMPARE(run({"train", "--data", dir_.filePath("mp20"), "--out", dir_.filePath("r3"), "--peak-heads", "65"}, &out, &err),
             2);
    QVERIFY(err.contains("--peak-heads"));
    // eval --first: negative, or leaving fewer than 2 structures of the split.
    const QString test_csv = dir_.filePath("mp20/test.csv");
    pxrd::write_file_atomically(test_csv.toStdString(),
                                QString("material_id,output\nmp-1,%1\nmp-2,%2\n").arg(csv_field(kCsCl), csv_field(kMgO)).toStdString());
    QCOMPARE(QProcess::execute("xz", {"-zf", test_csv}), 0);
    const QStringList eval = {"eval", "--data", dir_.filePath("mp20"), "--weights", dir_.filePath("run/weights.pt"),
                              "-n", "2", "-k", "1", "--steps", "2", "--no-controls"};
    QCOMPARE(run(eval + QStringList{"--first", "-1"}, &out, &err), 2);
    QVERIFY(err.contains("--first"));
    QCOMPARE(run(eval + QStringList{"--first", "1"}, &out, &err), 2);
    QVERIFY2(err.contains("fewer than 2 structures in the test split from structure 1"), qPrintable(err));
    QCOMPARE(run({"train", "--data", dir_.filePath("mp20"), "--out", dir_.filePath("r4"), "--lr", "0"}, &out, &err), 2);
    QVERIFY2(err.contains("--lr") && err.contains("positive"), qPrintable(err));
    // eval --loss-only: the flow loss without sampling, reproducible, and its total is 10 x coordinates + lattice.
    QCOMPARE(run(eval + QStringList{"--loss-only"}, &out, &err), 0);
    const QRegularExpression loss_line("on 2 test structures \\(8 noise draws from seed 1\\): coordinates ([0-9.e+-]+), "
                                       "lattice ([0-9.e+-]+), total \\(10 x coordinates \\+ lattice\\) ([0-9.e+-]+)");
    const auto m = loss_line.match(out);
    QVERIFY2(m.hasMatch(), qPrintable(out));
    const double coord = m.captured(1).toDouble(), lattice = m.captured(2).toDouble(), total = m.captured(3).toDouble();
    QVERIFY2(coord > 0 && lattice > 0 && std::abs(total - (10 * coord + lattice)) < 2e-3 * total, qPrintable(out));
    QString again;
    QCOMPARE(run(eval + QStringList{"--loss-only"}, &again, &err), 0);
    QCOMPARE(again, out);
  }
};

QTEST_GUILESS_MAIN(TestModelsCli)
#include "test_models_cli.moc"
