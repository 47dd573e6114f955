// `pxrd-diff convert IN -o OUT.{xy,xye,cif,fxye}`: reads any supported pattern file and writes it out.
#include <iostream>

#include "cli.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"

namespace {

int run_convert(const std::vector<std::string>& argv) {
  pxrd::cli::Args args(argv, {"--help"});
  args.check_known({"--help", "-o", "--output", "--format"});
  if (args.has("--help")) {
    std::cout << "usage: pxrd-diff convert IN -o OUT [--format ID]\n\nOUT's extension picks the writer: .xy, .xye "
                 "(key: value header), .cif (pdCIF), .fxye (GSAS).\n--format forces the reader of IN.\n";
    return 0;
  }
  std::vector<std::string> inputs = args.positionals();
  std::vector<std::string> out = args.get_list(args.has("-o") ? "-o" : "--output");
  // "-o OUT IN" hands IN to -o as well.
  if (inputs.empty() && out.size() > 1) inputs.assign(out.begin() + 1, out.end());
  if (out.empty()) throw pxrd::InputError("convert", 0, "missing -o OUT (see --help)");
  if (inputs.size() != 1) throw pxrd::InputError("convert", 0, "expected one input file (see --help)");
  auto fmt = args.get_list("--format");
  const pxrd::Pattern pat = fmt.empty() ? pxrd::formats::read_pattern(inputs.front())
                                        : pxrd::formats::read_pattern(inputs.front(), fmt.front());
  pxrd::formats::write_pattern(pat, out.front());
  std::cout << "wrote " << out.front() << " (" << pat.size() << " points from " << pat.format << ")\n";
  return 0;
}

}  // namespace

PXRD_COMMAND("convert", "convert a pattern file to .xy, .xye, .cif (pdCIF) or .fxye", run_convert);
