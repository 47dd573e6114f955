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
  if (z < 1 || z > kMaxAtomicNumber) throw Error("atomic number " + std::to_string(z) + " out of range");
  return kSymbols[z];
}

}  // namespace pxrd
