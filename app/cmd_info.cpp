// `pxrd-diff info FILE [--json] [--format ID]`: what a pattern file holds (format, points, range, radiation),
// or, for a structure CIF, its formula, cell and space group.
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/json_text.hpp"
#include "pxrd/symmetry.hpp"

namespace {

using pxrd::json_number;
using pxrd::json_quote;

// A structure CIF has atom sites and no powder profile; a pdCIF goes to the pattern readers.
bool is_structure_cif(const std::string& path) {
  std::string content;
  try {
    content = pxrd::read_file(path);
  } catch (const pxrd::Error&) {
    return false;  // the pattern reader reports the problem
  }
  if (content.find("data_") == std::string::npos || content.find("_atom_site_") == std::string::npos) return false;
  for (const char* profile : {"_pd_meas_counts", "_pd_meas_intensity", "_pd_meas_2theta", "_pd_proc_intensity",
                              "_pd_proc_2theta", "_pd_meas_number_of_points"})
    if (content.find(profile) != std::string::npos) return false;
  return true;
}

int print_structure(const std::string& path, bool json) {
  const pxrd::Crystal crystal = pxrd::read_cif(path);
  const pxrd::Composition comp = pxrd::Composition::of(crystal);
  const auto p = crystal.lattice.parameters();
  const double volume = crystal.lattice.volume_angstrom3();
  // The space group spglib finds in the expanded cell (tolerance 0.01 Å), not the one the file claims.
  std::string sg_symbol = "unknown";
  int sg_number = 0;
  try {
    const pxrd::SpaceGroupInfo sg = pxrd::find_space_group(crystal, 0.01);
    sg_symbol = sg.international;
    sg_number = sg.number;
  } catch (const pxrd::Error&) {
    // e.g. atoms closer than the tolerance: report the rest
  }
  if (json) {
    std::cout << "{\"kind\": \"structure\", \"file\": " << json_quote(path)
              << ", \"formula\": " << json_quote(comp.formula())
              << ", \"reduced_formula\": " << json_quote(comp.reduced().formula())
              << ", \"sites\": " << crystal.size() << ", \"space_group\": " << json_quote(sg_symbol)
              << ", \"space_group_number\": " << (sg_number > 0 ? std::to_string(sg_number) : "null")
              << ", \"symprec_angstrom\": 0.01, \"cell\": {\"a_angstrom\": " << json_number(p.a_angstrom)
              << ", \"b_angstrom\": " << json_number(p.b_angstrom) << ", \"c_angstrom\": " << json_number(p.c_angstrom)
              << ", \"alpha_deg\": " << json_number(p.alpha_deg) << ", \"beta_deg\": " << json_number(p.beta_deg)
              << ", \"gamma_deg\": " << json_number(p.gamma_deg) << ", \"volume_angstrom3\": " << json_number(volume)
              << "}}\n";
  } else {
    std::cout << "file:     " << path << "\nkind:     structure (CIF)\nformula:  " << comp.formula() << " (reduced "
              << comp.reduced().formula() << ", " << crystal.size() << " atoms in the cell)\n"
              << "cell:     a " << p.a_angstrom << " Å, b " << p.b_angstrom << " Å, c " << p.c_angstrom << " Å, α "
              << p.alpha_deg << "°, β " << p.beta_deg << "°, γ " << p.gamma_deg << "°, V " << volume << " Å³\n"
              << "space group: " << sg_symbol << (sg_number > 0 ? " (#" + std::to_string(sg_number) + ")" : "")
              << ", found by spglib at 0.01 Å\n";
  }
  return 0;
}

std::string skipped_json(const std::vector<int>& lines) {
  std::string out = "[";
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? ", " : "") + std::to_string(lines[i]);
  return out + "]";
}

int print_pattern(const pxrd::Pattern& pat, bool json) {
  const bool has_rad = pat.radiation.has_value();
  const bool two = has_rad && pat.radiation->has_second_line();
  if (json) {
    std::cout << "{\"kind\": \"pattern\", \"file\": " << json_quote(pat.source) << ", \"format\": "
              << json_quote(pat.format) << ", \"points\": " << pat.size() << ", \"x_min\": " << json_number(pat.x.front())
              << ", \"x_max\": " << json_number(pat.x.back()) << ", \"x_unit\": " << json_quote(x_unit_name(pat.x_unit))
              << ", \"has_esd\": " << (pat.has_esd() ? "true" : "false") << ", \"wavelength_angstrom\": "
              << (has_rad ? json_number(pat.radiation->lambda1_angstrom) : "null")
              << ", \"wavelength2_angstrom\": " << (two ? json_number(pat.radiation->lambda2_angstrom) : "null")
              << ", \"ratio\": " << (two ? json_number(pat.radiation->ratio) : "null")
              << ", \"skipped_lines\": " << skipped_json(pat.skipped_lines) << ", \"metadata\": {";
    bool first = true;
    for (const auto& [k, v] : pat.metadata) {
      std::cout << (first ? "" : ", ") << json_quote(k) << ": " << json_quote(v);
      first = false;
    }
    std::cout << "}, \"history\": [";
    for (std::size_t i = 0; i < pat.history.size(); ++i) std::cout << (i ? ", " : "") << json_quote(pat.history[i]);
    std::cout << "]}\n";
    return 0;
  }
  std::cout << "file:       " << pat.source << "\nformat:     " << pat.format << "\npoints:     " << pat.size()
            << (pat.has_esd() ? " (with esd)" : "") << "\nx:          " << pat.x.front() << " to " << pat.x.back()
            << " (" << x_unit_name(pat.x_unit) << ")\nradiation:  "
            << (has_rad ? pat.radiation->describe() : std::string("not stated in the file")) << "\n";
  for (const auto& [k, v] : pat.metadata) std::cout << k << ": " << v << "\n";
  if (!pat.skipped_lines.empty()) std::cout << "skipped lines: " << pat.skipped_lines.size() << "\n";
  for (const auto& h : pat.history) std::cout << "repair: " << h << "\n";
  return 0;
}

int run_info(const std::vector<std::string>& argv) {
  pxrd::cli::Args args(argv, {"--json", "--help"});
  args.check_known({"--json", "--help", "--format"});
  if (args.has("--help")) {
    std::cout << "usage: pxrd-diff info FILE [--json] [--format ID]\n\nDescribes a pattern file (any format of "
                 "'pxrd-diff formats', detected from the content)\nor a structure CIF. --format forces a reader.\n";
    return 0;
  }
  std::vector<std::string> files = args.positionals();
  // "--format ID FILE": the option parser gives both words to --format.
  auto fmt = args.get_list("--format");
  if (files.empty() && fmt.size() > 1) files.assign(fmt.begin() + 1, fmt.end());
  if (files.size() != 1) throw pxrd::InputError("info", 0, "expected one FILE (see --help)");
  const std::string& path = files.front();
  const bool json = args.has("--json");
  if (fmt.empty() && is_structure_cif(path)) return print_structure(path, json);
  const pxrd::Pattern pat =
      fmt.empty() ? pxrd::formats::read_pattern(path) : pxrd::formats::read_pattern(path, fmt.front());
  return print_pattern(pat, json);
}

}  // namespace

PXRD_COMMAND("info", "describe a pattern file (or a structure CIF)", run_info);
