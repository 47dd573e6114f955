// Writers, chosen by the output extension:
//   .xy   two columns, `# key: value` header (the core's format_xy)
//   .xye  three columns, same header; esd = √I (Poisson, at least 1) when the pattern has none, noted in history
//   .cif  pdCIF: observed, weight, background and calculated columns, the R factors, the wavelength(s)
//   .fxye GSAS FXYE: x in centidegrees 2θ, intensity, esd (Q patterns are converted with λ1)
#include <cmath>
#include <cstdio>

#include "builtin.hpp"
#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/units.hpp"
#include "util.hpp"

namespace pxrd::formats::detail {
namespace {

std::vector<double> poisson_esd(const std::vector<double>& y) {
  std::vector<double> e(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) e[i] = std::sqrt(std::max(y[i], 1.0));
  return e;
}

class XyWriter : public Writer {
 public:
  explicit XyWriter(bool with_esd) : esd_(with_esd) {}
  std::string id() const override { return esd_ ? "xye" : "xy"; }
  std::vector<std::string> extensions() const override {
    if (esd_) return {"xye", "qye"};
    return {"xy", "dat", "txt", "qxy"};
  }
  std::string write(const Pattern& pattern, const ProfileExtras&) const override {
    Pattern p = pattern;
    if (!esd_) {
      p.esd.clear();
    } else if (!p.has_esd()) {
      p.esd = poisson_esd(p.y);
      p.history.push_back("esd_poisson(sqrt(max(I,1)))");
    }
    return format_xy(p);
  }

 private:
  bool esd_;
};

// A CIF text value on one line: quoted, or '?' when empty.
std::string cif_text(const std::string& s) {
  std::string t = trim(s);
  for (char& c : t)
    if (c == '\n' || c == '\r') c = ' ';
  if (t.empty()) return "?";
  if (t.find('\'') == std::string::npos) return "'" + t + "'";
  if (t.find('"') == std::string::npos) return "\"" + t + "\"";
  return "\n;\n" + t + "\n;";
}

class PdcifWriter : public Writer {
 public:
  std::string id() const override { return "pdcif"; }
  std::vector<std::string> extensions() const override { return {"cif", "pdcif"}; }
  std::string write(const Pattern& p, const ProfileExtras& ex) const override {
    std::string o = "# pdCIF written by pxrd-diff\n";
    if (!p.source.empty()) o += "# source: " + p.source + "\n";
    for (const auto& h : p.history) o += "# history: " + h + "\n";
    o += "data_pxrd_pattern\n";
    o += "_pd_block_id " + cif_text("pxrd-diff|" + (p.metadata.count("sample") ? p.metadata.at("sample") : "pattern")) + "\n";
    if (p.metadata.count("sample")) o += "_pd_spec_id " + cif_text(p.metadata.at("sample")) + "\n";
    if (p.metadata.count("instrument")) o += "_diffrn_measurement_device_type " + cif_text(p.metadata.at("instrument")) + "\n";
    if (p.metadata.count("date")) o += "_pd_meas_datetime_initiated " + cif_text(p.metadata.at("date")) + "\n";
    if (p.radiation) {
      const Radiation& r = *p.radiation;
      if (!r.name.empty()) o += "_diffrn_radiation_type " + cif_text(r.name) + "\n";
      if (r.has_second_line()) {
        o += "loop_\n_diffrn_radiation_wavelength_id\n_diffrn_radiation_wavelength\n_diffrn_radiation_wavelength_wt\n";
        o += "1 " + format_number(r.lambda1_angstrom) + " 1\n";
        o += "2 " + format_number(r.lambda2_angstrom) + " " + format_number(r.ratio) + "\n";
      } else {
        o += "_diffrn_radiation_wavelength " + format_number(r.lambda1_angstrom) + "\n";
      }
    }
    o += "_pd_meas_number_of_points " + std::to_string(p.size()) + "\n";
    const auto r_factor = [&](const char* tag, double v) {
      if (v >= 0) o += std::string(tag) + " " + format_number(v) + "\n";
    };
    r_factor("_pd_proc_ls_prof_R_factor", ex.r_p);
    r_factor("_pd_proc_ls_prof_wR_factor", ex.r_wp);
    r_factor("_pd_proc_ls_prof_wR_expected", ex.r_exp);
    const bool q = p.x_unit == XUnit::QInvAngstrom;
    o += "loop_\n";
    o += q ? "_pd_proc_recip_len_Q\n" : "_pd_meas_2theta_scan\n";
    o += "_pd_meas_intensity_total\n";
    if (p.has_esd()) o += "_pd_proc_ls_weight\n";
    if (!ex.background.empty()) o += "_pd_proc_intensity_bkg_calc\n";
    if (!ex.calculated.empty()) o += "_pd_calc_intensity_total\n";
    const std::vector<double> w = p.has_esd() ? p.weights() : std::vector<double>{};
    o.reserve(o.size() + p.size() * 48);
    const auto column = [&o](double v) {
      o += ' ';
      o += format_number(v);
    };
    for (std::size_t i = 0; i < p.size(); ++i) {
      o += format_number(p.x[i]);
      column(p.y[i]);
      if (p.has_esd()) column(w[i]);
      if (!ex.background.empty()) column(ex.background[i]);
      if (!ex.calculated.empty()) column(ex.calculated[i]);
      o += '\n';
    }
    return o;
  }
};

// Centidegrees with 12 significant digits: 10.01° -> "1001", which reads back as 10.01 after / 100.
std::string centidegrees(double deg) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", deg * 100.0);
  return buf;
}

class FxyeWriter : public Writer {
 public:
  std::string id() const override { return "gsas_fxye"; }
  std::vector<std::string> extensions() const override { return {"fxye"}; }
  std::string write(const Pattern& p, const ProfileExtras&) const override {
    std::vector<double> tth = p.x;
    if (p.x_unit == XUnit::QInvAngstrom) {
      if (!p.radiation) throw InputError(p.source, 0, "FXYE needs 2θ: this Q pattern has no wavelength to convert with");
      for (double& x : tth) {
        x = q_inv_angstrom_to_two_theta_deg(x, p.radiation->lambda1_angstrom);
        if (!std::isfinite(x)) throw InputError(p.source, 0, "FXYE: a Q value is beyond 4π/λ");
      }
    }
    const std::vector<double> esd = p.has_esd() ? p.esd : poisson_esd(p.y);
    std::string title = p.metadata.count("sample") ? p.metadata.at("sample") : "pxrd-diff pattern";
    for (char& c : title)
      if (c == '\n' || c == '\r') c = ' ';
    std::string o = title.substr(0, 80) + "\n";
    if (p.radiation) o += "# Wavelength = " + format_number(p.radiation->lambda1_angstrom) + "\n";
    if (!p.source.empty()) o += "# source: " + p.source + "\n";
    const std::size_t n = tth.size();
    const double step = n > 1 ? (tth.back() - tth.front()) / static_cast<double>(n - 1) : 0.0;
    o += "BANK 1 " + std::to_string(n) + " " + std::to_string(n) + " CONS " + centidegrees(tth.front()) + " " + centidegrees(step) +
         " 0 0 FXYE\n";
    o.reserve(o.size() + n * 40);
    for (std::size_t i = 0; i < n; ++i) {
      o += centidegrees(tth[i]);
      o += ' ';
      o += format_number(p.y[i]);
      o += ' ';
      o += format_number(esd[i]);
      o += '\n';
    }
    return o;
  }
};

}  // namespace

void add_writers(PluginHost& host) {
  host.add_writer(std::make_unique<XyWriter>(false));
  host.add_writer(std::make_unique<XyWriter>(true));
  host.add_writer(std::make_unique<PdcifWriter>());
  host.add_writer(std::make_unique<FxyeWriter>());
}

}  // namespace pxrd::formats::detail
