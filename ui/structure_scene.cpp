#include "structure_scene.hpp"

#include <cmath>

#include "pxrd/elements.hpp"

namespace pxrd::ui {

namespace {
double wrap01(double f) {
  double w = f - std::floor(f);
  if (w >= 1.0 - 1e-9) w = 0.0;  // 0.9999999999 is 0, so that duplicates on faces collapse
  return w;
}
}  // namespace

Scene build_scene(const Crystal& crystal, const SceneOptions& options) {
  Scene scene;
  const Lattice& lat = crystal.lattice;
  scene.lattice_rows = lat.matrix();

  // 1. Wrap and de-duplicate in the unit cell (periodic distance), so that replication never doubles atoms.
  std::vector<const Site*> unique;
  std::vector<Eigen::Vector3d> unique_frac;
  for (const Site& s : crystal.sites) {
    const Eigen::Vector3d f(wrap01(s.frac.x()), wrap01(s.frac.y()), wrap01(s.frac.z()));
    bool dup = false;
    for (std::size_t k = 0; k < unique.size() && !dup; ++k) {
      if (unique[k]->atomic_number != s.atomic_number) continue;
      Eigen::Vector3d d = f - unique_frac[k];
      for (int i = 0; i < 3; ++i) d[i] -= std::round(d[i]);
      dup = lat.to_cartesian(d).norm() < options.duplicate_tolerance_angstrom;
    }
    if (!dup) {
      unique.push_back(&s);
      unique_frac.push_back(f);
    }
  }
  scene.unique_sites = unique.size();

  // 2. Replicate; optionally add images of atoms on the far faces of the supercell.
  const int n[3] = {std::max(1, options.na), std::max(1, options.nb), std::max(1, options.nc)};
  const double face_eps = 1e-4;
  for (std::size_t k = 0; k < unique.size(); ++k) {
    const Site& s = *unique[k];
    for (int i = 0; i < n[0]; ++i)
      for (int j = 0; j < n[1]; ++j)
        for (int l = 0; l < n[2]; ++l) {
          const Eigen::Vector3d base = unique_frac[k] + Eigen::Vector3d(i, j, l);
          // Shifts by a whole supercell length for coordinates on a face (0 → n), in every combination.
          int extra[3] = {0, 0, 0};
          for (int d = 0; d < 3; ++d)
            extra[d] = (options.boundary_images && base[d] < face_eps) ? 1 : 0;
          for (int sx = 0; sx <= extra[0]; ++sx)
            for (int sy = 0; sy <= extra[1]; ++sy)
              for (int sz = 0; sz <= extra[2]; ++sz) {
                SceneAtom a;
                a.atomic_number = s.atomic_number;
                a.element = s.element;
                a.label = s.label.empty() ? s.element + std::to_string(k + 1) : s.label;
                a.frac = base + Eigen::Vector3d(sx * n[0], sy * n[1], sz * n[2]);
                a.cart = lat.to_cartesian(a.frac);
                a.radius_angstrom = covalent_radius_angstrom(s.atomic_number);
                a.colour_rgb = element_colour_rgb(s.atomic_number);
                scene.atoms.push_back(std::move(a));
              }
        }
  }

  // 3. Bonds between drawn atoms (no periodic images: what you see is what is bonded).
  if (options.bonds) {
    for (std::size_t i = 0; i < scene.atoms.size(); ++i)
      for (std::size_t j = i + 1; j < scene.atoms.size(); ++j) {
        const double d = (scene.atoms[i].cart - scene.atoms[j].cart).norm();
        const double limit = options.bond_tolerance * (scene.atoms[i].radius_angstrom + scene.atoms[j].radius_angstrom);
        if (d > 0.4 && d < limit) scene.bonds.push_back({int(i), int(j)});
      }
  }

  for (int c = 0; c < 8; ++c) {
    const Eigen::Vector3d f((c & 1) ? n[0] : 0, (c & 2) ? n[1] : 0, (c & 4) ? n[2] : 0);
    scene.corners[c] = lat.to_cartesian(f);
  }
  return scene;
}

}  // namespace pxrd::ui
