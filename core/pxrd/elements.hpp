#pragma once
#include <string>
#include <string_view>

namespace pxrd {

constexpr int kMaxAtomicNumber = 103;

// Throws InputError(file "", line 0) naming the symbol when it is not an element.
// Accepts "Fe", "fe", "FE", and CIF type symbols with charges ("Fe2+", "O2-").
int atomic_number(std::string_view symbol);
// Returns -1 instead of throwing.
int atomic_number_or_negative(std::string_view symbol);
const std::string& element_symbol(int atomic_number);
double atomic_mass_amu(int atomic_number);
// Covalent radius (Cordero et al. 2008), Å; used for bonds and ball sizes.
double covalent_radius_angstrom(int atomic_number);
// Typical volume per atom in an inorganic crystal (Å³), fitted on MP-20 train + val; a packing guess for
// elements absent there. Good to about 6 % (median) for a whole cell.
double atomic_volume_estimate_angstrom3(int atomic_number);
// Jmol/CPK colour as 0xRRGGBB.
unsigned element_colour_rgb(int atomic_number);

}  // namespace pxrd
