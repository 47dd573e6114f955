#include "pxrd/elements.hpp"

#include <array>
#include <cctype>

#include "pxrd/error.hpp"

namespace pxrd {

namespace {
const std::array<std::string, kMaxAtomicNumber + 1> kSymbols = {
    "X",  "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",
    "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn",
    "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho",
    "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po",
    "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md",
    "No", "Lr"};

// Standard atomic weights (IUPAC conventional values, as tabulated in pymatgen 2022.11.7 core/periodic_table.json;
// mass number of the longest-lived isotope for elements without a stable one). Index = Z.
// Covalent radii: B. Cordero et al., "Covalent radii revisited", Dalton Trans. 2008, 2832-2838, doi:10.1039/b801115j,
// for Z = 1-96 (C: the sp3 value 0.76; Mn, Fe, Co: the mean of the low- and high-spin values). Z > 96 is not in the
// paper and uses Cm's 1.69 Å. Colours: Jmol's element colours (jmol.sourceforge.net/jscolors), as 0xRRGGBB.
const std::array<double, kMaxAtomicNumber + 1> kMassAmu = {
    0.0, 1.00794, 4.002602, 6.941, 9.012182, 10.811, 12.0107, 14.0067,
    15.9994, 18.9984032, 20.1797, 22.98976928, 24.305, 26.9815386, 28.0855, 30.973762,
    32.065, 35.453, 39.948, 39.0983, 40.078, 44.955912, 47.867, 50.9415,
    51.9961, 54.938045, 55.845, 58.933195, 58.6934, 63.546, 65.409, 69.723,
    72.64, 74.9216, 78.96, 79.904, 83.798, 85.4678, 87.62, 88.90585,
    91.224, 92.90638, 95.94, 98.0, 101.07, 102.9055, 106.42, 107.8682,
    112.411, 114.818, 118.71, 121.76, 127.6, 126.90447, 131.293, 132.9054519,
    137.327, 138.90547, 140.116, 140.90765, 144.242, 145.0, 150.36, 151.964,
    157.25, 158.92535, 162.5, 164.93032, 167.259, 168.93421, 173.04, 174.967,
    178.49, 180.94788, 183.84, 186.207, 190.23, 192.217, 195.084, 196.966569,
    200.59, 204.3833, 207.2, 208.9804, 210.0, 210.0, 220.0, 223.0,
    226.0, 227.0, 232.03806, 231.03588, 238.02891, 237.0, 244.0, 243.0,
    247.0, 247.0, 251.0, 252.0, 257.0, 258.0, 259.0, 262.0,
};
const std::array<double, kMaxAtomicNumber + 1> kCovalentRadiusAngstrom = {
    0.00, 0.31, 0.28, 1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58, 1.66,
    1.41, 1.21, 1.11, 1.07, 1.05, 1.02, 1.06, 2.03, 1.76, 1.70, 1.60, 1.53,
    1.39, 1.50, 1.42, 1.38, 1.24, 1.32, 1.22, 1.22, 1.20, 1.19, 1.20, 1.20,
    1.16, 2.20, 1.95, 1.90, 1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45,
    1.44, 1.42, 1.39, 1.39, 1.38, 1.39, 1.40, 2.44, 2.15, 2.07, 2.04, 2.03,
    2.01, 1.99, 1.98, 1.98, 1.96, 1.94, 1.92, 1.92, 1.89, 1.90, 1.87, 1.87,
    1.75, 1.70, 1.62, 1.51, 1.44, 1.41, 1.36, 1.36, 1.32, 1.45, 1.46, 1.48,
    1.40, 1.50, 1.50, 2.60, 2.21, 2.15, 2.06, 2.00, 1.96, 1.90, 1.87, 1.80,
    1.69, 1.69, 1.69, 1.69, 1.69, 1.69, 1.69, 1.69,
};
const std::array<unsigned, kMaxAtomicNumber + 1> kJmolColour = {
    0x000000, 0xFFFFFF, 0xD9FFFF, 0xCC80FF, 0xC2FF00, 0xFFB5B5, 0x909090, 0x3050F8,
    0xFF0D0D, 0x90E050, 0xB3E3F5, 0xAB5CF2, 0x8AFF00, 0xBFA6A6, 0xF0C8A0, 0xFF8000,
    0xFFFF30, 0x1FF01F, 0x80D1E3, 0x8F40D4, 0x3DFF00, 0xE6E6E6, 0xBFC2C7, 0xA6A6AB,
    0x8A99C7, 0x9C7AC7, 0xE06633, 0xF090A0, 0x50D050, 0xC88033, 0x7D80B0, 0xC28F8F,
    0x668F8F, 0xBD80E3, 0xFFA100, 0xA62929, 0x5CB8D1, 0x702EB0, 0x00FF00, 0x94FFFF,
    0x94E0E0, 0x73C2C9, 0x54B5B5, 0x3B9E9E, 0x248F8F, 0x0A7D8C, 0x006985, 0xC0C0C0,
    0xFFD98F, 0xA67573, 0x668080, 0x9E63B5, 0xD47A00, 0x940094, 0x429EB0, 0x57178F,
    0x00C900, 0x70D4FF, 0xFFFFC7, 0xD9FFC7, 0xC7FFC7, 0xA3FFC7, 0x8FFFC7, 0x61FFC7,
    0x45FFC7, 0x30FFC7, 0x1FFFC7, 0x00FF9C, 0x00E675, 0x00D452, 0x00BF38, 0x00AB24,
    0x4DC2FF, 0x4DA6FF, 0x2194D6, 0x267DAB, 0x266696, 0x175487, 0xD0D0E0, 0xFFD123,
    0xB8B8D0, 0xA6544D, 0x575961, 0x9E4FB5, 0xAB5C00, 0x754F45, 0x428296, 0x420066,
    0x007D00, 0x70ABFA, 0x00BAFF, 0x00A1FF, 0x008FFF, 0x0080FF, 0x006BFF, 0x545CF2,
    0x785CE3, 0x8A4FE3, 0xA136D4, 0xB31FD4, 0xB31FBA, 0xB30DA6, 0xBD0D87, 0xC70066,
};

void check_z(int z) {
  if (z < 1 || z > kMaxAtomicNumber) throw Error("atomic number " + std::to_string(z) + " out of range");
}
}  // namespace

int atomic_number_or_negative(std::string_view symbol) {
  // Keep the leading letters only: "Fe2+" -> "Fe", "O2-" -> "O".
  std::string letters;
  for (char c : symbol) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    letters += c;
  }
  if (letters.empty() || letters.size() > 2) return -1;
  letters[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(letters[0])));
  if (letters.size() == 2) letters[1] = static_cast<char>(std::tolower(static_cast<unsigned char>(letters[1])));
  for (int z = 1; z <= kMaxAtomicNumber; ++z)
    if (kSymbols[z] == letters) return z;
  return -1;
}

int atomic_number(std::string_view symbol) {
  const int z = atomic_number_or_negative(symbol);
  if (z < 0) throw InputError("", 0, "unknown element '" + std::string(symbol) + "'");
  return z;
}

const std::string& element_symbol(int z) {
  check_z(z);
  return kSymbols[z];
}

double atomic_mass_amu(int z) {
  check_z(z);
  return kMassAmu[z];
}

double covalent_radius_angstrom(int z) {
  check_z(z);
  return kCovalentRadiusAngstrom[z];
}

unsigned element_colour_rgb(int z) {
  check_z(z);
  return kJmolColour[z];
}

}  // namespace pxrd
