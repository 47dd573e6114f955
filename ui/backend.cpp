#include "backend.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "pxrd/background.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/processing.hpp"
#if __has_include("pxrd/formats.hpp") && defined(PXRD_HAVE_PXRD_FORMATS)
#include "pxrd/formats.hpp"
#define PXRD_UI_FORMATS 1
#endif
#include "pxrd/agreement.hpp"
#include "pxrd/symmetry.hpp"

namespace pxrd::ui::backend {

bool looks_like_cif(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string head(16384, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(std::size_t(in.gcount()));
  return head.find("data_") != std::string::npos && head.find("_cell_length_a") != std::string::npos;
}

Pattern load_pattern(const std::string& path) {
#ifdef PXRD_UI_FORMATS
  Pattern p = formats::read_pattern(path);
#else
  Pattern p = read_pattern_text(path);
#endif
  p.validate();
  return p;
}

Crystal load_cif(const std::string& path) { return read_cif(path); }

Processed process(const Pattern& raw, const ProcessingSettings& s) {
  Pattern p = raw;
  // Weights must come from the counts, not from the net intensities left after background subtraction:
  // without an esd column, esd = √counts (Poisson) is attached before any step changes y.
  if (!p.has_esd()) {
    p.esd.resize(p.y.size());
    for (std::size_t i = 0; i < p.y.size(); ++i) p.esd[i] = std::sqrt(std::max(p.y[i], 1.0));
  }
  if (s.radiation.lambda1_angstrom > 0) p.radiation = s.radiation;
  if (p.x_unit == XUnit::QInvAngstrom) p = convert_to_two_theta(p);
  if (s.zero_shift_deg != 0) p = correct_zero_shift(p, s.zero_shift_deg);
  Processed out;
  out.observed = p;
  if (s.strip_ka2 && p.radiation && p.radiation->has_second_line()) p = strip_ka2(p);
  if (s.background != BackgroundMethod::None) {
    BackgroundOptions o;
    switch (s.background) {
      case BackgroundMethod::Snip: o.method = pxrd::BackgroundMethod::Snip; break;
      case BackgroundMethod::Chebyshev: o.method = pxrd::BackgroundMethod::Chebyshev; break;
      case BackgroundMethod::RollingBall: o.method = pxrd::BackgroundMethod::RollingBall; break;
      case BackgroundMethod::Manual: o.method = pxrd::BackgroundMethod::Anchors; break;
      default: break;
    }
    o.snip_iterations = s.snip_iterations;
    o.chebyshev_order = s.chebyshev_order;
    o.ball_radius = s.rolling_ball_radius_deg;
    for (const QPointF& pt : s.manual_points) {
      o.anchor_x.push_back(pt.x());
      o.anchor_y.push_back(pt.y());
    }
    // Manual mode with no points yet is "no background", not an error.
    if (s.background != BackgroundMethod::Manual || !o.anchor_x.empty()) {
      out.background = estimate_background(p, o);
      p = subtract_background(p, o);
    }
  }
  if (s.smooth && s.smooth_sigma_deg > 0) p = smooth_gaussian(p, s.smooth_sigma_deg);
  if (s.nano_filter && s.crystallite_size_angstrom > 0) p = apply_finite_size(p, s.crystallite_size_angstrom);
  out.processed = std::move(p);
  return out;
}

namespace {
// Peak width of the observed pattern: the median FWHM of its most prominent peaks (0.1° when none are found), so
// that overlays and R_wp compare like with like.
double observed_fwhm_deg(const Pattern& observed) {
  try {
    PeakSearchOptions o;
    o.max_peaks = 12;
    std::vector<double> w;
    for (const Peak& p : find_peaks(observed, o))
      if (p.fwhm > 0) w.push_back(p.fwhm);
    if (w.empty()) return 0.1;
    std::nth_element(w.begin(), w.begin() + static_cast<long>(w.size() / 2), w.end());
    return std::clamp(w[w.size() / 2], 0.01, 3.0);
  } catch (const Error&) {
    return 0.1;
  }
}

Pattern simulate_range(const Crystal& crystal, const Radiation& radiation, double x_min, double x_max,
                       double step, double size_angstrom, double fwhm_deg = 0.1) {
  ProfileOptions profile;
  profile.fwhm_deg = fwhm_deg;
  profile.size_angstrom = size_angstrom;
  GridOptions grid;
  grid.x_min = x_min;
  grid.x_max = x_max;
  grid.x_step = step;
  return simulate_pattern(crystal, radiation, profile, grid);
}
}  // namespace

Pattern simulate_like(const Crystal& crystal, const Radiation& radiation, const Pattern& observed,
                      double size_angstrom) {
  if (observed.size() < 2) throw Error("simulate_like: the observed pattern has fewer than 2 points");
  const double x0 = observed.x.front(), x1 = observed.x.back();
  const double step = std::max((x1 - x0) / double(observed.size() - 1), 1e-4);
  const Pattern sim = simulate_range(crystal, radiation, std::max(x0, 0.5), x1, std::min(step, 0.02), size_angstrom,
                                     observed_fwhm_deg(observed));
  Pattern out = observed;
  out.esd.clear();
  out.history = sim.history;
  for (std::size_t i = 0; i < out.size(); ++i) out.y[i] = interpolate_linear(sim.x, sim.y, out.x[i]);
  return out;
}

Pattern simulate_default(const Crystal& crystal, const Radiation& radiation) {
  Pattern p = simulate_range(crystal, radiation, 5.0, 90.0, 0.02, 0.0);
  p.source = crystal.source;
  p.format = "simulated";
  return p;
}

std::vector<Reflection> sticks(const Crystal& crystal, const Radiation& radiation, double tt_min, double tt_max) {
  StickOptions o;
  o.lambda_angstrom = radiation.lambda1_angstrom;
  o.two_theta_min_deg = tt_min;
  o.two_theta_max_deg = tt_max;
  return simulate_sticks(crystal, o);
}

Agreement agreement(const Pattern& observed, const Pattern& calculated) {
  if (observed.size() != calculated.size() || observed.empty()) throw Error("agreement: patterns differ in size");
  const pxrd::Agreement f = agreement_factors(observed, calculated.y, true);
  Agreement a;
  a.rwp = f.r_wp;
  a.s = f.gof;
  a.scale = f.scale;
  // PXRDNet's R_wp² on the observed grid (both curves normalised to a maximum of 1); the exact protocol needs
  // two structures (pxrdnet_rwp2(Crystal, Crystal)) and is used for the reference comparison.
  std::vector<double> yo(observed.y.size());
  for (std::size_t i = 0; i < yo.size(); ++i) yo[i] = std::max(observed.y[i], 0.0);
  a.rwp2 = pxrdnet_rwp2(yo, calculated.y);
  return a;
}

SpaceGroupInfo space_group(const Crystal& crystal, double symprec) {
  SpaceGroupInfo info;
  try {
    const pxrd::SpaceGroupInfo sg = find_space_group(crystal, symprec);
    info.symbol = sg.international;
    info.number = sg.number;
  } catch (const Error&) {
    // spglib can fail on strange candidates (atoms too close); the table shows "?" instead.
  }
  return info;
}

std::string cell_summary(const Crystal& crystal) {
  const LatticeParameters p = crystal.lattice.parameters();
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.3f %.3f %.3f / %.1f %.1f %.1f", p.a_angstrom, p.b_angstrom, p.c_angstrom,
                p.alpha_deg, p.beta_deg, p.gamma_deg);
  return buf;
}

}  // namespace pxrd::ui::backend
