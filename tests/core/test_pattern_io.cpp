// Text pattern files: reading the layouts of conventions.md, errors with line numbers, writing and round trips.
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <ctime>
#include <string>

#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"

using pxrd::parse_pattern_text;
using pxrd::Pattern;

namespace {
// The InputError a parse raises (fails the test when none is raised).
pxrd::InputError parse_error(const std::string& text, const std::string& name = "bad.xy") {
  try {
    parse_pattern_text(text, name);
  } catch (const pxrd::InputError& e) {
    return e;
  }
  return pxrd::InputError("", -1, "no error was raised");
}
}  // namespace

class TestPatternIo : public QObject {
  Q_OBJECT
 private slots:
  void separators_and_columns() {
    for (const char* text : {"10 1\n10.5 2\n11 3\n", "10,1\n10.5,2\n11,3\n", "10;1\n10.5;2\n11;3\n",
                             "10\t1\n10.5 \t 2\n11 ,3\n", "+10 1e0\n10.5 2.\n11 0.3e1\n"}) {
      const Pattern p = parse_pattern_text(text, "a.xy");
      QCOMPARE(p.size(), std::size_t(3));
      QCOMPARE(p.x[1], 10.5);
      QCOMPARE(p.y[2], 3.0);
      QVERIFY(!p.has_esd());
      QVERIFY(p.skipped_lines.empty());
    }
    const Pattern e = parse_pattern_text("1 10 3\n2 20 4.5\n", "a.xye");
    QVERIFY(e.has_esd());
    QCOMPARE(e.esd[1], 4.5);
  }

  void headers_comments_and_skipped_lines() {
    const std::string text =
        "TITLE  Corundum test\n"             // 1
        "# wavelength_angstrom: 1.540598\n"  // 2
        "! lambda2: 1.544426\n"              // 3
        "' ratio: 0.5\n"                     // 4
        "/* a block\n"                       // 5
        "   1 2 3 inside the block\n"        // 6
        "*/\n"                               // 7
        "XYDATA\n"                           // 8
        "Sample: corundum plate\n"           // 9
        "2theta intensity\n"                 // 10
        "\n"                                 // 11 (blank: not counted)
        "20.0 5\n"                           // 12
        "# a comment between data lines\n"   // 13
        "20.5 6 # inline comment\n"          // 14
        "21.0 7\n"                           // 15
        "END\n";                             // 16: trailing text after the data is allowed
    const Pattern p = parse_pattern_text(text, "c.dat");
    QCOMPARE(p.size(), std::size_t(3));
    QCOMPARE(p.y[1], 6.0);
    QCOMPARE(p.skipped_lines, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16}));
    QCOMPARE(p.metadata.at("title"), std::string("Corundum test"));
    QCOMPARE(p.metadata.at("sample"), std::string("corundum plate"));
    QCOMPARE(p.metadata.at("fullprof"), std::string("XYDATA"));
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 1.540598);
    QCOMPARE(p.radiation->lambda2_angstrom, 1.544426);
    QCOMPARE(p.radiation->ratio, 0.5);
    QVERIFY(p.radiation->has_second_line());
  }

  void header_numbers_with_units_and_commas() {
    QCOMPARE(parse_pattern_text("# wavelength: 1.5406 A\n5 1\n6 2\n", "a.xy").radiation->lambda1_angstrom, 1.5406);
    QCOMPARE(parse_pattern_text("# Lambda = 0.7093Å\n5 1\n6 2\n", "a.xy").radiation->lambda1_angstrom, 0.7093);
    // A decimal comma in a header value is read as a decimal point, never as "1".
    QCOMPARE(parse_pattern_text("# wavelength: 1,5406\n5 1\n6 2\n", "a.xy").radiation->lambda1_angstrom, 1.5406);
    const Pattern two = parse_pattern_text("# lambda1: 1.540598, 1.544426\n5 1\n6 2\n", "a.xy");
    QCOMPARE(two.radiation->lambda1_angstrom, 1.540598);
    QVERIFY(!parse_pattern_text("# wavelength: unknown\n5 1\n6 2\n", "a.xy").radiation);
  }

  void radiation_name_only_uses_preset() {
    const Pattern p = parse_pattern_text("# radiation: MoKa\n5 1\n6 2\n", "m.xy");
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 0.71073);
    const Pattern unknown = parse_pattern_text("# radiation: Unobtainium\n5 1\n6 2\n", "m.xy");
    QVERIFY(!unknown.radiation.has_value());  // never guessed
    const Pattern none = parse_pattern_text("5 1\n6 2\n", "m.xy");
    QVERIFY(!none.radiation.has_value());
  }

  void crlf_and_bom() {
    const Pattern p = parse_pattern_text("\xEF\xBB\xBF# x_unit: two_theta_deg\r\n10\t1\r\n11\t2\r\n", "w.xy");
    QCOMPARE(p.size(), std::size_t(2));
    QCOMPARE(p.y[1], 2.0);
    QCOMPARE(p.skipped_lines, std::vector<int>{1});
  }

  void descending_x_is_reversed() {
    const Pattern p = parse_pattern_text("12 3 0.3\n11 2 0.2\n10 1 0.1\n", "d.xye");
    QCOMPARE(p.x, (std::vector<double>{10, 11, 12}));
    QCOMPARE(p.y, (std::vector<double>{1, 2, 3}));
    QCOMPARE(p.esd, (std::vector<double>{0.1, 0.2, 0.3}));
    QCOMPARE(p.history, std::vector<std::string>{"reverse_x(the file lists x in decreasing order)"});
    p.validate();
  }

  void q_space_from_extension_and_header() {
    QVERIFY(pxrd::x_unit_from_extension("/a/b/data.QYE") == pxrd::XUnit::QInvAngstrom);
    QVERIFY(pxrd::x_unit_from_extension("data.qxy") == pxrd::XUnit::QInvAngstrom);
    QVERIFY(pxrd::x_unit_from_extension("data.xye") == pxrd::XUnit::TwoThetaDeg);
    QVERIFY(pxrd::x_unit_from_extension("dir.qye/data") == pxrd::XUnit::TwoThetaDeg);
    QTemporaryDir dir;
    const std::string path = dir.filePath("s.qye").toStdString();
    {
      Pattern q;
      q.x = {1.0, 1.1, 1.2};
      q.y = {3, 4, 5};
      q.esd = {1, 1, 1};
      q.x_unit = pxrd::XUnit::TwoThetaDeg;  // the header says 2θ: it wins over the extension
      pxrd::write_xy(q, path);
      QVERIFY(pxrd::read_pattern_text(path).x_unit == pxrd::XUnit::TwoThetaDeg);
    }
    const Pattern bare = parse_pattern_text("1.0 3\n1.1 4\n", "s.qye", pxrd::XUnit::QInvAngstrom);
    QVERIFY(bare.x_unit == pxrd::XUnit::QInvAngstrom);
  }

  void errors_name_file_line_and_cause() {
    auto e = parse_error("");
    QCOMPARE(e.file(), std::string("bad.xy"));
    QVERIFY(QString::fromStdString(e.cause()).contains("empty"));
    e = parse_error(" \n\r\n");
    QVERIFY(QString::fromStdString(e.cause()).contains("empty"));
    e = parse_error("# only a header\nhello world\n");
    QVERIFY(QString::fromStdString(e.cause()).contains("no numeric data"));
    e = parse_error("10\n11\n12\n");
    QVERIFY(QString::fromStdString(e.cause()).contains("one column"));
    e = parse_error("10 1\n11 nan\n12 3\n");
    QCOMPARE(e.line(), 2);
    QVERIFY(QString::fromStdString(e.cause()).contains("NaN"));
    e = parse_error("10 1\n11 inf\n");
    QCOMPARE(e.line(), 2);
    e = parse_error("# h\n10 1\n11 2\ngarbage here\n12 3\n");
    QCOMPARE(e.line(), 4);
    QVERIFY(QString::fromStdString(e.cause()).contains("non-numeric"));
    e = parse_error("10 1\n11 2,5x\n12 3\n");
    QCOMPARE(e.line(), 2);
    e = parse_error("10 1 1\n11 2\n");
    QCOMPARE(e.line(), 2);
    QVERIFY(QString::fromStdString(e.cause()).contains("columns"));
    e = parse_error("10 1\n12 2\n11 3\n");
    QCOMPARE(e.line(), 3);
    e = parse_error("10 1\n10 2\n");
    QCOMPARE(e.line(), 2);
    e = parse_error("10 1\n11 2\n12\n");
    QCOMPARE(e.line(), 3);
    e = parse_error("10 1 -1\n11 2 1\n");
    QVERIFY(QString::fromStdString(e.cause()).contains("esd"));
    // Decimal commas are refused instead of being read as extra columns.
    for (const char* text : {"10 1\n10,5 123,4\n", "10,5;123,4\n", "10,5\t123\n"}) {
      e = parse_error(text);
      QVERIFY2(QString::fromStdString(e.cause()).contains("decimal comma"), text);
    }
    QCOMPARE(parse_error("10 1\n10,5 123,4\n").line(), 2);
    // ... while comma-separated fields are fine.
    for (const char* text : {"10,5\n11,6\n", "10, 5\n11, 6\n", "10.0,5.0, 3\n11.0,6.0, 3\n"})
      QCOMPARE(parse_pattern_text(text, "ok.csv").y[0], 5.0);
    // The message is "file:line: cause".
    QCOMPARE(std::string(parse_error("10 1\n11 x\n12 1\n").what()),
             std::string("bad.xy:2: non-numeric line between data lines"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::read_pattern_text("/nonexistent/dir/none.xy"));
  }

  void format_and_round_trip() {
    Pattern p;
    p.source = "synthetic";
    p.x = {5.0, 5.01, 5.02, 5.03, 1e2 / 3.0};
    p.y = {0.1, 123456.789, 1e-7, 0.0, -2.5};
    p.esd = {0.3, 351.36, 1e-3, 1.0, 1.5};
    p.radiation = pxrd::Radiation{"CuKa12", 1.540598, 1.544426, 0.5};
    p.history = {"snip(iterations=40)", "normalize(max=100)"};
    p.metadata["sample"] = "NaCl\nline two";
    const std::string text = pxrd::format_xy(p);
    QVERIFY(text.find("# wavelength_angstrom: 1.540598\n") != std::string::npos);
    QVERIFY(text.find("# wavelength2_angstrom: 1.544426\n") != std::string::npos);
    QVERIFY(text.find("# ratio: 0.5\n") != std::string::npos);
    QVERIFY(text.find("# x_unit: two_theta_deg\n") != std::string::npos);
    QVERIFY(text.find("# history: snip(iterations=40)\n# history: normalize(max=100)\n") != std::string::npos);
    QVERIFY(text.find("\n5.01 123456.789 351.36\n") != std::string::npos);
    QVERIFY(text.find(',') == std::string::npos);  // '.' decimals only

    const Pattern back = parse_pattern_text(text, "again.xy");
    QCOMPARE(back.x, p.x);  // shortest round-trip text: bit-exact
    QCOMPARE(back.y, p.y);
    QCOMPARE(back.esd, p.esd);
    QCOMPARE(back.history, p.history);
    QCOMPARE(back.radiation->lambda1_angstrom, 1.540598);
    QCOMPARE(back.radiation->lambda2_angstrom, 1.544426);
    QCOMPARE(back.radiation->ratio, 0.5);
    QCOMPARE(back.radiation->name, std::string("CuKa12"));
    QCOMPARE(back.metadata.at("sample"), std::string("NaCl line two"));
    QCOMPARE(back.metadata.at("source"), std::string("synthetic"));
    // A second round trip changes nothing in the data lines.
    const std::string again = pxrd::format_xy(back);
    QCOMPARE(again.substr(again.find("\n5 ")), text.substr(text.find("\n5 ")));

    Pattern two = p;
    two.esd.clear();
    two.radiation.reset();
    const Pattern back2 = parse_pattern_text(pxrd::format_xy(two), "b.xy");
    QVERIFY(!back2.has_esd() && !back2.radiation);

    Pattern invalid = p;
    invalid.x[1] = invalid.x[0];
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::format_xy(invalid));
  }

  void write_and_read_file() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("out.xye").toStdString();
    Pattern p;
    p.x = {10, 10.02, 10.04};
    p.y = {100, 220.5, 90};
    p.esd = {10, 14.85, 9.5};
    pxrd::write_xy(p, path);
    const Pattern back = pxrd::read_pattern_text(path);
    QCOMPARE(back.x, p.x);
    QCOMPARE(back.esd, p.esd);
    QCOMPARE(back.source, path);
  }

  void real_files() {
    // tests/data/patterns/README.md gives the origin of these files.
    const Pattern mno = pxrd::read_pattern_text(PXRD_TEST_DATA_DIR "/patterns/MnO.xy");
    QCOMPARE(mno.size(), std::size_t(9001));
    QCOMPARE(mno.x.front(), 10.0);
    QCOMPARE(mno.x.back(), 100.0);
    QCOMPARE(mno.y.front(), 2001.0);
    QVERIFY(!mno.has_esd() && mno.skipped_lines.empty() && !mno.radiation);
    mno.validate();
    const Pattern lac = pxrd::read_pattern_text(PXRD_TEST_DATA_DIR "/patterns/x3lactos.xye");
    QCOMPARE(lac.size(), std::size_t(4776));
    QCOMPARE(lac.x.front(), 3.0);
    QCOMPARE(lac.y.front(), 297.0);
    QCOMPARE(lac.esd.front(), 13.2);
    QCOMPARE(lac.x.back(), 26.875);
  }

  void random_bytes_never_crash() {
    // Mutations of a valid file (deterministic generator): every outcome is a valid pattern or an InputError.
    const std::string base = "# wavelength: 1.54\nTITLE t\n10.0 1 0.5\n10.5 2,0 0.5\n11.0;3;0.5\n/* c */\n11.5 4 1\n";
    const std::string alphabet = "0123456789.,;:#!'/*+-eE \t\r\nnaifxyXYDATA\xEF\xBB\xBF";
    std::uint64_t state = 12345;
    auto next = [&state]() {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<std::size_t>(state >> 33);
    };
    int parsed = 0, refused = 0;
    for (int round = 0; round < 3000; ++round) {
      std::string text = base;
      const int edits = 1 + static_cast<int>(next() % 6);
      for (int k = 0; k < edits; ++k) {
        const std::size_t at = next() % (text.size() + 1);
        const char c = alphabet[next() % alphabet.size()];
        switch (next() % 3) {
          case 0:
            text.insert(at, 1, c);
            break;
          case 1:
            if (at < text.size()) text.erase(at, 1);
            break;
          default:
            if (at < text.size()) text[at] = c;
        }
      }
      try {
        const Pattern p = parse_pattern_text(text, "fuzz.xy");
        p.validate();
        ++parsed;
      } catch (const pxrd::InputError&) {
        ++refused;
      }
    }
    QVERIFY(parsed > 100 && refused > 100);  // both paths were exercised
  }

  void million_points() {
    std::string text = "# generated\n";
    text.reserve(26'000'000);
    const std::size_t n = 1'000'000;
    for (std::size_t i = 0; i < n; ++i) {
      text += pxrd::format_number(5.0 + 0.0001 * static_cast<double>(i));
      text += '\t';
      text += pxrd::format_number(1000.0 + std::fmod(static_cast<double>(i) * 7.31, 997.0));
      text += '\n';
    }
    QElapsedTimer timer;
    timer.start();
    const std::clock_t cpu0 = std::clock();
    const Pattern p = parse_pattern_text(text, "big.xy");
    const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
    const qint64 wall_ms = timer.elapsed();
    QCOMPARE(p.size(), n);
    QCOMPARE(p.x[n - 1], 5.0 + 0.0001 * static_cast<double>(n - 1));
    QCOMPARE(p.y[n - 1], 1000.0 + std::fmod(static_cast<double>(n - 1) * 7.31, 997.0));
    // Speed is measured by bench_formats (docs/benchmarks.md), not asserted here: a shared machine's timing varies.
    qInfo("parsed %zu points (%zu MB) in %.0f ms CPU, %lld ms wall", n, text.size() >> 20, cpu_ms,
          static_cast<long long>(wall_ms));
  }
};

QTEST_GUILESS_MAIN(TestPatternIo)
#include "test_pattern_io.moc"
