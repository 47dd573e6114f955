#include "pxrd/error.hpp"

namespace pxrd {

namespace {
std::string format_input_error(const std::string& file, int line, const std::string& cause) {
  std::string out = file.empty() ? std::string("input") : file;
  if (line > 0) out += ":" + std::to_string(line);
  return out + ": " + cause;
}
}  // namespace

InputError::InputError(std::string file, int line, std::string cause)
    : Error(format_input_error(file, line, cause)), file_(std::move(file)), line_(line), cause_(std::move(cause)) {}

}  // namespace pxrd
