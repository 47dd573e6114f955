#pragma once
// Chemical formulas: "Nd(Al2Cu)4", "Ce4O8", "LiFePO4", "CuSO4·5H2O" (also "CuSO4.5H2O", "CuSO4*5H2O").
#include <map>
#include <string>

#include "pxrd/crystal.hpp"

namespace pxrd {

class Composition {
 public:
  Composition() = default;
  // Throws InputError("formula", 0, cause) naming the position of the problem.
  static Composition parse(const std::string& formula);
  static Composition of(const Crystal& crystal);  // sums occupancies

  const std::map<std::string, double>& amounts() const { return amounts_; }  // element symbol -> count
  double total_atoms() const;
  bool empty() const { return amounts_.empty(); }
  // Largest integer n such that this = n × reduced (1 for non-integer amounts).
  int formula_units() const;
  Composition reduced() const;
  Composition scaled(double factor) const;
  // Hill-like order used by pymatgen's formula (by electronegativity is not needed): "Ce4 O8" style when spaced.
  std::string formula(bool spaced = false) const;
  bool operator==(const Composition& other) const;  // equal amounts within 1e-6

 private:
  std::map<std::string, double> amounts_;
};

}  // namespace pxrd
