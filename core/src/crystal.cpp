#include "pxrd/crystal.hpp"

#include <cmath>

namespace pxrd {

void Crystal::wrap_to_unit_cell() {
  for (auto& s : sites)
    for (int k = 0; k < 3; ++k) {
      double f = s.frac[k] - std::floor(s.frac[k]);
      if (f >= 1.0) f -= 1.0;  // -1e-17 floors to -1 and lands on exactly 1.0
      s.frac[k] = f;
    }
}

}  // namespace pxrd
