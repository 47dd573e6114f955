// CIF reading (Gemmi's tokenizer; our own interpretation of the tags) and writing (plain text, no Gemmi writer).
#include "pxrd/cif.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>

#include <gemmi/cif.hpp>
#include <gemmi/numb.hpp>
#include <gemmi/symmetry.hpp>

#include "pxrd/atomic_file.hpp"
#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

namespace cif = gemmi::cif;

// Atoms of one orbit closer than this (Å) are one atom on a special position. Coordinates printed with 3-4 decimals
// (0.333 for 1/3) put symmetry images up to ~0.02 Å apart on a 20 Å axis; real atoms are never this close.
constexpr double kSpecialPositionTolAngstrom = 0.05;

// Best guess of the line of value `value_index` of a loop that starts (loop_ keyword) at `loop_line`.
// Used only to name the line in an error message, so an approximate tokenizer is enough.
int line_of_loop_value(const std::string& text, int loop_line, std::size_t value_index) {
  if (loop_line <= 0) return 0;
  std::size_t pos = 0;
  for (int line = 1; line < loop_line && pos < text.size(); ++line) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return loop_line;
    ++pos;
  }
  int line = loop_line;
  bool in_tags = true;
  bool seen_loop = false;
  std::size_t count = 0;
  bool line_start = true;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '\n') {
      ++line;
      ++pos;
      line_start = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos;
      line_start = false;
      continue;
    }
    if (c == '#') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
      continue;
    }
    // Token.
    std::size_t end = pos;
    int token_line = line;
    if (c == ';' && line_start) {
      // Text field: up to a line starting with ';'.
      std::size_t close = text.find("\n;", pos + 1);
      if (close == std::string::npos) return token_line;
      for (std::size_t k = pos; k <= close; ++k)
        if (text[k] == '\n') ++line;
      end = close + 2;
    } else if (c == '\'' || c == '"') {
      end = pos + 1;
      while (end < text.size() && !(text[end] == c && (end + 1 == text.size() || std::isspace(
                                                           static_cast<unsigned char>(text[end + 1])))))
        ++end;
      ++end;
    } else {
      while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    }
    const std::string token = text.substr(pos, std::min(end, text.size()) - pos);
    pos = end;
    line_start = false;
    if (!seen_loop) {
      seen_loop = true;  // the loop_ keyword itself
      continue;
    }
    if (in_tags && !token.empty() && token[0] == '_') continue;
    in_tags = false;
    if (count == value_index) return token_line;
    ++count;
  }
  return loop_line;
}

// Element from a CIF type symbol ("Fe2+", "O0+", "D") or, failing that, a label ("Ca1a", "O12", "CL3", "D2").
int element_from_type_or_label(const std::string& s) {
  std::string letters;
  for (char c : s) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    letters += c;
  }
  if (letters.empty()) return -1;
  if (letters.size() >= 2) {
    const int z = atomic_number_or_negative(letters.substr(0, 2));
    if (z > 0) return z;
  }
  // Deuterium and tritium (neutron structures) scatter X-rays as hydrogen.
  if (letters[0] == 'D' || letters[0] == 'T') return 1;
  return atomic_number_or_negative(letters.substr(0, 1));
}

// Column accessor over a loop or a single tag-value pair.
struct Field {
  const cif::Item* item = nullptr;
  int col = -1;
  bool ok() const { return item != nullptr; }
  std::size_t length() const { return item->type == cif::ItemType::Loop ? item->loop.length() : 1; }
  const std::string& at(std::size_t row) const {
    return item->type == cif::ItemType::Loop ? item->loop.values[row * item->loop.width() + col] : item->pair[1];
  }
  int line() const { return item->line_number; }
};

Field find_field(cif::Block& block, const std::string& tag) {
  cif::Column c = block.find_values(tag);
  if (!c.item()) return {};
  return {c.item(), static_cast<int>(c.col())};
}

Field find_field_any(cif::Block& block, std::initializer_list<const char*> tags) {
  for (const char* tag : tags) {
    Field f = find_field(block, tag);
    if (f.ok()) return f;
  }
  return {};
}

class BlockReader {
 public:
  BlockReader(const std::string& text, const std::string& source, cif::Block& block)
      : text_(text), source_(source), block_(block) {}

  Crystal read() {
    Crystal crystal;
    crystal.name = block_.name;
    crystal.source = source_;
    crystal.lattice = read_cell();
    lattice_params_ = crystal.lattice.parameters();
    const std::vector<gemmi::Op> ops = read_symmetry();
    read_atoms(crystal, ops);
    return crystal;
  }

 private:
  LatticeParameters lattice_params_{};

  [[noreturn]] void fail(int line, const std::string& cause) const { throw InputError(source_, line, cause); }

  int line_of(const Field& f, std::size_t row) const {
    if (f.item->type != cif::ItemType::Loop) return f.line();
    return line_of_loop_value(text_, f.line(), row * f.item->loop.width() + f.col);
  }

  double number(const Field& f, std::size_t row, const char* what) const {
    const std::string& v = f.at(row);
    const double x = cif::as_number(v);
    if (!std::isfinite(x)) fail(line_of(f, row), std::string(what) + " is not a number: '" + v + "'");
    return x;
  }

  Lattice read_cell() {
    static const char* const kTags[6] = {"_cell_length_a", "_cell_length_b", "_cell_length_c",
                                         "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
    double p[6];
    for (int k = 0; k < 6; ++k) {
      Field f = find_field(block_, kTags[k]);
      if (!f.ok()) {
        if (k >= 3) {
          p[k] = 90.0;  // CIF dictionary default for a missing angle
          continue;
        }
        fail(block_line(), std::string("missing ") + kTags[k] + " in data_" + block_.name);
      }
      p[k] = number(f, 0, kTags[k]);
    }
    const int line = find_field(block_, kTags[0]).line();
    if (!(p[0] > 0 && p[1] > 0 && p[2] > 0)) fail(line, "cell lengths must be positive");
    try {
      return Lattice::from_parameters(p[0], p[1], p[2], p[3], p[4], p[5]);
    } catch (const InputError&) {
      throw;
    } catch (const Error& e) {
      fail(line, std::string("impossible cell: ") + e.what());
    }
  }

  int block_line() const {
    for (const cif::Item& item : block_.items)
      if (item.line_number > 0) return item.line_number;
    return 0;
  }

  std::vector<gemmi::Op> read_symmetry() {
    Field xyz = find_field_any(block_, {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz",
                                        "_space_group_symop.operation_xyz", "_symmetry_equiv.pos_as_xyz"});
    std::vector<gemmi::Op> ops;
    if (xyz.ok()) {
      for (std::size_t i = 0; i < xyz.length(); ++i) {
        const std::string triplet = cif::as_string(xyz.at(i));
        try {
          ops.push_back(gemmi::parse_triplet(triplet));
        } catch (const std::exception& e) {
          fail(line_of(xyz, i), "bad symmetry operator '" + triplet + "' (" + e.what() + ")");
        }
      }
      if (!ops.empty()) return ops;
    }
    Field hall = find_field_any(block_, {"_space_group_name_Hall", "_symmetry_space_group_name_Hall"});
    if (hall.ok() && !cif::is_null(hall.at(0))) {
      const std::string symbol = cif::as_string(hall.at(0));
      try {
        return gemmi::symops_from_hall(symbol.c_str()).all_ops_sorted();
      } catch (const std::exception& e) {
        fail(hall.line(), "bad Hall symbol '" + symbol + "' (" + e.what() + ")");
      }
    }
    const LatticeParameters& cell = lattice_params_;
    Field hm = find_field_any(block_, {"_space_group_name_H-M_alt", "_symmetry_space_group_name_H-M",
                                       "_space_group_name_H-M"});
    if (hm.ok() && !cif::is_null(hm.at(0))) {
      const std::string symbol = cif::as_string(hm.at(0));
      if (const gemmi::SpaceGroup* sg = gemmi::find_spacegroup_by_name(symbol, cell.alpha_deg, cell.gamma_deg))
        return sg->operations().all_ops_sorted();
      fail(hm.line(), "unknown space-group symbol '" + symbol + "'");
    }
    Field number_field = find_field_any(block_, {"_space_group_IT_number", "_symmetry_Int_Tables_number"});
    if (number_field.ok() && !cif::is_null(number_field.at(0))) {
      const double n = cif::as_number(number_field.at(0));
      if (!(n >= 1 && n <= 230 && n == std::floor(n)))
        fail(number_field.line(), "bad space-group number '" + number_field.at(0) + "'");
      return gemmi::get_spacegroup_reference_setting(static_cast<int>(n)).operations().all_ops_sorted();
    }
    return {gemmi::Op::identity()};  // no symmetry given: P1
  }

  void read_atoms(Crystal& crystal, const std::vector<gemmi::Op>& ops) {
    Field fx = find_field(block_, "_atom_site_fract_x");
    if (!fx.ok()) {
      if (find_field(block_, "_atom_site_Cartn_x").ok())
        fail(find_field(block_, "_atom_site_Cartn_x").line(), "Cartesian atom sites are not supported");
      fail(block_line(), "no atoms (_atom_site_fract_x) in data_" + block_.name);
    }
    auto same_item = [&](const char* tag) {
      Field f = find_field(block_, tag);
      return f.ok() && f.item == fx.item ? f : Field{};
    };
    Field fy = same_item("_atom_site_fract_y"), fz = same_item("_atom_site_fract_z");
    if (!fy.ok() || !fz.ok()) fail(fx.line(), "_atom_site_fract_y/_z missing");
    Field type = same_item("_atom_site_type_symbol"), label = same_item("_atom_site_label");
    Field occ = same_item("_atom_site_occupancy");
    Field u_iso = same_item("_atom_site_U_iso_or_equiv"), b_iso = same_item("_atom_site_B_iso_or_equiv");
    if (!type.ok() && !label.ok()) fail(fx.line(), "atoms have neither _atom_site_type_symbol nor _atom_site_label");

    const std::size_t n = fx.length();
    if (n == 0) fail(fx.line(), "no atoms in data_" + block_.name);
    const Eigen::Matrix3d& m = crystal.lattice.matrix();
    crystal.sites.reserve(n * ops.size());
    std::vector<Eigen::Vector3d> orbit;
    for (std::size_t i = 0; i < n; ++i) {
      Site site;
      if (label.ok()) site.label = cif::as_string(label.at(i));
      const Field& sym_field = type.ok() && !cif::is_null(type.at(i)) ? type : label;
      const std::string symbol = cif::as_string(sym_field.at(i));
      site.atomic_number = element_from_type_or_label(symbol);
      if (site.atomic_number <= 0) fail(line_of(sym_field, i), "unknown element '" + symbol + "'");
      site.element = element_symbol(site.atomic_number);
      site.frac = {number(fx, i, "_atom_site_fract_x"), number(fy, i, "_atom_site_fract_y"),
                   number(fz, i, "_atom_site_fract_z")};
      if (occ.ok() && !cif::is_null(occ.at(i))) {
        site.occupancy = number(occ, i, "_atom_site_occupancy");
        if (site.occupancy < 0 || site.occupancy > 1.0 + 1e-6)
          fail(line_of(occ, i), "occupancy " + occ.at(i) + " outside [0, 1]");
      }
      if (u_iso.ok() && !cif::is_null(u_iso.at(i)))
        site.b_iso_angstrom2 = 8.0 * kPi * kPi * number(u_iso, i, "_atom_site_U_iso_or_equiv");
      else if (b_iso.ok() && !cif::is_null(b_iso.at(i)))
        site.b_iso_angstrom2 = number(b_iso, i, "_atom_site_B_iso_or_equiv");

      // Symmetry images, wrapped into [0, 1), without the duplicates of special positions.
      orbit.clear();
      for (const gemmi::Op& op : ops) {
        const auto xyz = op.apply_to_xyz({site.frac.x(), site.frac.y(), site.frac.z()});
        Eigen::Vector3d f(xyz[0], xyz[1], xyz[2]);
        for (int k = 0; k < 3; ++k) {
          f[k] -= std::floor(f[k]);
          if (f[k] >= 1.0) f[k] -= 1.0;
        }
        bool duplicate = false;
        for (const Eigen::Vector3d& g : orbit) {
          Eigen::Vector3d d = f - g;
          for (int k = 0; k < 3; ++k) d[k] -= std::round(d[k]);
          if ((m.transpose() * d).norm() < kSpecialPositionTolAngstrom) {
            duplicate = true;
            break;
          }
        }
        if (duplicate) continue;
        orbit.push_back(f);
        Site image = site;
        image.frac = f;
        crystal.sites.push_back(std::move(image));
      }
    }
  }

  const std::string& text_;
  const std::string& source_;
  cif::Block& block_;
};

bool block_has_atoms(cif::Block& block) { return find_field(block, "_atom_site_fract_x").ok(); }

// "name:12:3: message" from PEGTL, or "name:12 in data_x: message" from Gemmi's checks.
int line_from_message(const std::string& what, const std::string& source, std::string* cause) {
  std::string rest = what;
  if (rest.compare(0, source.size(), source) == 0) rest = rest.substr(source.size());
  static const std::regex kLine(R"(^:(\d+)(?::\d+)?:?\s*(.*)$)");
  std::smatch m;
  if (std::regex_match(rest, m, kLine)) {
    *cause = m[2].str();
    return std::stoi(m[1].str());
  }
  *cause = what;
  return 0;
}

std::string format_number(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  std::string s = buf;
  if (s == "-0." + std::string(static_cast<std::size_t>(decimals), '0')) s.erase(0, 1);
  return s;
}

std::string cif_block_name(const Crystal& crystal) {
  std::string name = crystal.name.empty() ? std::string("structure") : crystal.name;
  for (char& c : name)
    if (std::isspace(static_cast<unsigned char>(c))) c = '_';
  return name;
}

void write_provenance(std::ostringstream& out, const CifProvenance& provenance) {
  for (const std::string& text : provenance.comment_lines) {
    // One "# " line per line of text, so that a newline in a comment cannot end the comment.
    std::istringstream lines(text);
    std::string line;
    bool any = false;
    while (std::getline(lines, line)) {
      out << "# " << line << "\n";
      any = true;
    }
    if (!any) out << "#\n";
  }
}

void write_cell(std::ostringstream& out, const Lattice& lattice) {
  const LatticeParameters p = lattice.parameters();
  out << "_cell_length_a   " << format_number(p.a_angstrom, 8) << "\n";
  out << "_cell_length_b   " << format_number(p.b_angstrom, 8) << "\n";
  out << "_cell_length_c   " << format_number(p.c_angstrom, 8) << "\n";
  out << "_cell_angle_alpha   " << format_number(p.alpha_deg, 8) << "\n";
  out << "_cell_angle_beta   " << format_number(p.beta_deg, 8) << "\n";
  out << "_cell_angle_gamma   " << format_number(p.gamma_deg, 8) << "\n";
  out << "_cell_volume   " << format_number(lattice.volume_angstrom3(), 8) << "\n";
}

// "Fe1", "Fe2", "O1", ...: labels are regenerated because expansion and standardization make the originals ambiguous.
std::string site_label(const Site& s, std::map<std::string, int>& counters) {
  return s.element + std::to_string(++counters[s.element]);
}

// Full H-M symbol of the setting spglib reports ("P 1 21/c 1", "R -3 m:H"), from Gemmi's table, which lists the
// 530 Hall settings in the same order as spglib's hall_number.
std::string hermann_mauguin_of(const SpaceGroupInfo& info) {
  auto squeeze = [](std::string s) {
    std::string out;
    for (char c : s)
      if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    return out;
  };
  const std::string hall = squeeze(info.hall);
  if (info.hall_number >= 1 && info.hall_number <= 530) {
    const gemmi::SpaceGroup& sg = gemmi::spacegroup_tables::main[info.hall_number - 1];
    if (squeeze(sg.hall) == hall) return sg.xhm();
  }
  for (const gemmi::SpaceGroup& sg : gemmi::spacegroup_tables::main)
    if (squeeze(sg.hall) == hall) return sg.xhm();
  std::string plain;
  for (char c : info.international)
    if (c != '_') plain += c;
  return plain;
}

}  // namespace

Crystal read_cif_string(const std::string& text, const std::string& source_name) {
  cif::Document doc;
  try {
    doc = cif::read_memory(text.data(), text.size(), source_name.c_str());
  } catch (const tao::pegtl::parse_error& e) {
    const int line = e.positions().empty() ? 0 : static_cast<int>(e.positions().front().line);
    throw InputError(source_name, line, "CIF syntax error: " + std::string(e.message()));
  } catch (const std::exception& e) {
    std::string cause;
    const int line = line_from_message(e.what(), source_name, &cause);
    throw InputError(source_name, line, "CIF error: " + cause);
  }
  if (doc.blocks.empty()) throw InputError(source_name, 0, "no data block");
  for (cif::Block& block : doc.blocks) {
    if (!block_has_atoms(block)) continue;
    return BlockReader(text, source_name, block).read();
  }
  // No block with atoms: report the most useful problem of the first block.
  BlockReader(text, source_name, doc.blocks.front()).read();  // throws: missing cell or no atoms
  throw InputError(source_name, 0, "no atoms");
}

Crystal read_cif(const std::string& path) { return read_cif_string(read_file(path), path); }

std::string cif_p1_string(const Crystal& crystal, const CifProvenance& provenance) {
  if (crystal.sites.empty()) throw Error("cannot write a CIF without atoms");
  std::ostringstream out;
  write_provenance(out, provenance);
  out << "data_" << cif_block_name(crystal) << "\n";
  out << "_symmetry_space_group_name_H-M   'P 1'\n";
  out << "_symmetry_Int_Tables_number   1\n";
  write_cell(out, crystal.lattice);
  out << "loop_\n _space_group_symop_id\n _space_group_symop_operation_xyz\n  1  'x, y, z'\n";
  out << "loop_\n _atom_site_label\n _atom_site_type_symbol\n _atom_site_fract_x\n _atom_site_fract_y\n"
         " _atom_site_fract_z\n _atom_site_occupancy\n _atom_site_B_iso_or_equiv\n";
  std::map<std::string, int> counters;
  for (const Site& s : crystal.sites)
    out << "  " << site_label(s, counters) << "  " << s.element << "  " << format_number(s.frac.x(), 8) << "  "
        << format_number(s.frac.y(), 8) << "  " << format_number(s.frac.z(), 8) << "  "
        << format_number(s.occupancy, 6) << "  " << format_number(s.b_iso_angstrom2, 6) << "\n";
  return out.str();
}

std::string cif_symmetrized_string(const Crystal& crystal, double symprec, const CifProvenance& provenance) {
  if (crystal.sites.empty()) throw Error("cannot write a CIF without atoms");
  // The idealized conventional cell in the standard setting; its own dataset gives the operators and orbits.
  const Crystal conv = conventional_standard_cell(crystal, symprec);
  const SymmetryDataset ds = symmetry_dataset(conv, symprec);
  const SpaceGroupInfo& sg = ds.space_group;
  std::ostringstream out;
  write_provenance(out, provenance);
  char tol[64];
  std::snprintf(tol, sizeof tol, "%g", symprec);
  out << "# Space group found by spglib " << spglib_version() << " at symprec = " << tol << " A; cell, operators "
      << "and asymmetric unit of the standardized conventional cell.\n";
  out << "data_" << cif_block_name(crystal) << "\n";
  out << "_space_group_crystal_system   " << sg.crystal_system << "\n";
  out << "_space_group_IT_number   " << sg.number << "\n";
  out << "_space_group_name_H-M_alt   '" << hermann_mauguin_of(sg) << "'\n";
  out << "_space_group_name_Hall   '" << sg.hall << "'\n";
  out << "_symmetry_space_group_name_H-M   '" << hermann_mauguin_of(sg) << "'\n";
  out << "_symmetry_Int_Tables_number   " << sg.number << "\n";
  write_cell(out, conv.lattice);
  out << "loop_\n _space_group_symop_id\n _space_group_symop_operation_xyz\n";
  for (std::size_t k = 0; k < ds.operations.size(); ++k)
    out << "  " << k + 1 << "  '" << ds.operations[k].as_xyz() << "'\n";
  out << "loop_\n _atom_site_label\n _atom_site_type_symbol\n _atom_site_symmetry_multiplicity\n"
         " _atom_site_Wyckoff_symbol\n _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n"
         " _atom_site_occupancy\n _atom_site_B_iso_or_equiv\n";
  std::map<int, int> orbit_size;
  for (int e : ds.equivalent_atoms) ++orbit_size[e];
  std::map<std::string, int> counters;
  for (std::size_t i = 0; i < conv.sites.size(); ++i) {
    if (ds.equivalent_atoms[i] != static_cast<int>(i)) continue;
    const Site& s = conv.sites[i];
    out << "  " << site_label(s, counters) << "  " << s.element << "  " << orbit_size[static_cast<int>(i)] << "  "
        << ds.wyckoff_letters[i] << "  " << format_number(s.frac.x(), 8) << "  " << format_number(s.frac.y(), 8)
        << "  " << format_number(s.frac.z(), 8) << "  " << format_number(s.occupancy, 6) << "  "
        << format_number(s.b_iso_angstrom2, 6) << "\n";
  }
  return out.str();
}

void write_cif(const std::string& path, const std::string& cif_text) { write_file_atomically(path, cif_text); }

}  // namespace pxrd
