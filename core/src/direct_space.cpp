#include "pxrd/direct_space.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <optional>
#include <random>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/phase_tables.hpp"
#include "pxrd/scattering.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

std::vector<double> group_intensities(const Crystal& crystal, const std::vector<ReflectionGroup>& groups) {
  const Eigen::Matrix3d rt = crystal.lattice.reciprocal_matrix().transpose();
  // Sites of one kind (element, occupancy, B) share their amplitude: computed once per reflection.
  std::vector<const Site*> kinds;
  std::vector<std::size_t> kind_of;
  for (const Site& site : crystal.sites) {
    std::size_t k = 0;
    while (k < kinds.size() && !(kinds[k]->atomic_number == site.atomic_number && kinds[k]->occupancy == site.occupancy &&
                                 kinds[k]->b_iso_angstrom2 == site.b_iso_angstrom2))
      ++k;
    if (k == kinds.size()) kinds.push_back(&site);
    kind_of.push_back(k);
  }
  std::array<int, 3> n_max = {0, 0, 0};
  for (const ReflectionGroup& g : groups)
    for (const auto& h : g.hkls)
      for (int d = 0; d < 3; ++d) n_max[d] = std::max(n_max[d], std::abs(h[d]));
  std::vector<Eigen::Vector3d> frac;
  for (const Site& site : crystal.sites) frac.push_back(site.frac);
  const PhaseTables tables(frac, n_max);
  const std::size_t n_sites = crystal.sites.size();
  std::vector<double> amp(kinds.size());
  std::vector<double> out(groups.size(), 0.0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    double sum = 0;
    if (groups[g].hkls.empty()) continue;
    // The hkl of a group share d (within the grouping tolerance), so they share the amplitudes.
    const auto& h0 = groups[g].hkls.front();
    const double s = (rt * Eigen::Vector3d(h0[0], h0[1], h0[2])).norm() / 2;  // sinθ/λ = 1/(2d)
    for (std::size_t k = 0; k < kinds.size(); ++k)
      amp[k] = xray_form_factor(kinds[k]->atomic_number, s) * kinds[k]->occupancy *
               std::exp(-kinds[k]->b_iso_angstrom2 * s * s);
    for (const auto& h : groups[g].hkls) {
      const PhaseTables::Rows rows = tables.rows(h[0], h[1], h[2]);
      double re = 0, im = 0;
      for (std::size_t i = 0; i < n_sites; ++i) {
        double pr, pi;
        rows.phase(i, pr, pi);
        const double a = amp[kind_of[i]];
        re += a * pr;
        im += a * pi;
      }
      sum += 2 * (re * re + im * im);
    }
    out[g] = sum;
  }
  return out;
}

IntensityTarget intensity_target_from_lebail(const LeBailResult& lebail, const PowderData& data, double overlap_fwhm) {
  IntensityTarget t;
  t.groups = lebail.groups;
  t.cluster_of_group.assign(t.groups.size(), -1);
  const double lo = data.two_theta_deg.front(), hi = data.two_theta_deg.back();
  double last_tt = -1e9;
  for (std::size_t g = 0; g < t.groups.size(); ++g) {
    const double tt = d_angstrom_to_two_theta_deg(t.groups[g].d_angstrom, data.lambda1_angstrom);
    if (!std::isfinite(tt) || tt < lo || tt > hi) continue;
    const double fwhm = lebail.profile.fwhm_deg(deg_to_rad(tt / 2));
    if (t.cluster_intensity.empty() || tt - last_tt > overlap_fwhm * fwhm) t.cluster_intensity.push_back(0.0);
    t.cluster_of_group[g] = static_cast<int>(t.cluster_intensity.size()) - 1;
    t.cluster_intensity.back() += lebail.intensities[g];
    last_tt = tt;
  }
  double max_i = 0;
  for (double v : t.cluster_intensity) max_i = std::max(max_i, v);
  // Intensity "counting" weights with a floor, so that weak clusters still count but do not dominate.
  for (double v : t.cluster_intensity) t.cluster_weight.push_back(1.0 / (std::max(v, 0.0) + 0.02 * max_i + 1e-300));
  return t;
}

void add_profile_metric(IntensityTarget& target, const LeBailResult& lebail, const PowderData& data,
                        int background_terms) {
  const std::size_t n = target.cluster_intensity.size();
  const long points = static_cast<long>(data.size());
  std::vector<std::vector<std::size_t>> members(n);
  for (std::size_t g = 0; g < target.cluster_of_group.size(); ++g)
    if (target.cluster_of_group[g] >= 0) members[static_cast<std::size_t>(target.cluster_of_group[g])].push_back(g);
  // Weighted (√w) cluster profiles, background basis and observations.
  Eigen::VectorXd sqrt_w(points);
  for (long i = 0; i < points; ++i) sqrt_w(i) = std::sqrt(std::max(data.w[static_cast<std::size_t>(i)], 0.0));
  Eigen::MatrixXd phi(points, static_cast<long>(n));
  for (std::size_t c = 0; c < n; ++c) {
    std::vector<double> share(target.groups.size(), 0.0);
    double sum = 0;
    for (std::size_t g : members[c]) sum += std::max(lebail.intensities[g], 0.0);
    for (std::size_t g : members[c])
      share[g] = sum > 0 ? std::max(lebail.intensities[g], 0.0) / sum : 1.0 / double(members[c].size());
    const std::vector<double> y = peak_profile(data, target.groups, share, lebail.profile);
    for (long i = 0; i < points; ++i) phi(i, static_cast<long>(c)) = y[static_cast<std::size_t>(i)] * sqrt_w(i);
  }
  const auto basis = background_basis(data, background_terms);
  Eigen::MatrixXd bg(points, static_cast<long>(basis.size()));
  for (std::size_t j = 0; j < basis.size(); ++j)
    for (long i = 0; i < points; ++i) bg(i, static_cast<long>(j)) = basis[j][static_cast<std::size_t>(i)] * sqrt_w(i);
  Eigen::VectorXd y_obs(points);
  for (long i = 0; i < points; ++i) y_obs(i) = data.y[static_cast<std::size_t>(i)] * sqrt_w(i);
  // The background is refitted with every trial structure: project it out of profiles and observations.
  if (bg.cols() > 0) {
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(bg);
    phi -= bg * qr.solve(phi);
    y_obs -= bg * qr.solve(y_obs);
  }
  target.metric = phi.transpose() * phi;
  target.metric_o = phi.transpose() * y_obs;
  target.metric_oo = y_obs.squaredNorm();
}

namespace {

double r2_of_clusters(const IntensityTarget& t, const std::vector<double>& ic) {
  if (t.metric.size() > 0) {
    const Eigen::VectorXd c = Eigen::Map<const Eigen::VectorXd>(ic.data(), static_cast<long>(ic.size()));
    const double oc = t.metric_o.dot(c), cc = c.dot(t.metric * c);
    if (t.metric_oo <= 0 || cc <= 0) return 1.0;
    return std::max(0.0, 1.0 - oc * oc / (t.metric_oo * cc));
  }
  double oo = 0, oc = 0, cc = 0;
  for (std::size_t c = 0; c < ic.size(); ++c) {
    const double w = t.cluster_weight[c], o = t.cluster_intensity[c];
    oo += w * o * o;
    oc += w * o * ic[c];
    cc += w * ic[c] * ic[c];
  }
  if (oo <= 0) return 1.0;
  if (cc <= 0) return 1.0;
  return std::max(0.0, 1.0 - oc * oc / (oo * cc));
}

std::vector<double> clusters_from_groups(const IntensityTarget& t, const std::vector<double>& group_intensity) {
  std::vector<double> ic(t.cluster_intensity.size(), 0.0);
  for (std::size_t g = 0; g < group_intensity.size(); ++g)
    if (t.cluster_of_group[g] >= 0) ic[static_cast<std::size_t>(t.cluster_of_group[g])] += group_intensity[g];
  return ic;
}

}  // namespace

double intensity_r_factor(const IntensityTarget& target, const std::vector<double>& group_intensity) {
  return std::sqrt(r2_of_clusters(target, clusters_from_groups(target, group_intensity)));
}

namespace {

using Complex = std::complex<double>;

struct Hkl {
  int h, k, l;
  int cluster;
};

// Shared, read-only data of a search.
struct Problem {
  const IntensityTarget* target = nullptr;
  Lattice lattice;
  Eigen::Matrix3d to_cart, to_frac;  // column vectors: cart = to_cart * frac
  std::vector<Hkl> hkls;
  int hmax = 0, kmax = 0, lmax = 0;
  std::vector<int> atom_species;             // per atom, index into species
  std::vector<int> species_z;
  std::vector<std::vector<double>> form;     // [species][hkl]
  std::vector<std::vector<double>> min_dist; // [species][species], Å
  double bump_weight = 1.0;
};

// An orbit of a space-group replica: the atoms it holds (the representative's position is x), the operation that
// maps x onto each, and the operations that fix x up to a lattice translation: averaging a moved x's images
// under them puts it back on a special position of the same kind.
struct Orbit {
  std::size_t representative = 0;
  std::vector<std::size_t> atoms;
  std::vector<std::size_t> op_of_atom;
  std::vector<std::size_t> stabiliser;
};

struct State {
  std::vector<Eigen::Vector3d> frac;
  // Inversion-constrained (P-1) replicas: partner[a] is the atom at −x of a pair, on_centre[a] marks an atom
  // held on one of the 8 inversion centres. Free (P1) atoms have partner −1 and on_centre false.
  std::vector<int> partner;
  std::vector<char> on_centre;
  // Space-group replicas (symmetric_starts): each atom's orbit, and the start whose operations they follow.
  std::vector<Orbit> orbits;
  std::vector<int> orbit_of;  // per atom
  int start = -1;
  std::vector<std::vector<Complex>> phase;  // [atom][hkl], without the form factor
  std::vector<Complex> f;                   // structure factor per hkl
  double r2 = 1, bump = 0, cost = 1;
};

void atom_phases(const Problem& p, const Eigen::Vector3d& x, std::vector<Complex>& out) {
  const PhaseTables tables({x}, {p.hmax, p.kmax, p.lmax});
  out.resize(p.hkls.size());
  for (std::size_t j = 0; j < p.hkls.size(); ++j) {
    double re, im;
    tables.rows(p.hkls[j].h, p.hkls[j].k, p.hkls[j].l).phase(0, re, im);
    out[j] = Complex(re, im);
  }
}

double r2_of_state(const Problem& p, const std::vector<Complex>& f) {
  std::vector<double> ic(p.target->cluster_intensity.size(), 0.0);
  for (std::size_t j = 0; j < p.hkls.size(); ++j) ic[static_cast<std::size_t>(p.hkls[j].cluster)] += 2 * std::norm(f[j]);
  return r2_of_clusters(*p.target, ic);
}

// Overlap penalty of two atoms (of atoms a and b's species) at xa and xb: nearest of the 27 neighbouring images.
double overlap_penalty(const Problem& p, std::size_t a, std::size_t b, const Eigen::Vector3d& xa, const Eigen::Vector3d& xb) {
  Eigen::Vector3d d = xa - xb;
  for (int k = 0; k < 3; ++k) d(k) -= std::round(d(k));
  double best = 1e30;
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k) best = std::min(best, (p.to_cart * (d + Eigen::Vector3d(i, j, k))).squaredNorm());
  const double dmin = p.min_dist[static_cast<std::size_t>(p.atom_species[a])][static_cast<std::size_t>(p.atom_species[b])];
  const double dist = std::sqrt(best);
  return dist < dmin ? (1 - dist / dmin) * (1 - dist / dmin) : 0.0;
}

// Overlap penalty of atom a at x against every other atom but `skip`.
double bump_of_atom(const Problem& p, const State& s, std::size_t a, const Eigen::Vector3d& x, std::size_t skip) {
  double pen = 0;
  for (std::size_t b = 0; b < s.frac.size(); ++b)
    if (b != a && b != skip) pen += overlap_penalty(p, a, b, x, s.frac[b]);
  return pen;
}

// Turns s into an inversion-constrained state: per species, n mod 2 atoms (plus one more pair of singles when
// `extra_singles` and room allow) on distinct inversion centres, the rest in pairs (x, −x). False (s unchanged)
// when the singles do not fit on the 8 centres.
bool make_centrosymmetric(const Problem& p, State& s, std::mt19937_64& rng, bool extra_singles) {
  const std::size_t n = s.frac.size();
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<std::vector<std::size_t>> by_species(p.species_z.size());
  for (std::size_t a = 0; a < n; ++a) by_species[static_cast<std::size_t>(p.atom_species[a])].push_back(a);
  std::vector<int> singles(by_species.size());
  int total = 0;
  for (std::size_t k = 0; k < by_species.size(); ++k) {
    singles[k] = static_cast<int>(by_species[k].size() % 2);
    total += singles[k];
  }
  if (extra_singles) {
    const std::size_t k = static_cast<std::size_t>(uni(rng) * by_species.size()) % by_species.size();
    if (by_species[k].size() >= static_cast<std::size_t>(singles[k] + 2) && total + 2 <= 8) {
      singles[k] += 2;
      total += 2;
    }
  }
  if (total > 8) return false;
  std::vector<int> centres = {0, 1, 2, 3, 4, 5, 6, 7};
  std::shuffle(centres.begin(), centres.end(), rng);
  s.partner.assign(n, -1);
  s.on_centre.assign(n, 0);
  std::size_t next_centre = 0;
  for (std::size_t k = 0; k < by_species.size(); ++k) {
    const auto& atoms = by_species[k];
    std::size_t i = 0;
    for (; i < static_cast<std::size_t>(singles[k]); ++i) {
      const int c = centres[next_centre++];
      s.frac[atoms[i]] = Eigen::Vector3d(0.5 * (c & 1), 0.5 * ((c >> 1) & 1), 0.5 * ((c >> 2) & 1));
      s.on_centre[atoms[i]] = 1;
    }
    for (; i + 1 < atoms.size(); i += 2) {
      const Eigen::Vector3d x(uni(rng), uni(rng), uni(rng));
      s.frac[atoms[i]] = x;
      s.frac[atoms[i + 1]] = (-x).unaryExpr([](double v) { return v - std::floor(v); });
      s.partner[atoms[i]] = static_cast<int>(atoms[i + 1]);
      s.partner[atoms[i + 1]] = static_cast<int>(atoms[i]);
    }
  }
  return true;
}

Eigen::Vector3d wrap(Eigen::Vector3d x) {
  for (int k = 0; k < 3; ++k) x(k) -= std::floor(x(k));
  return x;
}

// x moved onto the nearest fixed set of the orbit's stabiliser (a jump may land by another of its translates:
// another inversion centre, a parallel axis), or nothing when averaging the images does not settle on one.
std::optional<Eigen::Vector3d> project_on_site(const SymmetricStart& st, const Orbit& o, Eigen::Vector3d x) {
  if (o.stabiliser.size() <= 1) return x;
  for (int it = 0; it < 4; ++it) {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    for (std::size_t g : o.stabiliser) {
      const Eigen::Vector3d y = st.rotations[g] * x + st.translations[g];
      sum += y + (x - y).array().round().matrix();
    }
    x = sum / static_cast<double>(o.stabiliser.size());
  }
  for (std::size_t g : o.stabiliser) {
    const Eigen::Vector3d d = st.rotations[g] * x + st.translations[g] - x;
    if ((d.array() - d.array().round()).abs().maxCoeff() > 1e-6) return std::nullopt;
  }
  return x;
}

// The orbit's atoms placed from the representative at x.
void place_orbit(const SymmetricStart& st, const Orbit& o, const Eigen::Vector3d& x, std::vector<Eigen::Vector3d>& out) {
  out.resize(o.atoms.size());
  for (std::size_t m = 0; m < o.atoms.size(); ++m)
    out[m] = wrap(st.rotations[o.op_of_atom[m]] * x + st.translations[o.op_of_atom[m]]);
}

// Splits s's atoms into orbits of the start's operations (each operation must map every atom onto one of its
// species within 0.01 Å). False, with s's orbits cleared, when they do not.
bool make_orbits(const Problem& p, const SymmetricStart& st, int start, State& s) {
  const std::size_t n = s.frac.size();
  s.orbits.clear();
  s.orbit_of.assign(n, -1);
  for (std::size_t a = 0; a < n; ++a) {
    if (s.orbit_of[a] >= 0) continue;
    Orbit o;
    o.representative = a;
    for (std::size_t g = 0; g < st.rotations.size(); ++g) {
      const Eigen::Vector3d y = st.rotations[g] * s.frac[a] + st.translations[g];
      std::size_t found = n;
      for (std::size_t b = 0; b < n && found == n; ++b) {
        if (p.atom_species[b] != p.atom_species[a]) continue;
        Eigen::Vector3d d = y - s.frac[b];
        for (int k = 0; k < 3; ++k) d(k) -= std::round(d(k));
        if ((p.to_cart * d).norm() < 0.01) found = b;
      }
      if (found == n || (s.orbit_of[found] >= 0 && s.orbit_of[found] != static_cast<int>(s.orbits.size()))) {
        s.orbits.clear();
        s.orbit_of.assign(n, -1);
        return false;
      }
      if (found == a) o.stabiliser.push_back(g);
      if (s.orbit_of[found] < 0) {
        s.orbit_of[found] = static_cast<int>(s.orbits.size());
        o.atoms.push_back(found);
        o.op_of_atom.push_back(g);
      }
    }
    s.orbits.push_back(std::move(o));
  }
  // Exact symmetry from here: each orbit re-placed from its projected representative.
  std::vector<Eigen::Vector3d> placed;
  for (const Orbit& o : s.orbits) {
    const std::optional<Eigen::Vector3d> x = project_on_site(st, o, s.frac[o.representative]);
    if (!x) {
      s.orbits.clear();
      s.orbit_of.assign(n, -1);
      return false;
    }
    place_orbit(st, o, *x, placed);
    for (std::size_t m = 0; m < o.atoms.size(); ++m) s.frac[o.atoms[m]] = placed[m];
  }
  s.start = start;
  return true;
}

void init_state(const Problem& p, State& s) {
  const std::size_t n = s.frac.size();
  s.phase.assign(n, {});
  s.f.assign(p.hkls.size(), Complex(0, 0));
  for (std::size_t a = 0; a < n; ++a) {
    atom_phases(p, s.frac[a], s.phase[a]);
    const auto& fs = p.form[static_cast<std::size_t>(p.atom_species[a])];
    for (std::size_t j = 0; j < p.hkls.size(); ++j) s.f[j] += fs[j] * s.phase[a][j];
  }
  s.bump = 0;
  for (std::size_t a = 0; a < n; ++a) s.bump += bump_of_atom(p, s, a, s.frac[a], a) / 2;
  s.r2 = r2_of_state(p, s.f);
  s.cost = s.r2 + p.bump_weight * s.bump;
}

Crystal crystal_of(const Problem& p, const State& s) {
  Crystal c;
  c.lattice = p.lattice;
  for (std::size_t a = 0; a < s.frac.size(); ++a) {
    Site site;
    site.atomic_number = p.species_z[static_cast<std::size_t>(p.atom_species[a])];
    site.element = element_symbol(site.atomic_number);
    site.frac = wrap(s.frac[a]);
    c.sites.push_back(site);
  }
  return c;
}

}  // namespace

std::vector<DirectSpaceResult> direct_space_search(const IntensityTarget& target, const Lattice& lattice,
                                                   const std::vector<int>& atomic_numbers,
                                                   const std::vector<Crystal>& seeds,
                                                   const DirectSpaceOptions& options, const CancelToken& cancel,
                                                   ProgressSink& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (atomic_numbers.empty()) throw Error("direct-space search: no atoms");
  Problem p;
  p.target = &target;
  p.lattice = lattice;
  p.to_cart = lattice.matrix().transpose();
  p.to_frac = p.to_cart.inverse();
  for (int z : atomic_numbers) {
    auto it = std::find(p.species_z.begin(), p.species_z.end(), z);
    if (it == p.species_z.end()) {
      p.species_z.push_back(z);
      p.atom_species.push_back(static_cast<int>(p.species_z.size()) - 1);
    } else {
      p.atom_species.push_back(static_cast<int>(it - p.species_z.begin()));
    }
  }
  const Eigen::Matrix3d rt = lattice.reciprocal_matrix().transpose();
  std::vector<double> s_of;
  for (std::size_t g = 0; g < target.groups.size(); ++g) {
    if (target.cluster_of_group[g] < 0) continue;
    for (const auto& h : target.groups[g].hkls) {
      p.hkls.push_back({h[0], h[1], h[2], target.cluster_of_group[g]});
      p.hmax = std::max(p.hmax, std::abs(h[0]));
      p.kmax = std::max(p.kmax, std::abs(h[1]));
      p.lmax = std::max(p.lmax, std::abs(h[2]));
      s_of.push_back((rt * Eigen::Vector3d(h[0], h[1], h[2])).norm() / 2);
    }
  }
  if (p.hkls.empty()) throw Error("direct-space search: no reflections in the data range");
  for (int z : p.species_z) {
    std::vector<double> f(p.hkls.size());
    for (std::size_t j = 0; j < f.size(); ++j) f[j] = xray_form_factor(z, s_of[j]);
    p.form.push_back(std::move(f));
  }
  p.min_dist.assign(p.species_z.size(), std::vector<double>(p.species_z.size()));
  for (std::size_t i = 0; i < p.species_z.size(); ++i)
    for (std::size_t j = 0; j < p.species_z.size(); ++j)
      p.min_dist[i][j] = options.bump_factor * (covalent_radius_angstrom(p.species_z[i]) +
                                                covalent_radius_angstrom(p.species_z[j]));

  const int nrep = std::max(1, options.replicas);
  const std::size_t natoms = atomic_numbers.size();
  std::vector<State> states(static_cast<std::size_t>(nrep));
  std::vector<double> temps(static_cast<std::size_t>(nrep)), step_angstrom(static_cast<std::size_t>(nrep), 0.3);
  std::vector<long> tried(static_cast<std::size_t>(nrep), 0), accepted(static_cast<std::size_t>(nrep), 0);
  std::vector<std::mt19937_64> rngs;
  for (int r = 0; r < nrep; ++r) {
    temps[static_cast<std::size_t>(r)] =
        nrep == 1 ? options.t_min : options.t_min * std::pow(options.t_max / options.t_min, double(r) / (nrep - 1));
    rngs.emplace_back(options.seed * 1000003ULL + static_cast<unsigned long long>(r));
  }
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  // Start: seeds with the same content (atoms matched by species in order), otherwise random positions. Odd
  // replicas (when asked) search centrosymmetric arrangements instead, with half the free coordinates.
  std::size_t seed_used = 0;
  // A seed's sites onto s's atoms, species by species in order; false (s unchanged in part) when contents differ.
  auto place_seed = [&](const Crystal& sd, State& s) {
    if (sd.sites.size() != natoms) return false;
    std::vector<bool> used(natoms, false);
    for (std::size_t a = 0; a < natoms; ++a) {
      bool ok = false;
      for (std::size_t b = 0; b < natoms && !ok; ++b)
        if (!used[b] && sd.sites[b].atomic_number == atomic_numbers[a]) {
          used[b] = true;
          s.frac[a] = sd.sites[b].frac;
          ok = true;
        }
      if (!ok) return false;
    }
    return true;
  };
  for (int r = 0; r < nrep; ++r) {
    State& s = states[static_cast<std::size_t>(r)];
    s.frac.resize(natoms);
    s.partner.assign(natoms, -1);
    s.on_centre.assign(natoms, 0);
    bool placed = false;
    for (std::size_t k = 0; k < options.symmetric_starts.size() && !placed; ++k) {
      const std::size_t which = (static_cast<std::size_t>(r) + k) % options.symmetric_starts.size();
      placed = place_seed(options.symmetric_starts[which].crystal, s) &&
               make_orbits(p, options.symmetric_starts[which], static_cast<int>(which), s);
    }
    if (!options.symmetric_starts.empty() && !placed) s.orbits.clear();
    placed = placed || (options.symmetric_starts.empty() && options.centrosymmetric && r % 2 == 1 &&
                        make_centrosymmetric(p, s, rngs[static_cast<std::size_t>(r)], r % 4 == 3));
    while (!placed && seed_used < seeds.size()) placed = place_seed(seeds[seed_used++], s);
    if (!placed)
      for (auto& x : s.frac) x = Eigen::Vector3d(uni(rngs[static_cast<std::size_t>(r)]), uni(rngs[static_cast<std::size_t>(r)]),
                                                 uni(rngs[static_cast<std::size_t>(r)]));
    init_state(p, s);
  }
  std::vector<State> best = states;
  std::vector<Complex> new_phase_a, new_phase_b;
  std::vector<Complex> f_trial(p.hkls.size());
  // One Metropolis move on s: a swap of two atoms of different species, a random jump, or a Gaussian
  // displacement of `step` Å (kinds allowed by `jumps`). Returns +1 accepted displacement, 0 rejected
  // displacement, -1 for the other kinds.
  // In a centrosymmetric state a pair moves together (the partner to −x), an atom on a centre only jumps to
  // another centre, and swaps exchange two free atoms or two atoms on centres.
  // A space-group replica moves whole orbits: the representative is displaced, jumps anywhere, or (between
  // orbits of different species and equal size) exchanges places, and is projected back onto its site.
  std::vector<std::size_t> moved;
  std::vector<Eigen::Vector3d> moved_to, placed_a, placed_b;
  std::vector<std::vector<Complex>> moved_phase;
  auto attempt_orbit = [&](State& s, std::mt19937_64& rng, double temp, double step, bool jumps) {
    const SymmetricStart& st = options.symmetric_starts[static_cast<std::size_t>(s.start)];
    const std::size_t oa = static_cast<std::size_t>(s.orbit_of[static_cast<std::size_t>(uni(rng) * natoms) % natoms]);
    const Orbit& o = s.orbits[oa];
    const Eigen::Vector3d xa = s.frac[o.representative];
    const double u = jumps ? uni(rng) : 1.0;
    moved.clear();
    moved_to.clear();
    if (u < 0.1) {
      const std::size_t ob = static_cast<std::size_t>(s.orbit_of[static_cast<std::size_t>(uni(rng) * natoms) % natoms]);
      const Orbit& o2 = s.orbits[ob];
      if (p.atom_species[o2.representative] == p.atom_species[o.representative] || o2.atoms.size() != o.atoms.size())
        return -1;
      const std::optional<Eigen::Vector3d> to_a = project_on_site(st, o, s.frac[o2.representative]),
                                           to_b = project_on_site(st, o2, xa);
      if (!to_a || !to_b) return -1;
      place_orbit(st, o, *to_a, placed_a);
      place_orbit(st, o2, *to_b, placed_b);
      moved = o.atoms;
      moved.insert(moved.end(), o2.atoms.begin(), o2.atoms.end());
      moved_to = placed_a;
      moved_to.insert(moved_to.end(), placed_b.begin(), placed_b.end());
    } else {
      const Eigen::Vector3d target =
          u < 0.25 ? Eigen::Vector3d(xa + Eigen::Vector3d(uni(rng), uni(rng), uni(rng)))
                   : Eigen::Vector3d(xa + p.to_frac * (Eigen::Vector3d(gauss(rng), gauss(rng), gauss(rng)) * step));
      const std::optional<Eigen::Vector3d> to = project_on_site(st, o, target);
      if (!to) return u >= 0.25 ? 0 : -1;
      place_orbit(st, o, *to, moved_to);
      moved = o.atoms;
    }
    // Structure factors and overlaps: every moved atom against the unmoved ones, and the moved pairs.
    f_trial = s.f;
    moved_phase.resize(moved.size());
    std::vector<char> is_moved(natoms, 0);
    for (std::size_t a : moved) is_moved[a] = 1;
    double bump_delta = 0;
    for (std::size_t m = 0; m < moved.size(); ++m) {
      const std::size_t a = moved[m];
      atom_phases(p, moved_to[m], moved_phase[m]);
      const auto& fa = p.form[static_cast<std::size_t>(p.atom_species[a])];
      for (std::size_t j = 0; j < p.hkls.size(); ++j) f_trial[j] += fa[j] * (moved_phase[m][j] - s.phase[a][j]);
      for (std::size_t b = 0; b < natoms; ++b)
        if (!is_moved[b]) bump_delta += overlap_penalty(p, a, b, moved_to[m], s.frac[b]) - overlap_penalty(p, a, b, s.frac[a], s.frac[b]);
      for (std::size_t m2 = m + 1; m2 < moved.size(); ++m2)
        bump_delta += overlap_penalty(p, a, moved[m2], moved_to[m], moved_to[m2]) -
                      overlap_penalty(p, a, moved[m2], s.frac[a], s.frac[moved[m2]]);
    }
    const double r2 = r2_of_state(p, f_trial);
    const double cost = r2 + p.bump_weight * (s.bump + bump_delta);
    const bool accept = cost <= s.cost || (temp > 0 && uni(rng) < std::exp(-(cost - s.cost) / temp));
    if (accept) {
      s.f.swap(f_trial);
      f_trial.resize(p.hkls.size());
      for (std::size_t m = 0; m < moved.size(); ++m) {
        s.frac[moved[m]] = moved_to[m];
        s.phase[moved[m]].swap(moved_phase[m]);
      }
      s.r2 = r2;
      s.bump += bump_delta;
      s.cost = cost;
    }
    return u >= 0.25 ? (accept ? 1 : 0) : -1;
  };
  auto attempt = [&](State& s, std::mt19937_64& rng, double temp, double step, bool jumps) {
    if (!s.orbits.empty()) return attempt_orbit(s, rng, temp, step, jumps);
    const std::size_t a = static_cast<std::size_t>(uni(rng) * natoms) % natoms;
    const double u = jumps ? uni(rng) : 1.0;
    std::size_t b = a;
    Eigen::Vector3d xa, xb;
    const bool on_centre = s.on_centre[a] != 0;
    if (u < 0.1 && p.species_z.size() > 1) {
      b = static_cast<std::size_t>(uni(rng) * natoms) % natoms;
      if (p.atom_species[b] == p.atom_species[a] || s.partner[a] >= 0 || s.partner[b] >= 0 ||
          s.on_centre[b] != s.on_centre[a])
        return -1;
      xa = s.frac[b];
      xb = s.frac[a];
    } else if (u < 0.25) {
      const int c = static_cast<int>(uni(rng) * 8) % 8;
      xa = on_centre ? Eigen::Vector3d(0.5 * (c & 1), 0.5 * ((c >> 1) & 1), 0.5 * ((c >> 2) & 1))
                     : Eigen::Vector3d(uni(rng), uni(rng), uni(rng));
    } else {
      if (on_centre) return -1;
      const Eigen::Vector3d dc(gauss(rng), gauss(rng), gauss(rng));
      xa = wrap(s.frac[a] + p.to_frac * (dc * step));
    }
    const bool pair = s.partner[a] >= 0;
    if (pair) {
      b = static_cast<std::size_t>(s.partner[a]);
      xb = wrap(-xa);
    }
    atom_phases(p, xa, new_phase_a);
    const auto& fa = p.form[static_cast<std::size_t>(p.atom_species[a])];
    for (std::size_t j = 0; j < p.hkls.size(); ++j) f_trial[j] = s.f[j] + fa[j] * (new_phase_a[j] - s.phase[a][j]);
    double bump_delta = bump_of_atom(p, s, a, xa, b) - bump_of_atom(p, s, a, s.frac[a], b);
    if (b != a) {
      atom_phases(p, xb, new_phase_b);
      const auto& fb = p.form[static_cast<std::size_t>(p.atom_species[b])];
      for (std::size_t j = 0; j < p.hkls.size(); ++j) f_trial[j] += fb[j] * (new_phase_b[j] - s.phase[b][j]);
      bump_delta += bump_of_atom(p, s, b, xb, a) - bump_of_atom(p, s, b, s.frac[b], a);
      // The distance within the pair changes (a swap keeps it).
      if (pair) bump_delta += overlap_penalty(p, a, b, xa, xb) - overlap_penalty(p, a, b, s.frac[a], s.frac[b]);
    }
    const double r2 = r2_of_state(p, f_trial);
    const double cost = r2 + p.bump_weight * (s.bump + bump_delta);
    const bool displacement = u >= 0.25;
    const bool accept = cost <= s.cost || (temp > 0 && uni(rng) < std::exp(-(cost - s.cost) / temp));
    if (accept) {
      s.f.swap(f_trial);
      f_trial.resize(p.hkls.size());
      s.frac[a] = xa;
      s.phase[a].swap(new_phase_a);
      if (b != a) {
        s.frac[b] = xb;
        s.phase[b].swap(new_phase_b);
      }
      s.r2 = r2;
      s.bump += bump_delta;
      s.cost = cost;
    }
    return displacement ? (accept ? 1 : 0) : -1;
  };

  // More starts than replicas: each is polished by a short greedy descent (orbit jumps and exchanges included),
  // and the lowest costs become the replicas, coldest first. A replica keeps its Wyckoff positions; with a few
  // random starts per group the right ones are often never drawn, and a heavy atom on the wrong kind of site
  // shows after a few sweeps.
  if (options.symmetric_starts.size() > static_cast<std::size_t>(nrep)) {
    std::vector<State> screened;
    const double screen_s = 0.25 * options.time_budget_s;
    for (std::size_t k = 0; k < options.symmetric_starts.size(); ++k) {
      cancel.throw_if_cancelled();
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > screen_s &&
          screened.size() >= static_cast<std::size_t>(nrep))
        break;
      State s = states.front();
      if (!place_seed(options.symmetric_starts[k].crystal, s) ||
          !make_orbits(p, options.symmetric_starts[k], static_cast<int>(k), s))
        continue;
      init_state(p, s);
      for (double step : {0.4, 0.2})
        for (std::size_t m = 0; m < 4 * natoms; ++m) attempt(s, rngs[0], 0.0, step, true);
      screened.push_back(std::move(s));
    }
    std::sort(screened.begin(), screened.end(), [](const State& a, const State& b) { return a.cost < b.cost; });
    for (std::size_t r = 0; r < screened.size() && r < states.size(); ++r) states[r] = std::move(screened[r]);
    best = states;
  }

  long sweep = 0;
  for (; sweep < options.sweeps; ++sweep) {
    cancel.throw_if_cancelled();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed > 0.8 * options.time_budget_s) break;  // the rest is for the quench
    if (sweep % 10 == 0) progress.report(0.9 * double(sweep) / options.sweeps, "direct-space search");
    for (int r = 0; r < nrep; ++r) {
      const std::size_t ri = static_cast<std::size_t>(r);
      State& s = states[ri];
      for (std::size_t m = 0; m < natoms; ++m) {
        const int kind = attempt(s, rngs[ri], temps[ri], step_angstrom[ri], true);
        if (kind >= 0) {
          ++tried[ri];
          accepted[ri] += kind;
        }
        if (s.cost < best[ri].cost) best[ri] = s;
      }
      // Step size aims at ~40 % acceptance of displacements.
      if (tried[ri] >= 50) {
        const double rate = double(accepted[ri]) / tried[ri];
        step_angstrom[ri] = std::clamp(step_angstrom[ri] * (rate > 0.4 ? 1.2 : 0.8), 0.01, 1.5);
        tried[ri] = accepted[ri] = 0;
      }
    }
    // Replica exchange between neighbouring temperatures.
    for (int r = 0; r + 1 < nrep; ++r) {
      State& lo = states[static_cast<std::size_t>(r)];
      State& hi = states[static_cast<std::size_t>(r + 1)];
      const double arg = (lo.cost - hi.cost) * (1 / temps[static_cast<std::size_t>(r)] - 1 / temps[static_cast<std::size_t>(r + 1)]);
      if (arg >= 0 || uni(rngs[0]) < std::exp(arg)) std::swap(lo, hi);
    }
  }
  // Quench: greedy displacements with shrinking steps polish each replica's best, best replicas first, within
  // the budget (big cells with thousands of reflections would otherwise overrun it several times).
  std::sort(best.begin(), best.end(), [](const State& a, const State& b) { return a.cost < b.cost; });
  auto out_of_time = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > options.time_budget_s;
  };
  for (int r = 0; r < nrep && !out_of_time(); ++r) {
    cancel.throw_if_cancelled();
    State& s = best[static_cast<std::size_t>(r)];
    for (double step : {0.2, 0.1, 0.05, 0.02, 0.01})
      for (std::size_t m = 0; m < 40 * natoms && (m % 32 != 0 || !out_of_time()); ++m)
        attempt(s, rngs[static_cast<std::size_t>(r)], 0.0, step, false);
  }
  std::sort(best.begin(), best.end(), [](const State& a, const State& b) { return a.cost < b.cost; });
  std::vector<DirectSpaceResult> out;
  for (const State& s : best) {
    if (static_cast<int>(out.size()) >= options.results) break;
    bool dup = false;
    for (const DirectSpaceResult& o : out) dup = dup || std::abs(o.cost - s.cost) < 1e-9;
    if (dup) continue;
    out.push_back({crystal_of(p, s), std::sqrt(s.r2), s.cost,
                   s.orbits.empty() ? 0 : options.symmetric_starts[static_cast<std::size_t>(s.start)].space_group});
  }
  progress.report(1.0, "direct-space search");
  return out;
}

}  // namespace pxrd
