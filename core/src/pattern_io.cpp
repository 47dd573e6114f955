#include "pxrd/pattern_io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "pxrd/atomic_file.hpp"
#include "pxrd/error.hpp"

namespace pxrd {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
bool is_separator(char c) { return is_space(c) || c == ',' || c == ';'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// Parses a whole token as a double, locale-free. from_chars rejects a leading '+', so skip it.
bool parse_number(std::string_view token, double& value) {
  const char* first = token.data();
  const char* last = token.data() + token.size();
  if (first != last && *first == '+') ++first;
  if (first == last) return false;
  const auto result = std::from_chars(first, last, value);
  return result.ec == std::errc() && result.ptr == last;
}

// Parses the number at the start of a header value (e.g. "1.5406 A", "1.5406Å"); false when there is none.
// A single comma inside a dot-less number is a decimal comma ("1,5406"), never a separator: reading "1"
// would silently give a wrong wavelength.
bool parse_leading_number(std::string_view text, double& value) {
  text = trim(text);
  std::size_t n = 0;
  while (n < text.size() && !is_space(text[n]) && text[n] != ';') ++n;
  std::string token(text.substr(0, n));
  const std::size_t comma = token.find(',');
  if (comma != std::string::npos && token.find('.') == std::string::npos && comma > 0 && comma + 1 < token.size() &&
      std::isdigit(static_cast<unsigned char>(token[comma + 1])) && token.find(',', comma + 1) == std::string::npos)
    token[comma] = '.';
  // Allow a unit or separator glued to the number ("1.5406A", "1.5406,").
  while (!token.empty() && !parse_number(token, value)) token.pop_back();
  return !token.empty() && std::isfinite(value);
}

enum class RowKind { Numbers, Text };

struct Row {
  RowKind kind = RowKind::Text;
  int count = 0;  // numeric fields (up to 3 are kept)
  double values[3] = {0, 0, 0};
  bool non_finite = false;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal comma ("10,5 123,4" or "10,5;123,4") would silently become extra columns; such lines are refused.
// Commas are decimal when ';' separates the fields, or when whitespace separates them and a field is
// digits,digits with no '.' (while no field ends or starts with a comma, as "10, 5" would).
bool has_decimal_comma(std::string_view line) {
  if (line.find(',') == std::string_view::npos) return false;
  if (line.empty() || !(is_digit(line.front()) || line.front() == '-' || line.front() == '+' || line.front() == '.'))
    return false;
  const bool semicolons = line.find(';') != std::string_view::npos;
  std::size_t fields = 0;
  bool decimal_like = false;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (is_space(line[i]) || (semicolons && line[i] == ';'))) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !is_space(line[j]) && !(semicolons && line[j] == ';')) ++j;
    const std::string_view field = line.substr(i, j - i);
    ++fields;
    if (!semicolons && (field.front() == ',' || field.back() == ',')) return false;
    const std::size_t comma = field.find(',');
    if (comma != std::string_view::npos && comma > 0 && comma + 1 < field.size() && is_digit(field[comma - 1]) &&
        is_digit(field[comma + 1]) && field.find('.') == std::string_view::npos &&
        field.find(',', comma + 1) == std::string_view::npos)
      decimal_like = true;
    i = j;
  }
  return decimal_like && (semicolons || fields >= 2);
}

Row split_row(std::string_view line) {
  Row row;
  row.kind = RowKind::Numbers;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_separator(line[i])) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !is_separator(line[j])) ++j;
    double v = 0;
    if (!parse_number(line.substr(i, j - i), v)) {
      row.kind = RowKind::Text;
      return row;
    }
    if (!std::isfinite(v)) row.non_finite = true;
    if (row.count < 3) row.values[row.count] = v;
    ++row.count;
    i = j;
  }
  if (row.count == 0) row.kind = RowKind::Text;
  return row;
}

// "Key Name: value" or "key = value" → ("key_name", "value"). The key must look like a name.
bool split_key_value(std::string_view text, std::string& key, std::string& value) {
  const std::size_t colon = text.find_first_of(":=");
  if (colon == std::string_view::npos || colon == 0 || colon > 48) return false;
  std::string_view k = trim(text.substr(0, colon));
  if (k.empty() || !std::isalpha(static_cast<unsigned char>(k.front()))) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' || c == '-' || c == '.' || c == '(' ||
          c == ')' || c == '/'))
      return false;
  key = lower(k);
  for (auto& c : key)
    if (c == ' ' || c == '-') c = '_';
  value = std::string(trim(text.substr(colon + 1)));
  return true;
}

bool key_in(const std::string& key, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (key == n) return true;
  return false;
}

// Header keys that fill Pattern fields rather than (only) metadata.
const std::initializer_list<const char*> kLambda1Keys = {
    "wavelength_angstrom", "wavelength",           "lambda",  "lambda1", "lambda1_angstrom",
    "wavelength1",         "wavelength1_angstrom", "kalpha1", "alpha1",  "lam"};
const std::initializer_list<const char*> kLambda2Keys = {"wavelength2_angstrom", "wavelength2", "lambda2",
                                                         "lambda2_angstrom",     "kalpha2",     "alpha2"};
const std::initializer_list<const char*> kRatioKeys = {"ratio", "ka2_ka1_ratio", "ratio_ka2_ka1", "kalpha_ratio",
                                                       "i(l2)/i(l1)"};

struct HeaderState {
  double lambda1 = 0, lambda2 = 0, ratio = 0;
  std::string radiation_name;
};

void apply_key_value(Pattern& p, HeaderState& h, const std::string& key, const std::string& value) {
  double number = 0;
  if (key == "history") {
    p.history.push_back(value);
    return;
  }
  if (key == "x_unit") {
    const std::string v = lower(value);
    if (v == "q_inv_angstrom" || v == "q") {
      p.x_unit = XUnit::QInvAngstrom;
    } else if (v == "two_theta_deg" || v == "2theta" || v == "2θ") {
      p.x_unit = XUnit::TwoThetaDeg;
    }
  } else if (key_in(key, kLambda1Keys) && parse_leading_number(value, number) && number > 0) {
    h.lambda1 = number;
  } else if (key_in(key, kLambda2Keys) && parse_leading_number(value, number) && number > 0) {
    h.lambda2 = number;
  } else if (key_in(key, kRatioKeys) && parse_leading_number(value, number) && number >= 0) {
    h.ratio = number;
  } else if (key == "radiation") {
    h.radiation_name = value;
  }
  p.metadata[key] = value;
}

std::string line_cause_non_finite() { return "NaN or Inf in the data"; }

}  // namespace

XUnit x_unit_from_extension(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of("/\\");
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return XUnit::TwoThetaDeg;
  const std::string ext = lower(std::string_view(path).substr(dot + 1));
  if (ext == "qye" || ext == "qxy" || ext == "qchi" || ext == "qdat") return XUnit::QInvAngstrom;
  return XUnit::TwoThetaDeg;
}

Pattern parse_pattern_text(std::string_view text, const std::string& source, XUnit default_unit) {
  Pattern p;
  p.source = source;
  p.format = "xy";
  p.x_unit = default_unit;
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
  if (text.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos) throw InputError(source, 0, "the file is empty");

  const std::size_t guess = text.size() / 16 + 16;
  p.x.reserve(guess);
  p.y.reserve(guess);

  HeaderState header;
  int columns = 0;  // numeric columns used, fixed by the first data row (2 or 3)
  int line_no = 0;
  int pending_text_line = 0;  // a text line seen after data started; an error if more data follows
  int one_column_lines = 0;
  bool in_block_comment = false;
  int direction = 0;  // +1 increasing, -1 decreasing, 0 not known yet
  std::size_t pos = 0;

  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty()) continue;

    if (in_block_comment) {
      p.skipped_lines.push_back(line_no);
      if (line.find("*/") != std::string_view::npos) in_block_comment = false;
      continue;
    }
    if (line.substr(0, 2) == "/*") {
      p.skipped_lines.push_back(line_no);
      in_block_comment = line.find("*/", 2) == std::string_view::npos;
      continue;
    }
    const char c0 = line.front();
    if (c0 == '#' || c0 == '!' || c0 == '\'') {
      p.skipped_lines.push_back(line_no);
      std::string key, value;
      std::string_view body = line;
      while (!body.empty() && (body.front() == '#' || body.front() == '!' || body.front() == '\''))
        body.remove_prefix(1);
      body = trim(body);
      if (split_key_value(body, key, value)) apply_key_value(p, header, key, value);
      continue;
    }
    // An inline comment after the numbers ("10.0 123 # peak") is not data.
    const std::size_t inline_comment = line.find_first_of("#!");
    const std::string_view data = trim(line.substr(0, inline_comment));

    if (has_decimal_comma(data))
      throw InputError(source, line_no, "decimal comma in a number; pattern files must use '.' as the decimal point");
    const Row row = split_row(data);
    if (row.kind == RowKind::Text || row.count < 2) {
      if (row.kind == RowKind::Numbers && row.count == 1) {
        if (!p.x.empty()) throw InputError(source, line_no, "only one column on this line (expected x and intensity)");
        ++one_column_lines;
      } else if (!p.x.empty()) {
        if (pending_text_line == 0) pending_text_line = line_no;
      } else if (starts_with_ci(line, "TITLE")) {
        std::string_view title = trim(line.substr(5));
        if (!title.empty() && (title.front() == ':' || title.front() == '=')) title = trim(title.substr(1));
        p.metadata["title"] = std::string(title);
      } else if (starts_with_ci(line, "XYDATA")) {
        p.metadata["fullprof"] = "XYDATA";
      } else {
        std::string key, value;
        if (split_key_value(line, key, value)) apply_key_value(p, header, key, value);
      }
      p.skipped_lines.push_back(line_no);
      continue;
    }
    if (pending_text_line != 0) throw InputError(source, pending_text_line, "non-numeric line between data lines");
    if (row.non_finite) throw InputError(source, line_no, line_cause_non_finite());
    if (columns == 0) {
      columns = std::min(row.count, 3);
    } else if (row.count < columns) {
      throw InputError(
          source, line_no,
          "this row has " + std::to_string(row.count) + " columns, the first data row has " + std::to_string(columns));
    }
    const double x = row.values[0];
    if (!p.x.empty()) {
      const double prev = p.x.back();
      if (direction == 0) direction = x > prev ? 1 : (x < prev ? -1 : 0);
      if (direction == 0 || (direction > 0 && !(x > prev)) || (direction < 0 && !(x < prev)))
        throw InputError(source, line_no, "x is not strictly monotonic (repeated or out-of-order value)");
    }
    if (columns == 3 && row.values[2] < 0) throw InputError(source, line_no, "negative esd");
    p.x.push_back(x);
    p.y.push_back(row.values[1]);
    if (columns == 3) p.esd.push_back(row.values[2]);
  }

  if (p.x.empty()) {
    if (one_column_lines > 0) throw InputError(source, 0, "only one column of numbers (expected x and intensity)");
    throw InputError(source, 0, "no numeric data found");
  }
  if (p.x.size() < 2) throw InputError(source, 0, "only one data point");
  if (direction < 0) {
    std::reverse(p.x.begin(), p.x.end());
    std::reverse(p.y.begin(), p.y.end());
    std::reverse(p.esd.begin(), p.esd.end());
    p.history.push_back("reverse_x(the file lists x in decreasing order)");
  }
  if (header.lambda1 > 0) {
    Radiation r;
    r.name = header.radiation_name.empty() ? "custom" : header.radiation_name;
    r.lambda1_angstrom = header.lambda1;
    r.lambda2_angstrom = header.lambda2;
    r.ratio = header.lambda2 > 0 ? header.ratio : 0;
    p.radiation = r;
  } else if (!header.radiation_name.empty()) {
    try {
      p.radiation = radiation_from_string(header.radiation_name);
    } catch (const InputError&) {
      // An unknown radiation name stays in metadata only; radiation remains unknown rather than guessed.
    }
  }
  p.validate();  // the checks above already guarantee it; kept as a safety net for future edits
  return p;
}

Pattern read_pattern_text(const std::string& path) {
  const std::string text = read_file(path);
  return parse_pattern_text(text, path, x_unit_from_extension(path));
}

std::string format_number(double value) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {
void append_number(std::string& out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string one_line(const std::string& s) {
  std::string out = s;
  for (auto& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}
}  // namespace

std::string format_xy(const Pattern& p) {
  p.validate();
  std::string out;
  out.reserve(p.size() * (p.has_esd() ? 36 : 24) + 512);
  auto header = [&](const std::string& key, const std::string& value) {
    out += "# " + key + ": " + one_line(value) + "\n";
  };
  if (!p.source.empty()) header("source", p.source);
  header("x_unit", x_unit_name(p.x_unit));
  if (p.radiation) {
    const Radiation& r = *p.radiation;
    header("radiation", r.name);
    header("wavelength_angstrom", format_number(r.lambda1_angstrom));
    if (r.has_second_line()) {
      header("wavelength2_angstrom", format_number(r.lambda2_angstrom));
      header("ratio", format_number(r.ratio));
    }
  }
  for (const auto& h : p.history) header("history", h);
  for (const auto& [key, value] : p.metadata) {
    if (key == "source" || key == "x_unit" || key == "radiation" || key == "history" || key_in(key, kLambda1Keys) ||
        key_in(key, kLambda2Keys) || key_in(key, kRatioKeys))
      continue;
    header(key, value);
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    append_number(out, p.x[i]);
    out += ' ';
    append_number(out, p.y[i]);
    if (p.has_esd()) {
      out += ' ';
      append_number(out, p.esd[i]);
    }
    out += '\n';
  }
  return out;
}

void write_xy(const Pattern& pattern, const std::string& path) { write_file_atomically(path, format_xy(pattern)); }

}  // namespace pxrd
