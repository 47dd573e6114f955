#pragma once
// Background estimation and subtraction. The estimators return the background on the pattern's own grid;
// subtract_background returns the net pattern (y − background) with a history entry. esd is kept as it was
// (the background is treated as exact).
#include <string>
#include <vector>

#include "pxrd/pattern.hpp"

namespace pxrd {

enum class BackgroundMethod { None, Snip, Chebyshev, RollingBall, Anchors };
enum class AnchorInterpolation { Linear, CubicSpline };

struct BackgroundOptions {
  BackgroundMethod method = BackgroundMethod::Snip;
  // SNIP (Ryan et al. 1988; Morháč & Matoušek 2008): clipping half-window grows 1..iterations points.
  int snip_iterations = 40;
  double snip_window_x = 0;      // when > 0: the largest half-window in x units (sets iterations from the step)
  bool snip_lls = true;          // log-log-sqrt transform before clipping (compresses peaks, keeps background)
  bool snip_decreasing = false;  // clip with windows iterations..1 instead of 1..iterations
  // Iterative Chebyshev polynomial: fit, clip the data to the fit from above, refit.
  int chebyshev_order = 6;
  int chebyshev_iterations = 50;
  // Rolling ball: morphological opening with a flat element of radius ball_radius (x units), then a moving
  // average of the same radius, kept at or below the data.
  double ball_radius = 1.0;
  // Manual anchor points (x in the pattern's unit, background intensity).
  std::vector<double> anchor_x, anchor_y;
  AnchorInterpolation anchor_interpolation = AnchorInterpolation::Linear;
};

// "snip", "chebyshev", "rolling-ball", "anchors", "none"; throws InputError(file "--background") otherwise.
BackgroundMethod background_method_from_string(const std::string& name);
const char* background_method_name(BackgroundMethod method);

// Low-level estimators on bare arrays.
std::vector<double> snip_background(const std::vector<double>& y, int iterations, bool lls, bool decreasing = false);
std::vector<double> chebyshev_background(const std::vector<double>& x, const std::vector<double>& y, int order,
                                         int iterations);
std::vector<double> rolling_ball_background(const std::vector<double>& x, const std::vector<double>& y,
                                            double radius_x);
// Linear or natural-cubic-spline curve through the anchors (sorted by x internally; duplicates are an error),
// constant beyond the first and last anchor. One anchor gives a constant.
std::vector<double> anchor_background(const std::vector<double>& x, const std::vector<double>& anchor_x,
                                      const std::vector<double>& anchor_y, AnchorInterpolation interpolation);

// Background for a pattern (all zeros for None). Throws InputError(pattern.source, ...) for bad options.
std::vector<double> estimate_background(const Pattern& pattern, const BackgroundOptions& options);
// y − background, with a history entry naming the method and its parameters.
Pattern subtract_background(const Pattern& pattern, const BackgroundOptions& options);

}  // namespace pxrd
