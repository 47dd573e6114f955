// .chi: Fit2D writes four header lines without comment marks (title, x label, y label, point count);
// pyFAI writes '#' headers with "# Wavelength: <m> m" and a column label such as "2th_deg", "q_nm^-1" or
// "q_A^-1". The header is interpreted here; the numbers go through the core's text parser.
#include <cmath>

#include "builtin.hpp"
#include "pxrd/pattern_io.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

struct ChiHeader {
  bool fit2d = false;
  XUnit unit = XUnit::TwoThetaDeg;
  double q_scale = 1.0;        // 0.1 for Q in nm⁻¹
  double wavelength_m = 0.0;   // pyFAI states it in metres
  std::string title;
};

bool is_integer_line(std::string_view line) {
  const auto f = split_fields(line);
  double v;
  return f.size() == 1 && parse_number(f[0], v) && v >= 0 && v == std::floor(v);
}

void unit_from_label(std::string_view label, ChiHeader& h) {
  const std::string l = to_lower(label);
  if (l.find("q_nm") != std::string::npos || l.find("nm^-1") != std::string::npos ||
      l.find("nm-1") != std::string::npos) {
    h.unit = XUnit::QInvAngstrom;
    h.q_scale = 0.1;
  } else if (l.find("q_a") != std::string::npos || l.find("a^-1") != std::string::npos ||
             l.find("q (") != std::string::npos || l.find("q-") != std::string::npos) {
    h.unit = XUnit::QInvAngstrom;
  }
}

ChiHeader parse_header(std::string_view content) {
  ChiHeader h;
  LineReader lines(content);
  std::string_view l[4];
  int n = 0;
  while (n < 4 && lines.next(l[n])) ++n;
  if (n == 4 && !starts_with(trim(l[0]), "#") && is_integer_line(l[3]) && !is_integer_line(l[1])) {
    h.fit2d = true;
    h.title = trim(l[0]);
    unit_from_label(l[1], h);
    return h;
  }
  LineReader again(content);
  std::string_view line;
  while (again.next(line) && again.line_number() < 200) {
    const std::string t = trim(line);
    if (!starts_with(t, "#")) break;
    const auto colon = t.find(':');
    if (icontains(t, "wavelength") && colon != std::string::npos) {
      double v;
      if (parse_number(first_token(std::string_view(t).substr(colon + 1)), v)) h.wavelength_m = v;
    } else {
      unit_from_label(t, h);
    }
  }
  return h;
}

class ChiReader : public Reader {
 public:
  std::string id() const override { return "chi"; }
  std::string description() const override { return "Fit2D and pyFAI .chi (2θ or Q)"; }
  std::vector<std::string> extensions() const override { return {"chi"}; }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find('\0') != std::string_view::npos) return kSniffNo;
    const ChiHeader h = parse_header(head);
    if (h.fit2d) return 60;
    return icontains(head, "pyFAI") || icontains(head, "# chi_") ? 55 : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    const ChiHeader h = parse_header(content);
    Pattern p;
    if (h.fit2d) {
      // Mark the four header lines as comments so that the line numbers in messages stay right.
      std::string text;
      text.reserve(content.size() + 8);
      LineReader lines(content);
      std::string_view line;
      std::size_t consumed = 0;
      for (int i = 0; i < 4 && lines.next(line); ++i) {
        text += "# ";
        text += line;
        text += '\n';
        consumed = static_cast<std::size_t>(line.data() + line.size() - content.data());
      }
      text.append(content, consumed, std::string::npos);
      p = parse_pattern_text(text, path, h.unit);
      if (!h.title.empty()) p.metadata["sample"] = h.title;
    } else {
      p = parse_pattern_text(content, path, h.unit);
    }
    p.x_unit = h.unit;
    if (h.q_scale != 1.0) {
      for (double& x : p.x) x *= h.q_scale;
      p.history.push_back("q_nm_to_angstrom(scale=0.1)");
    }
    // pyFAI states metres; a generic header parser would have taken the number as Å.
    if (h.wavelength_m > 0 && h.wavelength_m < 1e-8) {
      p.radiation.reset();
      set_radiation(p, h.wavelength_m * 1e10);
    }
    return p;
  }
};

}  // namespace

void add_chi_reader(PluginHost& host) { host.add_reader(std::make_unique<ChiReader>()); }

}  // namespace pxrd::formats::detail
