#pragma once
// X-ray atomic scattering factors as pymatgen's XRDCalculator computes them (science.md §1):
// f(s) = Z − 41.78214 · s² · Σ_{i=1..4} a_i exp(−b_i s²), s = sinθ/λ = 1/(2d) in Å⁻¹.
// The (a_i, b_i) are pymatgen's atomic_scattering_params.json, carried over by tools/dev/pymatgen_sim_table.py.
#include <array>

namespace pxrd {

struct XrayScatteringCoefficients {
  std::array<double, 4> a;
  std::array<double, 4> b;  // Å²
};

// nullptr for elements pymatgen has no coefficients for (Z = 99..103) and for Z outside 1..103.
const XrayScatteringCoefficients* xray_scattering_coefficients_or_null(int atomic_number);
// Throws InputError (file "", line 0) naming the element when there are no coefficients.
const XrayScatteringCoefficients& xray_scattering_coefficients(int atomic_number);

// f(s) in electrons; s = sinθ/λ in Å⁻¹. Throws like xray_scattering_coefficients().
double xray_form_factor(int atomic_number, double s_inv_angstrom);

}  // namespace pxrd
