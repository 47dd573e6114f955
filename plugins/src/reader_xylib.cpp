// Formats that Debian's xylib reads correctly (checked against the real files in tests/data/formats):
// Bruker/Siemens RAW v1–v3, DBWS, RIET7/ILL D1A5, Philips RD/SD and UDF.
// xylib's own format checks are loose (riet7 accepts GSAS files), so the sniffers here are our own.
#include <xylib/xylib.h>

#include <cmath>
#include <functional>
#include <memory>

#include "builtin.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

const std::string* meta_get(const xylib::MetaData& m, const char* key) {
  return m.has_key(key) ? &m.get(key) : nullptr;
}

// Looks a key up in the block, then the dataset; strips the quotes UXD puts around strings.
std::string meta_string(const xylib::DataSet& ds, const xylib::Block& b, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    const std::string* v = meta_get(b.meta, k);
    if (!v) v = meta_get(ds.meta, k);
    if (v) {
      std::string s = trim(*v);
      if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') s = trim(s.substr(1, s.size() - 2));
      if (!s.empty()) return s;
    }
  }
  return "";
}

double meta_number(const xylib::DataSet& ds, const xylib::Block& b, std::initializer_list<const char*> keys) {
  double v = 0;
  return parse_number(meta_string(ds, b, keys), v) ? v : 0.0;
}

struct XylibFormat {
  std::string id, xylib_name, description;
  std::vector<std::string> extensions;
  std::function<int(std::string_view head)> sniff;
};

class XylibReader : public Reader {
 public:
  explicit XylibReader(XylibFormat f) : f_(std::move(f)) {}
  std::string id() const override { return f_.id; }
  std::string description() const override { return f_.description + " (via xylib)"; }
  std::vector<std::string> extensions() const override { return f_.extensions; }
  int sniff(std::string_view head, std::string_view) const override { return f_.sniff(head); }

  Pattern read(const std::string& content, const std::string& path) const override {
    std::unique_ptr<xylib::DataSet> ds;
    try {
      // xylib's text formats do not expect a byte-order mark.
      ds.reset(xylib::load_string(std::string(strip_bom(content)), f_.xylib_name));
    } catch (const std::exception& e) {
      throw InputError(path, 0, f_.id + ": " + e.what());
    }
    if (!ds || ds->get_block_count() < 1) throw InputError(path, 0, f_.id + ": the file holds no scan");
    const xylib::Block& b = *ds->get_block(0);
    if (b.get_column_count() < 2) throw InputError(path, 0, f_.id + ": the scan has no intensity column");
    const int n = b.get_point_count();
    if (n <= 0) throw InputError(path, 0, f_.id + ": the scan has no data points");
    Pattern p;
    p.x.resize(static_cast<std::size_t>(n));
    p.y.resize(static_cast<std::size_t>(n));
    const xylib::Column& cx = b.get_column(1);
    const xylib::Column& cy = b.get_column(2);
    for (int i = 0; i < n; ++i) {
      p.x[static_cast<std::size_t>(i)] = cx.get_value(i);
      p.y[static_cast<std::size_t>(i)] = cy.get_value(i);
    }
    note_first_only(p, "scans", "first_scan_only", ds->get_block_count());
    // Wavelength keys: Bruker RAW (ALPHA*), UXD (WL*), Philips (ALPHA*/LAMBDA*).
    const double l1 = meta_number(*ds, b, {"ALPHA1", "WL1", "USED_LAMBDA", "LabdaAlpha1", "lambda1"});
    const double l2 = meta_number(*ds, b, {"ALPHA2", "WL2", "LabdaAlpha2", "lambda2"});
    const double ratio = meta_number(*ds, b, {"ALPHA_RATIO", "WLRATIO", "RatioAlpha21", "ratio"});
    const std::string anode = meta_string(*ds, b, {"ANODE_MATERIAL", "ANODE", "Anode"});
    set_radiation(p, l1, l2, ratio, anode);
    const auto put = [&](const char* key, std::initializer_list<const char*> keys) {
      const std::string v = meta_string(*ds, b, keys);
      if (!v.empty()) p.metadata[key] = v;
    };
    put("sample", {"SAMPLE_ID", "SAMPLE", "SampleIdent", "title"});
    put("instrument", {"SITE", "DiffrType", "DiffrNumber"});
    put("counting_time", {"TIME_PER_STEP", "STEPTIME", "ScanStepTime"});
    std::string date = meta_string(*ds, b, {"MEASURE_DATE", "DATEMEASURED", "DataTime"});
    const std::string time = meta_string(*ds, b, {"MEASURE_TIME"});
    if (!time.empty()) date += " " + time;
    if (!date.empty()) p.metadata["date"] = date;
    if (cx.get_step() > 0) p.metadata["step"] = std::to_string(cx.get_step());
    return p;
  }

 private:
  XylibFormat f_;
};

// The numbers on a line, or an empty vector if any field is not a number.
std::vector<double> numbers_on(std::string_view line) {
  std::vector<double> out;
  for (auto tok : split_fields(line)) {
    double v;
    if (!parse_number(tok, v)) return {};
    out.push_back(v);
  }
  return out;
}

bool is_start_step_stop(const std::vector<double>& v) {
  if (v.size() < 3) return false;
  const double start = v[0], step = v[1], stop = v[2];
  if (!(step > 0) || !(stop > start)) return false;
  const double n = (stop - start) / step;
  return n >= 1 && n < 1e7 && std::fabs(n - std::round(n)) < 0.01;
}

// DBWS: line 1 is START STEP STOP in 3F8.2 (plus a title), then counts, 8 per line.
int sniff_dbws(std::string_view head) {
  LineReader lines(head);
  std::string_view l1, l2;
  if (!lines.next(l1) || !lines.next(l2)) return 0;
  if (l1.size() < 24) return 0;
  if (!is_start_step_stop(numbers_on(l1.substr(0, 24)))) return 0;
  const auto v2 = numbers_on(l2);
  return v2.size() >= 4 ? 45 : 0;
}

// RIET7 / ILL D1A5 / PSI DMC: up to a few header lines, then START STEP STOP, then counts.
int sniff_riet7(std::string_view head) {
  LineReader lines(head);
  std::string_view line;
  for (int i = 0; i < 6 && lines.next(line); ++i) {
    if (istarts_with(trim(line), "BANK")) return 0;  // GSAS
    if (i >= 1 && is_start_step_stop(numbers_on(line)) && numbers_on(line).size() == 3) {
      std::string_view next;
      if (!lines.next(next) || numbers_on(next).size() < 4) return 0;
      return istarts_with(head, "D1A5") || istarts_with(head, "D1B") ? 60 : 40;
    }
  }
  return 0;
}

}  // namespace

void add_xylib_readers(PluginHost& host) {
  const auto add = [&](XylibFormat f) { host.add_reader(std::make_unique<XylibReader>(std::move(f))); };
  add({"bruker_raw", "bruker_raw", "Bruker/Siemens DIFFRAC RAW v1, v2, v3 (RAW1.01), binary", {"raw"},
       [](std::string_view h) {
         return starts_with(h, "RAW1.01") || starts_with(h, "RAW ") || starts_with(h, "RAW2") ? 100 : 0;
       }});
  add({"philips_rd", "philips_rd", "Philips PC-APD RD/SD binary (V3RD/V5RD)", {"rd", "sd"},
       [](std::string_view h) { return starts_with(h, "V3RD") || starts_with(h, "V5RD") ? 100 : 0; }});
  add({"philips_udf", "philips_udf", "Philips UDF text", {"udf"},
       [](std::string_view h) {
         return istarts_with(strip_bom(h), "SampleIdent") && icontains(h, "RawScan") ? 100 : 0;
       }});
  add({"dbws", "dbws", "DBWS / DMPLOT data (start step stop, then counts)", {"dbw", "rit", "neu", "dat"},
       sniff_dbws});
  add({"riet7", "riet7", "RIET7/LHPM/CSRIET, ILL D1A5 and PSI DMC .dat", {"dat"}, sniff_riet7});
}

}  // namespace pxrd::formats::detail
