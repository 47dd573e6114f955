// Column text (.xy/.xye/.dat/.csv/.txt and the Q-space .qye/.qxy) through the core's text parser
// (pxrd/pattern_io.hpp), so that there is one text parser in the program (it also repairs a decimal
// comma in header numbers such as "# wavelength_angstrom: 1,5406").
#include "builtin.hpp"
#include "pxrd/pattern_io.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

// Share of the first lines that look like "x y [esd]" rows.
int sniff_columns(std::string_view head) {
  LineReader lines(head);
  std::string_view line;
  int data = 0, other = 0;
  while (lines.next(line) && data + other < 60) {
    const auto fields = split_fields(line);
    if (fields.empty()) continue;
    double v;
    bool numeric = fields.size() >= 2 && fields.size() <= 4;
    for (std::size_t i = 0; numeric && i < fields.size(); ++i) numeric = parse_number(fields[i], v);
    (numeric ? data : other)++;
  }
  if (data == 0) return 0;
  // Plenty of numeric rows after a short header: plausible, but any specific format beats it.
  return data >= 3 || other == 0 ? kSniffWeak * 3 : kSniffWeak;
}

class TextReader : public Reader {
 public:
  std::string id() const override { return "xy"; }
  std::string description() const override {
    return "column text: x, intensity[, esd] with comment/TITLE/XYDATA headers; Q for .qye/.qxy";
  }
  std::vector<std::string> extensions() const override {
    return {"xy", "xye", "dat", "csv", "txt", "asc", "qye", "qxy", "qchi", "qdat"};
  }
  int sniff(std::string_view head, std::string_view) const override {
    // Binary content (NUL bytes) is never column text.
    if (head.find('\0') != std::string_view::npos) return kSniffNo;
    return sniff_columns(head);
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    return parse_pattern_text(content, path, x_unit_from_extension(path));
  }
};

}  // namespace

void add_text_readers(PluginHost& host) { host.add_reader(std::make_unique<TextReader>()); }

}  // namespace pxrd::formats::detail
