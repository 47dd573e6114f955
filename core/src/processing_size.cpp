// Finite-size (sinc²) broadening of a measured or processed pattern. Kept apart from processing.cpp because it
// depends on the simulator's kernel (sinc2_broaden_uniform_q), the single implementation of that convolution.
#include <algorithm>
#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "pxrd/processing.hpp"
#include "pxrd/simulator.hpp"

namespace pxrd {

Pattern apply_finite_size(const Pattern& p, double size_angstrom, std::size_t q_points) {
  if (p.size() < 2) throw InputError(p.source, 0, "finite-size broadening needs at least 2 points");
  if (!(size_angstrom > 0) || !std::isfinite(size_angstrom))
    throw InputError(p.source, 0, "the crystallite size must be positive");
  // The kernel is defined in Q; a 2θ pattern is mapped there (this needs its wavelength) and back.
  const std::vector<double> q = convert_to_q(p).x;
  // Uniform Q grid, padded with the end values so that the kernel tails do not pull the ends down.
  const double span = q.back() - q.front();
  const double pad = std::min(20.0 * sinc2_fwhm_inv_angstrom(size_angstrom), span);
  const std::size_t inner = std::max(q_points, p.size());
  const double dq = span / static_cast<double>(inner - 1);
  const std::size_t pad_points = static_cast<std::size_t>(std::ceil(pad / dq));
  const std::size_t total = inner + 2 * pad_points;
  std::vector<double> qu(total);
  for (std::size_t i = 0; i < total; ++i)
    qu[i] = q.front() + (static_cast<double>(i) - static_cast<double>(pad_points)) * dq;
  const std::vector<double> yu = interpolate_linear(q, p.y, qu);
  const std::vector<double> broadened = sinc2_broaden_uniform_q(qu, yu, size_angstrom);
  Pattern out = p;
  out.history.push_back("finite_size(size_angstrom=" + format_number(size_angstrom) +
                        ", q_points=" + std::to_string(inner) + ")");
  out.y = interpolate_linear(qu, broadened, q);
  return out;
}

}  // namespace pxrd
