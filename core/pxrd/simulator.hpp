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
  double intensity = 0;                  // scaled so that the strongest reflection is 100 (if scaled)
  int multiplicity = 0;                  // number of merged hkl
  std::vector<std::array<int, 3>> hkls;  // the merged reflections
};

struct StickOptions {
  double lambda_angstrom = 1.54184;  // one wavelength; doublets are handled by the profile stage
  double two_theta_min_deg = 0.0;
  double two_theta_max_deg = 90.0;
  bool scaled = true;        // strongest = 100 (pymatgen); peaks below 1e-3 % of the strongest are
                             // dropped either way, as pymatgen does
  bool debye_waller = true;  // use Site::b_iso_angstrom2
};

// Stick pattern: sorted by 2θ; reflections within 1e-5° are merged (into the first one, as pymatgen does; its 2θ
// and d are reported). hkl are listed in pymatgen's order (|g|, then −h, −k, −l). Throws InputError naming
// crystal.source for an empty structure, a degenerate cell or an element without scattering coefficients.
std::vector<Reflection> simulate_sticks(const Crystal& crystal, const StickOptions& options);

enum class ProfileShape { Gaussian, PseudoVoigt };

struct ProfileOptions {
  ProfileShape shape = ProfileShape::Gaussian;
  double fwhm_deg = 0.1;  // used when all Caglioti terms are zero; 0 = sticks binned onto the grid
  double caglioti_u = 0, caglioti_v = 0, caglioti_w = 0;  // FWHM² = U tan²θ + V tanθ + W (deg²)
  double eta = 0.5;                                       // pseudo-Voigt Lorentzian fraction
  double size_angstrom = 0;  // crystallite size τ for sinc²(Qτ/2) broadening; 0 = infinite
  bool debye_waller = true;  // use Site::b_iso_angstrom2 (pymatgen ignores B: false matches it)
};

struct GridOptions {
  bool q_grid = false;                                        // false: 2θ grid; true: uniform Q grid
  double x_min = 5.0, x_max = 90.0, x_step = 0.02;            // 2θ grid, degrees
  double q_min_inv_angstrom = 0.0, q_max_inv_angstrom = 0.0;  // Q grid; q_max 0 → 4π/λ
  int q_points = 4096;
};

// Full profile: sticks for λ1 (and λ2 with its ratio when the radiation has a doublet), convolved with the
// profile, then with sinc² when size_angstrom > 0. y is scaled to a maximum of 100. The Pattern records the
// radiation and a history entry naming the options.
// - Peak areas equal the stick intensities (profiles are integrated over each grid cell, so narrow peaks keep
//   their area). Pseudo-Voigt tails are cut at 60 FWHM.
// - On a Q grid, Q is computed from 2θ with λ1, so Kα2 peaks sit at 4π sin θ2 / λ1, where a measured pattern
//   converted to Q would have them; FWHM in degrees is converted to Q at each peak.
// - With size broadening the pattern is built on an internal uniform Q grid fine enough for the sinc² kernel and
//   then interpolated onto the output grid (with the dQ/d2θ Jacobian for a 2θ grid).
Pattern simulate_pattern(const Crystal& crystal, const Radiation& radiation, const ProfileOptions& profile,
                         const GridOptions& grid);

// The evaluations' ideal pattern (eval-solve's "ideal" and nano conditions, the benchmarks): Cu Kα, Gaussian FWHM
// 0.1°, 2θ 5–90° in 0.02° steps, with sinc² broadening when size_angstrom > 0.
Pattern ideal_cu_ka_pattern(const Crystal& crystal, double size_angstrom = 0);

// Many crystals at once on all cores (threads = 0: hardware concurrency). Same options for every crystal.
// One failing crystal never stops the batch: its Pattern is empty and metadata["error"] holds the message.
// Throws Cancelled (after the workers have stopped) when `cancel` fires. `progress` (if given) receives the
// fraction of crystals done, from the worker threads, stage "simulating i/n".
std::vector<Pattern> simulate_batch(const std::vector<Crystal>& crystals, const Radiation& radiation,
                                    const ProfileOptions& profile, const GridOptions& grid, int threads = 0,
                                    const CancelToken* cancel = nullptr, ProgressSink* progress = nullptr);

// FWHM in degrees 2θ at a reflection: Caglioti √(U tan²θ + V tanθ + W) when any term is non-zero, else fwhm_deg.
double profile_fwhm_deg(const ProfileOptions& profile, double two_theta_deg);

// Crystallite-size broadening of any pattern sampled on a uniform Q grid: y ⊛ sinc²(Qτ/2) (science.md §2), with a
// kernel normalised to unit sum and integrated over each grid cell (so a kernel sharper than the grid step acts
// as identity instead of aliasing). Values outside the grid count as zero. size_angstrom <= 0 returns y.
// Throws Error when the sizes differ, there are fewer than 2 points, or the grid is not uniform.
std::vector<double> sinc2_broaden_uniform_q(const std::vector<double>& q_inv_angstrom, const std::vector<double>& y,
                                            double size_angstrom);
// FWHM of the sinc²(Qτ/2) kernel in Å⁻¹ (5.56624 / τ).
double sinc2_fwhm_inv_angstrom(double size_angstrom);

// PXRDNet's agreement metric (science.md §3). Its pattern: λ = 1.5406 Å sticks on 8192 uniform Q points from 0 to
// 8.1568 Å⁻¹, a Gaussian of σ = 0.040784 Å⁻¹, normalised to a maximum of 1 (no size broadening).
constexpr int kPxrdnetPoints = 8192;
constexpr double kPxrdnetQMaxInvAngstrom = 8.1568;
constexpr double kPxrdnetSigmaInvAngstrom = 0.040784;
constexpr double kPxrdnetLambdaAngstrom = 1.5406;
std::vector<double> pxrdnet_q_grid();
std::vector<double> pxrdnet_pattern(const Crystal& crystal);
// R_wp² = ∫(a − b)² dQ / ∫ a² dQ with a = truth, b = candidate, both first normalised to a maximum of 1.
// Throws Error when the sizes differ or truth is all zero.
double pxrdnet_rwp2(const std::vector<double>& truth_y, const std::vector<double>& candidate_y);
double pxrdnet_rwp2(const Crystal& truth, const Crystal& candidate);

}  // namespace pxrd
