// PANalytical XRDML (own reader: xylib 1.6 reads <intensities> but not <counts>, and reports no wavelength).
// Reads the first <scan> (the number of scans is kept in metadata), the 2Theta positions (start/end or
// listPositions), <intensities> or <counts>, and the radiation from <usedWavelength>.
#include "builtin.hpp"
#include "util.hpp"
#include "xml_lite.hpp"

namespace pxrd::formats::detail {
namespace {

double child_number(const XmlElement& el, const char* name, const std::string& path) {
  const XmlElement* c = el.find(name);
  if (!c) return 0;
  return number_or_throw(trim(c->text), path, c->line, name);
}

class XrdmlReader : public Reader {
 public:
  std::string id() const override { return "xrdml"; }
  std::string description() const override { return "PANalytical XRDML (<intensities> or <counts>)"; }
  std::vector<std::string> extensions() const override { return {"xrdml"}; }
  int sniff(std::string_view head, std::string_view) const override {
    return head.find("<xrdMeasurements") != std::string_view::npos ? kSniffCertain : kSniffNo;
  }

  Pattern read(const std::string& content, const std::string& path) const override {
    const auto root = parse_xml(content, path);
    if (root->name != "xrdMeasurements") throw InputError(path, root->line, "XRDML: root element is <" + root->name + ">");
    std::vector<const XmlElement*> scans;
    root->find_all("scan", scans);
    if (scans.empty()) throw InputError(path, 0, "XRDML: no <scan> element");
    const XmlElement& scan = *scans.front();
    const XmlElement* points = scan.child("dataPoints");
    if (!points) throw InputError(path, scan.line, "XRDML: <scan> without <dataPoints>");

    Pattern p;
    const XmlElement* y_el = points->child("intensities");
    if (!y_el) y_el = points->child("counts");
    if (!y_el) throw InputError(path, points->line, "XRDML: no <intensities> or <counts> in <dataPoints>");
    p.y = number_list(y_el->text, path, y_el->line, "intensity");
    if (p.y.empty()) throw InputError(path, y_el->line, "XRDML: empty <" + y_el->name + ">");

    // The 2Theta axis, or the scan axis when there is no 2Theta (e.g. an omega scan).
    const XmlElement* pos = nullptr;
    for (const XmlElement* c : points->children_named("positions"))
      if (c->attr("axis") == "2Theta") pos = c;
    if (!pos) {
      for (const XmlElement* c : points->children_named("positions"))
        if (c->attr("axis") == scan.attr("scanAxis")) pos = c;
      if (!pos) throw InputError(path, points->line, "XRDML: no 2Theta <positions>");
      p.metadata["x_axis"] = pos->attr("axis");
    }
    const std::size_t n = p.y.size();
    if (const XmlElement* list = pos->child("listPositions")) {
      p.x = number_list(list->text, path, list->line, "position");
      if (p.x.size() != n)
        throw InputError(path, list->line, "XRDML: " + std::to_string(p.x.size()) + " positions for " +
                                               std::to_string(n) + " intensities");
    } else {
      const XmlElement* s = pos->child("startPosition");
      const XmlElement* e = pos->child("endPosition");
      if (!s || !e) throw InputError(path, pos->line, "XRDML: <positions> without start/end or listPositions");
      const double start = number_or_throw(trim(s->text), path, s->line, "startPosition");
      const double end = number_or_throw(trim(e->text), path, e->line, "endPosition");
      if (n == 1) {
        p.x = {start};
      } else {
        fill_linear_x(p, start, (end - start) / static_cast<double>(n - 1), n);
        p.x.back() = end;  // exact, not start + (n-1)·step
      }
    }

    if (const XmlElement* wl = root->find("usedWavelength")) {
      const XmlElement* anode = root->find("anodeMaterial");
      set_radiation(p, child_number(*wl, "kAlpha1", path), child_number(*wl, "kAlpha2", path),
                    child_number(*wl, "ratioKAlpha2KAlpha1", path), anode ? trim(anode->text) : "");
      if (p.radiation) {
        const std::string intended = wl->attr("intended");
        if (!intended.empty()) p.metadata["intended_wavelength"] = intended;
      }
    }
    note_first_only(p, "scans", "first_scan_only", scans.size());
    if (const XmlElement* sample = root->child("sample")) {
      const XmlElement* name = sample->child("name");
      const XmlElement* ident = sample->child("id");
      const std::string s = name && !trim(name->text).empty() ? trim(name->text) : ident ? trim(ident->text) : "";
      if (!s.empty()) p.metadata["sample"] = s;
    }
    if (const XmlElement* t = scan.find("startTimeStamp")) p.metadata["date"] = trim(t->text);
    if (const XmlElement* t = points->child("commonCountingTime")) p.metadata["counting_time"] = trim(t->text);
    if (n > 1) p.metadata["step"] = std::to_string((p.x.back() - p.x.front()) / static_cast<double>(n - 1));
    return p;
  }
};

}  // namespace

void add_xrdml_reader(PluginHost& host) { host.add_reader(std::make_unique<XrdmlReader>()); }

}  // namespace pxrd::formats::detail
