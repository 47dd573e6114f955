#pragma once
// Text powder patterns: .xy / .xye / .dat / .csv / .txt (x in 2θ degrees) and .qye / .qxy / .qchi (x in Q, Å⁻¹).
// Reading follows docs/conventions.md: comment lines (#, !, '), /* ... */ blocks, a TITLE line, FullProf's
// XYDATA header, whitespace / comma / semicolon separators, 2 or 3 columns (x, y, esd), locale-free numbers,
// CRLF and a UTF-8 BOM. `key: value` header lines become metadata (and radiation, x unit, history when the
// keys are the ones format_xy writes). Descending x is reversed and noted in history ("reverse_x(...)").
#include <string>
#include <string_view>

#include "pxrd/pattern.hpp"

namespace pxrd {

// The x unit implied by a file name: Q for .qye/.qxy/.qchi/.qdat, otherwise 2θ.
XUnit x_unit_from_extension(const std::string& path);

// Reads and parses a file (x unit from the extension unless the header says otherwise).
// Throws InputError(path, line, cause) for: an empty file, no data, one column, NaN/Inf, non-numeric lines
// between data lines, rows with fewer columns than the first data row, x not monotonic.
Pattern read_pattern_text(const std::string& path);

// Same from text already in memory. `source` names the text in messages and in Pattern::source.
Pattern parse_pattern_text(std::string_view text, const std::string& source, XUnit default_unit = XUnit::TwoThetaDeg);

// `# key: value` header (source, x_unit, radiation, wavelength_angstrom, wavelength2_angstrom, ratio, one
// `# history:` line per processing step, then the metadata), then "x y" or "x y esd" rows with `.` decimals,
// shortest round-trip representation. Throws InputError (via Pattern::validate) for an invalid pattern.
std::string format_xy(const Pattern& pattern);

// Shortest text that reads back to the same double ("10.01", "2001", "1e-05"); locale-free.
std::string format_number(double value);

// format_xy written atomically.
void write_xy(const Pattern& pattern, const std::string& path);

}  // namespace pxrd
