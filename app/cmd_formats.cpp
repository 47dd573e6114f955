// `pxrd-diff formats`: the pattern readers and writers, with their extensions and where they come from.
#include <iostream>

#include "cli.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/json_text.hpp"

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

int run_formats(const std::vector<std::string>& argv) {
  pxrd::cli::Args args(argv, {"--json", "--help"});
  args.check_known({"--json", "--help"});
  if (args.has("--help")) {
    std::cout << "usage: pxrd-diff formats [--json]\n\nLists the pattern-file readers (picked by content) and "
                 "writers (picked by extension).\nPlugins are loaded from $PXRD_PLUGIN_PATH and "
                 "<bin>/../lib/pxrd-diff/plugins.\n";
    return 0;
  }
  using pxrd::json_quote;
  const auto& reg = pxrd::formats::Registry::instance();
  if (args.has("--json")) {
    std::cout << "{\"readers\": [";
    bool first = true;
    for (const auto& e : reg.readers()) {
      std::cout << (first ? "\n" : ",\n") << "  {\"id\": " << json_quote(e.reader->id())
                << ", \"extensions\": [";
      const auto exts = e.reader->extensions();
      for (std::size_t i = 0; i < exts.size(); ++i) std::cout << (i ? ", " : "") << json_quote(exts[i]);
      std::cout << "], \"source\": " << json_quote(e.source)
                << ", \"description\": " << json_quote(e.reader->description()) << "}";
      first = false;
    }
    std::cout << "\n], \"writers\": [";
    first = true;
    for (const auto& e : reg.writers()) {
      std::cout << (first ? "\n" : ",\n") << "  {\"id\": " << json_quote(e.writer->id()) << ", \"extensions\": [";
      const auto exts = e.writer->extensions();
      for (std::size_t i = 0; i < exts.size(); ++i) std::cout << (i ? ", " : "") << json_quote(exts[i]);
      std::cout << "], \"source\": " << json_quote(e.source) << "}";
      first = false;
    }
    std::cout << "\n], \"plugin_errors\": [";
    for (std::size_t i = 0; i < reg.load_errors().size(); ++i)
      std::cout << (i ? ", " : "") << json_quote(reg.load_errors()[i]);
    std::cout << "]}\n";
    return 0;
  }
  std::cout << "readers (the format is detected from the content):\n";
  for (const auto& e : reg.readers()) {
    std::string id = e.reader->id();
    id.resize(std::max<std::size_t>(id.size() + 1, 14), ' ');
    std::string exts = join(e.reader->extensions(), " ");
    exts.resize(std::max<std::size_t>(exts.size() + 1, 22), ' ');
    std::cout << "  " << id << exts << e.source << "  " << e.reader->description() << "\n";
  }
  std::cout << "writers (chosen by the output extension):\n";
  for (const auto& e : reg.writers()) {
    std::string id = e.writer->id();
    id.resize(std::max<std::size_t>(id.size() + 1, 14), ' ');
    std::cout << "  " << id << join(e.writer->extensions(), " ") << "  " << e.source << "\n";
  }
  for (const auto& err : reg.load_errors()) std::cerr << "pxrd-diff formats: warning: " << err << "\n";
  return 0;
}

}  // namespace

PXRD_COMMAND("formats", "list the pattern-file readers and writers", run_formats);
