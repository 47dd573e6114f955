#pragma once
// Agreement factors between an observed and a calculated pattern on the same grid (science.md §3):
//   R_p   = Σ|yo − c·yc| / Σ|yo|
//   R_wp  = √(Σ w (yo − c·yc)² / Σ w yo²)
//   R_exp = √((N − P) / Σ w yo²),  S = R_wp / R_exp,  χ²_red = Σ w (yo − c·yc)² / (N − P) = S²
// with c the weighted least-squares scale Σ w yo yc / Σ w yc² (or 1 when the scale is not fitted).
// N counts the points with w > 0 (the others do not enter any sum); P is the number of refined parameters
// (1 for the scale when it is fitted, plus any the caller adds). Background is whatever the caller left in yo/yc.
// The PXRDNet R_wp² of two curves is pxrdnet_rwp2 in pxrd/simulator.hpp (not duplicated here).
#include <cstddef>
#include <vector>

#include "pxrd/pattern.hpp"

namespace pxrd {

struct Agreement {
  double r_p = 0, r_wp = 0, r_exp = 0;
  double gof = 0;       // S = R_wp / R_exp
  double chi2_red = 0;  // S²
  double scale = 1;     // c applied to the calculated pattern
  std::size_t n = 0;    // points with w > 0
  std::size_t p = 0;    // parameters
};

// c = Σ w yo yc / Σ w yc²; throws Error when Σ w yc² is 0 or the sizes differ.
double least_squares_scale(const std::vector<double>& yo, const std::vector<double>& yc, const std::vector<double>& w);

// Throws Error for size mismatch or no point with positive weight; N ≤ P gives R_exp = 0 and S = χ²_red = NaN.
Agreement agreement_factors(const std::vector<double>& yo, const std::vector<double>& yc, const std::vector<double>& w,
                            bool fit_scale = true, std::size_t extra_parameters = 0);
// Uses observed.weights() (1/esd², else Poisson 1/y, 0 where y ≤ 0).
Agreement agreement_factors(const Pattern& observed, const std::vector<double>& calculated, bool fit_scale = true,
                            std::size_t extra_parameters = 0);

// Σ a b / (‖a‖ ‖b‖); 0 when either is all zero. Throws Error when the sizes differ.
double cosine_similarity(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace pxrd
