// Bruker files xylib 1.6 does not read.
//
// RAW v4 ("RAW4.00", DIFFRAC V4/V5 and V5Converter). Layout worked out from the bytes of the sample
// tests/data/formats/bruker_raw/bruker_raw4.raw (aimat-lab/xrdpattern, see tests/data/formats/README.md),
// not from a specification, and checked for consistency while reading:
//   offset 61: records [u32 type][u32 length incl. these 8 bytes]...; type 10 = string record (name at +12,
//              24 bytes; value at +36), type 30 = source record (f64 Kα average at +72, Kα1 +80, Kα2 +88,
//              Kβ +96, ratio Kα2/Kα1 +104). A record of type 0 ends the list and starts the first range.
//   range header, 160 bytes: +4 u32 point count, +72 f64 start 2θ, +80 f64 step, +88 u32 point count
//              (must agree), +140 u32 length of the range's own records; then the points as f32.
// Only the first range is read; the number of ranges is counted.
//
// BRML (DIFFRAC.EVA / DIFFRAC.SUITE): a ZIP archive; Experiment0/RawData0.xml holds <Datum> rows
// "time,flag,2θ,θ,...,counts" (2θ is the third value, the counts the last) and the tube wavelengths
// as Value attributes of WaveLengthAlpha1, WaveLengthAlpha2 and WaveLengthRatio.
#include <cmath>

#include "builtin.hpp"
#include "util.hpp"
#include "xml_lite.hpp"
#include "zip_lite.hpp"

namespace pxrd::formats::detail {
namespace {

class BrukerRaw4Reader : public Reader {
 public:
  std::string id() const override { return "bruker_raw4"; }
  std::string description() const override { return "Bruker DIFFRAC RAW v4 (RAW4.00), binary"; }
  std::vector<std::string> extensions() const override { return {"raw"}; }
  int sniff(std::string_view head, std::string_view) const override {
    return starts_with(head, "RAW4.00") ? kSniffCertain : kSniffNo;
  }

  Pattern read(const std::string& content, const std::string& path) const override {
    const ByteReader r(content, path);
    if (!starts_with(content, "RAW4.00")) r.fail(0, "RAW4: missing RAW4.00 magic");
    Pattern p;
    const std::string date = r.str(12, 12, "RAW4 date");
    const std::string time = r.str(24, 10, "RAW4 time");
    if (!date.empty()) p.metadata["date"] = trim(date + " " + time);
    std::size_t pos = 61;
    double l1 = 0, l2 = 0, ratio = 0;
    // File-level records.
    for (int guard = 0;; ++guard) {
      if (guard > 10000) r.fail(pos, "RAW4: too many header records");
      const std::uint32_t type = r.u32(pos, "RAW4 record type");
      if (type == 0) break;
      const std::uint32_t len = r.u32(pos + 4, "RAW4 record length");
      if (len < 8) r.fail(pos, "RAW4: record length " + std::to_string(len) + " is too small");
      r.require(pos, len, "RAW4 record");
      if (type == 10 && len >= 36) {
        const std::string name = r.str(pos + 12, 24, "RAW4 record name");
        const std::string value = r.str(pos + 36, len - 36, "RAW4 record value");
        if (name == "SAMPLEID" && !value.empty()) p.metadata["sample"] = value;
        if (name == "USER" && !value.empty()) p.metadata["user"] = value;
        if (name == "CREATOR" && !value.empty()) p.metadata["instrument"] = value;
      } else if (type == 30 && len >= 112) {
        l1 = r.f64(pos + 80, "RAW4 Kα1");
        l2 = r.f64(pos + 88, "RAW4 Kα2");
        ratio = r.f64(pos + 104, "RAW4 ratio");
      }
      pos += len;
    }
    set_radiation(p, l1, l2, ratio);
    // Ranges.
    int ranges = 0;
    while (pos + 160 <= content.size()) {
      const std::uint32_t n = r.u32(pos + 4, "RAW4 range header");
      const double start = r.f64(pos + 72, "RAW4 start angle");
      const double step = r.f64(pos + 80, "RAW4 step");
      const std::uint32_t n2 = r.u32(pos + 88, "RAW4 range header");
      const std::uint32_t extra = r.u32(pos + 140, "RAW4 range header");
      if (n != n2) r.fail(pos, "RAW4: the range header states " + std::to_string(n) + " and " + std::to_string(n2) + " points");
      if (n == 0 || n > kMaxPoints) r.fail(pos, "RAW4: implausible point count " + std::to_string(n));
      const std::size_t data = pos + 160 + extra;
      r.require(data, static_cast<std::size_t>(n) * 4, "RAW4 intensities");
      ++ranges;
      if (ranges == 1) {
        if (!(step > 0) || !std::isfinite(start)) r.fail(pos + 72, "RAW4: bad start angle or step");
        fill_linear_x(p, start, step, n);
        p.y.resize(n);
        for (std::uint32_t i = 0; i < n; ++i) p.y[i] = r.f32(data + 4 * i, "RAW4 intensities");
        p.metadata["step"] = std::to_string(step);
      }
      pos = data + static_cast<std::size_t>(n) * 4;
    }
    if (ranges == 0) r.fail(pos, "RAW4: no data range (truncated?)");
    note_first_only(p, "scans", "first_scan_only", ranges);
    return p;
  }
};

class BrmlReader : public Reader {
 public:
  std::string id() const override { return "bruker_brml"; }
  std::string description() const override { return "Bruker BRML (DIFFRAC.SUITE ZIP archive)"; }
  std::vector<std::string> extensions() const override { return {"brml"}; }
  int sniff(std::string_view head, std::string_view) const override {
    if (!looks_like_zip(head)) return kSniffNo;
    return head.find("Experiment0/") != std::string_view::npos || head.find("RawData") != std::string_view::npos
               ? 90
               : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    const ZipArchive zip(content, path);
    const ZipMember* raw = zip.find("Experiment0/RawData0.xml");
    if (!raw)
      for (const auto& m : zip.members())
        if (m.name.find("RawData") != std::string::npos && m.name.find(".xml") != std::string::npos) {
          raw = &m;
          break;
        }
    if (!raw) throw InputError(path, 0, "BRML: no Experiment0/RawData0.xml in the archive");
    const std::string xml_path = path + ":" + raw->name;
    const auto root = parse_xml(zip.extract(*raw), xml_path);
    std::vector<const XmlElement*> datums;
    root->find_all("Datum", datums);
    if (datums.empty()) throw InputError(xml_path, 0, "BRML: no <Datum> rows");
    Pattern p;
    for (const XmlElement* d : datums) {
      std::vector<double> v;
      for (auto tok : split_fields(d->text)) v.push_back(number_or_throw(tok, xml_path, d->line, "Datum value"));
      if (v.size() < 4) throw InputError(xml_path, d->line, "BRML: a <Datum> needs at least 4 values");
      p.x.push_back(v[2]);
      p.y.push_back(v.back());
    }
    const auto value_of = [&](const char* name) {
      const XmlElement* e = root->find(name);
      double v = 0;
      return e && parse_number(trim(e->attr("Value")), v) ? v : 0.0;
    };
    set_radiation(p, value_of("WaveLengthAlpha1"), value_of("WaveLengthAlpha2"), value_of("WaveLengthRatio"));
    if (const XmlElement* s = root->find("SampleName")) {
      const std::string v = trim(s->attr("Value", s->text));
      if (!v.empty()) p.metadata["sample"] = v;
    }
    if (const XmlElement* t = root->find("TimeStampStarted")) p.metadata["date"] = trim(t->text);
    return p;
  }
};

}  // namespace

void add_bruker_readers(PluginHost& host) {
  host.add_reader(std::make_unique<BrukerRaw4Reader>());
  host.add_reader(std::make_unique<BrmlReader>());
}

}  // namespace pxrd::formats::detail
