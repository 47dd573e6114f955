#pragma once
// Small helpers shared by the bundled readers (internal to pxrd_formats).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "pxrd/error.hpp"
#include "pxrd/pattern.hpp"

namespace pxrd::formats::detail {

// Lower-case extension without the dot ("" when none).
std::string extension_of(const std::string& path);
std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
// s trimmed, without one enclosing pair of `quote` characters (the inside is kept as written).
std::string unquote(std::string_view s, char quote);
bool starts_with(std::string_view s, std::string_view prefix);
bool istarts_with(std::string_view s, std::string_view prefix);  // ASCII case-insensitive
bool icontains(std::string_view haystack, std::string_view needle);
// Strips a UTF-8 byte-order mark.
std::string_view strip_bom(std::string_view s);

// Locale-free number parsing of the whole token (leading '+' and a decimal comma accepted).
bool parse_number(std::string_view token, double& value);
// Same but throws InputError(path, line, "<what> is not a number: '<token>'").
double number_or_throw(std::string_view token, const std::string& path, int line, const char* what);
// All whitespace-separated numbers of a text (e.g. an XML element); throws naming `what` on a bad token.
std::vector<double> number_list(std::string_view text, const std::string& path, int line, const char* what);
// The first whitespace-separated token (keeps a decimal comma intact, unlike split_fields).
std::string first_token(std::string_view s);
// Splits on spaces, tabs, commas and semicolons.
std::vector<std::string_view> split_fields(std::string_view line);

// Iterates over lines (LF, CRLF or CR endings). Line numbers are 1-based.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(strip_bom(text)) {}
  bool next(std::string_view& line);
  int line_number() const { return line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 0;
};

// Bounds-checked little-endian reads from binary content; throw InputError naming the byte offset.
class ByteReader {
 public:
  ByteReader(std::string_view data, const std::string& path) : data_(data), path_(path) {}
  std::size_t size() const { return data_.size(); }
  void require(std::size_t offset, std::size_t count, const char* what) const;
  std::uint16_t u16(std::size_t offset, const char* what) const;
  std::uint32_t u32(std::size_t offset, const char* what) const;
  std::int32_t i32(std::size_t offset, const char* what) const { return static_cast<std::int32_t>(u32(offset, what)); }
  float f32(std::size_t offset, const char* what) const;
  double f64(std::size_t offset, const char* what) const;
  // A NUL-padded fixed-size string field.
  std::string str(std::size_t offset, std::size_t count, const char* what) const;
  [[noreturn]] void fail(std::size_t offset, const std::string& cause) const;

 private:
  std::string_view data_;
  const std::string& path_;
};

// Largest point count any reader accepts from a header before allocating (absurd-size guard).
constexpr std::size_t kMaxPoints = 50'000'000;

// Sets the radiation when λ1 is a plausible X-ray/neutron wavelength (0.01–10 Å); ignores it otherwise.
// `anode` ("Cu", as the file states it) names it "CuKa12" (doublet) or "CuKa1"; without one it is "custom".
void set_radiation(Pattern& p, double lambda1, double lambda2 = 0, double ratio = 0, const std::string& anode = "");

// Files with several scans: only the first is read; a count above 1 goes to metadata[key] and to history
// as "<what>(<key>=<count>)".
void note_first_only(Pattern& p, const char* key, const char* what, std::size_t count);

// Fills x = start + i·step for n points.
void fill_linear_x(Pattern& p, double start, double step, std::size_t n);

}  // namespace pxrd::formats::detail
