#pragma once
// CIF structures (read with Gemmi behind core/src/cif.cpp; no gemmi types here).
#include <string>
#include <vector>

#include "pxrd/crystal.hpp"

namespace pxrd {

// Reads the first data block that has atoms; expands symmetry (operators, or the space-group symbol when there are
// none; both _space_group_* and _symmetry_* tags), keeps occupancies and B/U_iso, removes duplicate atoms on special
// positions. Throws InputError(path, line, cause) for malformed files, unknown elements, missing cell, ...
Crystal read_cif(const std::string& path);
// Same from text; `source_name` is used in messages.
Crystal read_cif_string(const std::string& text, const std::string& source_name);

struct CifProvenance {
  std::vector<std::string> comment_lines;  // written as "# ..." at the top: input pattern, model version, R_wp, ...
};

// P1 CIF of the full cell.
std::string cif_p1_string(const Crystal& crystal, const CifProvenance& provenance = {});
// Symmetrized CIF: the space group spglib finds at `symprec` (Å), the asymmetric unit and the operators; the tolerance
// is written in the file.
std::string cif_symmetrized_string(const Crystal& crystal, double symprec = 0.01, const CifProvenance& provenance = {});
// Writes atomically.
void write_cif(const std::string& path, const std::string& cif_text);

}  // namespace pxrd
