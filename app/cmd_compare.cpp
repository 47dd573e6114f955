// `pxrd-diff compare PATTERN (STRUCTURE.cif | PATTERN2)`: agreement factors between a pattern and a structure
// (simulated on the pattern's grid) or a second pattern (interpolated onto the first one's grid).
#include <algorithm>
#include <iostream>

#include "cli.hpp"
#include "pxrd/agreement.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/background.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/formats.hpp"
#include "pxrd/json_text.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/simulator.hpp"

namespace {

using pxrd::json_number;
using pxrd::json_quote;

const char* kHelp =
    "usage: pxrd-diff compare PATTERN (STRUCTURE.cif | PATTERN2) [options]\n"
    "\n"
    "Agreement between an observed pattern and a structure (simulated on the pattern's grid with the pattern's\n"
    "radiation or --wavelength) or a second pattern (interpolated onto the first one's x, over their overlap).\n"
    "Prints the least-squares scale c = Σ w yo yc / Σ w yc², R_p, R_wp, R_exp, S (GoF), χ²_red, N, P,\n"
    "the PXRDNet R_wp² = ∫(a − b)² dQ / ∫a² dQ (both curves normalised to a maximum of 1; on a uniform Q grid\n"
    "when the wavelength is known, else summed on PATTERN's grid) and the cosine similarity.\n"
    "Weights: 1/esd² when PATTERN has esd, else 1/I of the measured (gross) counts; points with I ≤ 0 get w = 0.\n"
    "\n"
    "options:\n"
    "  --wavelength SPEC   radiation for the simulation (CuKa, CuKa12, MoKa, ..., or λ in Å); overrides the file\n"
    "  --fwhm DEG          Gaussian peak FWHM of the simulation in degrees 2θ (default 0.1)\n"
    "  --background METHOD subtract a background from PATTERN first: snip | chebyshev | rolling-ball | none\n"
    "                      (default none: the background stays in the observed intensities)\n"
    "  --json              one JSON object instead of text\n"
    "\n"
    "Exit codes: 0 done, 2 bad input (one line naming the file and the cause).\n";

// A structure CIF has atom sites and no measured profile (a pdCIF is a pattern).
bool looks_like_structure(const std::string& path) {
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != "cif" && ext != "mcif") return false;
  const std::string text = pxrd::read_file(path);
  return text.find("_atom_site_fract_x") != std::string::npos && text.find("_pd_meas_") == std::string::npos &&
         text.find("_pd_proc_") == std::string::npos;
}

double median_step(const std::vector<double>& x) {
  std::vector<double> d;
  for (std::size_t i = 1; i < x.size(); ++i) d.push_back(x[i] - x[i - 1]);
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

// The structure's pattern on the observed grid (simulated uniformly over its range, then interpolated).
std::vector<double> simulate_on_grid(const pxrd::Pattern& obs, const std::string& cif, const pxrd::Radiation& r,
                                     double fwhm_deg, std::string& description) {
  const pxrd::Crystal crystal = pxrd::read_cif(cif);
  pxrd::ProfileOptions profile;
  profile.fwhm_deg = fwhm_deg;
  pxrd::GridOptions grid;
  if (obs.x_unit == pxrd::XUnit::QInvAngstrom) {
    grid.q_grid = true;
    grid.q_min_inv_angstrom = std::max(0.0, obs.x.front());
    grid.q_max_inv_angstrom = obs.x.back();
    grid.q_points = static_cast<int>(std::max<std::size_t>(obs.size(), 2));
  } else {
    grid.x_min = std::max(0.0, obs.x.front());
    grid.x_max = std::min(180.0, obs.x.back());
    grid.x_step = std::min(median_step(obs.x), fwhm_deg / 5);
  }
  const pxrd::Pattern sim = pxrd::simulate_pattern(crystal, r, profile, grid);
  description = cif + " simulated with " + r.describe() + ", Gaussian FWHM " + pxrd::format_number(fwhm_deg) + "°";
  return pxrd::interpolate_linear(sim.x, sim.y, obs.x);
}

// PXRDNet's R_wp² is an integral over Q: on a uniform Q grid when the wavelength is known (2θ patterns are
// mapped and resampled), otherwise a plain sum on the pattern's own grid.
double rwp2_in_q(const pxrd::Pattern& obs, const std::vector<double>& calc, std::string& grid) {
  const bool uniform_q_possible = obs.x_unit == pxrd::XUnit::QInvAngstrom || obs.radiation.has_value();
  if (!uniform_q_possible) {
    grid = "summed on the pattern's 2θ grid (no wavelength for Q)";
    return pxrd::pxrdnet_rwp2(obs.y, calc);
  }
  pxrd::Pattern c = obs;
  c.y = calc;
  c.esd.clear();
  pxrd::Pattern o = obs;
  o.esd.clear();
  const pxrd::Pattern oq = pxrd::resample_uniform(pxrd::convert_to_q(o), obs.size());
  const pxrd::Pattern cq = pxrd::resample_uniform(pxrd::convert_to_q(c), obs.size());
  grid = "on a uniform Q grid of " + std::to_string(obs.size()) + " points";
  return pxrd::pxrdnet_rwp2(oq.y, cq.y);
}

int run_compare(const std::vector<std::string>& argv) {
  const std::vector<std::string> flags = {"--help", "--json"};
  const pxrd::cli::Args args(argv, flags);
  args.check_known({"--help", "--json", "--wavelength", "--fwhm", "--background"});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  std::vector<std::string> files = args.positionals();
  for (const char* option : {"--wavelength", "--fwhm", "--background"}) {
    const auto values = args.get_list(option);
    if (args.has(option) && values.empty()) throw pxrd::InputError(option, 0, "this option needs a value");
    if (values.size() > 1) files.insert(files.end(), values.begin() + 1, values.end());
  }
  if (files.size() != 2)
    throw pxrd::InputError("compare", 0, "expected PATTERN and STRUCTURE.cif or PATTERN2 (see --help)");
  const double fwhm = args.get_double("--fwhm", 0.1);
  if (!(fwhm > 0)) throw pxrd::InputError("--fwhm", 0, "the FWHM must be positive");

  pxrd::Pattern obs = pxrd::formats::read_pattern(files[0]);
  std::string radiation_origin = "from " + files[0];
  if (args.has("--wavelength")) {
    obs.radiation = pxrd::radiation_from_string(args.get("--wavelength"));
    radiation_origin = "from --wavelength";
  }
  pxrd::BackgroundOptions bg;
  bg.method = pxrd::background_method_from_string(args.get("--background", "none"));
  // Weights come from the measured counts (1/esd², or Poisson 1/I of the gross counts): after a background is
  // subtracted, 1/I_net would overweight the points near zero.
  std::vector<double> weights = obs.weights();
  obs = pxrd::subtract_background(obs, bg);

  std::vector<double> calc;
  std::string description;
  if (looks_like_structure(files[1])) {
    if (!obs.radiation)
      throw pxrd::InputError(files[0], 0, "no wavelength in the file; give --wavelength to simulate the structure");
    calc = simulate_on_grid(obs, files[1], *obs.radiation, fwhm, description);
  } else {
    pxrd::Pattern other = pxrd::formats::read_pattern(files[1]);
    if (other.x_unit != obs.x_unit) {
      if (!other.radiation) other.radiation = obs.radiation;
      other = obs.x_unit == pxrd::XUnit::QInvAngstrom ? pxrd::convert_to_q(other) : pxrd::convert_to_two_theta(other);
    }
    // Compare over the overlap only.
    const double lo = std::max(obs.x.front(), other.x.front()), hi = std::min(obs.x.back(), other.x.back());
    if (!(hi > lo)) throw pxrd::InputError(files[1], 0, "its x range does not overlap " + files[0]);
    pxrd::Pattern cropped = obs;
    cropped.x.clear();
    cropped.y.clear();
    cropped.esd.clear();
    std::vector<double> cropped_weights;
    for (std::size_t i = 0; i < obs.size(); ++i) {
      if (obs.x[i] < lo || obs.x[i] > hi) continue;
      cropped.x.push_back(obs.x[i]);
      cropped.y.push_back(obs.y[i]);
      cropped_weights.push_back(weights[i]);
      if (obs.has_esd()) cropped.esd.push_back(obs.esd[i]);
    }
    if (cropped.size() < 2) throw pxrd::InputError(files[1], 0, "fewer than 2 points of " + files[0] + " overlap it");
    obs = cropped;
    weights = cropped_weights;
    calc = pxrd::interpolate_linear(other.x, other.y, obs.x);
    description = files[1] + " (" + std::to_string(other.size()) + " points, interpolated)";
  }

  pxrd::Agreement a;
  try {
    a = pxrd::agreement_factors(obs.y, calc, weights);
  } catch (const pxrd::InputError&) {
    throw;
  } catch (const pxrd::Error& e) {
    throw pxrd::InputError(files[1], 0, e.what());  // e.g. a calculated pattern that is zero everywhere
  }
  std::string rwp2_grid;
  const double rwp2 = rwp2_in_q(obs, calc, rwp2_grid);
  const double cosine = pxrd::cosine_similarity(obs.y, calc);
  const std::string bg_text =
      bg.method == pxrd::BackgroundMethod::None
          ? "not subtracted (included in the observed intensities)"
          : std::string(pxrd::background_method_name(bg.method)) + " subtracted (weights from the gross counts)";
  const std::string radiation =
      obs.radiation ? obs.radiation->describe() + " " + radiation_origin : std::string("unknown");
  if (args.has("--json")) {
    std::cout << "{\"observed\": " << json_quote(files[0]) << ", \"calculated\": " << json_quote(description)
              << ", \"radiation\": " << json_quote(radiation) << ", \"background\": " << json_quote(bg_text)
              << ", \"scale\": " << json_number(a.scale) << ", \"r_p\": " << json_number(a.r_p)
              << ", \"r_wp\": " << json_number(a.r_wp) << ", \"r_exp\": " << json_number(a.r_exp)
              << ", \"gof\": " << json_number(a.gof) << ", \"chi2_red\": " << json_number(a.chi2_red)
              << ", \"rwp2_pxrdnet\": " << json_number(rwp2) << ", \"rwp2_grid\": " << json_quote(rwp2_grid)
              << ", \"cosine\": " << json_number(cosine) << ", \"n\": " << a.n << ", \"p\": " << a.p << "}\n";
  } else {
    std::cout << "observed:    " << files[0] << " (" << obs.size() << " points, " << pxrd::x_unit_name(obs.x_unit)
              << " " << obs.x.front() << ".." << obs.x.back() << ")\n"
              << "calculated:  " << description << "\n"
              << "radiation:   " << radiation << "\n"
              << "background:  " << bg_text << "\n"
              << "scale:       " << json_number(a.scale) << "\n"
              << "R_p:         " << json_number(a.r_p) << "\n"
              << "R_wp:        " << json_number(a.r_wp) << "\n"
              << "R_exp:       " << json_number(a.r_exp) << "\n"
              << "S (GoF):     " << json_number(a.gof) << "\n"
              << "chi2_red:    " << json_number(a.chi2_red) << "\n"
              << "R_wp2:       " << json_number(rwp2) << " (PXRDNet form: both normalised to max 1, " << rwp2_grid
              << ")\n"
              << "cosine:      " << json_number(cosine) << "\n"
              << "N, P:        " << a.n << ", " << a.p << " (P: the scale)\n";
  }
  return 0;
}

}  // namespace

PXRD_COMMAND("compare", "agreement (R_p, R_wp, R_exp, S, R_wp²) of a pattern with a structure or a pattern",
             run_compare);
