// pxrd-diff: the command-line front end. Every error ends as one line on stderr and an exit code.
#include <clocale>
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli.hpp"
#include "pxrd/error.hpp"

namespace {
void print_usage() {
  std::cout << "usage: pxrd-diff <command> [options]\n\n"
               "Solve crystal structures from powder X-ray diffraction patterns.\n\ncommands:\n";
  for (const auto& [name, cmd] : pxrd::cli::registry()) {
    std::string padded = name;
    padded.resize(12, ' ');
    std::cout << "  " << padded << cmd.summary << "\n";
  }
  std::cout << "\nRun 'pxrd-diff <command> --help' for the options of a command.\n";
}
}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "C");  // numbers in files never depend on the user's locale
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "pxrd-diff " << PXRD_VERSION << "\n";
    return 0;
  }
  auto& commands = pxrd::cli::registry();
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "pxrd-diff: unknown command '" << argv[1] << "' (see pxrd-diff --help)\n";
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second.run(args);
  } catch (const pxrd::InputError& e) {
    std::cerr << "pxrd-diff " << it->first << ": error: " << e.what() << "\n";
    return 2;
  } catch (const pxrd::Cancelled&) {
    std::cerr << "pxrd-diff " << it->first << ": cancelled\n";
    return 130;
  } catch (const std::bad_alloc&) {
    std::cerr << "pxrd-diff " << it->first << ": error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "pxrd-diff " << it->first << ": error: " << e.what() << "\n";
    return 1;
  }
}
