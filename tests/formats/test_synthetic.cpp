// Synthetic edge cases for every reader: CRLF, a BOM, tabs, trailing junk, descending x, a single point,
// and a decimal comma in a header value. Each variant must give the same data as the plain file, or
// (where listed in `expected_errors`) a clear InputError — never a crash or a silently different pattern.
#include <QtTest>

#include <functional>
#include <set>

#include "format_test_util.hpp"
#include "pxrd/error.hpp"

using fmt_test::bom;
using fmt_test::crlf;
using fmt_test::make_zip;
using fmt_test::put_u16;
using fmt_test::put_u32;
using fmt_test::read_bytes;
using fmt_test::replace_all;

namespace {

struct Case {
  std::string name;      // test label and reader id expected
  std::string file;      // file name (extension is only a hint)
  std::string content;
  std::size_t points;
  double x0, x_last, y0;
  double lambda1;        // 0 = the file states none
  bool text = true;      // CRLF/BOM/tab/junk variants apply
};

const char* kXrdml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<xrdMeasurements xmlns=\"http://www.xrdml.com/XRDMeasurement/1.5\">\n"
    " <sample type=\"To be analyzed\"><id>syn</id><name>synthetic</name></sample>\n"
    " <xrdMeasurement measurementType=\"Scan\">\n"
    "  <usedWavelength intended=\"K-Alpha\">\n"
    "   <kAlpha1 unit=\"Angstrom\">1.5405980</kAlpha1>\n   <kAlpha2 unit=\"Angstrom\">1.5444260</kAlpha2>\n"
    "   <ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1>\n  </usedWavelength>\n"
    "  <scan appendNumber=\"0\" scanAxis=\"Gonio\">\n   <dataPoints>\n"
    "    <positions axis=\"2Theta\" unit=\"deg\"><startPosition>10.0</startPosition>"
    "<endPosition>11.0</endPosition></positions>\n"
    "    <intensities unit=\"counts\">100 200 150</intensities>\n"
    "   </dataPoints>\n  </scan>\n </xrdMeasurement>\n</xrdMeasurements>\n";

const char* kRas =
    "*RAS_DATA_START\n*RAS_HEADER_START\n*FILE_SAMPLE \"syn\"\n*HW_XG_TARGET_NAME \"Cu\"\n"
    "*HW_XG_WAVE_LENGTH_ALPHA1 \"1.540593\"\n*HW_XG_WAVE_LENGTH_ALPHA2 \"1.544414\"\n*MEAS_SCAN_STEP \"0.5\"\n"
    "*RAS_HEADER_END\n*RAS_INT_START\n10.0000 100 1.0000\n10.5000 200 1.0000\n11.0000 150 1.0000\n*RAS_INT_END\n"
    "*RAS_DATA_END\n";

const char* kPdcif =
    "data_overall\n_pd_block_id syn|overall\n_diffrn_radiation_wavelength 1.5406(1)\n\n"
    "data_profile\n_pd_block_id syn|profile\n_pd_meas_2theta_range_min 10.0\n_pd_meas_2theta_range_max 11.0\n"
    "_pd_meas_2theta_range_inc 0.5\nloop_\n_pd_meas_counts_total\n_pd_proc_intensity_bkg_calc\n_pd_calc_intensity_total\n"
    "100 5 98\n200 5 205\n150 5 149\n";

const char* kUxd =
    "; synthetic UXD\n_FILEVERSION=2\n_SAMPLE='syn'\n_WL1=1.540600\n_WL2=1.544390\n_WLRATIO=0.500000\n;\n"
    "_DRIVE='COUPLED'\n_STEPTIME=1.000000\n_STEPSIZE=0.500000\n_START=10.000000\n_2THETACOUNTS\n"
    "10.000 100\n10.500 200\n11.000 150\n";

std::string raw4(std::uint32_t n, double start, double step, const std::vector<float>& y) {
  std::string b = "RAW4.00";
  b.resize(61, '\0');
  // One source record (type 30) with the wavelengths, then the end of the list (type 0).
  std::string rec;
  put_u32(rec, 30);
  put_u32(rec, 136);
  rec.resize(136, '\0');
  const double lam[5] = {1.5418, 1.5406, 1.54439, 1.39222, 0.5};
  for (int i = 0; i < 4; ++i) std::memcpy(&rec[72 + 8 * i], &lam[i], 8);
  std::memcpy(&rec[104], &lam[4], 8);
  b += rec;
  std::string range(160, '\0');
  std::memcpy(&range[4], &n, 4);
  std::memcpy(&range[72], &start, 8);
  std::memcpy(&range[80], &step, 8);
  std::memcpy(&range[88], &n, 4);
  b += range;
  for (float v : y) b.append(reinterpret_cast<const char*>(&v), 4);
  return b;
}

std::string stoe(std::uint32_t n, float start, float step, const std::vector<std::int32_t>& y) {
  std::string b = "RAW_1.06Powdat";
  b.resize(2560, '\0');
  const float end = start + step * static_cast<float>(n - 1);
  std::memcpy(&b[2048 + 34], &n, 4);
  std::memcpy(&b[2048 + 44], &start, 4);
  std::memcpy(&b[2048 + 52], &end, 4);
  std::memcpy(&b[2048 + 60], &step, 4);
  for (auto v : y) b.append(reinterpret_cast<const char*>(&v), 4);
  return b;
}

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"xy", "a.xy", "# sample: syn\n# wavelength_angstrom: 1.5406\n10.0 100\n10.5 200\n11.0 150\n", 3, 10, 11,
               100, 1.5406});
  c.push_back({"chi", "a.chi", "syn title\n2-Theta Angle (Degrees)\nIntensity\n       3\n 1.0E+01 1.0E+02\n"
               " 1.05E+01 2.0E+02\n 1.1E+01 1.5E+02\n", 3, 10, 11, 100, 0});
  c.push_back({"xrdml", "a.xrdml", kXrdml, 3, 10, 11, 100, 1.540598});
  c.push_back({"bruker_uxd", "a.uxd", kUxd, 3, 10, 11, 100, 1.5406});
  c.push_back({"gsas", "a.gsa", "synthetic STD\nBANK 1 3 1 CONST 1000 50 0 0 STD\n     100     200     150\n", 3, 10,
               11, 100, 0});
  c.push_back({"gsas", "esd.gsa", "synthetic ESD\nBANK 1 3 1 CONST 1000 50 0 0 ESD\n     100      10     200      14"
               "     150      12\n", 3, 10, 11, 100, 0});
  c.push_back({"gsas", "alt.gsa", "synthetic ALT\nBANK 1 3 1 CONST 1000 50 0 0 ALT\n  1000.0  100.0 10.0  1050.0  200.0"
               " 14.0  1100.0  150.0 12.0\n", 3, 10, 11, 100, 0});
  c.push_back({"gsas_fxye", "a.fxye", "synthetic\n# Wavelength = 1.5406\nBANK 1 3 3 CONS 1000 50 0 0 FXYE\n"
               "1000 100 10\n1050 200 14\n1100 150 12\n", 3, 10, 11, 100, 1.5406});
  c.push_back({"rigaku_ras", "a.ras", kRas, 3, 10, 11, 100, 1.540593});
  c.push_back({"pdcif", "a.cif", kPdcif, 3, 10, 11, 100, 1.5406});
  c.push_back({"riet7", "a.dat", "synthetic RIET7 title\n 10.0 0.5 12.0\n 100 200 150 120 110\n", 5, 10, 12, 100, 0});
  c.push_back({"dbws", "a.rit", "   10.00    0.50   12.00 synthetic DBWS\n     100     200     150     120     110\n",
               5, 10, 12, 100, 0});
  c.push_back({"philips_udf", "a.udf", "SampleIdent,syn ,/\nTitle1,synthetic ,/\nLabdaAlpha1, 1.54060,/\n"
               "LabdaAlpha2, 1.54439,/\nRatioAlpha21, 0.50000,/\nDataAngleRange,  10.0000,  12.0000,/\n"
               "ScanStepSize,    0.500,/\nScanStepTime,   1.00,/\nRawScan\n   100,   200,   150,   120,   110/\n",
               5, 10, 12, 100, 1.5406});
  const std::string cond =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MeasurementConditions><SampleName>syn</SampleName>"
      "<HWConfigurations><TargetName>Cu</TargetName><WavelengthKalpha1>1.540593</WavelengthKalpha1>"
      "<WavelengthKalpha2>1.544414</WavelengthKalpha2></HWConfigurations></MeasurementConditions>\n";
  c.push_back({"rigaku_rasx", "a.rasx",
               make_zip({{"Data0/Profile0.txt", "\xEF\xBB\xBF" "10.0000\t100\t1\r\n10.5000\t200\t1\r\n11.0000\t75\t2\r\n"},
                         {"Data0/MesurementConditions0.xml", cond},
                         {"root.xml", "<Root/>"}}),
               3, 10, 11, 100, 1.540593, false});
  c.push_back({"bruker_brml", "a.brml",
               make_zip({{"Experiment0/RawData0.xml",
                          "<?xml version=\"1.0\"?>\n<RawData><FixedInformation><Instrument>"
                          "<WaveLengthAlpha1 Value=\"1.5406\" Unit=\"Angstrom\"/><WaveLengthAlpha2 Value=\"1.54439\"/>"
                          "<WaveLengthRatio Value=\"0.5\"/></Instrument></FixedInformation><DataRoutes><DataRoute>"
                          "<Datum>1,1,10.0,5.0,100</Datum><Datum>1,1,10.5,5.25,200</Datum>"
                          "<Datum>1,1,11.0,5.5,150</Datum></DataRoute></DataRoutes></RawData>\n"}}),
               3, 10, 11, 100, 1.5406, false});
  c.push_back({"bruker_raw4", "a.raw", raw4(3, 10.0, 0.5, {100, 200, 150}), 3, 10, 11, 100, 1.5406, false});
  c.push_back({"stoe_raw", "b.raw", stoe(3, 10.0f, 0.5f, {100, 200, 150}), 3, 10, 11, 100, 0, false});
  return c;
}

// Empty when the pattern matches the case, otherwise what differs.
std::string difference(const pxrd::Pattern& p, const Case& c) {
  if (p.format != c.name) return "read as " + p.format;
  if (p.size() != c.points) return std::to_string(p.size()) + " points";
  if (std::fabs(p.x.front() - c.x0) > 1e-9 || std::fabs(p.x.back() - c.x_last) > 1e-6)
    return "x range " + std::to_string(p.x.front()) + " to " + std::to_string(p.x.back());
  if (p.y.front() != c.y0) return "y0 = " + std::to_string(p.y.front());
  if (c.lambda1 > 0 && !(p.radiation && std::fabs(p.radiation->lambda1_angstrom - c.lambda1) < 1e-9))
    return "wavelength missing or wrong";
  if (c.lambda1 == 0 && p.radiation) return "a wavelength the file does not state";
  return "";
}

// Variants of a text file ("tabs" replaces each space by one tab, so fixed columns keep their width).
std::vector<std::pair<std::string, std::string>> variants(const Case& c) {
  std::vector<std::pair<std::string, std::string>> v = {{"plain", c.content}};
  if (!c.text) return v;
  v.push_back({"crlf", crlf(c.content)});
  v.push_back({"bom", bom(c.content)});
  v.push_back({"bom+crlf", bom(crlf(c.content))});
  v.push_back({"tabs", replace_all(c.content, " ", "\t")});
  v.push_back({"trailing_junk", c.content + "\x01\x02 junk \xff\xfe trailing\n"});
  return v;
}

}  // namespace

class TestSynthetic : public QObject {
  Q_OBJECT
 private slots:
  void every_reader_every_variant() {
    // Variants that must fail with an InputError naming the file (documented behaviour, not a crash).
    const std::set<std::string> expected_errors = {
        // XML allows nothing after the root element; CIF, DBWS and UXD (via xylib)
        // have no place for free text either.
        "xrdml/a.xrdml/trailing_junk", "pdcif/a.cif/trailing_junk", "dbws/a.rit/trailing_junk",
        "bruker_uxd/a.uxd/trailing_junk",
    };
    std::vector<std::string> failures;
    std::set<std::string> seen_readers;
    for (const Case& c : cases()) {
      for (const auto& [variant, bytes] : variants(c)) {
        const std::string key = c.name + "/" + c.file + "/" + variant;
        try {
          const pxrd::Pattern p = read_bytes(bytes, c.file);
          if (expected_errors.count(key)) failures.push_back(key + ": expected an error, got a pattern");
          const std::string diff = difference(p, c);
          if (!diff.empty()) failures.push_back(key + ": " + diff);
        } catch (const pxrd::InputError& e) {
          if (!expected_errors.count(key)) failures.push_back(key + ": " + e.what());
          if (std::string(e.what()).find(c.file) == std::string::npos) failures.push_back(key + ": unnamed file");
        }
      }
      seen_readers.insert(c.name);
    }
    std::string all;
    for (const auto& f : failures) all += "\n  " + f;
    QVERIFY2(failures.empty(), all.c_str());
    // All readers but two binary xylib ones: bruker_raw (real files only) and philips_rd (no sample known).
    QCOMPARE(seen_readers.size(), std::size_t(15));
  }

  void decimal_comma_in_header() {
    const auto p = read_bytes("# wavelength_angstrom: 1,5406\n10.0 100\n10.5 200\n", "comma.xy");
    QVERIFY(p.radiation.has_value());
    QCOMPARE(p.radiation->lambda1_angstrom, 1.5406);
    const auto g = read_bytes("synthetic\n# Wavelength = 0,413529\nBANK 1 2 2 CONS 1000 50 0 0 FXYE\n1000 1 1\n1050 2 1\n",
                              "comma.fxye");
    QVERIFY(g.radiation.has_value());
    QCOMPARE(g.radiation->lambda1_angstrom, 0.413529);
  }

  void descending_x_is_reversed() {
    const struct {
      const char* file;
      std::string content;
    } files[] = {
        {"d.xy", "11.0 150\n10.5 200\n10.0 100\n"},
        {"d.fxye", "t\nBANK 1 3 3 CONS 1100 -50 0 0 FXYE\n1100 150 12\n1050 200 14\n1000 100 10\n"},
        {"d.xrdml", replace_all(replace_all(replace_all(kXrdml, "<startPosition>10.0", "<startPosition>11.0"),
                                            "<endPosition>11.0", "<endPosition>10.0"),
                                "100 200 150", "150 200 100")},
        {"d.ras", replace_all(kRas, "10.0000 100 1.0000\n10.5000 200 1.0000\n11.0000 150 1.0000\n",
                              "11.0000 150 1.0000\n10.5000 200 1.0000\n10.0000 100 1.0000\n")},
    };
    for (const auto& f : files) {
      const auto p = read_bytes(f.content, f.file);
      QCOMPARE(p.size(), std::size_t(3));
      QCOMPARE(p.x.front(), 10.0);
      QCOMPARE(p.x.back(), 11.0);
      QVERIFY2(p.y.front() == 100 && p.y.back() == 150, f.file);  // the intensities moved with their x
    }
  }

  void single_point() {
    // The core text parser refuses a lone point (a pattern needs a step); the binary and XML readers keep it.
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, read_bytes("10.0 100\n", "one.xy"));
    const auto b = read_bytes(replace_all(replace_all(kXrdml, "100 200 150", "100"), "<endPosition>11.0",
                                          "<endPosition>10.0"), "one.xrdml");
    QCOMPARE(b.size(), std::size_t(1));
    QCOMPARE(b.x[0], 10.0);
    const auto c = read_bytes("t\nBANK 1 1 1 CONST 1000 50 0 0 STD\n     100\n", "one.gsa");
    QCOMPARE(c.size(), std::size_t(1));
    QCOMPARE(c.y[0], 100.0);
    const auto d = read_bytes(raw4(1, 10.0, 0.5, {100}), "one.raw");
    QCOMPARE(d.size(), std::size_t(1));
    const auto e = read_bytes(stoe(1, 10.0f, 0.5f, {100}), "one_stoe.raw");
    QCOMPARE(e.size(), std::size_t(1));
  }

  void pdcif_keeps_observed_not_calculated() {
    const auto p = read_bytes(kPdcif, "obs.cif");
    QCOMPARE(p.y, (std::vector<double>{100, 200, 150}));  // not 98/205/149 (calc) nor 5 (background)
    QVERIFY(p.radiation.has_value());
    QVERIFY(!p.radiation->has_second_line());
    QCOMPARE(QString::fromStdString(p.metadata.at("y_column")), QString("_pd_meas_counts_total"));
  }

  void several_scans_first_is_read_and_counted() {
    // XRDML with two <scan> elements; GSAS with two banks; RAS with two scans.
    std::string two = kXrdml;
    const std::string scan_start = "  <scan appendNumber=\"0\"";
    const auto a = two.find(scan_start);
    const auto b = two.find("</scan>") + 8;
    two.insert(b, replace_all(two.substr(a, b - a), "100 200 150", "7 8 9"));
    const auto x = read_bytes(two, "two.xrdml");
    QCOMPARE(x.y[0], 100.0);
    QCOMPARE(QString::fromStdString(x.metadata.at("scans")), QString("2"));
    QCOMPARE(QString::fromStdString(x.history.back()), QString("first_scan_only(scans=2)"));
    const auto g = read_bytes("t\nBANK 1 3 1 CONST 1000 50 0 0 STD\n     100     200     150\n"
                              "BANK 2 3 1 CONST 2000 50 0 0 STD\n       1       2       3\n", "two.gsa");
    QCOMPARE(g.y, (std::vector<double>{100, 200, 150}));
    QCOMPARE(QString::fromStdString(g.metadata.at("banks")), QString("2"));
    const auto r = read_bytes(std::string(kRas) + kRas, "two.ras");
    QCOMPARE(r.size(), std::size_t(3));
    QCOMPARE(QString::fromStdString(r.metadata.at("scans")), QString("2"));
  }

  void rasx_attenuator_factor_applied() {
    const auto p = read_bytes(
        make_zip({{"Data0/Profile0.txt", "10.0\t100\t1\n10.5\t200\t1\n11.0\t75\t2\n"}}), "att.rasx");
    QCOMPARE(p.y.back(), 150.0);
    QCOMPARE(QString::fromStdString(p.history.back()), QString("attenuator_factor_applied"));
  }

  void pyfai_q_in_inverse_nanometres() {
    const auto p = read_bytes("# == pyFAI calibration ==\n# Wavelength: 1.5406e-10 m\n#  q_nm^-1  I\n10.0 100\n"
                              "10.5 200\n11.0 150\n", "q.chi");
    QCOMPARE(p.x_unit, pxrd::XUnit::QInvAngstrom);
    QVERIFY(std::fabs(p.x.front() - 1.0) < 1e-12);
    QVERIFY(std::fabs(p.radiation->lambda1_angstrom - 1.5406) < 1e-12);
  }

  void q_space_text_by_extension() {
    const auto p = read_bytes("1.0 100\n1.1 200\n1.2 150\n", "a.qye");
    QCOMPARE(p.x_unit, pxrd::XUnit::QInvAngstrom);
    QCOMPARE(QString::fromStdString(p.format), QString("xy"));
  }

  void content_beats_extension() {
    // An XRDML file called .xy, a STOE file called .xy and GSAS data called .raw are still recognised.
    QCOMPARE(QString::fromStdString(read_bytes(kXrdml, "wrong.xy").format), QString("xrdml"));
    QCOMPARE(QString::fromStdString(read_bytes(stoe(3, 10.0f, 0.5f, {1, 2, 3}), "wrong2.xy").format),
             QString("stoe_raw"));
    QCOMPARE(QString::fromStdString(
                 read_bytes("t\nBANK 1 3 1 CONST 1000 50 0 0 STD\n     100     200     150\n", "wrong.raw").format),
             QString("gsas"));
  }
};

QTEST_GUILESS_MAIN(TestSynthetic)
#include "test_synthetic.moc"
