#pragma once
// Powder pattern simulation, compatible with pymatgen's XRDCalculator (science.md §1).
// Thread-safe: every function is pure; simulate_batch uses all cores.
#include <array>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/pattern.hpp"
#include "pxrd/radiation.hpp"

namespace pxrd {

struct Reflection {
  double two_theta_deg = 0;
  double d_angstrom = 0;
  double q_inv_angstrom = 0;
  double intensity = 0;                    // scaled so that the strongest reflection is 100 (if scaled)
  int multiplicity = 0;                    // number of merged hkl
  std::vector<std::array<int, 3>> hkls;    // the merged reflections
};

struct StickOptions {
  double lambda_angstrom = 1.54184;        // one wavelength; doublets are handled by the profile stage
  double two_theta_min_deg = 0.0;
  double two_theta_max_deg = 90.0;
  bool scaled = true;                      // strongest = 100, and drop peaks below 1e-3 of it (pymatgen)
  bool debye_waller = true;                // use Site::b_iso_angstrom2
};

// Stick pattern: sorted by 2θ; reflections within 1e-5° are merged.
std::vector<Reflection> simulate_sticks(const Crystal& crystal, const StickOptions& options);

enum class ProfileShape { Gaussian, PseudoVoigt };

struct ProfileOptions {
  ProfileShape shape = ProfileShape::Gaussian;
  double fwhm_deg = 0.1;                   // used when all Caglioti terms are zero
  double caglioti_u = 0, caglioti_v = 0, caglioti_w = 0;  // FWHM² = U tan²θ + V tanθ + W (deg²)
  double eta = 0.5;                        // pseudo-Voigt Lorentzian fraction
  double size_angstrom = 0;                // crystallite size τ for sinc²(Qτ/2) broadening; 0 = infinite
};

struct GridOptions {
  bool q_grid = false;                     // false: 2θ grid; true: uniform Q grid
  double x_min = 5.0, x_max = 90.0, x_step = 0.02;  // 2θ grid, degrees
  double q_min_inv_angstrom = 0.0, q_max_inv_angstrom = 0.0;  // Q grid; q_max 0 → 4π/λ
  int q_points = 4096;
};

// Full profile: sticks for λ1 (and λ2 with its ratio when the radiation has a doublet), convolved with the
// profile, then with sinc² when size_angstrom > 0. y is scaled to a maximum of 100. The Pattern records the
// radiation and a history entry naming the options.
Pattern simulate_pattern(const Crystal& crystal, const Radiation& radiation, const ProfileOptions& profile,
                         const GridOptions& grid);

// Many crystals at once on all cores (threads = 0: hardware concurrency). Same options for every crystal.
std::vector<Pattern> simulate_batch(const std::vector<Crystal>& crystals, const Radiation& radiation,
                                    const ProfileOptions& profile, const GridOptions& grid, int threads = 0,
                                    const CancelToken* cancel = nullptr);

}  // namespace pxrd
