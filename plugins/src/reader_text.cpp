// Column text (.xy/.xye/.dat/.csv/.txt and the Q-space .qye/.qxy) through the core's text parser
// (pxrd/pattern_io.hpp), so that there is one text parser in the program.
#include <algorithm>

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

// Header values such as "# wavelength_angstrom: 1,5406" (a decimal comma, written by a spreadsheet or a
// European locale) are repaired to '.' before parsing: the core parser would read "1" and stop. Only
// comment lines before the first data row are touched; returns the repaired line numbers.
std::vector<int> repair_header_commas(std::string& text) {
  std::vector<int> repaired;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string_view line(text.data() + pos, end - pos);
    const std::string t = trim(strip_bom(line));
    if (!t.empty() && t[0] != '#' && t[0] != '!' && t[0] != '\'') {
      double v;
      const auto f = split_fields(t);
      if (!f.empty() && parse_number(f[0], v)) break;  // first data row
    }
    const auto sep = line.find_first_of(":=");
    if (!t.empty() && (t[0] == '#' || t[0] == '!' || t[0] == '\'') && sep != std::string_view::npos) {
      const std::string value = trim(line.substr(sep + 1));
      const auto comma = value.find(',');
      double v;
      if (comma != std::string::npos && value.find(',', comma + 1) == std::string::npos &&
          value.find('.') == std::string::npos && value.find(' ') == std::string::npos && parse_number(value, v)) {
        text[pos + sep + 1 + line.substr(sep + 1).find(',')] = '.';
        repaired.push_back(line_no);
      }
    }
    pos = end + 1;
  }
  return repaired;
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
    // Cheap check first: most files have no comma in their first lines.
    const std::size_t probe = std::min<std::size_t>(content.size(), 8192);
    if (content.find(',', 0) < probe) {
      std::string repaired = content;
      const auto lines = repair_header_commas(repaired);
      if (!lines.empty()) {
        Pattern p = parse_pattern_text(repaired, path, x_unit_from_extension(path));
        for (int l : lines) p.history.push_back("decimal_comma_in_header(line=" + std::to_string(l) + ")");
        return p;
      }
    }
    return parse_pattern_text(content, path, x_unit_from_extension(path));
  }
};

}  // namespace

void add_text_readers(PluginHost& host) { host.add_reader(std::make_unique<TextReader>()); }

}  // namespace pxrd::formats::detail
