#pragma once
// Reads members of a ZIP archive held in memory (RASX and BRML are ZIP files). Stored and deflated
// members only (what instrument software writes); no ZIP64, no encryption. Sizes are bounded.
#include <string>
#include <string_view>
#include <vector>

namespace pxrd::formats::detail {

struct ZipMember {
  std::string name;
  std::size_t local_offset = 0;
  std::size_t compressed_size = 0;
  std::size_t uncompressed_size = 0;
  int method = 0;
};

class ZipArchive {
 public:
  // Throws InputError(path, 0, "at byte N: ...") when the central directory is missing or malformed.
  ZipArchive(std::string_view data, const std::string& path);
  const std::vector<ZipMember>& members() const { return members_; }
  const ZipMember* find(std::string_view name) const;  // exact name, then case-insensitive
  std::string extract(const ZipMember& member) const;

 private:
  std::string_view data_;
  std::string path_;
  std::vector<ZipMember> members_;
};

// True when the bytes start like a ZIP archive.
bool looks_like_zip(std::string_view head);

}  // namespace pxrd::formats::detail
