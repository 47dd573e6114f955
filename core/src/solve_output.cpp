// Output of a solve run: candidate CIFs, fit profiles and summary.json, each written atomically.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>


#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/json_text.hpp"
#include "pxrd/units.hpp"
#include "pxrd/solve.hpp"

namespace pxrd {

namespace {

std::string jstr(const std::string& s) { return json_quote(s); }

std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string two(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", i);
  return buf;
}

std::string cell_json(const Lattice& l) {
  const LatticeParameters p = l.parameters();
  return "{\"a\": " + jnum(p.a_angstrom) + ", \"b\": " + jnum(p.b_angstrom) + ", \"c\": " + jnum(p.c_angstrom) +
         ", \"alpha\": " + jnum(p.alpha_deg) + ", \"beta\": " + jnum(p.beta_deg) + ", \"gamma\": " +
         jnum(p.gamma_deg) + ", \"volume\": " + jnum(l.volume_angstrom3()) + "}";
}

}  // namespace

std::string solve_summary_json(const SolveResult& r, const SolveOptions& o, const std::string& input) {
  std::ostringstream j;
  j << "{\n  \"input\": " << jstr(input) << ",\n";
  j << "  \"options\": {\"formula\": " << jstr(o.formula) << ", \"k\": " << o.k << ", \"time_budget_s\": "
    << jnum(o.time_budget_s) << ", \"seed\": " << o.seed << ", \"size_angstrom\": " << jnum(o.size_angstrom)
    << ", \"use_model\": " << (o.use_generator ? "true" : "false") << ", \"refine\": " << (o.refine ? "true" : "false")
    << ", \"max_atoms\": " << o.max_atoms
    << ", \"formula_is_cell_content\": " << (o.formula_is_cell_content ? "true" : "false") << "},\n";
  j << "  \"radiation\": {\"name\": " << jstr(r.radiation.name) << ", \"lambda1_angstrom\": "
    << jnum(r.radiation.lambda1_angstrom) << ", \"lambda2_angstrom\": " << jnum(r.radiation.lambda2_angstrom)
    << ", \"ratio\": " << jnum(r.radiation.ratio) << ", \"source\": " << jstr(r.radiation_note) << "},\n";
  j << "  \"two_theta_range_deg\": ["
    << jnum(r.data.two_theta_deg.empty() ? 0 : r.data.two_theta_deg.front()) << ", "
    << jnum(r.data.two_theta_deg.empty() ? 0 : r.data.two_theta_deg.back()) << "],\n";
  j << "  \"model\": " << jstr(r.generator_name.empty() ? "none (classical: indexing, Le Bail, direct-space search)"
                                                       : r.generator_name)
    << ",\n";
  j << "  \"seed\": " << o.seed << ",\n  \"wall_time_s\": " << jnum(r.wall_time_s) << ",\n";
  j << "  \"stage_seconds\": {";
  for (std::size_t i = 0; i < r.stage_seconds.size(); ++i)
    j << (i ? ", " : "") << jstr(r.stage_seconds[i].first) << ": " << jnum(r.stage_seconds[i].second);
  j << "},\n";
  j << "  \"cancelled\": " << (r.cancelled ? "true" : "false") << ",\n  \"budget_exhausted\": "
    << (r.budget_exhausted ? "true" : "false") << ",\n";
  j << "  \"peaks_found\": " << r.peaks.size() << ",\n  \"best_lebail_rwp\": " << jnum(r.best_lebail_rwp) << ",\n";
  j << "  \"cells\": [";
  for (std::size_t i = 0; i < r.cells.size(); ++i) {
    const CellCandidate& c = r.cells[i];
    j << (i ? ",\n    " : "\n    ") << "{\"origin\": " << jstr(c.origin) << ", \"system\": "
      << jstr(crystal_system_name(c.system)) << ", \"centring\": " << jstr(c.centring) << ", \"m20\": " << jnum(c.m20) << ", \"lebail_rwp\": "
      << jnum(c.lebail_rwp) << ", \"zero_deg\": " << jnum(c.zero_deg) << ", \"model_z\": " << c.model_z << ", \"cell\": " << cell_json(c.lattice) << "}";
  }
  j << "\n  ],\n  \"notes\": [";
  for (std::size_t i = 0; i < r.notes.size(); ++i) j << (i ? ", " : "") << jstr(r.notes[i]);
  j << "],\n  \"candidates\": [";
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const SolvedCandidate& c = r.candidates[i];
    j << (i ? "," : "") << "\n    {\"rank\": " << i + 1 << ", \"cif\": " << jstr("candidate_" + two(int(i + 1)) + ".cif")
      << ", \"fit\": " << jstr("fit_" + two(int(i + 1)) + ".xye") << ", \"formula\": "
      << jstr(Composition::of(c.crystal).formula()) << ", \"atoms\": " << c.crystal.size() << ",\n     \"rwp\": "
      << jnum(c.rwp) << ", \"rwp2\": " << jnum(c.rwp2) << ", \"S\": " << jnum(c.gof) << ", \"space_group\": {\"number\": "
      << c.space_group_number << ", \"symbol\": " << jstr(c.space_group_symbol) << ", \"symprec_angstrom\": "
      << jnum(c.symprec_angstrom) << "},\n     \"cell\": " << cell_json(c.crystal.lattice)
      << ", \"fit_cell\": " << cell_json(c.refined.lattice) << ",\n     \"refined\": {\"scale\": " << jnum(c.scale)
      << ", \"zero_deg\": " << jnum(c.profile.zero_deg) << ", \"U\": " << jnum(c.profile.u) << ", \"V\": "
      << jnum(c.profile.v) << ", \"W\": " << jnum(c.profile.w) << ", \"X\": " << jnum(c.profile.x) << ", \"eta\": "
      << jnum(c.profile.eta) << ", \"peak_shape\": " << jstr(c.profile.sinc2_size ? "sinc2" : "pseudo-voigt");
    // sinc² FWHM in 2θ is X / cosθ with X = 0.886 λ / τ (rad).
    if (c.profile.sinc2_size && c.profile.x > 0)
      j << ", \"crystallite_size_angstrom\": " << jnum(0.886 * r.radiation.lambda1_angstrom / deg_to_rad(c.profile.x));
    j << ", \"parameters\": " << c.n_parameters << ", \"b_iso\": {";
    std::vector<std::string> seen;
    for (const Site& s : c.refined.sites) {
      if (std::find(seen.begin(), seen.end(), s.element) != seen.end()) continue;
      j << (seen.empty() ? "" : ", ") << jstr(s.element) << ": " << jnum(s.b_iso_angstrom2);
      seen.push_back(s.element);
    }
    j << "}},\n     \"closest_contact_ratio\": " << jnum(c.closest_contact_ratio)
      << ", \"crystal_system_of_fit\": " << jstr(crystal_system_name(c.system)) << ", \"origin\": "
      << jstr(c.origin) << "}";
  }
  j << "\n  ]\n}\n";
  return j.str();
}

std::string solve_table(const SolveResult& r) {
  std::ostringstream t;
  char line[256];
  std::snprintf(line, sizeof line, "%-4s %-12s %-10s %8s %8s %8s %7s %7s %7s %7s %6s  %s\n", "rank", "formula", "space grp",
                "a", "b", "c", "alpha", "beta", "gamma", "R_wp", "S", "origin");
  t << line;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const SolvedCandidate& c = r.candidates[i];
    const LatticeParameters p = c.crystal.lattice.parameters();
    std::snprintf(line, sizeof line, "%-4zu %-12s %-10s %8.4f %8.4f %8.4f %7.2f %7.2f %7.2f %7.4f %6.2f  %s\n", i + 1,
                  Composition::of(c.crystal).formula().c_str(),
                  (c.space_group_symbol + " (" + std::to_string(c.space_group_number) + ")").c_str(), p.a_angstrom,
                  p.b_angstrom, p.c_angstrom, p.alpha_deg, p.beta_deg, p.gamma_deg, c.rwp, c.gof, c.origin.c_str());
    t << line;
  }
  return t.str();
}

void write_solve_outputs(const SolveResult& r, const SolveOptions& o, const std::string& input, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create the output folder " + dir + ": " + ec.message());
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const SolvedCandidate& c = r.candidates[i];
    const std::string n = two(int(i + 1));
    CifProvenance prov;
    prov.comment_lines = {"pxrd-diff solve, candidate " + std::to_string(i + 1) + " of " + std::to_string(r.candidates.size()),
                          "input pattern: " + input, "formula given: " + o.formula,
                          "model: " + (r.generator_name.empty() ? std::string("none (classical)") : r.generator_name),
                          "R_wp " + jnum(c.rwp) + ", S " + jnum(c.gof) + ", origin " + c.origin,
                          "seed " + std::to_string(o.seed)};
    // The primitive cell as asked for (P1 listing of all its atoms); the space group goes in the comments.
    prov.comment_lines.push_back("space group " + c.space_group_symbol + " (" + std::to_string(c.space_group_number) +
                                 ") by spglib after symmetrization at symprec " + jnum(c.symprec_angstrom) +
                                 " A (0: left as refined); cell below is the primitive standard cell");
    write_cif(dir + "/candidate_" + n + ".cif", cif_p1_string(c.crystal, prov));
    std::ostringstream fit;
    fit << "# pxrd-diff solve fit of candidate " << i + 1 << " (R_wp " << jnum(c.rwp) << ")\n";
    fit << "# source: " << input << "\n# columns: two_theta_deg observed calculated difference\n";
    fit << "# wavelength_angstrom: " << jnum(r.radiation.lambda1_angstrom) << "\n";
    char row[128];
    for (std::size_t p = 0; p < r.data.size() && p < c.y_calc.size(); ++p) {
      std::snprintf(row, sizeof row, "%.5f %.6g %.6g %.6g\n", r.data.two_theta_deg[p], r.data.y[p], c.y_calc[p],
                    r.data.y[p] - c.y_calc[p]);
      fit << row;
    }
    write_file_atomically(dir + "/fit_" + n + ".xye", fit.str());
  }
  // summary.json last: its presence means the run's files are complete.
  write_file_atomically(dir + "/summary.json", solve_summary_json(r, o, input));
}

}  // namespace pxrd
