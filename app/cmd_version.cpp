// `pxrd-diff version`: prints the version and the build configuration.
#include <iostream>

#include "cli.hpp"

namespace {
int run_version(const std::vector<std::string>&) {
  std::cout << "pxrd-diff " << PXRD_VERSION << "\n";
  return 0;
}
}  // namespace

PXRD_COMMAND("version", "print the version", run_version);
