#pragma once
// Peak search on a pattern (any x unit): local maxima with a minimum prominence and signal-to-noise ratio,
// positions refined by a parabola through the top three points (on ln(y − base), exact for a Gaussian) or by
// the centroid above half height; FWHM from the interpolated half-height crossings; area above the local base.
#include <cstddef>
#include <vector>

#include "pxrd/pattern.hpp"

namespace pxrd {

struct Peak {
  double x = 0;           // position in the pattern's x unit (2θ degrees or Q in Å⁻¹)
  double height = 0;      // intensity at the refined maximum
  double prominence = 0;  // height above the higher of the two surrounding minima (the local base)
  double fwhm = 0;        // full width at half prominence, x units; 0 when a side never drops to half
  double area = 0;        // trapezoid integral of max(y − base, 0) within ±1.5 FWHM, clipped at the minima
  double snr = 0;         // prominence / estimated noise σ (infinite when the noise estimate is 0)
};

enum class PeakPositionMethod { Parabolic, Centroid };

struct PeakSearchOptions {
  double min_prominence = 0;              // absolute, y units
  double min_relative_prominence = 0.01;  // fraction of the most prominent peak
  double min_snr = 3.0;                   // prominence / noise σ
  std::size_t max_peaks = 0;              // keep the most prominent N (0: all)
  PeakPositionMethod position = PeakPositionMethod::Parabolic;
};

// Noise σ from the median absolute deviation of y_i − (y_{i−1} + y_{i+1})/2 (robust against peaks).
double estimate_noise_sigma(const std::vector<double>& y);

// Peaks sorted by x. Throws InputError(pattern.source, ...) for fewer than 3 points.
std::vector<Peak> find_peaks(const Pattern& pattern, const PeakSearchOptions& options = {});

}  // namespace pxrd
