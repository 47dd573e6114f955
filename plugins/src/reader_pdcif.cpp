// pdCIF through xylib (it reads loops, range tags and several blocks correctly). We choose the columns:
// x = the measured angle (_pd_meas_2theta_scan, or generated from _pd_meas_2theta_range_*), else the
// processed one; y = the observed intensity (_pd_meas_counts_total, _pd_meas_intensity_total, then
// _pd_proc_intensity_total/net). Calculated columns (_pd_calc_*) and the background are never read as data.
#include <xylib/xylib.h>

#include <cmath>
#include <memory>

#include "builtin.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

int find_column(const xylib::Block& b, std::initializer_list<const char*> names) {
  for (const char* n : names)
    for (int c = 1; c <= b.get_column_count(); ++c)
      if (b.get_column(c).get_name() == n) return c;
  return 0;
}

// "1.5406(2)" -> 1.5406.
double cif_number(const std::string& text) {
  std::string t = trim(text);
  const auto paren = t.find('(');
  if (paren != std::string::npos) t.resize(paren);
  double v = 0;
  return parse_number(t, v) ? v : 0.0;
}

struct Wavelengths {
  double l1 = 0, l2 = 0, ratio = 0;
};

// The wavelength, read from the text: xylib drops data blocks without a loop (where the wavelength often
// sits) and keeps only profile loops. Either "_diffrn_radiation_wavelength 1.5406(1)" or a loop of
// _diffrn_radiation_wavelength (and _diffrn_radiation_wavelength_wt: Kα2 weight relative to Kα1).
Wavelengths scan_wavelengths(const std::string& content) {
  Wavelengths w;
  LineReader lines(content);
  std::string_view line;
  const std::string tag = "_diffrn_radiation_wavelength";
  std::vector<std::string> loop_tags;
  bool in_loop_header = false;
  int col_l = -1, col_w = -1;
  std::vector<double> lambdas, weights;
  while (lines.next(line)) {
    const std::string t = trim(line);
    if (t == "loop_") {
      if (!lambdas.empty()) break;
      in_loop_header = true;
      loop_tags.clear();
      col_l = col_w = -1;  // column positions belong to one loop only (found by fuzzing)
      continue;
    }
    if (in_loop_header && starts_with(t, "_")) {
      const std::string name = first_token(t);
      if (name == tag) col_l = static_cast<int>(loop_tags.size());
      if (name == tag + "_wt") col_w = static_cast<int>(loop_tags.size());
      loop_tags.push_back(name);
      continue;
    }
    if (in_loop_header) {
      in_loop_header = false;
      if (col_l < 0) loop_tags.clear();
    }
    if (col_l >= 0 && !loop_tags.empty()) {
      if (t.empty() || starts_with(t, "_") || starts_with(t, "data_") || starts_with(t, "loop_") || t[0] == '#') {
        break;
      }
      // Values of a wavelength loop are numbers, so whitespace splitting is enough here.
      std::vector<std::string> f;
      std::size_t i = 0;
      while (i < t.size()) {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
        const std::size_t b = i;
        while (i < t.size() && t[i] != ' ' && t[i] != '\t') ++i;
        if (i > b) f.push_back(t.substr(b, i - b));
      }
      if (f.size() == loop_tags.size() && static_cast<std::size_t>(col_l) < f.size() &&
          (col_w < 0 || static_cast<std::size_t>(col_w) < f.size())) {
        lambdas.push_back(cif_number(f[static_cast<std::size_t>(col_l)]));
        weights.push_back(col_w >= 0 ? cif_number(f[static_cast<std::size_t>(col_w)]) : 0.0);
      }
      continue;
    }
    if (starts_with(t, tag) && t.size() > tag.size() && (t[tag.size()] == ' ' || t[tag.size()] == '\t')) {
      const double v = cif_number(t.substr(tag.size()));
      if (v > 0 && w.l1 == 0) w.l1 = v;
    }
  }
  if (!lambdas.empty()) {
    w.l1 = lambdas[0];
    if (lambdas.size() >= 2 && weights[0] > 0) {
      w.l2 = lambdas[1];
      w.ratio = weights[1] / weights[0];
    }
  }
  return w;
}

class PdcifReader : public Reader {
 public:
  std::string id() const override { return "pdcif"; }
  std::string description() const override {
    return "powder CIF (measured/processed loops, range tags, several blocks; observed intensities only; via xylib)";
  }
  std::vector<std::string> extensions() const override { return {"cif", "pdcif", "rtv"}; }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find("data_") == std::string_view::npos) return kSniffNo;
    for (const char* tag : {"_pd_meas_", "_pd_proc_", "_pd_block_id", "_pd_calc_"})
      if (head.find(tag) != std::string_view::npos) return 80;
    return kSniffNo;
  }

  Pattern read(const std::string& content, const std::string& path) const override {
    std::unique_ptr<xylib::DataSet> ds;
    try {
      ds.reset(xylib::load_string(std::string(strip_bom(content)), "pdcif"));
    } catch (const std::exception& e) {
      throw InputError(path, 0, std::string("pdCIF: ") + e.what());
    }
    Pattern p;
    const xylib::Block* chosen = nullptr;
    int xc = 0, yc = 0, profiles = 0;
    for (int i = 0; ds && i < ds->get_block_count(); ++i) {
      const xylib::Block& b = *ds->get_block(i);
      const int y = find_column(b, {"meas_counts_total", "meas_intensity_total", "proc_intensity_total",
                                    "proc_intensity_net", "meas_counts_net", "meas_intensity_net"});
      const int x = find_column(b, {"meas_2theta_scan", "meas_2theta", "meas_angle_2theta",
                                    "proc_2theta_corrected", "proc_2theta"});
      if (y && x) {
        ++profiles;
        if (!chosen) chosen = &b, xc = x, yc = y;
      }
      if (b.meta.has_key("diffrn_radiation_probe")) p.metadata["probe"] = trim(b.meta.get("diffrn_radiation_probe"));
    }
    if (!chosen) throw InputError(path, 0, "pdCIF: no block with an observed profile (x and _pd_meas/_pd_proc intensity)");
    const int n = chosen->get_point_count();
    if (n <= 0) throw InputError(path, 0, "pdCIF: the profile loop is empty");
    const xylib::Column& cx = chosen->get_column(xc);
    const xylib::Column& cy = chosen->get_column(yc);
    const int ce = find_column(*chosen, {(cy.get_name() + "_err").c_str()});
    // Without esd values, a complete weight column gives them back (w = 1/esd²).
    int cw = ce ? 0 : find_column(*chosen, {"proc_ls_weight"});
    for (int i = 0; cw && i < n; ++i)
      if (!(chosen->get_column(cw).get_value(i) > 0)) cw = 0;
    p.x.resize(static_cast<std::size_t>(n));
    p.y.resize(static_cast<std::size_t>(n));
    if (ce || cw) p.esd.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      p.x[static_cast<std::size_t>(i)] = cx.get_value(i);
      p.y[static_cast<std::size_t>(i)] = cy.get_value(i);
      if (ce) p.esd[static_cast<std::size_t>(i)] = chosen->get_column(ce).get_value(i);
      if (cw) p.esd[static_cast<std::size_t>(i)] = 1.0 / std::sqrt(chosen->get_column(cw).get_value(i));
    }
    p.metadata["x_column"] = "_pd_" + cx.get_name();
    p.metadata["y_column"] = "_pd_" + cy.get_name();
    if (!chosen->get_name().empty()) p.metadata["block"] = chosen->get_name();
    note_first_only(p, "profiles", "first_profile_block_only", profiles);
    const Wavelengths w = scan_wavelengths(content);
    set_radiation(p, w.l1, w.l2, w.ratio);
    const auto put = [&](const char* meta, const char* key) {
      if (chosen->meta.has_key(key) && !trim(chosen->meta.get(key)).empty() && trim(chosen->meta.get(key)) != "?")
        p.metadata[meta] = trim(chosen->meta.get(key));
    };
    put("instrument", "diffrn_measurement_device_type");
    put("date", "pd_meas_datetime_initiated");
    put("step", "pd_meas_2theta_range_inc");
    put("sample", "pd_spec_id");
    return p;
  }
};

}  // namespace

void add_pdcif_reader(PluginHost& host) { host.add_reader(std::make_unique<PdcifReader>()); }

}  // namespace pxrd::formats::detail
