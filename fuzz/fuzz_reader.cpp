// libFuzzer target for one pattern reader (PXRD_FUZZ_READER, e.g. "xrdml"), through the registry as the
// program uses it: sniffing over all readers, then the forced reader. The only acceptable failure is
// pxrd::InputError; any other exception, a crash, a leak or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"

#ifndef PXRD_FUZZ_READER
#error "define PXRD_FUZZ_READER"
#endif

namespace {
const pxrd::formats::Registry& registry() {
  static pxrd::formats::Registry* r = [] {
    auto* reg = new pxrd::formats::Registry();
    reg->add_builtin();
    return reg;
  }();
  return *r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string content(reinterpret_cast<const char*>(data), size);
  const auto& reg = registry();
  (void)reg.detect(content, "fuzz.bin");
  try {
    const pxrd::Pattern p = reg.read_content(content, "fuzz.bin", PXRD_FUZZ_READER);
    p.validate();  // read_content validated it already; a throw here would be a bug
  } catch (const pxrd::InputError&) {
  }
  return 0;
}
