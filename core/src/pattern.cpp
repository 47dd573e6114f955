#include "pxrd/pattern.hpp"

#include <cmath>

#include "pxrd/error.hpp"

namespace pxrd {

const char* x_unit_name(XUnit unit) {
  return unit == XUnit::TwoThetaDeg ? "two_theta_deg" : "q_inv_angstrom";
}

void Pattern::validate() const {
  if (x.empty()) throw InputError(source, 0, "the pattern has no data points");
  if (y.size() != x.size()) throw InputError(source, 0, "x and intensity columns differ in length");
  if (!esd.empty() && esd.size() != x.size()) throw InputError(source, 0, "esd column differs in length");
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || (!esd.empty() && !std::isfinite(esd[i])))
      throw InputError(source, 0, "point " + std::to_string(i + 1) + " is not a finite number (NaN or Inf)");
    if (i > 0 && !(x[i] > x[i - 1]))
      throw InputError(source, 0, "x is not strictly increasing at point " + std::to_string(i + 1));
  }
}

std::vector<double> Pattern::weights() const {
  std::vector<double> w(y.size(), 0.0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (has_esd())
      w[i] = esd[i] > 0 ? 1.0 / (esd[i] * esd[i]) : 0.0;
    else
      w[i] = y[i] > 0 ? 1.0 / y[i] : 0.0;
  }
  return w;
}

}  // namespace pxrd
