#include "pxrd/space_group_search.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <random>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/rietveld.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

// Relative R_wp gain below which a further pass of new starts is not worth its time.
constexpr double kPassImprovement = 0.005;

// Structures per space group among the 24,502 entries of MP-20's train_partial, train_canonical_subset and val
// splits (the "space group number" of each entry's description; the 116 groups seen at least 10 times, 99.2 % of
// the entries). Only orders the groups tried: a broad pattern cannot tell most of them apart, the prior can.
const std::map<int, int> kMp20GroupCount = {
    {225, 3772}, {139, 1187}, {12, 1144}, {62, 1023}, {194, 1023}, {166, 963}, {221, 772}, {63, 770}, {2, 635},
    {123, 582}, {1, 564}, {216, 481}, {164, 466}, {14, 433}, {15, 416}, {129, 401}, {189, 380}, {71, 360}, {38, 359},
    {8, 357}, {148, 332}, {191, 331}, {156, 308}, {187, 304}, {227, 287}, {160, 282}, {74, 253}, {65, 240},
    {140, 238}, {5, 231}, {11, 227}, {193, 206}, {141, 178}, {44, 176}, {127, 171}, {6, 169}, {36, 155}, {186, 154},
    {4, 141}, {107, 139}, {119, 129}, {10, 129}, {25, 126}, {136, 125}, {31, 121}, {82, 111}, {122, 109}, {72, 99},
    {115, 99}, {229, 91}, {9, 87}, {7, 87}, {47, 86}, {204, 86}, {121, 86}, {59, 85}, {220, 82}, {87, 80}, {26, 72},
    {70, 70}, {198, 70}, {167, 67}, {64, 66}, {99, 63}, {176, 62}, {146, 60}, {155, 59}, {88, 58}, {69, 53},
    {58, 48}, {223, 47}, {55, 46}, {46, 46}, {109, 45}, {42, 43}, {13, 43}, {19, 42}, {163, 42}, {51, 39}, {43, 37},
    {33, 36}, {205, 35}, {161, 33}, {215, 31}, {162, 28}, {147, 28}, {97, 26}, {57, 26}, {3, 26}, {200, 26},
    {182, 26}, {40, 24}, {66, 23}, {180, 19}, {125, 19}, {86, 18}, {21, 17}, {137, 17}, {60, 16}, {35, 16}, {20, 16},
    {174, 16}, {217, 15}, {111, 15}, {152, 14}, {150, 14}, {67, 13}, {102, 13}, {199, 12}, {124, 12}, {113, 12},
    {84, 11}, {61, 10}, {41, 10}, {24, 10}, {131, 10}};

struct Op {
  Eigen::Matrix3d r;
  Eigen::Vector3d t;
};

Eigen::Vector3d wrapped(const Eigen::Vector3d& x) { return x.array() - x.array().floor(); }
Eigen::Vector3d nearest_image(const Eigen::Vector3d& d) { return d.array() - d.array().round(); }

// Lattice points of a cell (fractional, in [0,1)), sorted, so that two cells' sets compare directly.
std::vector<Eigen::Vector3d> sorted_points(std::vector<Eigen::Vector3d> v) {
  for (Eigen::Vector3d& x : v) {
    x = wrapped(x);
    for (int i = 0; i < 3; ++i)
      if (x(i) > 1 - 1e-6) x(i) = 0;
  }
  std::sort(v.begin(), v.end(), [](const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
    for (int i = 0; i < 3; ++i)
      if (std::abs(a(i) - b(i)) > 1e-6) return a(i) < b(i);
    return false;
  });
  return v;
}

bool same_points(const std::vector<Eigen::Vector3d>& a, const std::vector<Eigen::Vector3d>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] - b[i]).cwiseAbs().maxCoeff() > 1e-6) return false;
  return true;
}

struct Holohedry {
  Lattice conventional;                     // rows a, b, c of the standard conventional cell
  std::vector<Eigen::Vector3d> points;      // its lattice points (centring)
  std::string system;                       // of the holohedry's group
};

Holohedry holohedry_of(const Lattice& lattice) {
  const Crystal dot = lattice_point_crystal(lattice);
  const double symprec = 1e-3 * std::cbrt(lattice.volume_angstrom3());
  Holohedry h;
  h.system = crystal_system_of(find_space_group(dot, symprec).number);
  const Crystal conv = conventional_standard_cell(dot, symprec);
  h.conventional = conv.lattice;
  for (const Site& p : conv.sites) h.points.push_back(p.frac);
  h.points = sorted_points(h.points);
  return h;
}

bool family_hosts(const std::string& holohedry_system, const std::string& group_system) {
  if (holohedry_system == "hexagonal") return group_system == "hexagonal" || group_system == "trigonal";
  return holohedry_system == group_system;
}

std::vector<Eigen::Vector3d> centring_of(const std::vector<SymmetryOperation>& ops) {
  std::vector<Eigen::Vector3d> out;
  for (const SymmetryOperation& op : ops)
    if (op.rotation == Eigen::Matrix3i::Identity()) out.push_back(op.translation);
  return sorted_points(out);
}

// A group the holohedry's lattice can host, with its operations (spglib's standard setting).
struct HostedGroup {
  int number = 1;
  std::vector<SymmetryOperation> ops;
  std::vector<Eigen::Vector3d> centring;
};

// Same crystal family and the same centring vectors as the holohedry's conventional cell, most frequent first.
// With rare_groups, the groups MP-20 has fewer than 10 of follow, by number.
std::vector<HostedGroup> hosted_groups(const Holohedry& h, bool rare_groups) {
  std::vector<std::pair<int, int>> ranked;
  for (int g = 1; g <= 230; ++g) {
    const auto known = kMp20GroupCount.find(g);
    if ((known != kMp20GroupCount.end() || rare_groups) && family_hosts(h.system, crystal_system_of(g)))
      ranked.push_back({known != kMp20GroupCount.end() ? -known->second : 0, g});
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<HostedGroup> out;
  for (const auto& [count, g] : ranked) {
    HostedGroup hg;
    hg.number = g;
    hg.ops = space_group_operations(g);
    hg.centring = centring_of(hg.ops);
    if (same_points(hg.centring, h.points)) out.push_back(std::move(hg));
  }
  return out;
}

// One axis setting of a group in the holohedry's conventional cell: the axes permuted (orthorhombic groups are
// not symmetric under axis exchange: Pnma's a is not its b).
struct Trial {
  int space_group = 1;
  Lattice lattice;                 // conventional
  std::vector<Op> ops;
  Eigen::Matrix3d to_primitive;    // rows: primitive vectors in conventional fractional coordinates
};

// Three shortest lattice vectors (centring vectors included) that span a primitive cell, as rows in conventional
// fractional coordinates. Structures are scored and refined in it: a centred conventional cell has n times the
// atoms and n times the reflections, the systematically absent ones included.
Eigen::Matrix3d primitive_basis(const std::vector<Eigen::Vector3d>& centring, const Eigen::Matrix3d& rows) {
  if (centring.size() <= 1) return Eigen::Matrix3d::Identity();
  std::vector<Eigen::Vector3d> vectors;
  for (const Eigen::Vector3d& t : centring)
    for (int i = -1; i <= 1; ++i)
      for (int j = -1; j <= 1; ++j)
        for (int k = -1; k <= 1; ++k) {
          const Eigen::Vector3d v = t + Eigen::Vector3d(i, j, k);
          if (v.norm() > 1e-9) vectors.push_back(v);
        }
  std::stable_sort(vectors.begin(), vectors.end(), [&](const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
    return (rows.transpose() * a).norm() < (rows.transpose() * b).norm();
  });
  const double det_primitive = 1.0 / static_cast<double>(centring.size());
  for (std::size_t a = 0; a < vectors.size(); ++a)
    for (std::size_t b = a + 1; b < vectors.size(); ++b)
      for (std::size_t c = b + 1; c < vectors.size(); ++c) {
        Eigen::Matrix3d m;
        m.row(0) = vectors[a];
        m.row(1) = vectors[b];
        m.row(2) = vectors[c];
        const double det = m.determinant();
        if (std::abs(std::abs(det) - det_primitive) > 1e-6) continue;
        if (det < 0) m.row(2) *= -1;
        return m;
      }
  throw Error("space-group search: no primitive cell for the centring");
}

// With monoclinic_cell_choices, a monoclinic lattice also gets its cell choices 2 and 3 (a' = c, c' = −a − c;
// International Tables A, 2.2.16): the group's glide then runs along another axis of the lattice (P2_1/c's c
// glide becomes n, then a), which resolved lines can tell apart.
std::vector<Trial> trials_for(const Holohedry& h, const std::vector<HostedGroup>& groups, bool monoclinic_cell_choices) {
  static const int kPermutations[6][3] = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {1, 0, 2}, {0, 2, 1}, {2, 1, 0}};
  Eigen::Matrix3d next_choice;
  next_choice << 0, 0, 1, 0, 1, 0, -1, 0, -1;
  std::vector<Trial> out;
  for (const HostedGroup& group : groups) {
    const std::vector<Eigen::Vector3d>& centring = group.centring;
    const int n_perm = h.system == "orthorhombic" ? 6 : (h.system == "monoclinic" && monoclinic_cell_choices) ? 3 : 1;
    std::vector<Lattice> seen;
    for (int p = 0; p < n_perm; ++p) {
      // Odd permutations also reverse the new c, keeping the cell right-handed (a symmetry of the lattice).
      Eigen::Matrix3d rows;
      std::vector<Eigen::Vector3d> points;
      if (h.system == "monoclinic") {
        Eigen::Matrix3d t = Eigen::Matrix3d::Identity();
        for (int k = 0; k < p; ++k) t = next_choice * t;
        rows = t * h.conventional.matrix();
        for (const Eigen::Vector3d& x : h.points) points.push_back(wrapped(t.transpose().inverse() * x));
      } else {
        for (int i = 0; i < 3; ++i) rows.row(i) = h.conventional.matrix().row(kPermutations[p][i]);
        if (p >= 3) rows.row(2) *= -1;
        for (const Eigen::Vector3d& x : h.points) {
          Eigen::Vector3d y;
          for (int i = 0; i < 3; ++i) y(i) = x(kPermutations[p][i]);
          if (p >= 3) y(2) = -y(2);
          points.push_back(y);
        }
      }
      if (!same_points(sorted_points(points), centring)) continue;
      const Lattice lattice(rows);
      bool duplicate = false;  // equal axes (a = b) give the same trial twice
      for (const Lattice& l : seen)
        duplicate = duplicate || (l.metric_tensor() - lattice.metric_tensor()).cwiseAbs().maxCoeff() < 1e-6;
      if (duplicate) continue;
      seen.push_back(lattice);
      Trial t;
      t.space_group = group.number;
      t.lattice = lattice;
      t.to_primitive = primitive_basis(centring, rows);
      for (const SymmetryOperation& op : group.ops) t.ops.push_back({op.rotation.cast<double>(), op.translation});
      out.push_back(std::move(t));
    }
  }
  return out;
}

// Whether the operations extinguish reflection h (conventional indices): F(h) = 0 when an operation (R, t) has
// hR = h and h·t is not a whole number.
bool systematically_absent(const Trial& t, const Eigen::Vector3d& h) {
  for (const Op& op : t.ops) {
    const Eigen::Vector3d hr = op.r.transpose() * h;
    if ((hr - h).cwiseAbs().maxCoeff() > 1e-9) continue;
    const double phase = h.dot(op.t);
    if (std::abs(phase - std::round(phase)) > 1e-6) return true;
  }
  return false;
}

// How a trial's reflection conditions meet the observed lines: lines no allowed reflection explains (within
// tolerance_deg), then the allowed reflections up to the last line (fewer: more of the observed absences used;
// enumerate_reflections lists one of h and -h, which absences treat alike).
std::pair<int, int> absence_fit(const Trial& t, const std::vector<double>& observed_two_theta_deg,
                                double lambda_angstrom, double tolerance_deg) {
  const double tt_max = *std::max_element(observed_two_theta_deg.begin(), observed_two_theta_deg.end()) + tolerance_deg;
  const double d_min = lambda_angstrom / (2 * std::sin(deg_to_rad(std::min(tt_max, 179.0)) / 2));
  std::vector<double> allowed_deg;
  for (const ReflectionGroup& g : enumerate_reflections(t.lattice, d_min))
    for (const auto& hkl : g.hkls)
      if (!systematically_absent(t, Eigen::Vector3d(hkl[0], hkl[1], hkl[2])))
        allowed_deg.push_back(d_angstrom_to_two_theta_deg(g.d_angstrom, lambda_angstrom));
  int unexplained = 0;
  for (double tt : observed_two_theta_deg) {
    bool explained = false;
    for (double a : allowed_deg) explained = explained || std::abs(a - tt) <= tolerance_deg;
    unexplained += explained ? 0 : 1;
  }
  return {unexplained, static_cast<int>(allowed_deg.size())};
}

// The trials of a search, in the order tried, at most options.max_trials.
std::vector<Trial> ordered_trials(const Holohedry& h, const SpaceGroupSearchOptions& options) {
  std::vector<Trial> trials = trials_for(h, hosted_groups(h, options.rare_groups), !options.observed_two_theta_deg.empty());
  if (!options.observed_two_theta_deg.empty()) {
    // Resolved lines show the reflection conditions: trials that explain every line first, the most specific
    // conditions (fewest allowed reflections) before the looser ones, then the MP-20 order.
    std::vector<std::pair<std::pair<int, int>, std::size_t>> keyed;
    for (std::size_t i = 0; i < trials.size(); ++i)
      keyed.push_back({absence_fit(trials[i], options.observed_two_theta_deg, options.lambda_angstrom,
                                   options.line_tolerance_deg),
                       i});
    std::stable_sort(keyed.begin(), keyed.end());
    std::vector<Trial> sorted;
    for (const auto& [key, i] : keyed) sorted.push_back(std::move(trials[i]));
    trials = std::move(sorted);
  }
  if (static_cast<int>(trials.size()) > options.max_trials) trials.resize(static_cast<std::size_t>(options.max_trials));
  return trials;
}

// The orbit of x after moving x onto the special position whose stabiliser gathers the images within `snap`
// (Å): averaging a point with its images under the stabiliser puts it on the stabiliser's fixed set. Empty when
// distinct images end up closer than `min_self` (a point near, but not on, a special position).
std::vector<Eigen::Vector3d> snapped_orbit(const std::vector<Op>& ops, const Eigen::Matrix3d& to_cart,
                                           Eigen::Vector3d x, double snap, double min_self) {
  for (int it = 0; it < 8; ++it) {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    int n = 0;
    for (const Op& op : ops) {
      const Eigen::Vector3d d = nearest_image(op.r * x + op.t - x);
      if ((to_cart * d).norm() < snap) {
        sum += x + d;
        ++n;
      }
    }
    const Eigen::Vector3d moved = sum / n;
    const double step = (to_cart * nearest_image(moved - x)).norm();
    x = wrapped(moved);
    if (step < 1e-9) break;
  }
  std::vector<Eigen::Vector3d> orbit;
  for (const Op& op : ops) {
    const Eigen::Vector3d y = wrapped(op.r * x + op.t);
    bool same = false;
    for (const Eigen::Vector3d& o : orbit) {
      const double d = (to_cart * nearest_image(y - o)).norm();
      if (d < 1e-4) {
        same = true;
        break;
      }
      if (d < min_self) return {};
    }
    if (!same) orbit.push_back(y);
  }
  return orbit;
}

double min_distance_to(const Eigen::Matrix3d& to_cart, const Eigen::Vector3d& x, const std::vector<Eigen::Vector3d>& others) {
  double best = 1e30;
  for (const Eigen::Vector3d& o : others) {
    const Eigen::Vector3d d = nearest_image(x - o);
    for (int i = -1; i <= 1; ++i)
      for (int j = -1; j <= 1; ++j)
        for (int k = -1; k <= 1; ++k) best = std::min(best, (to_cart * (d + Eigen::Vector3d(i, j, k))).norm());
  }
  return best;
}

// Points x with R x + t = x + n for one operation and a lattice vector n: a point, a line or a plane.
struct FixedSet {
  Eigen::Vector3d point;
  Eigen::MatrixXd directions;  // 3 × (0, 1 or 2), fractional
};

std::vector<FixedSet> fixed_sets_of(const std::vector<Op>& ops) {
  std::vector<FixedSet> out;
  for (const Op& op : ops) {
    if (op.r.isIdentity()) continue;
    const Eigen::Matrix3d a = Eigen::Matrix3d::Identity() - op.r;
    const Eigen::JacobiSVD<Eigen::Matrix3d> svd(a, Eigen::ComputeFullU | Eigen::ComputeFullV);
    std::vector<int> null;
    for (int k = 0; k < 3; ++k)
      if (svd.singularValues()(k) < 1e-9) null.push_back(k);
    for (int i = -1; i <= 1; ++i)
      for (int j = -1; j <= 1; ++j)
        for (int k = -1; k <= 1; ++k) {
          const Eigen::Vector3d rhs = op.t + Eigen::Vector3d(i, j, k);
          const Eigen::Vector3d x0 = svd.solve(rhs);
          if ((a * x0 - rhs).norm() > 1e-6) continue;  // a screw axis or a glide: no fixed point
          FixedSet f;
          f.point = wrapped(x0);
          f.directions.resize(3, static_cast<Eigen::Index>(null.size()));
          for (std::size_t m = 0; m < null.size(); ++m) f.directions.col(static_cast<Eigen::Index>(m)) = svd.matrixV().col(null[m]);
          out.push_back(std::move(f));
        }
  }
  return out;
}

// A random structure of whole orbits with the given atoms per species, or an empty crystal after too many
// rejected orbits (a content the group cannot hold, or no room).
// general_first: each species fills as many general positions as its count allows before any special one (a
// search that keeps its orbits cannot change them later; most atoms of large cells sit on general positions).
Crystal random_symmetric_structure(const Trial& t, const std::vector<std::pair<int, int>>& counts, double bump,
                                   double b_iso, std::mt19937_64& rng, bool general_first = false) {
  const Eigen::Matrix3d to_cart = t.lattice.matrix().transpose();
  // Snapping beyond half the shortest lattice translation would merge lattice-translated images.
  double shortest = 1e30;
  for (const Op& op : t.ops)
    if (op.r.isIdentity() && op.t.norm() > 1e-9) shortest = std::min(shortest, (to_cart * nearest_image(op.t)).norm());
  for (int i = 0; i < 3; ++i) shortest = std::min(shortest, t.lattice.matrix().row(i).norm());
  const double snap_max = std::min(2.0, 0.45 * shortest);
  const std::vector<FixedSet> fixed_sets = fixed_sets_of(t.ops);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::pair<int, int>> order = counts;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> placed_z;
  std::vector<Eigen::Vector3d> placed;
  std::size_t general_size = 0;  // the orbit of a point in no symmetry element
  for (int k = 0; k < 20 && general_size == 0; ++k)
    general_size = snapped_orbit(t.ops, to_cart, Eigen::Vector3d(unit(rng), unit(rng), unit(rng)), 1e-6, 0.01).size();
  for (const auto& [z, count] : order) {
    int remaining = count;
    const double own_min = bump * 2 * covalent_radius_angstrom(z);
    for (int attempt = 0; remaining > 0 && attempt < 400; ++attempt) {
      // A general position, a point of one operation's fixed set (an axis or a plane; the snap may then move
      // it onto an intersection), or any point snapped with a wide radius.
      Eigen::Vector3d x(unit(rng), unit(rng), unit(rng));
      double snap = 1e-6;
      const bool general = general_first && general_size > 0 && remaining >= static_cast<int>(general_size);
      const double pick = general ? 1.0 : unit(rng);
      if (pick < 0.45 && !fixed_sets.empty()) {
        const FixedSet& f = fixed_sets[static_cast<std::size_t>(unit(rng) * fixed_sets.size()) % fixed_sets.size()];
        x = f.point;
        for (int k = 0; k < f.directions.cols(); ++k) x += (2 * unit(rng) - 1) * f.directions.col(k);
        x = wrapped(x);
        snap = unit(rng) < 0.5 ? 1e-6 : snap_max * unit(rng);
      } else if (pick < 0.75) {
        snap = snap_max * unit(rng);
      }
      const std::vector<Eigen::Vector3d> orbit = snapped_orbit(t.ops, to_cart, x, snap, own_min);
      if (orbit.empty() || static_cast<int>(orbit.size()) > remaining || (general && orbit.size() != general_size)) continue;
      bool room = true;
      for (std::size_t i = 0; i < placed.size() && room; ++i) {
        const double dmin = bump * (covalent_radius_angstrom(z) + covalent_radius_angstrom(placed_z[i]));
        room = min_distance_to(to_cart, placed[i], orbit) >= dmin;
      }
      if (!room) continue;
      for (const Eigen::Vector3d& y : orbit) {
        placed.push_back(y);
        placed_z.push_back(z);
      }
      remaining -= static_cast<int>(orbit.size());
    }
    if (remaining > 0) return Crystal{};
  }
  // In the primitive cell: x_conv = Mᵀ x_prim; the images under the centring fall on one site.
  Crystal c;
  c.lattice = Lattice(t.to_primitive * t.lattice.matrix());
  const Eigen::Matrix3d to_prim_frac = t.to_primitive.transpose().inverse();
  for (std::size_t i = 0; i < placed.size(); ++i) {
    const Eigen::Vector3d x = wrapped(to_prim_frac * placed[i]);
    bool seen = false;
    for (const Site& s : c.sites) seen = seen || nearest_image(s.frac - x).cwiseAbs().maxCoeff() < 1e-6;
    if (seen) continue;
    Site s;
    s.atomic_number = placed_z[i];
    s.element = element_symbol(placed_z[i]);
    s.frac = x;
    s.b_iso_angstrom2 = b_iso;
    c.sites.push_back(s);
  }
  return c;
}

}  // namespace

std::vector<int> space_groups_for_lattice(const Lattice& lattice) {
  std::vector<int> out;
  for (const HostedGroup& g : hosted_groups(holohedry_of(lattice), false)) out.push_back(g.number);
  return out;
}

namespace {

// An integer matrix P (det ±1) with P G Pᵀ = G_target within a relative 2e-3: the rows of the target cell as
// lattice vectors of `lattice`. Metrics, not Cartesian rows, are compared, as spglib's standard cell is rotated.
std::optional<Eigen::Matrix3d> basis_change(const Lattice& lattice, const Lattice& target) {
  const Eigen::Matrix3d g = lattice.metric_tensor(), gt = target.metric_tensor();
  const double tol = 2e-3;
  std::array<std::vector<Eigen::Vector3d>, 3> rows;
  for (int i = -3; i <= 3; ++i)
    for (int j = -3; j <= 3; ++j)
      for (int k = -3; k <= 3; ++k) {
        const Eigen::Vector3d v(i, j, k);
        const double len2 = v.dot(g * v);
        for (int r = 0; r < 3; ++r)
          if (std::abs(len2 - gt(r, r)) < tol * gt(r, r)) rows[static_cast<std::size_t>(r)].push_back(v);
      }
  const double scale = std::sqrt(gt(0, 0) * gt(1, 1));
  for (const Eigen::Vector3d& a : rows[0])
    for (const Eigen::Vector3d& b : rows[1]) {
      if (std::abs(a.dot(g * b) - gt(0, 1)) > tol * scale) continue;
      for (const Eigen::Vector3d& c : rows[2]) {
        if (std::abs(a.dot(g * c) - gt(0, 2)) > tol * std::sqrt(gt(0, 0) * gt(2, 2)) ||
            std::abs(b.dot(g * c) - gt(1, 2)) > tol * std::sqrt(gt(1, 1) * gt(2, 2)))
          continue;
        Eigen::Matrix3d p;
        p.row(0) = a;
        p.row(1) = b;
        p.row(2) = c;
        if (std::abs(std::abs(p.determinant()) - 1) < 1e-6) return p;
      }
    }
  return std::nullopt;
}

}  // namespace

std::vector<SymmetricStart> symmetric_starts(const Lattice& lattice, const std::vector<int>& content,
                                             const SpaceGroupSearchOptions& options, int groups, int per_group) {
  std::vector<SymmetricStart> out;
  if (content.empty()) return out;
  const Holohedry h = holohedry_of(lattice);
  const int multiplicity = static_cast<int>(std::lround(h.conventional.volume_angstrom3() / lattice.volume_angstrom3()));
  if (multiplicity != static_cast<int>(h.points.size())) return out;  // not a primitive cell
  std::map<int, int> per_species;
  for (int z : content) per_species[z] += multiplicity;
  const std::vector<std::pair<int, int>> counts(per_species.begin(), per_species.end());
  std::mt19937_64 rng(options.seed);
  // Distinct groups, each in its first setting: those whose reflection conditions leave the fewest lines
  // unexplained, in MP-20's order. (space_group_search's order, most specific conditions first, gave 4 axis
  // settings of Ibam for an I-centred orthorhombic Imm2 cell whose 40 strongest lines break no Ibam condition.)
  std::vector<Trial> candidates = trials_for(h, hosted_groups(h, options.rare_groups), true);
  std::vector<int> unexplained(candidates.size(), 0);
  if (!options.observed_two_theta_deg.empty())
    for (std::size_t i = 0; i < candidates.size(); ++i)
      unexplained[i] = absence_fit(candidates[i], options.observed_two_theta_deg, options.lambda_angstrom,
                                   options.line_tolerance_deg).first;
  std::vector<std::size_t> by_fit(candidates.size());
  for (std::size_t i = 0; i < by_fit.size(); ++i) by_fit[i] = i;
  std::stable_sort(by_fit.begin(), by_fit.end(), [&](std::size_t a, std::size_t b) { return unexplained[a] < unexplained[b]; });
  std::vector<Trial> trials;
  for (std::size_t i : by_fit) {
    if (static_cast<int>(trials.size()) >= groups) break;
    bool seen = false;
    for (const Trial& t : trials) seen = seen || t.space_group == candidates[i].space_group;
    if (!seen) trials.push_back(candidates[i]);
  }
  std::vector<std::vector<SymmetricStart>> by_group;
  for (const Trial& t : trials) {
    by_group.emplace_back();
    // Trial primitive rows Lp = M L_conv, and Lp = P L (as metrics): x = Pᵀ x_p = Pᵀ M⁻ᵀ x_conv = A x_conv.
    const Lattice trial_primitive(t.to_primitive * t.lattice.matrix());
    const std::optional<Eigen::Matrix3d> p = basis_change(lattice, trial_primitive);
    if (!p) continue;
    const Eigen::Matrix3d a = p->transpose() * t.to_primitive.transpose().inverse();
    const Eigen::Matrix3d a_inv = a.inverse();
    SymmetricStart start;
    start.space_group = t.space_group;
    for (const Op& op : t.ops) {
      start.rotations.push_back(a * op.r * a_inv);
      start.translations.push_back(wrapped(a * op.t));
    }
    for (int k = 0, failures = 0; k < per_group && failures < 10 * per_group;) {
      // Alternately general positions first and any positions.
      const Crystal c = random_symmetric_structure(t, counts, options.bump_factor, options.refine.b_iso_start_angstrom2,
                                                   rng, (k + failures) % 2 == 0);
      if (c.sites.size() != content.size()) {
        ++failures;
        continue;
      }
      start.crystal = c;
      start.crystal.lattice = lattice;
      for (Site& site : start.crystal.sites) site.frac = wrapped(p->transpose() * site.frac);
      by_group.back().push_back(start);
      ++k;
    }
  }
  // Round robin: the first starts cover every group.
  for (std::size_t k = 0; k < static_cast<std::size_t>(per_group); ++k)
    for (const std::vector<SymmetricStart>& g : by_group)
      if (k < g.size()) out.push_back(g[k]);
  return out;
}

std::vector<int> space_group_trial_order(const Lattice& lattice, const SpaceGroupSearchOptions& options) {
  std::vector<int> out;
  for (const Trial& t : ordered_trials(holohedry_of(lattice), options)) out.push_back(t.space_group);
  return out;
}

std::vector<SpaceGroupSearchResult> space_group_search(const PowderData& data, const Lattice& lattice,
                                                       const std::vector<int>& content, const ProfileParams& profile,
                                                       const SpaceGroupSearchOptions& options,
                                                       const CancelToken& cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  if (content.empty()) throw Error("space-group search: no atoms");
  const Holohedry h = holohedry_of(lattice);
  const double points_ratio = h.conventional.volume_angstrom3() / lattice.volume_angstrom3();
  const int multiplicity = static_cast<int>(std::lround(points_ratio));
  if (std::abs(points_ratio - multiplicity) > 1e-3 || multiplicity != static_cast<int>(h.points.size()))
    throw Error("space-group search: the cell is not primitive (its conventional cell holds " +
                std::to_string(points_ratio) + " of it)");
  std::vector<std::vector<std::pair<int, int>>> contents;  // atoms per species in the conventional cell
  auto add_content = [&](const std::vector<int>& c) {
    std::map<int, int> per_species;
    for (int z : c) per_species[z] += multiplicity;
    if (!c.empty()) contents.emplace_back(per_species.begin(), per_species.end());
  };
  add_content(content);
  for (const std::vector<int>& c : options.other_contents) add_content(c);

  const RietveldOptions& refine = options.refine;
  std::mt19937_64 rng(options.seed);
  std::vector<SpaceGroupSearchResult> out;
  const std::vector<Trial> trials = ordered_trials(h, options);
  // Further passes draw new starts (a 40-atom Ia-3 bixbyite refined to R_wp 0.06 or 0.03 by the luck of its starts).
  const auto best_rwp = [&] {
    double best = 1;
    for (const SpaceGroupSearchResult& r : out) best = std::min(best, r.rwp);
    return best;
  };
  double best_before_pass = 1;
  for (int pass = 0; pass < (options.repeat_until_budget ? 4 : 1) && elapsed() <= options.time_budget_s; ++pass) {
    // A pass that improved nothing (0.5 %) found the same minima again (rock salt has no free coordinate): stop.
    const double best_now = best_rwp();
    if (pass >= 2 && best_now > (1 - kPassImprovement) * best_before_pass) break;
    best_before_pass = best_now;
    for (const Trial& t : trials) {
      if (elapsed() > options.time_budget_s) break;
      cancel.throw_if_cancelled();
      std::vector<std::pair<double, Crystal>> scored;
      // The first content the group's orbits hold (20 failed draws before a success: they cannot, or rarely find room).
      for (const auto& counts : contents) {
        int failures = 0;
        for (int s = 0; static_cast<int>(scored.size()) < options.starts_per_trial && s < 3 * options.starts_per_trial &&
                        (failures < 20 || !scored.empty());
             ++s) {
          Crystal c = random_symmetric_structure(t, counts, options.bump_factor, refine.b_iso_start_angstrom2, rng);
          if (c.sites.empty()) {
            ++failures;
            continue;
          }
          try {
            scored.push_back({rietveld_evaluate(data, c, profile).rwp, std::move(c)});
          } catch (const Error&) {
            // a degenerate structure
          }
        }
        if (!scored.empty()) break;
      }
      std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      // In a cell a few per cent off, an unrefined start's score says little: a short refinement of several
      // starts, then a full one of the best of those.
      RietveldOptions quick = refine;
      quick.iterations = std::min(refine.iterations, 4);
      std::vector<RietveldResult> short_fits;
      for (std::size_t i = 0; i < scored.size() && static_cast<int>(i) < options.quick_per_trial; ++i) {
        if (elapsed() > options.time_budget_s) break;
        try {
          short_fits.push_back(rietveld_refine_in_space_group(data, scored[i].second, profile, quick, cancel));
        } catch (const Error&) {
          // spglib could not confirm the group, or a singular fit
        }
      }
      std::sort(short_fits.begin(), short_fits.end(),
                [](const RietveldResult& a, const RietveldResult& b) { return a.rwp < b.rwp; });
      for (std::size_t i = 0; i < short_fits.size() && static_cast<int>(i) < options.refined_per_trial; ++i) {
        if (elapsed() > options.time_budget_s) break;
        try {
          RietveldResult r = rietveld_refine_in_space_group(data, short_fits[i].crystal, short_fits[i].profile, refine, cancel);
          out.push_back({std::move(r.crystal), t.space_group, r.rwp, r.profile});
        } catch (const Error&) {
          out.push_back({std::move(short_fits[i].crystal), t.space_group, short_fits[i].rwp, short_fits[i].profile});
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const SpaceGroupSearchResult& a, const SpaceGroupSearchResult& b) { return a.rwp < b.rwp; });
  return out;
}

}  // namespace pxrd
