#pragma once
// Whole-pattern fitting shared by the solver: the profile model (reflections of a cell, pseudo-Voigt peaks with
// Caglioti widths, Kα1/Kα2, zero shift, Chebyshev background) and the Le Bail fit of cell, zero and profile.
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "pxrd/cancel.hpp"
#include "pxrd/lattice.hpp"
#include "pxrd/pattern.hpp"

namespace pxrd {

enum class CrystalSystem { Cubic, Hexagonal, Tetragonal, Orthorhombic, Monoclinic, Triclinic };
const char* crystal_system_name(CrystalSystem system);

// The free cell parameters of a crystal system (a; a,c; a,b,c; a,b,c,β; a,b,c,α,β,γ) in Å and degrees.
// Monoclinic is b-unique. Hexagonal has γ = 120°.
std::vector<double> cell_free_parameters(const Lattice& lattice, CrystalSystem system);
Lattice cell_from_free_parameters(const std::vector<double>& free, CrystalSystem system);

// The observed data the fits work on: 2θ (degrees, raw), counts, weights, and the radiation.
struct PowderData {
  std::vector<double> two_theta_deg;
  std::vector<double> y;
  std::vector<double> w;  // 1/σ²; 0 excludes a point
  double lambda1_angstrom = 1.54056;
  double lambda2_angstrom = 0;  // 0: single line
  double ratio = 0;
  std::size_t size() const { return two_theta_deg.size(); }
};

// Builds PowderData from a 2θ pattern inside [two_theta_min_deg, two_theta_max_deg]; weights 1/max(y, 1) for
// Poisson data without esd. Throws InputError for Q patterns (convert first) or without radiation.
PowderData powder_data_from_pattern(const Pattern& pattern, double two_theta_min_deg, double two_theta_max_deg);

// Means of `factor` consecutive points (the last group may be shorter), for patterns whose peaks span hundreds
// of points: weights combine as 1/var of the mean; points with weight 0 are left out of a group (a group
// with none gets weight 0). factor <= 1 returns the data unchanged.
PowderData bin_powder_data(const PowderData& data, int factor);

// Reflections that coincide in d for the cell are one group; hkls holds one of each Friedel pair (the
// intensity of a group counts both).
struct ReflectionGroup {
  double d_angstrom = 0;
  std::vector<std::array<int, 3>> hkls;
};
// Every (hkl) with d >= d_min_angstrom, grouped by equal d (relative tolerance 1e-5), sorted by decreasing d.
std::vector<ReflectionGroup> enumerate_reflections(const Lattice& lattice, double d_min_angstrom);
// d of every group recomputed for another (e.g. refined) cell from its first hkl.
void update_reflection_d(std::vector<ReflectionGroup>& groups, const Lattice& lattice);
// The same reflections grouped anew for another cell: a cell refined with fewer constraints than the one the
// groups were made in splits reflections that were equivalent there (update_reflection_d would keep them at one d).
std::vector<ReflectionGroup> regroup_reflections(const std::vector<ReflectionGroup>& groups, const Lattice& lattice);

struct ProfileParams {
  double zero_deg = 0;       // a peak at true 2θ appears at 2θ + zero
  double u = 0, v = 0, w = 0.01;  // Caglioti, deg²: FWHM_G² = U tan²θ + V tanθ + W
  double x = 0;              // Lorentzian size term, deg: adds X / cosθ to the FWHM
  double eta = 0.5;          // pseudo-Voigt Lorentzian fraction
  // Finite-size model of the simulator (science.md §2): each peak is sinc²(ΔQ τ/2), whose FWHM in 2θ is
  // X / cosθ with X = 0.886 λ/τ rad, convolved with a Gaussian of the Caglioti width; eta is then unused.
  bool sinc2_size = false;
  double fwhm_deg(double theta_rad) const;
  double gaussian_fwhm_deg(double theta_rad) const;  // the Caglioti part alone
};

// Smallest d of the reflections a fit must include: those up to 1° beyond the data, or `reach_fwhm` FWHM for
// broad (finite-size) peaks, whose tails reach into the range from far outside.
double reflection_d_min_angstrom(const PowderData& data, const ProfileParams& profile, double reach_fwhm = 3.0);

// Lorentz-polarisation (1 + cos²2θ) / (sin²θ cosθ) as in science.md §1.
double lorentz_polarisation(double two_theta_deg);
// Area-normalised pseudo-Voigt (1/deg) at offset dx from the centre.
double pseudo_voigt(double dx_deg, double fwhm_deg, double eta);
// Area-normalised sinc² peak of the given FWHM (1/deg), convolved with a Gaussian of gaussian_fwhm_deg
// (5-point Gauss–Hermite quadrature; a Gaussian under 0.3 of the sinc² width only widens it in quadrature).
double sinc2_peak(double dx_deg, double sinc2_fwhm_deg, double gaussian_fwhm_deg);

// Σ_g I_g LP(θ_g) (φ(2θ − 2θ_g,1 − zero) + ratio φ(2θ − 2θ_g,2 − zero)) on the data's 2θ points
// (no background). intensities are per group (|F|² summed over the group, both Friedel mates).
std::vector<double> peak_profile(const PowderData& data, const std::vector<ReflectionGroup>& groups,
                                 const std::vector<double>& intensities, const ProfileParams& profile);

// The same profile split into unit-intensity shapes, one segment per group and wavelength (its window of
// points): a refinement that changes only intensities (coordinates, B) re-sums them instead of redrawing peaks.
struct PeakShapes {
  struct Segment {
    std::size_t group = 0, first_point = 0;
    std::vector<double> values;
  };
  std::vector<Segment> segments;
};
PeakShapes peak_shapes(const PowderData& data, const std::vector<ReflectionGroup>& groups, const ProfileParams& profile);
// Σ_g I_g shape_g on n_points points; equals peak_profile with the shapes' data, groups and profile.
std::vector<double> sum_peak_shapes(const PeakShapes& shapes, const std::vector<double>& intensities,
                                    std::size_t n_points);

// Chebyshev background basis on the data's 2θ range: n_terms columns, each evaluated at every point.
std::vector<std::vector<double>> background_basis(const PowderData& data, int n_terms);
// Weighted least squares of y_target ≈ Σ c_j basis_j (+ optionally scale × extra). Returns the coefficients
// (the scale last when extra is given). The scale is bounded below by 0. Robust to singular systems.
std::vector<double> linear_fit(const PowderData& data, const std::vector<double>& y_target,
                               const std::vector<std::vector<double>>& basis, const std::vector<double>* extra);

// R_wp = sqrt(Σ w (yo − yc)² / Σ w yo²) and R_exp = sqrt((N − P) / Σ w yo²).
double weighted_r_factor(const PowderData& data, const std::vector<double>& y_calc);
double expected_r_factor(const PowderData& data, int n_parameters);

struct LeBailOptions {
  int background_terms = 8;
  int cycles = 8;               // alternations of intensity extraction and least squares
  bool refine_cell = true;
  bool refine_zero = true;
  bool refine_profile = true;
  double max_zero_deg = 0.5;
  // When this fires, the fit ends after its current cycle (at least one) and returns what it has, where `cancel`
  // would throw: a time limit for a fit whose result is needed.
  const CancelToken* finish_early = nullptr;
};

struct LeBailResult {
  Lattice lattice;
  CrystalSystem system = CrystalSystem::Triclinic;
  ProfileParams profile;
  std::vector<ReflectionGroup> groups;
  std::vector<double> intensities;   // extracted, per group, without LP
  std::vector<double> background;    // Chebyshev coefficients
  std::vector<double> y_calc;
  std::vector<double> y_background;
  double rwp = 1;
};

// Le Bail fit: extracted intensities alternate with damped least squares of cell (constrained to the system),
// zero and profile; background is refitted linearly at every step.
LeBailResult lebail_fit(const PowderData& data, const Lattice& start, CrystalSystem system,
                        const ProfileParams& start_profile, const LeBailOptions& options, const CancelToken& cancel);

// Generic damped least squares (Levenberg–Marquardt) with forward-difference derivatives.
// residuals(p) returns the weighted residual vector; steps are the finite-difference steps. Returns the best p.
struct LmOptions {
  int max_iterations = 20;
  double lambda0 = 1e-3;
  // Lower bounds (empty: none; else one per parameter, -inf for none). A parameter at its bound whose descent
  // points below it is held for that step, and every trial is projected onto the bounds.
  std::vector<double> lower;
};
std::vector<double> levenberg_marquardt(
    const std::vector<double>& start, const std::vector<double>& steps,
    const std::function<std::vector<double>(const std::vector<double>&)>& residuals, const LmOptions& options,
    const CancelToken& cancel, double* final_chi2 = nullptr);

}  // namespace pxrd
