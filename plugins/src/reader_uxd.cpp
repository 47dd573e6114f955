// Bruker/Siemens DIFFRAC-AT UXD text: "_KEY=VALUE" header lines, ';' comments, then per range either
// "_2THETACOUNTS"/"_2THETACPS" (two columns) or "_COUNTS"/"_CPS" (counts only, x from _START/_2THETA and
// _STEPSIZE). Our own reader: Debian's xylib 1.6 double-frees on some malformed UXD files (found by fuzzing).
#include <map>

#include "builtin.hpp"
#include "pxrd/error.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

class UxdReader : public Reader {
 public:
  std::string id() const override { return "bruker_uxd"; }
  std::string description() const override { return "Bruker/Siemens DIFFRAC-AT UXD text"; }
  std::vector<std::string> extensions() const override { return {"uxd"}; }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find('\0') != std::string_view::npos) return kSniffNo;
    if (icontains(head, "_FILEVERSION")) return 90;
    return icontains(head, "_2THETA") && icontains(head, "_STEPSIZE") ? 70 : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    Pattern p;
    p.source = path;
    std::map<std::string, std::string> keys;  // first range only; later ranges are counted
    LineReader lines(content);
    std::string_view raw;
    enum class Data { None, TwoColumns, CountsOnly } data = Data::None;
    std::size_t ranges = 0;
    bool done = false;
    while (!done && lines.next(raw)) {
      const std::string t = trim(raw);
      if (t.empty() || t[0] == ';') continue;
      if (t[0] == '_') {
        const auto eq = t.find('=');
        const std::string key = to_lower(trim(std::string_view(t).substr(1, eq == std::string::npos ? t.size() - 1 : eq - 1)));
        if (eq == std::string::npos) {
          if (data != Data::None) {  // a second data section starts: keep the first range
            ++ranges;
            done = true;
            continue;
          }
          if (key == "2thetacounts" || key == "2thetacps") data = Data::TwoColumns;
          else if (key == "counts" || key == "cps") data = Data::CountsOnly;
          if (data != Data::None) ++ranges;
          continue;
        }
        if (data != Data::None) {  // header of the next range
          ++ranges;
          done = true;
          continue;
        }
        keys.emplace(key, unquote(std::string_view(t).substr(eq + 1), '\''));
        continue;
      }
      if (data == Data::None) {
        p.skipped_lines.push_back(lines.line_number());
        continue;
      }
      const auto f = split_fields(t);
      if (data == Data::TwoColumns) {
        if (f.size() < 2) throw InputError(path, lines.line_number(), "expected 2θ and counts");
        p.x.push_back(number_or_throw(f[0], path, lines.line_number(), "2θ"));
        p.y.push_back(number_or_throw(f[1], path, lines.line_number(), "counts"));
      } else {
        for (const auto& field : f) p.y.push_back(number_or_throw(field, path, lines.line_number(), "counts"));
      }
      if (p.y.size() > kMaxPoints) throw InputError(path, lines.line_number(), "more points than any scan has");
    }
    if (data == Data::None) throw InputError(path, 0, "no _2THETACOUNTS or _COUNTS data section");
    auto number = [&](const char* key, double fallback) {
      auto it = keys.find(key);
      double v = 0;
      return it != keys.end() && parse_number(it->second, v) ? v : fallback;
    };
    if (data == Data::CountsOnly) {
      const double step = number("stepsize", 0);
      const double start = number("start", number("2theta", 0));
      if (!(step > 0)) throw InputError(path, 0, "_COUNTS data without a positive _STEPSIZE");
      fill_linear_x(p, start, step, p.y.size());
    }
    set_radiation(p, number("wl1", 0), number("wl2", 0), number("wlratio", 0),
                  keys.count("anode") ? keys.at("anode") : "");
    if (keys.count("sample")) p.metadata["sample"] = keys.at("sample");
    if (keys.count("datemeasured")) p.metadata["date"] = keys.at("datemeasured");
    if (keys.count("steptime")) p.metadata["counting_time"] = keys.at("steptime");
    if (keys.count("stepsize")) p.metadata["step"] = keys.at("stepsize");
    note_first_only(p, "ranges", "uxd_first_range", ranges);
    return p;
  }
};

}  // namespace

void add_uxd_reader(PluginHost& host) { host.add_reader(std::make_unique<UxdReader>()); }

}  // namespace pxrd::formats::detail
