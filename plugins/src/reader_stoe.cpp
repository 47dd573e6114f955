// STOE WinXPOW binary RAW ("RAW_1.06Powdat"). No public specification was found; the layout below was
// worked out from the bytes of tests/data/formats/stoe_raw/stoe.raw (aimat-lab/xrdpattern, see the README
// there) and is checked for consistency while reading, so an unknown variant fails with a message
// instead of giving wrong angles:
//   0: magic "RAW_1.", 16: date, 32: title; 1536: sample name (NUL-padded);
//   range block at 2048: +34 u32 point count, +44 f32 start 2θ, +52 f32 end 2θ, +60 f32 step 2θ,
//   +68 f32 (time per step, s); intensities from 2560 as i32.
// The wavelength field of the header has not been identified, so the radiation is left unknown.
#include <cmath>

#include "builtin.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

class StoeRawReader : public Reader {
 public:
  std::string id() const override { return "stoe_raw"; }
  std::string description() const override { return "STOE WinXPOW RAW (RAW_1.xx), binary"; }
  std::vector<std::string> extensions() const override { return {"raw"}; }
  int sniff(std::string_view head, std::string_view) const override {
    return starts_with(head, "RAW_1.") ? kSniffCertain : kSniffNo;
  }
  Pattern read(const std::string& content, const std::string& path) const override {
    const ByteReader r(content, path);
    constexpr std::size_t kRange = 2048, kData = 2560;
    if (!starts_with(content, "RAW_1.")) r.fail(0, "STOE: missing RAW_1. magic");
    Pattern p;
    p.metadata["version"] = r.str(0, 14, "STOE magic");
    const std::string date = r.str(16, 16, "STOE date");
    if (!date.empty()) p.metadata["date"] = date;
    const std::string title = r.str(32, 80, "STOE title");
    if (!title.empty()) p.metadata["title"] = title;
    const std::string sample = r.str(1536, 64, "STOE sample name");
    if (!sample.empty()) p.metadata["sample"] = sample;
    const std::uint32_t n = r.u32(kRange + 34, "STOE point count");
    const double start = r.f32(kRange + 44, "STOE start angle");
    const double end = r.f32(kRange + 52, "STOE end angle");
    const double step = r.f32(kRange + 60, "STOE step");
    const double time = r.f32(kRange + 68, "STOE counting time");
    if (n == 0 || n > kMaxPoints) r.fail(kRange + 34, "STOE: implausible point count " + std::to_string(n));
    if (!(step > 0) || !std::isfinite(start) || !std::isfinite(end))
      r.fail(kRange + 44, "STOE: bad start/end/step angles");
    const double expected = std::round((end - start) / step) + 1;
    if (std::fabs(expected - n) > 1)
      r.fail(kRange + 34, "STOE: " + std::to_string(n) + " points do not span " + std::to_string(start) + "–" +
                              std::to_string(end) + " in steps of " + std::to_string(step) + " (unknown variant)");
    r.require(kData, static_cast<std::size_t>(n) * 4, "STOE intensities");
    fill_linear_x(p, start, step, n);
    p.y.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) p.y[i] = r.i32(kData + 4 * i, "STOE intensities");
    p.metadata["step"] = std::to_string(step);
    if (time > 0 && std::isfinite(time)) p.metadata["counting_time"] = std::to_string(time);
    return p;
  }
};

}  // namespace

void add_stoe_reader(PluginHost& host) { host.add_reader(std::make_unique<StoeRawReader>()); }

}  // namespace pxrd::formats::detail
