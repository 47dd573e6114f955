#include "pxrd/rietveld.hpp"

#include <algorithm>
#include <cmath>

#include "pxrd/direct_space.hpp"
#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

// Full parameter vector: [cell free params][zero, U, W, X, η][B per element][x y z per site].
struct Model {
  const PowderData& data;
  CrystalSystem system;
  Crystal base;
  std::vector<ReflectionGroup> groups;
  std::vector<std::vector<double>> basis;
  std::vector<int> species;       // distinct atomic numbers
  std::vector<std::size_t> site_species;
  std::size_t nc = 0;

  std::size_t profile_offset() const { return nc; }
  std::size_t b_offset() const { return nc + 5; }
  std::size_t coord_offset() const { return nc + 5 + species.size(); }
  std::size_t size() const { return coord_offset() + 3 * base.sites.size(); }

  std::vector<double> pack(const ProfileParams& prof, double b_start) const {
    std::vector<double> p = cell_free_parameters(base.lattice, system);
    p.insert(p.end(), {prof.zero_deg, prof.u, prof.w, prof.x, prof.eta});
    for (std::size_t s = 0; s < species.size(); ++s) {
      double b = b_start;
      for (std::size_t i = 0; i < base.sites.size(); ++i)
        if (site_species[i] == s && base.sites[i].b_iso_angstrom2 > 0) b = base.sites[i].b_iso_angstrom2;
      p.push_back(b);
    }
    for (const Site& site : base.sites) p.insert(p.end(), {site.frac(0), site.frac(1), site.frac(2)});
    return p;
  }
  ProfileParams profile_of(const std::vector<double>& p, const ProfileParams& base_profile, double max_zero) const {
    ProfileParams prof = base_profile;
    const std::size_t o = profile_offset();
    prof.zero_deg = std::clamp(p[o], -max_zero, max_zero);
    prof.u = std::max(p[o + 1], 0.0);
    prof.w = std::max(p[o + 2], 1e-6);
    prof.x = std::max(p[o + 3], 0.0);
    prof.eta = std::clamp(p[o + 4], 0.0, 1.0);
    return prof;
  }
  // Throws Error for an impossible cell.
  Crystal crystal_of(const std::vector<double>& p) const {
    Crystal c = base;
    c.lattice = cell_from_free_parameters(std::vector<double>(p.begin(), p.begin() + static_cast<long>(nc)), system);
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
      c.sites[i].b_iso_angstrom2 = std::clamp(p[b_offset() + site_species[i]], -1.0, 10.0);
      const std::size_t o = coord_offset() + 3 * i;
      c.sites[i].frac = Eigen::Vector3d(p[o], p[o + 1], p[o + 2]);
    }
    return c;
  }

  struct Eval {
    std::vector<double> y_calc, y_background, coef;
    double scale = 0;
  };
  // Peak shapes of the last cell and profile: the Jacobian columns of coordinates and B reuse them.
  struct ShapeCache {
    Eigen::Matrix3d lattice = Eigen::Matrix3d::Zero();
    ProfileParams profile;
    std::vector<ReflectionGroup> groups;
    PeakShapes shapes;
    bool valid = false;
  };
  mutable ShapeCache cache;

  static bool same_profile(const ProfileParams& a, const ProfileParams& b) {
    return a.zero_deg == b.zero_deg && a.u == b.u && a.v == b.v && a.w == b.w && a.x == b.x && a.eta == b.eta &&
           a.sinc2_size == b.sinc2_size;
  }

  Eval evaluate(const Crystal& crystal, const ProfileParams& prof) const {
    if (!cache.valid || cache.lattice != crystal.lattice.matrix() || !same_profile(cache.profile, prof)) {
      cache.groups = groups;
      update_reflection_d(cache.groups, crystal.lattice);
      cache.shapes = peak_shapes(data, cache.groups, prof);
      cache.lattice = crystal.lattice.matrix();
      cache.profile = prof;
      cache.valid = true;
    }
    const std::vector<double> inten = group_intensities(crystal, cache.groups);
    const std::vector<double> unit = sum_peak_shapes(cache.shapes, inten, data.size());
    Eval e;
    e.coef = linear_fit(data, data.y, basis, &unit);
    e.scale = e.coef.back();
    e.y_background.assign(data.size(), 0.0);
    for (std::size_t j = 0; j < basis.size(); ++j)
      for (std::size_t i = 0; i < data.size(); ++i) e.y_background[i] += e.coef[j] * basis[j][i];
    e.y_calc.resize(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) e.y_calc[i] = e.y_background[i] + e.scale * unit[i];
    e.coef.pop_back();
    return e;
  }
};

Model make_model(const PowderData& data, const Crystal& start, CrystalSystem system, const ProfileParams& profile,
                 int background_terms) {
  const double d_min = reflection_d_min_angstrom(data, profile);
  Model m{data, system, start, enumerate_reflections(start.lattice, d_min), background_basis(data, background_terms),
          {}, {}, 0};
  for (const Site& s : start.sites) {
    auto it = std::find(m.species.begin(), m.species.end(), s.atomic_number);
    if (it == m.species.end()) {
      m.species.push_back(s.atomic_number);
      m.site_species.push_back(m.species.size() - 1);
    } else {
      m.site_species.push_back(static_cast<std::size_t>(it - m.species.begin()));
    }
  }
  m.nc = cell_free_parameters(start.lattice, system).size();
  return m;
}

RietveldResult finish(const PowderData& data, const Model& m, const Crystal& crystal, const ProfileParams& prof,
                      int n_parameters) {
  const Model::Eval e = m.evaluate(crystal, prof);
  RietveldResult r;
  r.crystal = crystal;
  r.crystal.wrap_to_unit_cell();
  r.system = m.system;
  r.profile = prof;
  r.scale = e.scale;
  r.background = e.coef;
  r.y_calc = e.y_calc;
  r.y_background = e.y_background;
  r.n_parameters = n_parameters;
  r.n_points = static_cast<int>(std::count_if(data.w.begin(), data.w.end(), [](double w) { return w > 0; }));
  r.rwp = weighted_r_factor(data, e.y_calc);
  r.rexp = expected_r_factor(data, n_parameters);
  r.gof = r.rexp > 0 ? r.rwp / r.rexp : 0;
  std::vector<double> a(data.size()), b(data.size());
  double amax = 0, bmax = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    a[i] = data.y[i] - e.y_background[i];
    b[i] = e.y_calc[i] - e.y_background[i];
    amax = std::max(amax, a[i]);
    bmax = std::max(bmax, b[i]);
  }
  double num = 0, den = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double an = amax > 0 ? a[i] / amax : 0, bn = bmax > 0 ? b[i] / bmax : 0;
    num += (an - bn) * (an - bn);
    den += an * an;
  }
  r.rwp2_profile = den > 0 ? num / den : 1.0;
  return r;
}

}  // namespace

RietveldResult rietveld_evaluate(const PowderData& data, const Crystal& crystal, const ProfileParams& profile,
                                 int background_terms) {
  const Model m = make_model(data, crystal, CrystalSystem::Triclinic, profile, background_terms);
  return finish(data, m, crystal, profile, 1 + background_terms);
}

RietveldResult rietveld_refine(const PowderData& data, const Crystal& start, CrystalSystem system,
                               const ProfileParams& start_profile, const RietveldOptions& options,
                               const CancelToken& cancel) {
  if (start.sites.empty()) throw Error("Rietveld refinement of an empty structure");
  Model m = make_model(data, start, system, start_profile, options.background_terms);
  std::vector<double> full = m.pack(start_profile, options.b_iso_start_angstrom2);
  ProfileParams base_profile = start_profile;
  int n_par = 0;
  // Stage 0 aligns the peaks (cell, zero); stage 1 adds B; stage 2 coordinates; stage 3 the profile. B gets a
  // stage of its own: with atoms on special positions, forward differences see only curvature along those
  // coordinates, and their spurious steps can stall the first fit that includes them.
  for (int stage = 0; stage < 4; ++stage) {
    std::vector<std::size_t> free;
    std::vector<double> steps;
    for (std::size_t k = 0; k < m.nc && options.refine_cell; ++k) {
      free.push_back(k);
      steps.push_back(k < 3 ? 1e-4 : 1e-3);
    }
    const std::size_t o = m.profile_offset();
    if (options.refine_zero) {
      free.push_back(o);
      steps.push_back(1e-4);
    }
    if (options.refine_profile && stage == 3) {
      free.insert(free.end(), {o + 1, o + 2, o + 3, o + 4});
      steps.insert(steps.end(), {1e-4, 1e-5, 1e-4, 1e-3});
    }
    for (std::size_t s = 0; s < m.species.size() && options.refine_b_iso && stage >= 1; ++s) {
      free.push_back(m.b_offset() + s);
      steps.push_back(1e-2);
    }
    for (std::size_t k = m.coord_offset(); k < m.size() && options.refine_coordinates && stage >= 2; ++k) {
      free.push_back(k);
      steps.push_back(1e-4);
    }
    auto expand = [&](const std::vector<double>& q) {
      std::vector<double> p = full;
      for (std::size_t k = 0; k < free.size(); ++k) p[free[k]] = q[k];
      return p;
    };
    auto residual = [&](const std::vector<double>& q) {
      const std::vector<double> p = expand(q);
      Crystal c;
      try {
        c = m.crystal_of(p);
      } catch (const Error&) {
        return std::vector<double>(data.size(), 1e30);
      }
      const Model::Eval e = m.evaluate(c, m.profile_of(p, base_profile, options.max_zero_deg));
      std::vector<double> r(data.size());
      for (std::size_t i = 0; i < data.size(); ++i) r[i] = std::sqrt(data.w[i]) * (data.y[i] - e.y_calc[i]);
      return r;
    };
    std::vector<double> q0;
    for (std::size_t k : free) q0.push_back(full[k]);
    LmOptions lm;
    lm.max_iterations = stage <= 1 ? std::max(3, options.iterations / 2) : options.iterations;
    full = expand(levenberg_marquardt(q0, steps, residual, lm, cancel));
    n_par = static_cast<int>(free.size()) + 1 + options.background_terms;
  }
  const std::vector<double>& p = full;
  // The fit may go below B = 0 (a wall there stalls the damped steps); a negative B is unphysical, so the
  // result reports B ≥ 0 and is evaluated with it.
  Crystal refined = m.crystal_of(p);
  for (Site& site : refined.sites) site.b_iso_angstrom2 = std::max(site.b_iso_angstrom2, 0.0);
  return finish(data, m, refined, m.profile_of(p, base_profile, options.max_zero_deg), n_par);
}

RietveldResult rietveld_exchange_descent(const PowderData& data, const RietveldResult& start, int max_rounds,
                                         const CancelToken& cancel, int background_terms) {
  const Model m = make_model(data, start.crystal, start.system, start.profile, background_terms);
  Crystal current = start.crystal;
  double current_rwp = weighted_r_factor(data, m.evaluate(current, start.profile).y_calc);
  bool changed = false;
  const std::size_t n = current.sites.size();
  for (int round = 0; round < max_rounds; ++round) {
    double best_rwp = current_rwp * (1.0 - 0.002);
    std::size_t best_i = n, best_j = n;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if (current.sites[i].atomic_number == current.sites[j].atomic_number) continue;
        if (cancel.cancelled()) throw Cancelled();
        Crystal trial = current;
        std::swap(trial.sites[i].frac, trial.sites[j].frac);
        const double rwp = weighted_r_factor(data, m.evaluate(trial, start.profile).y_calc);
        if (rwp < best_rwp) {
          best_rwp = rwp;
          best_i = i;
          best_j = j;
        }
      }
    }
    if (best_i == n) break;
    std::swap(current.sites[best_i].frac, current.sites[best_j].frac);
    current_rwp = best_rwp;
    changed = true;
  }
  if (!changed) return start;
  return finish(data, m, current, start.profile, start.n_parameters);
}

}  // namespace pxrd
