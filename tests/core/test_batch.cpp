// Batch manifests, per-item status, continuing past errors and resuming.
#include <QtTest>

#include <filesystem>

#include "pxrd/atomic_file.hpp"
#include "pxrd/batch.hpp"
#include "pxrd/error.hpp"

using namespace pxrd;

class TestBatch : public QObject {
  Q_OBJECT
  std::string dir_;

 private slots:
  void init() {
    dir_ = QDir::tempPath().toStdString() + "/pxrd_test_batch";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void cleanup() { std::filesystem::remove_all(dir_); }

  void readsManifest() {
    write_file_atomically(dir_ + "/m.csv",
                          "# a comment\nFormula,pattern,size,wavelength\nMnO,a/MnO.xy,,\n\"Na,Cl\",/abs/b.xye,100,CuKa1\n"
                          "TiO2,a/MnO.xy,10,\n");
    const auto items = read_batch_manifest(dir_ + "/m.csv");
    QCOMPARE(items.size(), std::size_t(3));
    QCOMPARE(items[0].formula, std::string("MnO"));
    QCOMPARE(items[0].pattern, dir_ + "/a/MnO.xy");
    QCOMPARE(items[0].name, std::string("MnO"));
    QCOMPARE(items[1].formula, std::string("Na,Cl"));
    QCOMPARE(items[1].pattern, std::string("/abs/b.xye"));
    QCOMPARE(items[1].size_angstrom, 100.0);
    QCOMPARE(items[1].wavelength, std::string("CuKa1"));
    QCOMPARE(items[2].name, std::string("MnO_2"));  // same stem: made unique
    QCOMPARE(items[2].line, 5);
  }
  void rejectsBadManifests() {
    write_file_atomically(dir_ + "/m1.csv", "file,formula\nx.xy,MnO\n");
    QVERIFY_THROWS_EXCEPTION(InputError, read_batch_manifest(dir_ + "/m1.csv"));
    write_file_atomically(dir_ + "/m2.csv", "pattern,formula,size\nx.xy,MnO,big\n");
    QVERIFY_THROWS_EXCEPTION(InputError, read_batch_manifest(dir_ + "/m2.csv"));
    write_file_atomically(dir_ + "/m3.csv", "pattern,formula\nx.xy,\n");
    QVERIFY_THROWS_EXCEPTION(InputError, read_batch_manifest(dir_ + "/m3.csv"));
  }
  void continuesPastErrorsAndResumes() {
    std::vector<BatchItem> items(3);
    for (int i = 0; i < 3; ++i) {
      items[static_cast<std::size_t>(i)].name = "item" + std::to_string(i);
      items[static_cast<std::size_t>(i)].pattern = "p" + std::to_string(i) + ".xy";
      items[static_cast<std::size_t>(i)].formula = "MnO";
    }
    int calls = 0;
    bool fail_middle = true;
    BatchSolveFn fn = [&](const BatchItem& item, const std::string& item_dir, const CancelToken&) {
      ++calls;
      if (item.name == "item1" && fail_middle) throw InputError(item.pattern, 0, "no peaks");
      std::filesystem::create_directories(item_dir);
      write_file_atomically(item_dir + "/summary.json", "{}\n");
      BatchRecord r;
      r.status = "ok";
      r.rwp = 0.05;
      r.space_group = "Fm-3m";
      r.candidates = 3;
      return r;
    };
    CancelToken cancel;
    NullProgress progress;
    const std::string out = dir_ + "/out";
    auto recs = run_batch(items, out, fn, cancel, progress);
    QCOMPARE(calls, 3);
    QCOMPARE(recs[0].status, std::string("ok"));
    QCOMPARE(recs[1].status, std::string("failed"));
    QVERIFY(recs[1].message.find("no peaks") != std::string::npos);
    QCOMPARE(recs[2].status, std::string("ok"));
    const auto summary = read_batch_summary(batch_summary_path(out));
    QCOMPARE(summary.size(), std::size_t(3));
    QCOMPARE(summary[1].status, std::string("failed"));
    QCOMPARE(summary[0].space_group, std::string("Fm-3m"));
    QVERIFY(std::abs(summary[0].rwp - 0.05) < 1e-12);
    // Resume: only the failed item runs again.
    fail_middle = false;
    calls = 0;
    recs = run_batch(items, out, fn, cancel, progress);
    QCOMPARE(calls, 1);
    QCOMPARE(recs[1].status, std::string("ok"));
  }
  void cancelStopsAndIsRecorded() {
    std::vector<BatchItem> items(2);
    items[0].name = "a";
    items[1].name = "b";
    CancelToken cancel;
    BatchSolveFn fn = [&](const BatchItem&, const std::string&, const CancelToken&) -> BatchRecord { throw Cancelled(); };
    NullProgress progress;
    const auto recs = run_batch(items, dir_ + "/out2", fn, cancel, progress);
    QCOMPARE(recs[0].status, std::string("cancelled"));
    QCOMPARE(recs[1].status, std::string("pending"));
  }
};

QTEST_GUILESS_MAIN(TestBatch)
#include "test_batch.moc"
