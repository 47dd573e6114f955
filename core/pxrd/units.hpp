#pragma once
// The one place where 2θ, Q and d are converted. Q = 4π sinθ / λ = 2π / d.
#include <cmath>

namespace pxrd {

constexpr double kPi = 3.14159265358979323846;
inline double deg_to_rad(double deg) { return deg * kPi / 180.0; }
inline double rad_to_deg(double rad) { return rad * 180.0 / kPi; }

inline double two_theta_deg_to_q_inv_angstrom(double two_theta_deg, double lambda_angstrom) {
  return 4.0 * kPi * std::sin(deg_to_rad(two_theta_deg) / 2.0) / lambda_angstrom;
}
// Returns NaN when Q is beyond 4π/λ (not reachable at this wavelength).
inline double q_inv_angstrom_to_two_theta_deg(double q_inv_angstrom, double lambda_angstrom) {
  const double s = q_inv_angstrom * lambda_angstrom / (4.0 * kPi);
  if (s > 1.0 || s < -1.0) return std::nan("");
  return 2.0 * rad_to_deg(std::asin(s));
}
inline double q_inv_angstrom_to_d_angstrom(double q_inv_angstrom) { return 2.0 * kPi / q_inv_angstrom; }
inline double d_angstrom_to_q_inv_angstrom(double d_angstrom) { return 2.0 * kPi / d_angstrom; }
inline double two_theta_deg_to_d_angstrom(double two_theta_deg, double lambda_angstrom) {
  return lambda_angstrom / (2.0 * std::sin(deg_to_rad(two_theta_deg) / 2.0));
}
inline double d_angstrom_to_two_theta_deg(double d_angstrom, double lambda_angstrom) {
  return q_inv_angstrom_to_two_theta_deg(d_angstrom_to_q_inv_angstrom(d_angstrom), lambda_angstrom);
}

}  // namespace pxrd
