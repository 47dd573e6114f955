#include "zip_lite.hpp"

#include <zlib.h>

#include "util.hpp"

namespace pxrd::formats::detail {

namespace {
constexpr std::size_t kMaxMemberBytes = 1u << 30;  // 1 GiB: far above any pattern, far below trouble
constexpr std::size_t kMaxMembers = 100000;
}  // namespace

bool looks_like_zip(std::string_view head) { return starts_with(head, std::string_view("PK\x03\x04", 4)); }

ZipArchive::ZipArchive(std::string_view data, const std::string& path) : data_(data), path_(path) {
  const ByteReader r(data_, path_);
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end of the file.
  if (data_.size() < 22) r.fail(0, "ZIP: too short to be an archive");
  std::size_t eocd = std::string_view::npos;
  const std::size_t lowest = data_.size() > 22 + 65535 ? data_.size() - 22 - 65535 : 0;
  for (std::size_t i = data_.size() - 22 + 1; i-- > lowest;) {
    if (data_.compare(i, 4, std::string_view("PK\x05\x06", 4)) == 0) {
      eocd = i;
      break;
    }
  }
  if (eocd == std::string_view::npos) r.fail(data_.size(), "ZIP: no end-of-archive record (truncated?)");
  const std::size_t count = r.u16(eocd + 10, "ZIP end record");
  const std::size_t cd_offset = r.u32(eocd + 16, "ZIP end record");
  if (count > kMaxMembers) r.fail(eocd, "ZIP: implausible member count");
  std::size_t p = cd_offset;
  for (std::size_t k = 0; k < count; ++k) {
    if (r.u32(p, "ZIP central directory") != 0x02014b50u) r.fail(p, "ZIP: bad central directory entry");
    ZipMember m;
    m.method = r.u16(p + 10, "ZIP central directory");
    m.compressed_size = r.u32(p + 20, "ZIP central directory");
    m.uncompressed_size = r.u32(p + 24, "ZIP central directory");
    const std::size_t name_len = r.u16(p + 28, "ZIP central directory");
    const std::size_t extra_len = r.u16(p + 30, "ZIP central directory");
    const std::size_t comment_len = r.u16(p + 32, "ZIP central directory");
    m.local_offset = r.u32(p + 42, "ZIP central directory");
    r.require(p + 46, name_len, "ZIP member name");
    m.name = std::string(data_.substr(p + 46, name_len));
    members_.push_back(std::move(m));
    p += 46 + name_len + extra_len + comment_len;
  }
}

const ZipMember* ZipArchive::find(std::string_view name) const {
  for (const auto& m : members_)
    if (m.name == name) return &m;
  const std::string lower = to_lower(name);
  for (const auto& m : members_)
    if (to_lower(m.name) == lower) return &m;
  return nullptr;
}

std::string ZipArchive::extract(const ZipMember& m) const {
  const ByteReader r(data_, path_);
  if (r.u32(m.local_offset, "ZIP local header") != 0x04034b50u) r.fail(m.local_offset, "ZIP: bad local header");
  const std::size_t name_len = r.u16(m.local_offset + 26, "ZIP local header");
  const std::size_t extra_len = r.u16(m.local_offset + 28, "ZIP local header");
  const std::size_t begin = m.local_offset + 30 + name_len + extra_len;
  r.require(begin, m.compressed_size, ("ZIP member " + m.name).c_str());
  if (m.uncompressed_size > kMaxMemberBytes) r.fail(begin, "ZIP: member " + m.name + " is too large");
  const std::string_view packed = data_.substr(begin, m.compressed_size);
  if (m.method == 0) return std::string(packed);
  if (m.method != 8) r.fail(begin, "ZIP: compression method " + std::to_string(m.method) + " is not supported");
  std::string out(m.uncompressed_size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) r.fail(begin, "ZIP: zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  zs.avail_in = static_cast<uInt>(packed.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const std::size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != m.uncompressed_size)
    r.fail(begin, "ZIP: member " + m.name + " is corrupt (inflate " + std::to_string(rc) + ")");
  return out;
}

}  // namespace pxrd::formats::detail
