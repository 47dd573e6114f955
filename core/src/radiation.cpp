#include "pxrd/radiation.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "pxrd/error.hpp"

namespace pxrd {

namespace {
struct Line {
  const char* anode;
  double ka_avg, ka1, ka2;
};
// Wavelengths in Å as used by pymatgen's XRDCalculator (its WAVELENGTHS table), except Cu Kα1/Kα2, which
// follow the conventions doc (1.540598 / 1.544426, the values diffractometer software writes).
constexpr Line kLines[] = {
    {"Cu", 1.54184, 1.540598, 1.544426}, {"Mo", 0.71073, 0.70930, 0.71359},
    {"Co", 1.79026, 1.78896, 1.79285},   {"Cr", 2.29100, 2.28970, 2.29361},
    {"Fe", 1.93735, 1.93604, 1.93998},   {"Ag", 0.560885, 0.559421, 0.563813},
};
// pymatgen's Cu Kα1 is 1.54056; the simulator's pymatgen-compatibility tests use "CuKa" (the average).

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::string Radiation::describe() const {
  std::ostringstream os;
  os.precision(7);
  os << name << " (";
  if (has_second_line())
    os << "λ1 " << lambda1_angstrom << " Å, λ2 " << lambda2_angstrom << " Å, ratio " << ratio;
  else
    os << "λ " << lambda1_angstrom << " Å";
  os << ")";
  return os.str();
}

Radiation radiation_from_string(const std::string& spec) {
  const std::string s = lower(spec);
  for (const auto& l : kLines) {
    const std::string a = lower(l.anode);
    if (s == a + "ka" || s == a) return {std::string(l.anode) + "Ka", l.ka_avg, 0, 0};
    if (s == a + "ka1") return {std::string(l.anode) + "Ka1", l.ka1, 0, 0};
    if (s == a + "ka2") return {std::string(l.anode) + "Ka2", l.ka2, 0, 0};
    if (s == a + "ka12" || s == a + "ka1+ka2" || s == a + "ka1+2")
      return {std::string(l.anode) + "Ka12", l.ka1, l.ka2, 0.5};
  }
  char* end = nullptr;
  const double value = std::strtod(spec.c_str(), &end);
  if (end != spec.c_str() && *end == '\0' && std::isfinite(value)) {
    if (value <= 0.05 || value > 20.0)
      throw InputError("--wavelength", 0, "wavelength " + spec + " Å is outside 0.05–20 Å");
    return {"custom", value, 0, 0};
  }
  throw InputError("--wavelength", 0,
                   "unknown radiation '" + spec + "' (use CuKa, CuKa1, CuKa12, MoKa, CoKa, CrKa, FeKa, AgKa, or Å)");
}

std::vector<std::string> radiation_preset_names() {
  std::vector<std::string> out;
  for (const auto& l : kLines)
    for (const char* suffix : {"Ka", "Ka1", "Ka2", "Ka12"}) out.push_back(std::string(l.anode) + suffix);
  return out;
}

}  // namespace pxrd
