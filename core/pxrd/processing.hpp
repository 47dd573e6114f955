#pragma once
// Pattern processing. Every function is pure (Pattern in, Pattern out), keeps the radiation and metadata, and
// appends one entry naming its parameters to Pattern::history. Raw x stays raw: corrections are steps here.
// Errors: InputError(pattern.source, 0, cause) for an invalid request (missing radiation, wrong x unit, ...).
#include <cstddef>
#include <vector>

#include "pxrd/pattern.hpp"

namespace pxrd {

// 2θ (deg) → Q (Å⁻¹) with λ1 of the pattern's radiation. Intensities are kept as they are (no Jacobian).
Pattern convert_to_q(const Pattern& pattern);
// Q → 2θ; points beyond 2θ = 180° at this wavelength are dropped (and the count recorded).
Pattern convert_to_two_theta(const Pattern& pattern);

// Linear interpolation of (x, y) at xi; outside the data, the end values. x must be increasing.
double interpolate_linear(const std::vector<double>& x, const std::vector<double>& y, double xi);
// The same at many increasing positions xi (one sweep, O(n + m)).
std::vector<double> interpolate_linear(const std::vector<double>& x, const std::vector<double>& y,
                                       const std::vector<double>& xi);

// Linear interpolation onto x_min, x_min + step, ... ≤ x_max (clipped to the data range). esd is interpolated
// too (approximate: neighbouring points are treated as independent).
Pattern resample_uniform(const Pattern& pattern, double x_min, double x_max, double step);
// The same with `points` points spanning the data range.
Pattern resample_uniform(const Pattern& pattern, std::size_t points);

// Scales so that max(y) = `maximum`.
Pattern normalize_max(const Pattern& pattern, double maximum = 100.0);
// Scales so that the trapezoid area ∫y dx = `area`.
Pattern normalize_area(const Pattern& pattern, double area = 1.0);

// Gaussian smoothing with σ in x units (works on non-uniform grids; the kernel is renormalised at the ends
// and weighted by the local step so that the area is preserved).
Pattern smooth_gaussian(const Pattern& pattern, double sigma_x);

// Finite crystallite size τ (Å): the pattern is resampled to a uniform Q grid, convolved with sinc²(Qτ/2)
// by the simulator's sinc2_broaden_uniform_q, and resampled back onto the original x. 2θ patterns need radiation.
Pattern apply_finite_size(const Pattern& pattern, double size_angstrom, std::size_t q_points = 8192);

// Zero-shift correction: x_corrected = x − shift (2θ degrees; 2θ patterns only).
Pattern correct_zero_shift(const Pattern& pattern, double shift_deg);

// Rachinger Kα2 stripping (2θ patterns whose radiation has λ2 and a ratio): I1(2θ) = I(2θ) − R·I1(2θ'), with
// sin θ' = (λ1/λ2) sin θ. The result keeps only the λ1 line; the radiation becomes λ1 alone.
Pattern strip_ka2(const Pattern& pattern);

}  // namespace pxrd
