// Rigaku SmartLab files (own readers: xylib has neither).
//  .ras:  text; "*KEY "value"" header lines between *RAS_HEADER_START/END, then rows "2θ intensity
//         attenuator" between *RAS_INT_START/END; one such section per scan.
//  .rasx: ZIP archive (SmartLab Studio II) with Data0/Profile0.txt (the same rows, often with a UTF-8 BOM)
//         and Data0/MesurementConditions0.xml (sic) holding <WavelengthKalpha1> etc.
// Intensity = counts × attenuator factor (the third column), as SmartLab Studio reports it; the factor is
// 1 unless an attenuator was inserted.
#include "builtin.hpp"
#include "util.hpp"
#include "xml_lite.hpp"
#include "zip_lite.hpp"

namespace pxrd::formats::detail {
namespace {

// Rows "x y [factor]" starting at `lines`; stops at a line starting with '*' (RAS) or the end.
void read_profile_rows(LineReader& lines, const std::string& path, Pattern& p) {
  std::string_view line;
  bool scaled = false;
  while (lines.next(line)) {
    const std::string t = trim(line);
    if (t.empty()) continue;
    if (t[0] == '*') break;
    const auto f = split_fields(t);
    if (f.size() < 2) throw InputError(path, lines.line_number(), "Rigaku: expected '2θ intensity [factor]'");
    const double x = number_or_throw(f[0], path, lines.line_number(), "2θ");
    double y = number_or_throw(f[1], path, lines.line_number(), "intensity");
    if (f.size() >= 3) {
      const double factor = number_or_throw(f[2], path, lines.line_number(), "attenuator factor");
      if (factor != 1.0) scaled = true;
      y *= factor;
    }
    p.x.push_back(x);
    p.y.push_back(y);
  }
  if (scaled) p.history.push_back("attenuator_factor_applied");
}

class RasReader : public Reader {
 public:
  std::string id() const override { return "rigaku_ras"; }
  std::string description() const override { return "Rigaku RAS text (SmartLab)"; }
  std::vector<std::string> extensions() const override { return {"ras"}; }
  int sniff(std::string_view head, std::string_view) const override {
    return starts_with(trim(strip_bom(head).substr(0, 64)), "*RAS_DATA_START") ? kSniffCertain
           : head.find("*RAS_HEADER_START") != std::string_view::npos       ? 90
                                                                             : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    Pattern p;
    std::map<std::string, std::string> header;
    LineReader lines(content);
    std::string_view line;
    int scans = 0;
    while (lines.next(line)) {
      const std::string t = trim(line);
      if (t == "*RAS_INT_START") {
        ++scans;
        if (scans == 1) {
          read_profile_rows(lines, path, p);
        }
        continue;
      }
      if (scans == 0 && starts_with(t, "*") && t.find_first_of(" \t") != std::string::npos) {
        const auto sp = t.find_first_of(" \t");
        header[t.substr(1, sp - 1)] = trim(unquote(t.substr(sp + 1), '"'));
      }
    }
    if (scans == 0) throw InputError(path, 0, "RAS: no *RAS_INT_START section");
    note_first_only(p, "scans", "first_scan_only", scans);
    const auto num = [&](const char* key) {
      double v = 0;
      auto it = header.find(key);
      return it != header.end() && parse_number(it->second, v) ? v : 0.0;
    };
    const auto put = [&](const char* meta, const char* key) {
      auto it = header.find(key);
      if (it != header.end() && !it->second.empty()) p.metadata[meta] = it->second;
    };
    // A ratio is not part of the RAS header; without one only λ1 is in force (λ2 is kept in metadata).
    set_radiation(p, num("HW_XG_WAVE_LENGTH_ALPHA1"), 0, 0, header["HW_XG_TARGET_NAME"]);
    put("wavelength_kalpha2_angstrom", "HW_XG_WAVE_LENGTH_ALPHA2");
    put("sample", "FILE_SAMPLE");
    put("date", "MEAS_SCAN_START_TIME");
    put("step", "MEAS_SCAN_STEP");
    put("instrument", "FILE_SYSTEM_NAME");
    put("scan_speed", "MEAS_SCAN_SPEED");
    return p;
  }
};

class RasxReader : public Reader {
 public:
  std::string id() const override { return "rigaku_rasx"; }
  std::string description() const override { return "Rigaku RASX (SmartLab Studio II ZIP)"; }
  std::vector<std::string> extensions() const override { return {"rasx"}; }
  int sniff(std::string_view head, std::string_view) const override {
    if (!looks_like_zip(head)) return kSniffNo;
    // The first local header usually names a Data0/ member.
    return head.find("Data0/") != std::string_view::npos || head.find("root.xml") != std::string_view::npos
               ? 90
               : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    const ZipArchive zip(content, path);
    const ZipMember* profile = zip.find("Data0/Profile0.txt");
    if (!profile) throw InputError(path, 0, "RASX: no Data0/Profile0.txt in the archive");
    const std::string text = zip.extract(*profile);
    Pattern p;
    LineReader lines(text);
    read_profile_rows(lines, path + ":Data0/Profile0.txt", p);
    int profiles = 0;
    for (const auto& m : zip.members())
      if (m.name.find("/Profile") != std::string::npos && m.name.size() > 4 &&
          m.name.compare(m.name.size() - 4, 4, ".txt") == 0)
        ++profiles;
    note_first_only(p, "scans", "first_scan_only", profiles);
    const ZipMember* cond = zip.find("Data0/MesurementConditions0.xml");
    if (!cond) cond = zip.find("Data0/MeasurementConditions0.xml");
    if (cond) {
      const std::string xml_path = path + ":" + cond->name;
      const auto root = parse_xml(zip.extract(*cond), xml_path);
      const auto text_of = [&](const char* name) -> std::string {
        const XmlElement* e = root->find(name);
        return e ? trim(e->text) : "";
      };
      double l1 = 0;
      parse_number(text_of("WavelengthKalpha1"), l1);
      set_radiation(p, l1, 0, 0, text_of("TargetName"));
      if (!text_of("WavelengthKalpha2").empty()) p.metadata["wavelength_kalpha2_angstrom"] = text_of("WavelengthKalpha2");
      if (!text_of("SampleName").empty()) p.metadata["sample"] = text_of("SampleName");
      if (!text_of("StartTime").empty()) p.metadata["date"] = text_of("StartTime");
      if (!text_of("Step").empty()) p.metadata["step"] = text_of("Step");
      if (!text_of("Speed").empty()) p.metadata["scan_speed"] = text_of("Speed") + " " + text_of("SpeedUnit");
    }
    return p;
  }
};

}  // namespace

void add_rigaku_readers(PluginHost& host) {
  host.add_reader(std::make_unique<RasReader>());
  host.add_reader(std::make_unique<RasxReader>());
}

}  // namespace pxrd::formats::detail
