#include "pxrd/scattering.hpp"

#include <cmath>
#include <string>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"

namespace pxrd {

const XrayScatteringCoefficients& xray_scattering_coefficients(int atomic_number) {
  const XrayScatteringCoefficients* c = xray_scattering_coefficients_or_null(atomic_number);
  if (!c) {
    const std::string name = atomic_number >= 1 && atomic_number <= kMaxAtomicNumber
                                 ? element_symbol(atomic_number)
                                 : "Z=" + std::to_string(atomic_number);
    throw InputError("", 0, "no X-ray scattering coefficients for " + name);
  }
  return *c;
}

double xray_form_factor(int atomic_number, double s_inv_angstrom) {
  const XrayScatteringCoefficients& c = xray_scattering_coefficients(atomic_number);
  const double s2 = s_inv_angstrom * s_inv_angstrom;
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += c.a[i] * std::exp(-c.b[i] * s2);
  return atomic_number - 41.78214 * s2 * sum;
}

}  // namespace pxrd
