#pragma once
// One error style for the core: exceptions that carry their context.
#include <stdexcept>
#include <string>

namespace pxrd {

// Base class of every error thrown by the core.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: names the file, the line (0 when not applicable) and the cause.
// what() reads "file:line: cause" (or "file: cause").
class InputError : public Error {
 public:
  InputError(std::string file, int line, std::string cause);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& cause() const { return cause_; }

 private:
  std::string file_;
  int line_;
  std::string cause_;
};

// Thrown by CancelToken::throw_if_cancelled(); long jobs let it propagate.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace pxrd
