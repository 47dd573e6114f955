#include "util.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace pxrd::formats::detail {

std::string extension_of(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return to_lower(std::string_view(path).substr(dot + 1));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string unquote(std::string_view s, char quote) {
  std::string t = trim(s);
  if (t.size() >= 2 && t.front() == quote && t.back() == quote) return t.substr(1, t.size() - 2);
  return t;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && to_lower(s.substr(0, prefix.size())) == to_lower(prefix);
}

bool icontains(std::string_view haystack, std::string_view needle) {
  return to_lower(haystack).find(to_lower(needle)) != std::string::npos;
}

std::string_view strip_bom(std::string_view s) {
  if (starts_with(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  return s;
}

bool parse_number(std::string_view token, double& value) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  if (token.empty()) return false;
  const char* first = token.data();
  const char* last = first + token.size();
  auto res = std::from_chars(first, last, value);
  if (res.ec == std::errc() && res.ptr == last) return true;
  // A decimal comma (never a thousands separator in these files): retry with '.'.
  if (token.find(',') != std::string_view::npos && token.find('.') == std::string_view::npos) {
    std::string copy(token);
    std::replace(copy.begin(), copy.end(), ',', '.');
    res = std::from_chars(copy.data(), copy.data() + copy.size(), value);
    return res.ec == std::errc() && res.ptr == copy.data() + copy.size();
  }
  return false;
}

double number_or_throw(std::string_view token, const std::string& path, int line, const char* what) {
  double v = 0;
  if (!parse_number(token, v))
    throw InputError(path, line, std::string(what) + " is not a number: '" + std::string(token.substr(0, 40)) + "'");
  return v;
}

std::vector<double> number_list(std::string_view text, const std::string& path, int line, const char* what) {
  std::vector<double> out;
  std::size_t i = 0;
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < text.size()) {
    while (i < text.size() && ws(text[i])) ++i;
    const std::size_t b = i;
    while (i < text.size() && !ws(text[i])) ++i;
    if (i > b) out.push_back(number_or_throw(text.substr(b, i - b), path, line, what));
  }
  return out;
}

std::string first_token(std::string_view s) {
  const std::string t = trim(s);
  const auto e = t.find_first_of(" \t");
  return e == std::string::npos ? t : t.substr(0, e);
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  const auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '\r'; };
  while (i < line.size()) {
    while (i < line.size() && is_sep(line[i])) ++i;
    const std::size_t b = i;
    while (i < line.size() && !is_sep(line[i])) ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

bool LineReader::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  std::size_t e = pos_;
  while (e < text_.size() && text_[e] != '\n' && text_[e] != '\r') ++e;
  line = text_.substr(pos_, e - pos_);
  if (e < text_.size() && text_[e] == '\r' && e + 1 < text_.size() && text_[e + 1] == '\n') ++e;
  pos_ = e + 1;
  ++line_;
  return true;
}

void ByteReader::require(std::size_t offset, std::size_t count, const char* what) const {
  if (offset > data_.size() || count > data_.size() - offset)
    fail(offset, std::string("file ends inside ") + what + " (truncated? " + std::to_string(data_.size()) +
                     " bytes)");
}

std::uint16_t ByteReader::u16(std::size_t offset, const char* what) const {
  require(offset, 2, what);
  const auto* b = reinterpret_cast<const unsigned char*>(data_.data() + offset);
  return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

std::uint32_t ByteReader::u32(std::size_t offset, const char* what) const {
  require(offset, 4, what);
  const auto* b = reinterpret_cast<const unsigned char*>(data_.data() + offset);
  return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
         (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
}

float ByteReader::f32(std::size_t offset, const char* what) const {
  const std::uint32_t bits = u32(offset, what);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double ByteReader::f64(std::size_t offset, const char* what) const {
  require(offset, 8, what);
  const std::uint64_t lo = u32(offset, what), hi = u32(offset + 4, what);
  const std::uint64_t bits = lo | (hi << 32);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

std::string ByteReader::str(std::size_t offset, std::size_t count, const char* what) const {
  require(offset, count, what);
  std::string s(data_.substr(offset, count));
  const auto nul = s.find('\0');
  if (nul != std::string::npos) s.resize(nul);
  return trim(s);
}

void ByteReader::fail(std::size_t offset, const std::string& cause) const {
  throw InputError(path_, 0, "at byte " + std::to_string(offset) + ": " + cause);
}

void set_radiation(Pattern& p, double lambda1, double lambda2, double ratio, const std::string& anode) {
  if (!(lambda1 > 0.01 && lambda1 < 10.0)) return;
  Radiation r;
  r.lambda1_angstrom = lambda1;
  if (lambda2 > 0.01 && lambda2 < 10.0 && std::fabs(lambda2 - lambda1) > 1e-9 && ratio > 0 && ratio <= 1.0) {
    r.lambda2_angstrom = lambda2;
    r.ratio = ratio;
  }
  // Only a plain element symbol is trusted as an anode name.
  const std::string a = trim(anode);
  const bool symbol = (a.size() == 1 || a.size() == 2) && a[0] >= 'A' && a[0] <= 'Z' &&
                      (a.size() == 1 || (a[1] >= 'a' && a[1] <= 'z'));
  r.name = symbol ? a + (r.has_second_line() ? "Ka12" : "Ka1") : "custom";
  p.radiation = r;
}

void note_first_only(Pattern& p, const char* key, const char* what, std::size_t count) {
  if (count <= 1) return;
  p.metadata[key] = std::to_string(count);
  p.history.push_back(std::string(what) + "(" + key + "=" + std::to_string(count) + ")");
}

void fill_linear_x(Pattern& p, double start, double step, std::size_t n) {
  p.x.resize(n);
  for (std::size_t i = 0; i < n; ++i) p.x[i] = start + static_cast<double>(i) * step;
}

}  // namespace pxrd::formats::detail
