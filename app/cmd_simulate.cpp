// `pxrd-diff simulate STRUCTURE.cif`: powder pattern of a structure (pymatgen-compatible sticks, then a profile).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "cli.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"

namespace {

const char* kHelp =
    "usage: pxrd-diff simulate STRUCTURE.cif [options] [-o OUT.xy] [--sticks OUT.csv]\n"
    "\n"
    "Simulates the powder pattern of a crystal structure. Reflection intensities follow pymatgen's\n"
    "XRDCalculator: |F|² with its atomic scattering factors, symmetry-equivalent hkl summed one by one,\n"
    "Lorentz-polarisation (1 + cos²2θ)/(sin²θ cosθ), reflections within 1e-5° merged, the strongest = 100.\n"
    "Without -o, prints the peak table (2θ, d, I, hkl) of the first wavelength.\n"
    "\n"
    "options:\n"
    "  --wavelength SPEC        CuKa (default: λ 1.54184 Å, the Kα average, as pymatgen), CuKa1, CuKa2,\n"
    "                           CuKa12 (Kα1 + Kα2, ratio 0.5), the same for Mo, Co, Cr, Fe, Ag, or λ in Å\n"
    "  --two-theta MIN MAX STEP 2θ grid in degrees (default 5 90 0.02)\n"
    "  --q-grid N               uniform Q grid of N points from 0 to 4π/λ1 Å⁻¹ instead of 2θ\n"
    "  --profile SHAPE          gaussian (default) or pseudo-voigt\n"
    "  --eta F                  Lorentzian fraction of the pseudo-Voigt (default 0.5)\n"
    "  --fwhm DEG               constant FWHM in degrees 2θ (default 0.1; 0 = sticks binned onto the grid)\n"
    "  --caglioti U V W         FWHM² = U tan²θ + V tanθ + W in deg² instead of --fwhm\n"
    "  --size-angstrom T        crystallite size: broaden by sinc²(Qτ/2) (PXRDNet's finite-size model)\n"
    "  --no-debye-waller        ignore the B/U_iso of the CIF, as pymatgen does (by default each atom's\n"
    "                           amplitude is damped by exp(−B s²), s = sinθ/λ)\n"
    "  -o OUT.xy                write the profile (x, intensity; '# key: value' header)\n"
    "  --sticks OUT.csv         write the reflections: two_theta_deg,d_angstrom,q_inv_angstrom,intensity,\n"
    "                           multiplicity,hkl (strongest = 100; hkl: one representative per family,\n"
    "                           ';' between families, h k i l for hexagonal cells as pymatgen reports them)\n"
    "\n"
    "Exit codes: 0 done, 2 bad input (one line naming the file or option and the cause).\n";

// pymatgen's Lattice.is_hexagonal (angle tolerance 5°, length tolerance 0.01 Å): two right angles, one of 60° or
// 120°, and equal lengths for the axes at the right angles. Such cells get Miller–Bravais indices (h k −h−k l).
bool is_hexagonal_like_pymatgen(const pxrd::Lattice& lattice) {
  const auto p = lattice.parameters();
  const double lengths[3] = {p.a_angstrom, p.b_angstrom, p.c_angstrom};
  const double angles[3] = {p.alpha_deg, p.beta_deg, p.gamma_deg};
  std::vector<int> right;
  int hex = 0;
  for (int i = 0; i < 3; ++i) {
    if (std::abs(angles[i] - 90) < 5) right.push_back(i);
    if (std::abs(angles[i] - 60) < 5 || std::abs(angles[i] - 120) < 5) ++hex;
  }
  return right.size() == 2 && hex == 1 && std::abs(lengths[right[0]] - lengths[right[1]]) < 0.01;
}

// One representative per family (permutations of the absolute indices), the largest, as pymatgen's
// get_unique_families picks it; families joined with ';'.
std::string hkl_families(const std::vector<std::array<int, 3>>& hkls, bool hexagonal) {
  std::map<std::vector<int>, std::vector<int>> families;
  std::vector<std::vector<int>> order;
  for (const auto& h : hkls) {
    const std::vector<int> idx =
        hexagonal ? std::vector<int>{h[0], h[1], -h[0] - h[1], h[2]} : std::vector<int>{h[0], h[1], h[2]};
    std::vector<int> key;
    for (int v : idx) key.push_back(std::abs(v));
    std::sort(key.begin(), key.end());
    auto it = families.find(key);
    if (it == families.end()) {
      families[key] = idx;
      order.push_back(key);
    } else if (idx > it->second) {
      it->second = idx;
    }
  }
  std::string out;
  for (const auto& key : order) {
    if (!out.empty()) out += ';';
    std::string one;
    for (int v : families[key]) one += (one.empty() ? "" : " ") + std::to_string(v);
    out += one;
  }
  return out;
}

// Values of an option that takes exactly `count` numbers; extra words become positionals.
std::vector<double> numbers(const pxrd::cli::Args& args, const std::string& option, std::size_t count,
                            std::vector<std::string>& positionals) {
  const auto values = args.get_list(option);
  if (values.size() < count)
    throw pxrd::InputError(option, 0, "expects " + std::to_string(count) + " number" + (count > 1 ? "s" : ""));
  std::vector<double> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(pxrd::cli::parse_double(values[i], option));
  positionals.insert(positionals.end(), values.begin() + static_cast<std::ptrdiff_t>(count), values.end());
  return out;
}

std::string sticks_csv(const std::vector<pxrd::Reflection>& sticks, bool hexagonal) {
  std::string out = "two_theta_deg,d_angstrom,q_inv_angstrom,intensity,multiplicity,hkl\n";
  for (const auto& r : sticks)
    out += pxrd::format_number(r.two_theta_deg) + ',' + pxrd::format_number(r.d_angstrom) + ',' +
           pxrd::format_number(r.q_inv_angstrom) + ',' + pxrd::format_number(r.intensity) + ',' +
           std::to_string(r.multiplicity) + ',' + hkl_families(r.hkls, hexagonal) + '\n';
  return out;
}

int run_simulate(const std::vector<std::string>& argv) {
  const pxrd::cli::Args args(argv, {"--help", "-h", "--no-debye-waller"});
  args.check_known({"--help", "-h", "--wavelength", "--two-theta", "--q-grid", "--profile", "--eta", "--fwhm",
                    "--caglioti", "--size-angstrom", "--no-debye-waller", "-o", "--sticks"});
  if (args.has("--help") || args.has("-h")) {
    std::cout << kHelp;
    return 0;
  }
  std::vector<std::string> files = args.positionals();
  std::map<std::string, double> single;
  for (const char* option : {"--q-grid", "--eta", "--fwhm", "--size-angstrom"})
    if (args.has(option)) single[option] = numbers(args, option, 1, files)[0];
  std::string text_option[4];
  const char* text_names[4] = {"--wavelength", "--profile", "-o", "--sticks"};
  for (int i = 0; i < 4; ++i) {
    if (!args.has(text_names[i])) continue;
    const auto values = args.get_list(text_names[i]);
    if (values.empty()) throw pxrd::InputError(text_names[i], 0, "this option needs a value");
    text_option[i] = values[0];
    files.insert(files.end(), values.begin() + 1, values.end());
  }
  const std::vector<double> two_theta =
      args.has("--two-theta") ? numbers(args, "--two-theta", 3, files) : std::vector<double>{5.0, 90.0, 0.02};
  const std::vector<double> caglioti =
      args.has("--caglioti") ? numbers(args, "--caglioti", 3, files) : std::vector<double>{0, 0, 0};
  if (files.size() != 1)
    throw pxrd::InputError(
        "simulate", 0,
        files.empty() ? "expected STRUCTURE.cif (see --help)"
                      : "expected one STRUCTURE.cif, got " + std::to_string(files.size()) + " arguments (see --help)");

  const pxrd::Radiation radiation = pxrd::radiation_from_string(args.has("--wavelength") ? text_option[0] : "CuKa");
  pxrd::GridOptions grid;
  if (args.has("--q-grid") && args.has("--two-theta"))
    throw pxrd::InputError("--q-grid", 0, "give either --two-theta or --q-grid, not both");
  if (args.has("--q-grid")) {
    const double n = single["--q-grid"];
    if (n != static_cast<int>(n) || n < 2 || n > 10'000'000)
      throw pxrd::InputError("--q-grid", 0, "the number of points must be a whole number from 2 to 10000000");
    grid.q_grid = true;
    grid.q_points = static_cast<int>(n);
  } else {
    grid.x_min = two_theta[0];
    grid.x_max = two_theta[1];
    grid.x_step = two_theta[2];
    if (!(grid.x_min >= 0 && grid.x_max <= 180 && grid.x_max > grid.x_min))
      throw pxrd::InputError("--two-theta", 0, "the range must satisfy 0 <= MIN < MAX <= 180 degrees");
    if (!(grid.x_step > 0) || (grid.x_max - grid.x_min) / grid.x_step > 10'000'000)
      throw pxrd::InputError("--two-theta", 0, "the step must be positive and give at most 10000000 points");
  }
  pxrd::ProfileOptions profile;
  const std::string shape = args.has("--profile") ? text_option[1] : "gaussian";
  if (shape == "gaussian")
    profile.shape = pxrd::ProfileShape::Gaussian;
  else if (shape == "pseudo-voigt" || shape == "pv")
    profile.shape = pxrd::ProfileShape::PseudoVoigt;
  else
    throw pxrd::InputError("--profile", 0, "unknown profile '" + shape + "' (use gaussian or pseudo-voigt)");
  if (args.has("--eta")) profile.eta = single["--eta"];
  if (!(profile.eta >= 0 && profile.eta <= 1)) throw pxrd::InputError("--eta", 0, "must lie between 0 and 1");
  if (args.has("--fwhm") && args.has("--caglioti"))
    throw pxrd::InputError("--fwhm", 0, "give either --fwhm or --caglioti, not both");
  if (args.has("--fwhm")) profile.fwhm_deg = single["--fwhm"];
  if (!(profile.fwhm_deg >= 0)) throw pxrd::InputError("--fwhm", 0, "the FWHM must be zero or positive");
  profile.caglioti_u = caglioti[0];
  profile.caglioti_v = caglioti[1];
  profile.caglioti_w = caglioti[2];
  if (args.has("--caglioti")) {
    const double lo = grid.q_grid ? 0.5 : std::max(0.5, grid.x_min),
                 hi = grid.q_grid ? 179.5 : std::min(179.5, grid.x_max);
    for (int i = 0; i <= 100; ++i)
      if (!(pxrd::profile_fwhm_deg(profile, lo + (hi - lo) * i / 100.0) > 0))
        throw pxrd::InputError("--caglioti", 0, "U tan²θ + V tanθ + W must stay positive over the 2θ range");
  }
  if (args.has("--size-angstrom")) {
    profile.size_angstrom = single["--size-angstrom"];
    if (!(profile.size_angstrom > 0)) throw pxrd::InputError("--size-angstrom", 0, "the size must be positive");
  }

  const std::string& path = files[0];
  pxrd::Crystal crystal = pxrd::read_cif(path);
  if (crystal.source.empty()) crystal.source = path;

  profile.debye_waller = !args.has("--no-debye-waller");
  pxrd::StickOptions sopt;
  sopt.lambda_angstrom = radiation.lambda1_angstrom;
  sopt.debye_waller = profile.debye_waller;
  if (grid.q_grid) {
    sopt.two_theta_min_deg = 0;
    sopt.two_theta_max_deg = 180;
  } else {
    sopt.two_theta_min_deg = grid.x_min;
    sopt.two_theta_max_deg = grid.x_max;
  }
  std::vector<pxrd::Reflection> sticks;
  try {
    sticks = pxrd::simulate_sticks(crystal, sopt);
  } catch (const pxrd::InputError& e) {
    throw pxrd::InputError(path, 0, e.cause());  // name the CIF, whatever the crystal calls itself
  }
  const bool hexagonal = is_hexagonal_like_pymatgen(crystal.lattice);
  if (args.has("--sticks")) pxrd::write_file_atomically(text_option[3], sticks_csv(sticks, hexagonal));

  if (args.has("-o")) {
    pxrd::Pattern pattern = pxrd::simulate_pattern(crystal, radiation, profile, grid);
    pattern.source = path;
    pattern.metadata["generator"] = "pxrd-diff simulate";
    pxrd::write_xy(pattern, text_option[2]);
    std::cout << "wrote " << text_option[2] << " (" << pattern.size() << " points, "
              << pxrd::x_unit_name(pattern.x_unit) << ", " << radiation.describe() << ")\n";
    if (args.has("--sticks")) std::cout << "wrote " << text_option[3] << " (" << sticks.size() << " reflections)\n";
    return 0;
  }
  std::cout << "# " << path << ": " << crystal.size() << " atoms, " << radiation.describe() << "\n";
  if (radiation.has_second_line()) std::cout << "# reflections of λ1 only\n";
  std::cout << "#   2theta_deg      d_A   intensity  mult  hkl\n";
  char line[128];
  for (const auto& r : sticks) {
    std::snprintf(line, sizeof line, "%12.4f %9.5f %11.3f %5d  ", r.two_theta_deg, r.d_angstrom, r.intensity,
                  r.multiplicity);
    std::cout << line << hkl_families(r.hkls, hexagonal) << "\n";
  }
  if (args.has("--sticks")) std::cerr << "wrote " << text_option[3] << " (" << sticks.size() << " reflections)\n";
  return 0;
}

}  // namespace

PXRD_COMMAND("simulate", "simulate the powder pattern of a structure (CIF) on a 2θ or Q grid", run_simulate);
