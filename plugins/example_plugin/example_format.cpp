// Example third-party reader, built outside pxrd_formats and loaded with dlopen().
// Format "PXRD-DEMO": a first line "PXRD-DEMO 1 <lambda_angstrom>", then one "2theta intensity" pair a line.
#include <sstream>
#include <stdexcept>
#include <string>

#include "pxrd/format_plugin.hpp"

namespace {

class DemoReader : public pxrd::formats::Reader {
 public:
  std::string id() const override { return "example_demo"; }
  std::string description() const override { return "PXRD-DEMO example plugin format"; }
  std::vector<std::string> extensions() const override { return {"demo"}; }
  int sniff(std::string_view head, std::string_view) const override {
    return head.substr(0, 11) == "PXRD-DEMO 1" ? pxrd::formats::kSniffCertain : pxrd::formats::kSniffNo;
  }
  pxrd::Pattern read(const std::string& content, const std::string& /*path*/) const override {
    std::istringstream in(content);
    std::string magic, version;
    double lambda = 0;
    in >> magic >> version >> lambda;
    pxrd::Pattern p;
    double x, y;
    while (in >> x >> y) {
      p.x.push_back(x);
      p.y.push_back(y);
    }
    // Plain std exceptions: the registry turns them into InputError naming the file, so the plugin
    // needs no symbol from the executable.
    if (p.x.empty()) throw std::runtime_error("PXRD-DEMO file without data");
    pxrd::Radiation r;
    r.name = "custom";
    r.lambda1_angstrom = lambda;
    p.radiation = r;
    p.metadata["instrument"] = "example plugin";
    return p;
  }
};

}  // namespace

extern "C" __attribute__((visibility("default"))) int pxrd_register_formats(pxrd::formats::PluginHost* host) {
  host->add_reader(std::make_unique<DemoReader>());
  return PXRD_FORMAT_PLUGIN_ABI;
}
