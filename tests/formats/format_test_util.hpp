#pragma once
// Helpers for the format tests: write bytes to a temporary file, read them back, build small ZIPs.
#include <QTemporaryDir>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pxrd/atomic_file.hpp"
#include "pxrd/formats.hpp"

namespace fmt_test {

inline QTemporaryDir& temp_dir() {
  static QTemporaryDir dir;
  return dir;
}

inline std::string temp_path(const std::string& name) { return temp_dir().path().toStdString() + "/" + name; }

inline pxrd::Pattern read_bytes(const std::string& bytes, const std::string& name) {
  const std::string path = temp_path(name);
  pxrd::write_file_atomically(path, bytes);
  return pxrd::formats::read_pattern(path);
}

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

inline std::string crlf(const std::string& s) { return replace_all(s, "\n", "\r\n"); }
inline std::string bom(const std::string& s) { return "\xEF\xBB\xBF" + s; }

inline void put_u16(std::string& b, std::uint16_t v) {
  b += static_cast<char>(v & 0xff);
  b += static_cast<char>(v >> 8);
}
inline void put_u32(std::string& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b += static_cast<char>((v >> (8 * i)) & 0xff);
}

// A ZIP archive with stored (uncompressed) members; the CRC is left 0 (our reader does not check it).
inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out, central;
  for (const auto& [name, data] : members) {
    const auto offset = static_cast<std::uint32_t>(out.size());
    put_u32(out, 0x04034b50);
    put_u16(out, 20);
    put_u16(out, 0);
    put_u16(out, 0);  // stored
    put_u32(out, 0);  // time, date
    put_u32(out, 0);  // crc
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    put_u16(out, static_cast<std::uint16_t>(name.size()));
    put_u16(out, 0);
    out += name + data;
    put_u32(central, 0x02014b50);
    put_u16(central, 20);
    put_u16(central, 20);
    put_u16(central, 0);
    put_u16(central, 0);
    put_u32(central, 0);
    put_u32(central, 0);
    put_u32(central, static_cast<std::uint32_t>(data.size()));
    put_u32(central, static_cast<std::uint32_t>(data.size()));
    put_u16(central, static_cast<std::uint16_t>(name.size()));
    put_u16(central, 0);
    put_u16(central, 0);
    put_u16(central, 0);
    put_u16(central, 0);
    put_u32(central, 0);
    put_u32(central, offset);
    central += name;
  }
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put_u32(out, 0x06054b50);
  put_u16(out, 0);
  put_u16(out, 0);
  put_u16(out, static_cast<std::uint16_t>(members.size()));
  put_u16(out, static_cast<std::uint16_t>(members.size()));
  put_u32(out, static_cast<std::uint32_t>(central.size()));
  put_u32(out, cd_offset);
  put_u16(out, 0);
  return out;
}

}  // namespace fmt_test
