// pymatgen-compatible StructureMatcher (pymatgen 2022.11.7, analysis/structure_matcher.py), reimplemented:
// Niggli + primitive reduction, volume scaling, lattice mappings within ltol/angle_tol, a per-translation
// fractional pre-filter, Hungarian assignment on periodic distances, mean-shift removal, (V/N)^(1/3) normalisation.
#include "pxrd/structure_matcher.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/lattice.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

constexpr double kPrimitiveTolAngstrom = 0.25;  // get_primitive_structure's default
constexpr double kNiggliTol = 1e-5;
constexpr double kSkip = 1e20;                  // pymatgen's "not allowed" distance²

using Vec3 = Eigen::Vector3d;
using Mat3 = Eigen::Matrix3d;

double wrap_diff(double d) { return d - std::round(d); }
double wrap01(double x) {
  double f = x - std::floor(x);
  return f >= 1.0 ? 0.0 : f;
}
Vec3 wrap01(const Vec3& v) { return {wrap01(v[0]), wrap01(v[1]), wrap01(v[2])}; }

// Lengths of the reciprocal vectors including 2π (pymatgen's reciprocal_lattice.abc).
Vec3 reciprocal_abc_2pi(const Mat3& m) {
  const Mat3 r = 2 * kPi * m.inverse().transpose();
  return {r.row(0).norm(), r.row(1).norm(), r.row(2).norm()};
}

Vec3 row_norms(const Mat3& m) { return {m.row(0).norm(), m.row(1).norm(), m.row(2).norm()}; }

struct Params {
  double a, b, c, alpha, beta, gamma;
};

Params params_of(const Mat3& m) {
  const LatticeParameters p = Lattice(m).parameters();
  return {p.a_angstrom, p.b_angstrom, p.c_angstrom, p.alpha_deg, p.beta_deg, p.gamma_deg};
}

// ---------------------------------------------------------------------------------------------------------------
// Reduction (Structure.get_reduced_structure("niggli") and Structure.get_primitive_structure()).

// Niggli cell; sites re-expressed in it and wrapped into [0, 1).
void niggli_in_place(MatchPrepared& s) {
  Mat3 t;
  const Lattice reduced = Lattice(s.lattice).niggli_reduced(kNiggliTol, &t);
  // frac_new = frac_old · T^-1 (row vectors), since cart = frac_old · M = frac_new · T M.
  const Mat3 t_inv = t.inverse();
  for (Vec3& f : s.frac) f = wrap01(Vec3(t_inv.transpose() * f));
  s.lattice = reduced.matrix();
}

std::string species_label(const MatchPrepared& s, int species) {
  // pymatgen's species_string: "Fe" when fully occupied, "Fe:0.500" otherwise; its order decides the site order.
  const auto& key = s.species_keys[species];
  const std::string& symbol = element_symbol(key.first);
  if (key.second == 1000000) return symbol;
  char buf[32];
  std::snprintf(buf, sizeof buf, ":%.3f", key.second / 1e6);
  return symbol + buf;
}

std::vector<int> factors(int n) {
  std::vector<int> out;
  for (int i = 1; i <= n; ++i)
    if (n % i == 0) out.push_back(i);
  return out;
}

bool all_within(const Vec3& d, const Vec3& tol) {
  for (int k = 0; k < 3; ++k)
    if (!(std::abs(wrap_diff(d[k])) < tol[k])) return false;
  return true;
}

MatchPrepared get_primitive(const MatchPrepared& s);

// Tries the candidate supercell matrix m (original = m × primitive). Returns true and fills `out` when every
// species group splits into cliques of exactly `size` sites.
bool try_primitive(const MatchPrepared& s, const std::vector<std::vector<int>>& groups,
                   const std::vector<std::vector<std::vector<bool>>>& non_nbrs, const Mat3& m, int size,
                   MatchPrepared& out) {
  const Mat3 inv_m = m.inverse();
  const Mat3 new_m = inv_m * s.lattice;
  const Vec3 ftol = Vec3::Constant(kPrimitiveTolAngstrom).cwiseQuotient(row_norms(new_m));
  out = MatchPrepared();
  out.species_keys = s.species_keys;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const std::vector<int>& g = groups[gi];
    const std::size_t n = g.size();
    std::vector<Vec3> all_frac(n);
    for (std::size_t i = 0; i < n; ++i) all_frac[i] = m.transpose() * s.frac[g[i]];
    std::vector<std::vector<bool>> adj(n, std::vector<bool>(n, false));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) adj[i][j] = non_nbrs[gi][i][j] && all_within(all_frac[j] - all_frac[i], ftol);
    for (std::size_t j = 0; j < n; ++j) {
      int count = 0;
      for (std::size_t i = 0; i < n; ++i) count += adj[i][j];
      if (count != size) return false;
    }
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
          if (adj[r][i] && adj[r][j] && !adj[i][j]) return false;
    // One averaged site per clique.
    std::vector<bool> added(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      if (added[i]) continue;
      std::vector<std::size_t> members;
      for (std::size_t j = 0; j < n; ++j)
        if (adj[i][j]) {
          added[j] = true;
          members.push_back(j);
        }
      Vec3 coords = wrap01(all_frac[members[0]]);
      for (std::size_t k = 1; k < members.size(); ++k) {
        const Vec3 offset = wrap01(all_frac[members[k]]) - coords;
        for (int d = 0; d < 3; ++d) coords[d] += wrap_diff(offset[d]) / static_cast<double>(k + 1);
      }
      out.frac.push_back(coords);
      out.species.push_back(s.species[g[members[0]]]);
    }
  }
  out.lattice = new_m;
  return true;
}

MatchPrepared get_primitive(const MatchPrepared& s) {
  const std::size_t n = s.frac.size();
  if (n == 0) return s;
  // Sites grouped by species label, groups in label order, sites in input order within a group.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::string> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = species_label(s, s.species[i]);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return labels[x] < labels[y]; });
  std::vector<std::vector<int>> groups;
  for (std::size_t k = 0; k < n; ++k) {
    if (k == 0 || labels[order[k]] != labels[order[k - 1]]) groups.emplace_back();
    groups.back().push_back(order[k]);
  }
  std::size_t min_group = 0;
  for (std::size_t g = 1; g < groups.size(); ++g)
    if (groups[g].size() < groups[min_group].size()) min_group = g;
  std::vector<Vec3> min_vecs;
  for (int i : groups[min_group]) min_vecs.push_back(s.frac[i] - s.frac[groups[min_group][0]]);

  const Vec3 super_ftol = Vec3::Constant(kPrimitiveTolAngstrom).cwiseQuotient(row_norms(s.lattice));
  const Vec3 super_ftol_2 = 2 * super_ftol;
  // Keep the translations that map every site onto a site of its species.
  std::vector<std::size_t> by_size(groups.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](std::size_t x, std::size_t y) { return groups[x].size() < groups[y].size(); });
  for (std::size_t gi : by_size) {
    const std::vector<int>& g = groups[gi];
    for (int f : g) {
      std::vector<Vec3> kept;
      for (const Vec3& v : min_vecs) {
        bool any = false;
        for (int x : g)
          if (all_within(v - (s.frac[x] - s.frac[f]), super_ftol_2)) {
            any = true;
            break;
          }
        if (any) kept.push_back(v);
      }
      min_vecs.swap(kept);
    }
  }
  // Sites may not match their own neighbours in the supercell.
  std::vector<std::vector<std::vector<bool>>> non_nbrs;
  for (const auto& g : groups) {
    std::vector<std::vector<bool>> nn(g.size(), std::vector<bool>(g.size(), false));
    for (std::size_t i = 0; i < g.size(); ++i)
      for (std::size_t j = 0; j < g.size(); ++j) {
        const Vec3 d = s.frac[g[j]] - s.frac[g[i]];
        bool far = i == j;
        for (int k = 0; k < 3; ++k)
          if (std::abs(wrap_diff(d[k])) > 2 * super_ftol[k]) far = true;
        nn[i][j] = far;
      }
    non_nbrs.push_back(std::move(nn));
  }
  int num_fu = 0;
  for (const auto& g : groups) num_fu = std::gcd(num_fu, static_cast<int>(g.size()));
  for (int det : factors(num_fu)) {
    if (det == 1) continue;
    for (int a : factors(det))
      for (int e : factors(det / a)) {
        const int gg = det / a / e;
        for (int b = 0; b < a; ++b)
          for (int c = 0; c < a; ++c)
            for (int f = 0; f < e; ++f) {
              Mat3 m;
              m << a, b, c, 0, e, f, 0, 0, gg;
              const Mat3 inv_m = m.inverse();
              bool rows_present = true;
              for (int r = 0; r < 3 && rows_present; ++r) {
                bool any = false;
                for (const Vec3& v : min_vecs)
                  if (all_within(Vec3(inv_m.row(r).transpose()) - v, super_ftol)) {
                    any = true;
                    break;
                  }
                rows_present = any;
              }
              if (!rows_present) continue;
              MatchPrepared smaller;
              if (try_primitive(s, groups, non_nbrs, m, det, smaller)) {
                MatchPrepared p = get_primitive(smaller);
                niggli_in_place(p);
                return p;
              }
            }
      }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment: minimum-cost perfect matching on a square matrix (Hungarian method with potentials, O(n³)).
std::vector<int> hungarian(const std::vector<std::vector<double>>& cost) {
  const int n = static_cast<int>(cost.size());
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0), minv(n + 1);
  std::vector<int> p(n + 1, 0), way(n + 1, 0);
  std::vector<bool> used(n + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), false);
    do {
      used[j0] = true;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= n; ++j)
    if (p[j] > 0) row_to_col[p[j] - 1] = j - 1;
  return row_to_col;
}

// ---------------------------------------------------------------------------------------------------------------
// Matching (StructureMatcher._strict_match with fu = 1).

struct LatticeMapping {
  Mat3 aligned;  // rows: lattice vectors of s1 that play a, b, c of s2
};

// Lattice.find_all_mappings(other, ltol, atol) with |det(scale)| = 1.
std::vector<LatticeMapping> find_all_mappings(const Mat3& self, const Mat3& other, double ltol, double atol_deg) {
  const Params op = params_of(other);
  const double lengths[3] = {op.a, op.b, op.c};
  const double radius = std::max({op.a, op.b, op.c}) * (1 + ltol);
  // Lattice points of `self` within the sphere; |n_i| ≤ radius / d_i with d_i the interplanar spacing.
  const Mat3 recip = self.inverse().transpose();
  int bound[3];
  for (int k = 0; k < 3; ++k) {
    const double b = std::ceil(radius * recip.row(k).norm());
    // A flat cell would enumerate without end; real cells need a few tens of points per axis.
    if (!(b <= 1000)) throw Error("structure matcher: degenerate (flat or non-finite) cell");
    bound[k] = static_cast<int>(b);
  }
  struct Point {
    Vec3 frac, cart;
    double dist;
  };
  std::vector<Point> cand[3];
  for (int i = -bound[0]; i <= bound[0]; ++i)
    for (int j = -bound[1]; j <= bound[1]; ++j)
      for (int k = -bound[2]; k <= bound[2]; ++k) {
        const Vec3 f(i, j, k);
        const Vec3 cart = self.transpose() * f;
        const double d = cart.norm();
        if (d > radius) continue;
        for (int axis = 0; axis < 3; ++axis)
          if (d / lengths[axis] < 1 + ltol && d / lengths[axis] > 1 / (1 + ltol)) cand[axis].push_back({f, cart, d});
      }
  auto angle_deg = [](const Point& p, const Point& q) {
    double x = p.cart.dot(q.cart) / p.dist / q.dist;
    x = std::max(-1.0, std::min(1.0, x));
    return std::acos(x) * 180.0 / kPi;
  };
  std::vector<LatticeMapping> out;
  for (const Point& pa : cand[0])
    for (const Point& pb : cand[1]) {
      if (!(std::abs(angle_deg(pa, pb) - op.gamma) < atol_deg)) continue;
      for (const Point& pc : cand[2]) {
        if (!(std::abs(angle_deg(pb, pc) - op.alpha) < atol_deg)) continue;
        if (!(std::abs(angle_deg(pa, pc) - op.beta) < atol_deg)) continue;
        Mat3 scale;
        scale.row(0) = pa.frac.transpose();
        scale.row(1) = pb.frac.transpose();
        scale.row(2) = pc.frac.transpose();
        const double det = scale.determinant();
        if (std::abs(det) < 1e-8 || !(std::abs(std::abs(det) - 1) < 0.5)) continue;
        LatticeMapping m;
        m.aligned.row(0) = pa.cart.transpose();
        m.aligned.row(1) = pb.cart.transpose();
        m.aligned.row(2) = pc.cart.transpose();
        out.push_back(m);
      }
    }
  return out;
}

struct Candidate {
  double rms, max;
};

// _cart_dists: Hungarian assignment on shortest periodic distances (in the LLL basis of the average lattice),
// then the mean displacement is removed. Returns false when the assignment needs a filtered-out pair.
bool cart_dists(const std::vector<Vec3>& s1, const std::vector<Vec3>& s2, const std::vector<int>& sp1,
                const std::vector<int>& sp2, const Mat3& avg, double normalization, double stol, Candidate& out) {
  Mat3 t;
  const Mat3 lll = Lattice(avg).lll_reduced(0.75, &t).matrix();
  const Mat3 t_inv_tr = t.inverse().transpose();  // frac_lll = frac · T^-1 (row vectors)
  const Vec3 lll_frac_tol = reciprocal_abc_2pi(lll) * stol / (kPi * normalization);
  const std::size_t n = s1.size();
  std::vector<Vec3> f1(n), f2(n);
  for (std::size_t i = 0; i < n; ++i) {
    f1[i] = t_inv_tr * s1[i];
    f2[i] = t_inv_tr * s2[i];
  }
  std::vector<Vec3> images;
  for (int a = -1; a <= 1; ++a)
    for (int b = -1; b <= 1; ++b)
      for (int c = -1; c <= 1; ++c) images.push_back(lll.transpose() * Vec3(a, b, c));
  // Vectors from s2[i] to s1[j], per species block.
  std::vector<Vec3> short_vecs(n);
  std::map<int, std::vector<std::size_t>> rows_of, cols_of;
  for (std::size_t i = 0; i < n; ++i) rows_of[sp2[i]].push_back(i);
  for (std::size_t j = 0; j < n; ++j) cols_of[sp1[j]].push_back(j);
  for (const auto& [species, rows] : rows_of) {
    const std::vector<std::size_t>& cols = cols_of[species];
    if (cols.size() != rows.size()) return false;
    const std::size_t m = rows.size();
    std::vector<std::vector<double>> d2(m, std::vector<double>(m, kSkip));
    std::vector<std::vector<Vec3>> vec(m, std::vector<Vec3>(m, Vec3::Zero()));
    for (std::size_t a = 0; a < m; ++a)
      for (std::size_t b = 0; b < m; ++b) {
        Vec3 fd = f1[cols[b]] - f2[rows[a]];
        bool within = true;
        for (int k = 0; k < 3; ++k) {
          fd[k] = wrap_diff(fd[k]);
          if (std::abs(fd[k]) > lll_frac_tol[k]) within = false;
        }
        if (!within) continue;
        const Vec3 pre = lll.transpose() * fd;
        double best = 1e100;
        Vec3 best_v = pre;
        for (const Vec3& im : images) {
          const Vec3 v = pre + im;
          const double d = v.squaredNorm();
          if (d < best) {
            best = d;
            best_v = v;
          }
        }
        d2[a][b] = best;
        vec[a][b] = best_v;
      }
    // Filtered pairs get a cost above any all-allowed assignment but small enough to keep the potentials of the
    // Hungarian method accurate (1e20 would swamp the Å² entries).
    double finite_sum = 0;
    for (const auto& row : d2)
      for (double x : row)
        if (x < kSkip) finite_sum += x;
    std::vector<std::vector<double>> cost = d2;
    for (auto& row : cost)
      for (double& x : row)
        if (x >= kSkip) x = 10 * (finite_sum + 1);
    const std::vector<int> assignment = hungarian(cost);
    for (std::size_t a = 0; a < m; ++a) {
      const int b = assignment[a];
      if (b < 0 || d2[a][b] >= kSkip) return false;
      short_vecs[rows[a]] = vec[a][b];
    }
  }
  Vec3 mean = Vec3::Zero();
  for (const Vec3& v : short_vecs) mean += v;
  mean /= static_cast<double>(n);
  double sum2 = 0, max_d = 0;
  for (const Vec3& v : short_vecs) {
    const double d = (v - mean).norm() * normalization;
    sum2 += d * d;
    max_d = std::max(max_d, d);
  }
  out.rms = std::sqrt(sum2 / static_cast<double>(n));
  out.max = max_d;
  return true;
}

std::vector<int> common_species(const MatchPrepared& s, const std::vector<std::pair<int, long long>>& keys) {
  std::vector<int> out;
  out.reserve(s.species.size());
  for (int sp : s.species) {
    const auto it = std::find(keys.begin(), keys.end(), s.species_keys[sp]);
    out.push_back(static_cast<int>(it - keys.begin()));
  }
  return out;
}

}  // namespace

MatchPrepared prepare_for_matching(const Crystal& crystal) {
  if (crystal.sites.empty()) throw Error("structure matcher: the crystal has no atoms");
  MatchPrepared s;
  s.lattice = crystal.lattice.matrix();
  if (!s.lattice.allFinite() || !(std::abs(s.lattice.determinant()) > 0))
    throw Error("structure matcher: the cell is not finite or has no volume");
  for (const Site& site : crystal.sites) {
    for (int k = 0; k < 3; ++k)
      if (!std::isfinite(site.frac[k])) throw Error("structure matcher: NaN coordinate");
    const std::pair<int, long long> key{site.atomic_number, std::llround(site.occupancy * 1e6)};
    auto it = std::find(s.species_keys.begin(), s.species_keys.end(), key);
    if (it == s.species_keys.end()) it = s.species_keys.insert(s.species_keys.end(), key);
    s.species.push_back(static_cast<int>(it - s.species_keys.begin()));
    s.frac.push_back(site.frac);
  }
  niggli_in_place(s);
  return get_primitive(s);
}

namespace {

// With `first_match_suffices` the search stops at the first alignment within stol: the verdict (matched) is the
// same, the rms and max_dist are only an upper bound. Counting support needs the verdict alone.
MatchResult match_prepared(const MatchPrepared& a, const MatchPrepared& b, const MatchTolerances& tol,
                           bool first_match_suffices) {
  MatchResult result;
  const std::size_t n = a.frac.size();
  if (n == 0 || n != b.frac.size()) return result;  // fu = 1 and no subset matching: equal site counts only
  // Species in one numbering; equal multisets are required (pymatgen's mask check).
  std::vector<std::pair<int, long long>> keys = a.species_keys;
  for (const auto& k : b.species_keys)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  const std::vector<int> sp1 = common_species(a, keys), sp2 = common_species(b, keys);
  std::vector<int> count1(keys.size(), 0), count2(keys.size(), 0);
  for (int s : sp1) ++count1[s];
  for (int s : sp2) ++count2[s];
  if (count1 != count2) return result;

  // Scale both to the same volume (scale=True).
  const double v1 = std::abs(a.lattice.determinant()), v2 = std::abs(b.lattice.determinant());
  const double ratio = std::pow(v2 / v1, 1.0 / 6.0);
  const Mat3 l1 = a.lattice * ratio, l2 = b.lattice / ratio;

  // Translation anchor: the first s2 site of the rarest species, tried against every s1 site of that species.
  std::size_t anchor = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (count1[sp2[i]] < count1[sp2[anchor]]) anchor = i;
  std::vector<std::size_t> s1_anchor;
  for (std::size_t j = 0; j < n; ++j)
    if (sp1[j] == sp2[anchor]) s1_anchor.push_back(j);

  std::vector<Vec3> cart1(n);
  for (std::size_t j = 0; j < n; ++j) cart1[j] = l1.transpose() * a.frac[j];
  const Params p2 = params_of(l2);
  double best_rms = std::numeric_limits<double>::infinity(), best_max = 0;
  bool fit = false;
  std::vector<Vec3> fc(n), t_s2(n);
  for (const LatticeMapping& mapping : find_all_mappings(l1, l2, tol.ltol, tol.angle_tol_deg)) {
    const Mat3 inv_tr = mapping.aligned.inverse().transpose();
    for (std::size_t j = 0; j < n; ++j) fc[j] = wrap01(Vec3(inv_tr * cart1[j]));
    const Params p1 = params_of(mapping.aligned);
    Mat3 avg;
    try {
      avg = Lattice::from_parameters((p1.a + p2.a) / 2, (p1.b + p2.b) / 2, (p1.c + p2.c) / 2,
                                     (p1.alpha + p2.alpha) / 2, (p1.beta + p2.beta) / 2, (p1.gamma + p2.gamma) / 2)
                .matrix();
    } catch (const Error&) {
      continue;  // averaged angles of a near-flat cell: no usable metric for this mapping
    }
    const double normalization = std::cbrt(static_cast<double>(n) / std::abs(avg.determinant()));
    const Vec3 frac_tol = reciprocal_abc_2pi(avg) * tol.stol / (kPi * normalization);
    for (std::size_t s1i : s1_anchor) {
      const Vec3 t = fc[s1i] - b.frac[anchor];
      for (std::size_t i = 0; i < n; ++i) t_s2[i] = b.frac[i] + t;
      // is_coord_subset_pbc: every s2 site has an s1 site of its species within frac_tol (not one-to-one).
      bool subset = true;
      for (std::size_t i = 0; i < n && subset; ++i) {
        bool found = false;
        for (std::size_t j = 0; j < n && !found; ++j)
          if (sp1[j] == sp2[i] && all_within(t_s2[i] - fc[j], frac_tol)) found = true;
        subset = found;
      }
      if (!subset) continue;
      Candidate c;
      if (!cart_dists(fc, t_s2, sp1, sp2, avg, normalization, tol.stol, c)) continue;
      if (c.max < tol.stol) fit = true;
      if (c.rms < best_rms) {
        best_rms = c.rms;
        best_max = c.max;
      }
      if (first_match_suffices && best_rms < tol.stol) break;
    }
    if (first_match_suffices && best_rms < tol.stol) break;
  }
  result.fit = fit;
  if (best_rms < tol.stol) {
    result.matched = true;
    result.rms = best_rms;
    result.max_dist = best_max;
  }
  return result;
}

}  // namespace

MatchResult match_structures(const MatchPrepared& a, const MatchPrepared& b, const MatchTolerances& tol) {
  return match_prepared(a, b, tol, false);
}

MatchResult match_structures(const Crystal& a, const Crystal& b, const MatchTolerances& tol) {
  return match_structures(prepare_for_matching(a), prepare_for_matching(b), tol);
}

std::vector<int> match_support(const std::vector<Crystal>& structures, const MatchTolerances& tol,
                               std::size_t max_reference, const CancelToken* cancel, int threads) {
  const std::size_t n = structures.size();
  const std::size_t n_reference = std::min(n, max_reference);
  std::vector<std::optional<MatchPrepared>> prepared(n);
  std::vector<int> support(n, -1);
  const int workers = worker_count(threads);
  parallel_for(n, workers, [&](std::size_t i) {
    if (cancel) cancel->throw_if_cancelled();
    try {
      prepared[i] = prepare_for_matching(structures[i]);
      // The matcher's own checks (a flat cell) run when it compares; a structure it refuses supports nothing.
      match_prepared(*prepared[i], *prepared[i], tol, true);
      support[i] = 0;
    } catch (const Error&) {
      prepared[i].reset();
    }
  });
  // Each structure against every reference but itself: pairs within the reference set are compared twice, which
  // keeps every worker writing only its own count.
  parallel_for(n, workers, [&](std::size_t i) {
    if (!prepared[i]) return;
    for (std::size_t j = 0; j < n_reference; ++j) {
      if (cancel) cancel->throw_if_cancelled();
      if (j != i && prepared[j] && match_prepared(*prepared[i], *prepared[j], tol, true).matched) ++support[i];
    }
  });
  return support;
}

std::vector<std::size_t> distinct_first(const std::vector<Crystal>& structures, const std::vector<std::size_t>& order,
                                        const MatchTolerances& tol, const CancelToken* cancel) {
  std::vector<std::size_t> firsts, repeats;
  std::vector<MatchPrepared> taken;
  for (std::size_t i : order) {
    if (i >= structures.size()) throw Error("distinct_first: index " + std::to_string(i) + " out of range");
    if (cancel) cancel->throw_if_cancelled();
    bool repeat = false;
    try {
      MatchPrepared prepared = prepare_for_matching(structures[i]);
      for (const MatchPrepared& t : taken) repeat = repeat || match_prepared(prepared, t, tol, true).matched;
      if (!repeat) taken.push_back(std::move(prepared));
    } catch (const Error&) {
      // a structure the matcher refuses stays a kind of its own
    }
    (repeat ? repeats : firsts).push_back(i);
  }
  firsts.insert(firsts.end(), repeats.begin(), repeats.end());
  return firsts;
}

}  // namespace pxrd
