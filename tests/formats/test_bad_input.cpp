// Bad input: empty, truncated, garbage, mutated, NaN/Inf, non-monotonic x, absurd sizes, huge files.
// Each must end in an InputError that names the file (and a line or byte where one exists) or in a valid
// pattern (a documented repair) — never a crash, a hang or an unvalidated pattern.
#include <QtTest>

#include <chrono>
#include <cstdio>
#include <random>
#include <unistd.h>

#include "format_test_util.hpp"
#include "pxrd/error.hpp"

using fmt_test::read_bytes;

namespace {

const std::string kData = PXRD_TEST_DATA_DIR "/formats/";

const char* kRealFiles[] = {
    "bruker_raw/BT86.raw", "bruker_raw/bruker_raw4.raw", "uxd/BT86_.UXD", "xrdml/empyrean.xrdml",
    "pdcif/1517474.cif", "gsas_std/PBSO4.XRA", "gsas_std/PBSO4.CWN", "rigaku_rasx/Sample_Repeated_Measurement.rasx",
    "stoe_raw/stoe.raw", "xy/MnO.xy", "xye/x3lactos.xye", "dat/D1A5.dat",
    "chi/xrd_LaB6_660c_std_brac2_20250724-194924_70c707_primary-1_mean_tth.chi",
};

// Reads and classifies: "ok" (valid pattern), "error" (InputError naming the file); anything else fails.
std::string outcome(const std::string& bytes, const std::string& name) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string result;
  try {
    const pxrd::Pattern p = read_bytes(bytes, name);
    p.validate();
    result = "ok";
  } catch (const pxrd::InputError& e) {
    if (e.file().find(name) == std::string::npos) return std::string("error without the file name: ") + e.what();
    if (e.cause().empty()) return "error without a cause";
    result = "error";
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (s > 5.0) return "took " + std::to_string(s) + " s";
  return result;
}

std::string extension(const std::string& rel) { return rel.substr(rel.find_last_of('.')); }

}  // namespace

class TestBadInput : public QObject {
  Q_OBJECT
 private slots:
  void empty_file() {
    try {
      read_bytes("", "empty.xy");
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QCOMPARE(QString::fromStdString(e.cause()), QString("the file is empty"));
    }
  }

  void missing_file_and_folder() {
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::read_pattern("/nonexistent/x.xy"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::read_pattern(fmt_test::temp_dir().path().toStdString()));
  }

  void unrecognised_content() {
    try {
      read_bytes(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image.xy");
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QVERIFY(e.cause().find("not a recognised pattern format") != std::string::npos);
    }
  }

  void truncated_real_files() {
    for (const char* rel : kRealFiles) {
      const std::string bytes = pxrd::read_file(kData + rel);
      for (double frac : {0.001, 0.05, 0.3, 0.5, 0.9, 0.999}) {
        const auto cut = static_cast<std::size_t>(static_cast<double>(bytes.size()) * frac);
        const std::string r = outcome(bytes.substr(0, cut), "trunc" + extension(rel));
        QVERIFY2(r == "ok" || r == "error", (std::string(rel) + " cut at " + std::to_string(cut) + ": " + r).c_str());
      }
    }
    // Formats that state their size or close their structure must notice a cut. (Column text cannot: a
    // number cut short is still a number. GSAS STD may end in padding fields.)
    for (const char* rel : {"bruker_raw/bruker_raw4.raw", "stoe_raw/stoe.raw",
                            "rigaku_rasx/Sample_Repeated_Measurement.rasx", "xrdml/empyrean.xrdml"}) {
      const std::string bytes = pxrd::read_file(kData + rel);
      QCOMPARE(QString::fromStdString(outcome(bytes.substr(0, bytes.size() * 3 / 4), "cut" + extension(rel))),
               QString("error"));
    }
  }

  void mutated_real_files() {
    std::mt19937 rng(12345);
    for (const char* rel : kRealFiles) {
      const std::string bytes = pxrd::read_file(kData + rel);
      for (int k = 0; k < 40; ++k) {
        std::string m = bytes;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int f = 0; f < flips; ++f) m[rng() % m.size()] = static_cast<char>(rng() & 0xff);
        const std::string r = outcome(m, "mut" + extension(rel));
        QVERIFY2(r == "ok" || r == "error", (std::string(rel) + " mutation " + std::to_string(k) + ": " + r).c_str());
      }
    }
  }

  void garbage_bytes() {
    std::mt19937 rng(777);
    for (const char* ext : {".xy", ".raw", ".xrdml", ".cif", ".gsa", ".fxye", ".rasx", ".chi", ".dat", ".udf"}) {
      for (int k = 0; k < 20; ++k) {
        std::string g(1 + rng() % 5000, '\0');
        for (char& c : g) c = static_cast<char>(rng() & 0xff);
        const std::string r = outcome(g, std::string("garbage") + ext);
        QVERIFY2(r == "ok" || r == "error", (std::string(ext) + ": " + r).c_str());
      }
    }
  }

  void nan_and_inf() {
    for (const char* bad : {"nan", "inf", "-inf", "NaN"}) {
      const std::string text = std::string("10.0 100\n10.5 ") + bad + "\n11.0 150\n";
      QCOMPARE(QString::fromStdString(outcome(text, "nan.xy")), QString("error"));
    }
    QCOMPARE(QString::fromStdString(outcome("t\nBANK 1 2 2 CONS 1000 50 0 0 FXYE\n1000 nan 1\n1050 2 1\n", "nan.fxye")),
             QString("error"));
  }

  void non_monotonic_x() {
    QCOMPARE(QString::fromStdString(outcome("10.0 1\n11.0 2\n10.5 3\n12.0 4\n", "nm.xy")), QString("error"));
    QCOMPARE(QString::fromStdString(outcome("t\nBANK 1 3 3 CONS 1000 50 0 0 FXYE\n1000 1 1\n1100 2 1\n1050 3 1\n",
                                            "nm.fxye")),
             QString("error"));
    QCOMPARE(QString::fromStdString(outcome("10.0 1\n10.0 2\n11.0 3\n", "dup.xy")), QString("error"));
  }

  void absurd_sizes() {
    // Headers that announce more points than any file holds are refused before allocating.
    try {
      read_bytes("t\nBANK 1 999999999999 1 CONST 1000 50 0 0 STD\n     100\n", "huge.gsa");
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QVERIFY(e.line() == 2);
      QVERIFY(e.cause().find("implausible") != std::string::npos);
    }
    std::string raw4 = pxrd::read_file(kData + "bruker_raw/bruker_raw4.raw");
    const std::uint32_t huge = 0xFFFFFFF0u;
    std::memcpy(&raw4[468 + 4], &huge, 4);
    std::memcpy(&raw4[468 + 88], &huge, 4);
    QCOMPARE(QString::fromStdString(outcome(raw4, "huge.raw")), QString("error"));
    std::string stoe = pxrd::read_file(kData + "stoe_raw/stoe.raw");
    std::memcpy(&stoe[2048 + 34], &huge, 4);
    QCOMPARE(QString::fromStdString(outcome(stoe, "huge_stoe.raw")), QString("error"));
    // A ZIP member claiming 4 GiB.
    std::string rasx = pxrd::read_file(kData + "rigaku_rasx/Sample_Repeated_Measurement.rasx");
    const auto cd = rasx.find(std::string("PK\x01\x02", 4));
    QVERIFY(cd != std::string::npos);
    std::memcpy(&rasx[cd + 24], &huge, 4);
    QCOMPARE(QString::fromStdString(outcome(rasx, "huge.rasx")), QString("error"));
  }

  void huge_file_refused_without_reading() {
    // A sparse 3 GiB file: refused from its size alone (no 3 GiB allocation).
    const std::string path = fmt_test::temp_path("sparse.xy");
    {
      std::FILE* f = std::fopen(path.c_str(), "wb");
      QVERIFY(f);
      std::fclose(f);
    }
    QVERIFY(::truncate(path.c_str(), 3LL << 30) == 0);
    try {
      pxrd::formats::read_pattern(path);
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QVERIFY(e.cause().find("2 GiB") != std::string::npos);
    }
    std::remove(path.c_str());
  }

  void magic_only_headers() {
    // A magic number and nothing behind it: each binary reader must stop at the missing header.
    for (const auto& [bytes, name] : std::vector<std::pair<std::string, std::string>>{
             {std::string("V3RD") + std::string(64, '\0'), "magic.rd"},
             {"RAW1.01", "magic_v3.raw"},
             {"RAW4.00", "magic_v4.raw"},
             {"RAW_1.06Powdat", "magic_stoe.raw"},
             {std::string("PK\x03\x04" "Data0/", 10), "magic.rasx"},
             {"<xrdMeasurements>", "magic.xrdml"}}) {
      QCOMPARE(QString::fromStdString(outcome(bytes, name)), QString("error"));
    }
  }

  void deeply_nested_xml() {
    // 100 000 nested elements: refused at a fixed depth instead of exhausting the stack.
    std::string xml = "<xrdMeasurements>";
    for (int i = 0; i < 100000; ++i) xml += "<a>";
    try {
      read_bytes(xml, "deep.xrdml");
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QVERIFY2(e.cause().find("nested deeper") != std::string::npos, e.what());
      QCOMPARE(e.line(), 1);
    }
  }

  void forced_reader_on_wrong_content() {
    const std::string path = kData + "xy/MnO.xy";
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::read_pattern(path, "xrdml"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::read_pattern(path, "stoe_raw"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::formats::read_pattern(path, "no_such_reader"));
  }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "test_bad_input.moc"
