#include "pxrd/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "pxrd/error.hpp"

namespace pxrd {

void write_file_atomically(const std::string& path, const std::string& content) {
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(rd());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
    const std::size_t written = std::fwrite(content.data(), 1, content.size(), f);
    const bool ok = written == content.size() && std::fflush(f) == 0;
    const int saved_errno = errno;
    std::fclose(f);
    if (!ok) {
      std::remove(tmp.c_str());
      throw Error(path + ": write failed (" + std::strerror(saved_errno) + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved_errno = errno;
    std::remove(tmp.c_str());
    throw Error(path + ": cannot replace the file (" + std::strerror(saved_errno) + ")");
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, std::string("cannot open the file (") + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace pxrd
