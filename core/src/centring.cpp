#include "pxrd/centring.hpp"

#include <cmath>

#include "pxrd/error.hpp"

namespace pxrd {

Centring centring_from_symbol(const std::string& symbol) {
  Centring c;
  c.symbol = symbol;
  c.translations.push_back(Eigen::Vector3d::Zero());
  auto add = [&](double x, double y, double z) { c.translations.emplace_back(x, y, z); };
  Eigen::Matrix3d& t = c.to_primitive;
  const double h = 0.5, third = 1.0 / 3.0;
  if (symbol == "P") {
  } else if (symbol == "I") {
    add(h, h, h);
    t << -h, h, h, h, -h, h, h, h, -h;
  } else if (symbol == "F") {
    add(0, h, h), add(h, 0, h), add(h, h, 0);
    t << 0, h, h, h, 0, h, h, h, 0;
  } else if (symbol == "C") {
    add(h, h, 0);
    t << h, h, 0, -h, h, 0, 0, 0, 1;
  } else if (symbol == "A") {
    add(0, h, h);
    t << 1, 0, 0, 0, h, h, 0, -h, h;
  } else if (symbol == "B") {
    add(h, 0, h);
    t << h, 0, h, 0, 1, 0, -h, 0, h;
  } else if (symbol == "R") {
    add(2 * third, third, third), add(third, 2 * third, 2 * third);
    t << 2 * third, third, third, -third, third, third, -third, -2 * third, third;
  } else {
    throw Error("unknown lattice centring '" + symbol + "' (P, I, F, C, A, B or R)");
  }
  return c;
}

Lattice primitive_lattice(const Lattice& conventional, const Centring& centring) {
  return Lattice(centring.to_primitive * conventional.matrix());
}

Centring with_niggli_primitive(const Lattice& conventional, const Centring& centring) {
  Eigen::Matrix3d n;
  primitive_lattice(conventional, centring).niggli_reduced(1e-5, &n);
  Centring out = centring;
  out.to_primitive = n * centring.to_primitive;
  return out;
}

bool primitive_hkl(const std::array<int, 3>& hkl_conventional, const Centring& centring, std::array<int, 3>& out) {
  // G = h_c · C* = h_p · P*, with P* = T^-T C*, so h_p = T h_c (column vectors).
  const Eigen::Vector3d hp = centring.to_primitive * Eigen::Vector3d(hkl_conventional[0], hkl_conventional[1],
                                                                     hkl_conventional[2]);
  std::array<int, 3> h{};
  for (int i = 0; i < 3; ++i) {
    const double r = std::round(hp[i]);
    if (std::abs(hp[i] - r) > 1e-6) return false;  // out stays untouched
    h[static_cast<std::size_t>(i)] = static_cast<int>(r);
  }
  out = h;
  return true;
}

Crystal expand_to_conventional(const Crystal& primitive, const Lattice& conventional, const Centring& centring) {
  Crystal out = primitive;
  out.lattice = conventional;
  out.sites.clear();
  // cart = f_p · T · C (row vectors), so f_c = Tᵀ f_p (column vectors).
  const Eigen::Matrix3d tt = centring.to_primitive.transpose();
  for (const Site& s : primitive.sites) {
    const Eigen::Vector3d fc = tt * s.frac;
    for (const Eigen::Vector3d& t : centring.translations) {
      Site image = s;
      image.frac = fc + t;
      out.sites.push_back(image);
    }
  }
  out.wrap_to_unit_cell();
  return out;
}

}  // namespace pxrd
