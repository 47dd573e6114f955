// spglib wrapper: space group, standard cells and symmetrization.
#include "pxrd/symmetry.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <tuple>

#include <spglib.h>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"

namespace pxrd {

namespace {

// spglib's view of a crystal: column-vector lattice, positions and integer types. Sites with the same element but
// different occupancy or B_iso are different types, so that symmetry never maps them onto each other.
struct SpgCell {
  double lattice[3][3];
  std::vector<double> positions;  // n × 3
  std::vector<int> types;
  std::vector<Site> prototypes;   // types[i] - 1 indexes this

  explicit SpgCell(const Crystal& c, std::size_t capacity_factor = 1) {
    if (c.sites.empty()) throw Error("symmetry: the crystal has no atoms");
    const Eigen::Matrix3d& m = c.lattice.matrix();
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) lattice[i][j] = m(j, i);
    std::map<std::tuple<int, long long, long long>, int> ids;
    positions.assign(3 * c.sites.size() * capacity_factor, 0.0);
    types.assign(c.sites.size() * capacity_factor, 0);
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
      const Site& s = c.sites[i];
      for (int k = 0; k < 3; ++k) {
        if (!std::isfinite(s.frac[k])) throw Error("symmetry: site " + std::to_string(i + 1) + " has a NaN coordinate");
        positions[3 * i + k] = s.frac[k];
      }
      const auto key = std::make_tuple(s.atomic_number, std::llround(s.occupancy * 1e4),
                                       std::llround(s.b_iso_angstrom2 * 1e3));
      auto it = ids.find(key);
      if (it == ids.end()) {
        Site proto = s;
        proto.label.clear();
        prototypes.push_back(proto);
        it = ids.emplace(key, static_cast<int>(prototypes.size())).first;
      }
      types[i] = it->second;
    }
  }
  double (*pos())[3] { return reinterpret_cast<double(*)[3]>(positions.data()); }
};

[[noreturn]] void spglib_fail(const std::string& what, double symprec) {
  const char* msg = spg_get_error_message(spg_get_error_code());
  char tol[32];
  std::snprintf(tol, sizeof tol, "%g", symprec);
  throw Error(what + " failed at symprec " + tol + " Å: " + (msg ? msg : "unknown spglib error"));
}

using DatasetPtr = std::unique_ptr<SpglibDataset, void (*)(SpglibDataset*)>;

DatasetPtr get_dataset(const Crystal& c, double symprec) {
  if (!(symprec > 0)) throw Error("symmetry: symprec must be positive");
  SpgCell cell(c);
  DatasetPtr ds(spg_get_dataset(cell.lattice, cell.pos(), cell.types.data(), static_cast<int>(c.sites.size()), symprec),
                spg_free_dataset);
  if (!ds || ds->spacegroup_number == 0) spglib_fail("space-group search", symprec);
  return ds;
}

SpaceGroupInfo info_from(const SpglibDataset& ds, double symprec) {
  SpaceGroupInfo info;
  info.number = ds.spacegroup_number;
  info.international = ds.international_symbol;
  info.hall = ds.hall_symbol;
  info.hall_number = ds.hall_number;
  info.choice = ds.choice;
  info.point_group = ds.pointgroup_symbol;
  info.crystal_system = crystal_system_of(ds.spacegroup_number);
  info.symprec = symprec;
  return info;
}

Crystal standardize(const Crystal& c, double symprec, bool to_primitive) {
  if (!(symprec > 0)) throw Error("symmetry: symprec must be positive");
  SpgCell cell(c, 4);  // a conventional cell has at most 4× the atoms of a primitive one
  const int n = spg_standardize_cell(cell.lattice, cell.pos(), cell.types.data(), static_cast<int>(c.sites.size()),
                                     to_primitive ? 1 : 0, 0, symprec);
  if (n <= 0) spglib_fail(to_primitive ? "primitive standard cell" : "conventional standard cell", symprec);
  Eigen::Matrix3d rows;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rows(j, i) = cell.lattice[i][j];
  Crystal out;
  out.name = c.name;
  out.source = c.source;
  out.lattice = Lattice(rows);
  out.sites.reserve(n);
  for (int i = 0; i < n; ++i) {
    Site s = cell.prototypes.at(cell.types[i] - 1);
    s.frac = {cell.positions[3 * i], cell.positions[3 * i + 1], cell.positions[3 * i + 2]};
    out.sites.push_back(s);
  }
  out.wrap_to_unit_cell();
  return out;
}

std::string xyz_translation(double t) {
  t -= std::floor(t);
  if (t > 1 - 1e-9) t = 0;
  if (std::abs(t) < 1e-9) return "";
  for (int den : {2, 3, 4, 6, 8, 12}) {
    const double num = t * den;
    if (std::abs(num - std::round(num)) < 1e-6) {
      const long n = std::lround(num);
      return "+" + std::to_string(n) + "/" + std::to_string(den);
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.6f", t);
  return buf;
}

}  // namespace

std::string SymmetryOperation::as_xyz() const {
  static const char kAxis[3] = {'x', 'y', 'z'};
  std::string out;
  for (int i = 0; i < 3; ++i) {
    std::string row;
    for (int j = 0; j < 3; ++j) {
      const int r = rotation(i, j);
      if (r == 0) continue;
      if (r < 0) row += '-';
      else if (!row.empty()) row += '+';
      if (std::abs(r) != 1) row += std::to_string(std::abs(r));
      row += kAxis[j];
    }
    row += xyz_translation(translation[i]);
    if (row.empty()) row = "0";
    if (i) out += ", ";
    out += row;
  }
  return out;
}

std::string crystal_system_of(int n) {
  if (n < 1 || n > 230) throw Error("space-group number " + std::to_string(n) + " out of range 1..230");
  if (n <= 2) return "triclinic";
  if (n <= 15) return "monoclinic";
  if (n <= 74) return "orthorhombic";
  if (n <= 142) return "tetragonal";
  if (n <= 167) return "trigonal";
  if (n <= 194) return "hexagonal";
  return "cubic";
}

Crystal lattice_point_crystal(const Lattice& lattice) {
  Crystal point;
  point.lattice = lattice;
  Site origin;
  origin.element = "H";
  origin.atomic_number = 1;
  point.sites.push_back(origin);
  return point;
}

std::vector<SymmetryOperation> space_group_operations(int space_group_number) {
  if (space_group_number < 1 || space_group_number > 230)
    throw Error("space group number " + std::to_string(space_group_number) + " is outside 1..230");
  for (int hall = 1; hall <= 530; ++hall) {
    if (spg_get_spacegroup_type(hall).number != space_group_number) continue;
    int rotations[192][3][3];
    double translations[192][3];
    const int n = spg_get_symmetry_from_database(rotations, translations, hall);
    if (n <= 0) spglib_fail("symmetry operations of space group " + std::to_string(space_group_number), 0);
    std::vector<SymmetryOperation> ops(static_cast<std::size_t>(n));
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) ops[k].rotation(i, j) = rotations[k][i][j];
        ops[k].translation(i) = translations[k][i];
      }
    return ops;
  }
  throw Error("spglib has no setting of space group " + std::to_string(space_group_number));
}

std::string spglib_version() {
  return std::to_string(spg_get_major_version()) + "." + std::to_string(spg_get_minor_version()) + "." +
         std::to_string(spg_get_micro_version());
}

SymmetryDataset symmetry_dataset(const Crystal& crystal, double symprec) {
  const DatasetPtr ds = get_dataset(crystal, symprec);
  SymmetryDataset out;
  out.space_group = info_from(*ds, symprec);
  for (int k = 0; k < ds->n_operations; ++k) {
    SymmetryOperation op;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) op.rotation(i, j) = ds->rotations[k][i][j];
      op.translation[i] = ds->translations[k][i];
    }
    out.operations.push_back(op);
  }
  for (int i = 0; i < ds->n_atoms; ++i) {
    out.equivalent_atoms.push_back(ds->equivalent_atoms[i]);
    out.wyckoff_letters.emplace_back(1, static_cast<char>('a' + ds->wyckoffs[i]));
    out.site_symmetry.emplace_back(ds->site_symmetry_symbols[i]);
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) out.transformation(i, j) = ds->transformation_matrix[i][j];
    out.origin_shift[i] = ds->origin_shift[i];
  }
  return out;
}

SpaceGroupInfo find_space_group(const Crystal& crystal, double symprec) {
  return info_from(*get_dataset(crystal, symprec), symprec);
}

Crystal primitive_standard_cell(const Crystal& crystal, double symprec) { return standardize(crystal, symprec, true); }

Crystal conventional_standard_cell(const Crystal& crystal, double symprec) {
  return standardize(crystal, symprec, false);
}

Crystal symmetrize(const Crystal& crystal, double symprec) {
  const SymmetryDataset ds = symmetry_dataset(crystal, symprec);
  const std::size_t n = crystal.sites.size();
  const double group_order = static_cast<double>(ds.operations.size());
  const Eigen::Matrix3d& m = crystal.lattice.matrix();
  const Eigen::Matrix3d g = m * m.transpose();

  // Metric: G' = mean over R of R^T G R (fractional rotations leave an exact metric invariant).
  Eigen::Matrix3d g_sym = Eigen::Matrix3d::Zero();
  for (const SymmetryOperation& op : ds.operations) {
    const Eigen::Matrix3d r = op.rotation.cast<double>();
    g_sym += r.transpose() * g * r;
  }
  g_sym /= group_order;
  // Same orientation: M = L Q with L the Cholesky factor of G; M' = L' Q.
  const Eigen::Matrix3d l = g.llt().matrixL();
  const Eigen::Matrix3d l_sym = g_sym.llt().matrixL();
  Crystal out = crystal;
  out.lattice = Lattice(l_sym * l.inverse() * m);

  // Positions: x_i' = x_i + mean over ops of R^-1 d, with d the periodic offset from R x_i + t to its image atom.
  // Each operation must permute the atoms; if nearest images collide, the group average would be meaningless.
  SpgCell types(crystal);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Eigen::Vector3d> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = out.sites[i].frac;
    std::vector<Eigen::Vector3d> correction(n, Eigen::Vector3d::Zero());
    for (const SymmetryOperation& op : ds.operations) {
      const Eigen::Matrix3d r = op.rotation.cast<double>();
      const Eigen::Matrix3d r_inv = r.inverse();
      std::vector<bool> hit(n, false);
      for (std::size_t i = 0; i < n; ++i) {
        const Eigen::Vector3d y = r * x[i] + op.translation;
        double best = 1e300;
        std::size_t best_j = i;
        Eigen::Vector3d best_d = Eigen::Vector3d::Zero();
        for (std::size_t j = 0; j < n; ++j) {
          if (types.types[j] != types.types[i]) continue;
          Eigen::Vector3d d = x[j] - y;
          for (int k = 0; k < 3; ++k) d[k] -= std::round(d[k]);
          const double dist2 = (out.lattice.matrix().transpose() * d).squaredNorm();
          if (dist2 < best) {
            best = dist2;
            best_j = j;
            best_d = d;
          }
        }
        if (hit[best_j]) {
          char tol[32];
          std::snprintf(tol, sizeof tol, "%g", symprec);
          throw Error(std::string("symmetrize: the operations found at symprec ") + tol +
                      " Å do not map the atoms one to one (the structure is too far from that symmetry)");
        }
        hit[best_j] = true;
        correction[i] += r_inv * best_d;
      }
    }
    for (std::size_t i = 0; i < n; ++i) out.sites[i].frac = x[i] + correction[i] / group_order;
  }
  out.wrap_to_unit_cell();
  return out;
}

}  // namespace pxrd
