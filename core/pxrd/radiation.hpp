#pragma once
// Radiation is explicit: {λ1, λ2, ratio}. Never default silently.
#include <string>
#include <vector>

namespace pxrd {

struct Radiation {
  std::string name;              // "CuKa", "CuKa12", "custom", ...
  double lambda1_angstrom = 0;   // Kα1, the Kα average, or a single line
  double lambda2_angstrom = 0;   // 0 when there is no second line
  double ratio = 0;              // I(λ2) / I(λ1); 0 when there is no second line
  bool has_second_line() const { return lambda2_angstrom > 0 && ratio > 0; }
  std::string describe() const;  // "CuKa12 (λ1 1.540598 Å, λ2 1.544426 Å, ratio 0.5)"
};

// Presets: CuKa (1.54184, the Kα average as in pymatgen), CuKa1, CuKa2, CuKa12 (doublet, ratio 0.5),
// and the same for Mo, Co, Cr, Fe, Ag; or a number in Å. Throws InputError (file "--wavelength").
Radiation radiation_from_string(const std::string& spec);
std::vector<std::string> radiation_preset_names();

}  // namespace pxrd
