// Powder pattern simulation, following pymatgen's XRDCalculator (science.md §1) for the sticks.
#include "pxrd/simulator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <exception>
#include <map>
#include <sstream>
#include <thread>
#include <unsupported/Eigen/FFT>
#include <utility>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"
#include "pxrd/parallel.hpp"
#include "pxrd/phase_tables.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/scattering.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

namespace {

constexpr double kTwoThetaMergeTolDeg = 1e-5;  // pymatgen AbstractDiffractionPatternCalculator.TWO_THETA_TOL
constexpr double kScaledIntensityTol = 1e-3;   // pymatgen SCALED_INTENSITY_TOL (on the 0–100 scale)
constexpr double kMaxReflections = 2e7;        // refuse cells whose limiting sphere holds more points
constexpr double kGaussFwhmToSigma = 0.42466090014400953;  // 1 / (2 √(2 ln 2))

// One reciprocal lattice point with its |F|² (no Lorentz-polarisation yet).
struct RawReflection {
  double g_inv_angstrom;  // |g| = 1/d, no 2π
  double f2;
  int h, k, l;
};

// Atoms grouped by (element, B) so that f(s)·DW is computed once per group and reflection.
struct Species {
  const XrayScatteringCoefficients* coeffs;
  int z;
  double b_iso;
  int begin, end;  // atom range in the sorted atom arrays
};

std::string source_of(const Crystal& c) { return c.source.empty() ? c.name : c.source; }

// Enumerates every g with g_min <= |g| <= g_max and computes |F(g)|² for it, sorted as pymatgen sorts
// (|g|, then −h, −k, −l). Phases come from per-atom tables exp(2πi·h·x), so no trig runs per reflection.
std::vector<RawReflection> structure_factors(const Crystal& crystal, double g_min, double g_max, bool debye_waller) {
  const std::string src = source_of(crystal);
  if (crystal.sites.empty()) throw InputError(src, 0, "the structure has no atoms");
  const Eigen::Matrix3d& m = crystal.lattice.matrix();
  const double volume = crystal.lattice.volume_angstrom3();
  if (!m.allFinite() || !(volume > 1e-6)) throw InputError(src, 0, "the unit cell is degenerate");
  if (!(g_max > 0) || g_max < g_min) return {};
  if (4.18879 * g_max * g_max * g_max * volume > kMaxReflections)
    throw InputError(src, 0, "the unit cell is too large to enumerate its reflections");

  // Species and atom arrays.
  std::map<std::pair<int, double>, std::vector<int>> groups;
  for (std::size_t i = 0; i < crystal.sites.size(); ++i) {
    const Site& s = crystal.sites[i];
    int z = s.atomic_number > 0 ? s.atomic_number : atomic_number_or_negative(s.element);
    if (z <= 0) throw InputError(src, 0, "unknown element '" + s.element + "'");
    if (!s.frac.allFinite() || !std::isfinite(s.occupancy) || !std::isfinite(s.b_iso_angstrom2))
      throw InputError(src, 0, "atom " + std::to_string(i + 1) + " has a non-finite coordinate or parameter");
    groups[{z, debye_waller ? s.b_iso_angstrom2 : 0.0}].push_back(static_cast<int>(i));
  }
  std::vector<Species> species;
  std::vector<int> order;
  for (const auto& [key, atoms] : groups) {
    const XrayScatteringCoefficients* c = xray_scattering_coefficients_or_null(key.first);
    if (!c) throw InputError(src, 0, "no X-ray scattering coefficients for " + element_symbol(key.first));
    const int begin = static_cast<int>(order.size());
    order.insert(order.end(), atoms.begin(), atoms.end());
    species.push_back({c, key.first, key.second, begin, static_cast<int>(order.size())});
  }

  // Index bounds: |h| = |g·a| <= |g||a|.
  int hmax[3];
  for (int d = 0; d < 3; ++d) hmax[d] = static_cast<int>(std::floor(g_max * m.row(d).norm() + 1e-9));

  // Phase tables over the sorted atoms; axis 0 also carries the occupancy.
  std::vector<Eigen::Vector3d> sorted_frac;
  std::vector<double> occupancy;
  for (int j : order) {
    const Site& site = crystal.sites[static_cast<std::size_t>(j)];
    sorted_frac.push_back(site.frac);
    occupancy.push_back(site.occupancy);
  }
  const PhaseTables tables(sorted_frac, {hmax[0], hmax[1], hmax[2]}, occupancy);

  // Enumerate points inside the shell.
  const Eigen::Matrix3d r = crystal.lattice.reciprocal_matrix();  // rows a*, b*, c*
  const double g2_min = g_min * g_min, g2_max = g_max * g_max;
  std::vector<RawReflection> out;
  out.reserve(static_cast<std::size_t>(4.18879 * g_max * g_max * g_max * volume * 1.1) + 16);
  for (int h = -hmax[0]; h <= hmax[0]; ++h) {
    const Eigen::Vector3d gh = h * r.row(0).transpose();
    for (int k = -hmax[1]; k <= hmax[1]; ++k) {
      const Eigen::Vector3d ghk = gh + k * r.row(1).transpose();
      for (int l = -hmax[2]; l <= hmax[2]; ++l) {
        if (h == 0 && k == 0 && l == 0) continue;
        const double g2 = (ghk + l * r.row(2).transpose()).squaredNorm();
        if (g2 > g2_max || g2 < g2_min) continue;
        out.push_back({std::sqrt(g2), 0.0, h, k, l});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RawReflection& a, const RawReflection& b) {
    if (a.g_inv_angstrom != b.g_inv_angstrom) return a.g_inv_angstrom < b.g_inv_angstrom;
    if (a.h != b.h) return a.h > b.h;
    if (a.k != b.k) return a.k > b.k;
    return a.l > b.l;
  });

  // Structure factors; f(s)·DW per species is reused across reflections of equal |g|.
  std::vector<double> fs(species.size());
  double last_g = -1;
  for (RawReflection& rr : out) {
    if (rr.g_inv_angstrom != last_g) {
      last_g = rr.g_inv_angstrom;
      const double s2 = 0.25 * last_g * last_g;
      for (std::size_t t = 0; t < species.size(); ++t) {
        const auto& c = *species[t].coeffs;
        double sum = 0;
        for (int i = 0; i < 4; ++i) sum += c.a[i] * std::exp(-c.b[i] * s2);
        fs[t] = (species[t].z - 41.78214 * s2 * sum) * std::exp(-species[t].b_iso * s2);
      }
    }
    const PhaseTables::Rows rows = tables.rows(rr.h, rr.k, rr.l);
    double fre = 0, fim = 0;
    for (std::size_t t = 0; t < species.size(); ++t) {
      double sre = 0, sim = 0;
      for (int j = species[t].begin; j < species[t].end; ++j) {
        double re, im;
        rows.phase(static_cast<std::size_t>(j), re, im);
        sre += re;
        sim += im;
      }
      fre += fs[t] * sre;
      fim += fs[t] * sim;
    }
    rr.f2 = fre * fre + fim * fim;
  }
  return out;
}

// g = 2 sinθ / λ for a 2θ in degrees, clamped to [0, 180].
double g_for_two_theta(double two_theta_deg, double lambda_angstrom) {
  const double tt = std::clamp(two_theta_deg, 0.0, 180.0);
  return 2.0 * std::sin(deg_to_rad(tt) / 2.0) / lambda_angstrom;
}

double lorentz_polarisation(double theta_rad) {
  const double c2 = std::cos(2.0 * theta_rad), s = std::sin(theta_rad);
  return (1.0 + c2 * c2) / (s * s * std::cos(theta_rad));
}

// A line of a profile: position and FWHM in the output x unit, and its area.
struct Line {
  double x;
  double area;
  double fwhm;
};

constexpr double kGaussReachFwhm = 5.0;      // beyond, a Gaussian is below 1e-30 of its height
constexpr double kLorentzReachFwhm = 60.0;   // the Lorentzian tail beyond holds 0.5 % of its area
constexpr double kPointSampleFwhmSteps = 4;  // lines at least this many grid steps wide are point-sampled

// Integrated profile (cumulative distribution) of a unit-area peak at 0 with the given FWHM.
double profile_cdf(double dx, double fwhm, ProfileShape shape, double eta) {
  const double sigma = fwhm * kGaussFwhmToSigma;
  const double z = dx / (sigma * std::sqrt(2.0));
  const double gauss = z < -8 ? 0.0 : z > 8 ? 1.0 : 0.5 * std::erfc(-z);
  if (shape == ProfileShape::Gaussian) return gauss;
  const double lorentz = 0.5 + std::atan(2.0 * dx / fwhm) / kPi;
  return eta * lorentz + (1.0 - eta) * gauss;
}

// Adds area · Gaussian(FWHM) centred at `pos` (both in grid steps) as point samples, density per unit x.
// exp() runs once per side: g(u+1) = g(u)·r, r(u+1) = r(u)·exp(−2a) for g = exp(−a u²).
void add_gaussian_points(double area_per_dx, double pos, double fwhm_steps, std::vector<double>& y) {
  const long n = static_cast<long>(y.size());
  const double sigma = fwhm_steps * kGaussFwhmToSigma;
  const double a = 0.5 / (sigma * sigma);
  const double amp = area_per_dx / (sigma * std::sqrt(2.0 * kPi));
  const double half = kGaussReachFwhm * fwhm_steps;
  const long i0 = std::max(0L, static_cast<long>(std::floor(pos - half)));
  const long i1 = std::min(n - 1, static_cast<long>(std::ceil(pos + half)));
  if (i1 < i0) return;
  const long ic = std::clamp(std::lround(pos), i0, i1);
  const double u = static_cast<double>(ic) - pos;
  const double gc = amp * std::exp(-a * u * u), c = std::exp(-2.0 * a);
  double g = gc, r = std::exp(-a * (2.0 * u + 1.0));
  for (long i = ic; i <= i1; ++i, g *= r, r *= c) y[i] += g;
  r = std::exp(-a * (1.0 - 2.0 * u));
  g = gc * r;
  r *= c;
  for (long i = ic - 1; i >= i0; --i, g *= r, r *= c) y[i] += g;
}

void add_lorentzian_points(double area_per_dx, double pos, double fwhm_steps, std::vector<double>& y) {
  const long n = static_cast<long>(y.size());
  const double half = kLorentzReachFwhm * fwhm_steps;
  const long i0 = std::max(0L, static_cast<long>(std::floor(pos - half)));
  const long i1 = std::min(n - 1, static_cast<long>(std::ceil(pos + half)));
  const double amp = area_per_dx * 2.0 / (kPi * fwhm_steps), k = 4.0 / (fwhm_steps * fwhm_steps);
  for (long i = i0; i <= i1; ++i) {
    const double u = static_cast<double>(i) - pos;
    y[i] += amp / (1.0 + k * u * u);
  }
}

// Adds the lines to y on the uniform grid x_i = x0 + i·dx, as a density per unit x (areas equal line.area).
// Lines narrower than a few steps are averaged over each cell [x_i − dx/2, x_i + dx/2] from the integrated
// profile, so their area is exact however narrow they are (fwhm 0 puts the line into one cell); wider lines are
// point-sampled, which keeps the area (to far below 1e-6 at 4 steps per FWHM) and is much cheaper.
void render_lines(const std::vector<Line>& lines, double x0, double dx, ProfileShape shape, double eta,
                  std::vector<double>& y) {
  const long n = static_cast<long>(y.size());
  const double w_lorentz = shape == ProfileShape::Gaussian ? 0.0 : eta;
  std::vector<double> cdf;
  for (const Line& line : lines) {
    if (!(line.area > 0)) continue;
    const double pos = (line.x - x0) / dx;  // in steps
    const double fwhm = line.fwhm / dx;
    if (!(fwhm > 0)) {
      const long i = std::lround(pos);
      if (i >= 0 && i < n) y[i] += line.area / dx;
      continue;
    }
    if (fwhm >= kPointSampleFwhmSteps) {
      if (w_lorentz < 1.0) add_gaussian_points((1.0 - w_lorentz) * line.area / dx, pos, fwhm, y);
      if (w_lorentz > 0.0) add_lorentzian_points(w_lorentz * line.area / dx, pos, fwhm, y);
      continue;
    }
    const double half = (w_lorentz > 0 ? kLorentzReachFwhm : kGaussReachFwhm) * fwhm;
    const long i0 = std::max(0L, static_cast<long>(std::floor(pos - half)));
    const long i1 = std::min(n - 1, static_cast<long>(std::ceil(pos + half)));
    if (i1 < i0) continue;
    cdf.resize(static_cast<std::size_t>(i1 - i0 + 2));
    for (long i = i0; i <= i1 + 1; ++i) cdf[i - i0] = profile_cdf(i - 0.5 - pos, fwhm, shape, eta);
    for (long i = i0; i <= i1; ++i) y[i] += line.area * (cdf[i - i0 + 1] - cdf[i - i0]) / dx;
  }
}

// out = y ⊛ w for a symmetric kernel w[0..M] (w[−m] = w[m]); values beyond the ends count as zero.
// Direct sums for short kernels, an FFT (zero-padded, so nothing wraps round) for long ones.
std::vector<double> convolve_symmetric(const std::vector<double>& y, const std::vector<double>& w) {
  const std::size_t n = y.size(), m_max = w.size() - 1;
  if (m_max < 32 || static_cast<double>(m_max) * static_cast<double>(n) < 2e5) {
    std::vector<double> out(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double yi = y[i];
      if (yi == 0) continue;  // sticks patterns are mostly zero
      out[i] += w[0] * yi;
      const std::size_t up = std::min(m_max, n - 1 - i), down = std::min(m_max, i);
      for (std::size_t m = 1; m <= up; ++m) out[i + m] += w[m] * yi;
      for (std::size_t m = 1; m <= down; ++m) out[i - m] += w[m] * yi;
    }
    return out;
  }
  std::size_t len = 1;
  while (len < n + m_max) len <<= 1;
  std::vector<double> a(len, 0.0), k(len, 0.0);
  std::copy(y.begin(), y.end(), a.begin());
  k[0] = w[0];
  for (std::size_t m = 1; m <= m_max; ++m) k[m] = k[len - m] = w[m];
  Eigen::FFT<double> fft;
  fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
  std::vector<std::complex<double>> fa, fk;
  fft.fwd(fa, a);
  fft.fwd(fk, k);
  for (std::size_t i = 0; i < fa.size(); ++i) fa[i] *= fk[i];
  std::vector<double> out;
  fft.inv(out, fa);
  out.resize(n);
  return out;
}

// Sums reflections of (numerically) equal |g| and applies LP for one wavelength. Positions are returned as
// (2θ in degrees, λ-line intensity); lines beyond 2θ = 180° are dropped.
struct StickLine {
  double two_theta_deg;
  double theta_rad;
  double intensity;
};

std::vector<StickLine> lines_for_wavelength(const std::vector<RawReflection>& raw, double lambda_angstrom,
                                            double weight) {
  std::vector<StickLine> out;
  std::size_t i = 0;
  while (i < raw.size()) {
    const double g = raw[i].g_inv_angstrom;
    double f2 = 0;
    std::size_t j = i;
    for (; j < raw.size() && raw[j].g_inv_angstrom - g <= 1e-12 * g; ++j) f2 += raw[j].f2;
    i = j;
    const double s = lambda_angstrom * g / 2.0;
    if (s >= 1.0) continue;
    const double theta = std::asin(s);
    out.push_back({rad_to_deg(2.0 * theta), theta, weight * f2 * lorentz_polarisation(theta)});
  }
  return out;
}

std::vector<double> uniform_grid(double x0, double dx, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = x0 + dx * static_cast<double>(i);
  return x;
}

// Linear interpolation of the uniform grid (x0, dx, y) at x; zero outside.
double interpolate_uniform(const std::vector<double>& y, double x0, double dx, double x) {
  const double p = (x - x0) / dx;
  if (!(p >= 0) || p > static_cast<double>(y.size() - 1)) return 0.0;
  const std::size_t i = std::min(static_cast<std::size_t>(p), y.size() - 2);
  const double t = p - static_cast<double>(i);
  return y[i] * (1.0 - t) + y[i + 1] * t;
}

double sinc2(double x) {
  if (std::abs(x) < 1e-8) return 1.0;
  const double s = std::sin(x) / x;
  return s * s;
}

std::string shape_name(ProfileShape shape) { return shape == ProfileShape::Gaussian ? "gaussian" : "pseudo-voigt"; }

std::string describe_options(const Radiation& radiation, const ProfileOptions& p, const GridOptions& g,
                             double q_max_inv_angstrom) {
  std::ostringstream os;
  os.precision(10);
  os << "simulate(radiation=" << radiation.name << ", profile=" << shape_name(p.shape);
  if (p.caglioti_u != 0 || p.caglioti_v != 0 || p.caglioti_w != 0)
    os << ", caglioti_uvw_deg2=" << p.caglioti_u << "/" << p.caglioti_v << "/" << p.caglioti_w;
  else
    os << ", fwhm_deg=" << p.fwhm_deg;
  if (p.shape == ProfileShape::PseudoVoigt) os << ", eta=" << p.eta;
  if (p.size_angstrom > 0) os << ", size_angstrom=" << p.size_angstrom;
  if (!p.debye_waller) os << ", debye_waller=off";
  if (g.q_grid)
    os << ", q_grid=" << g.q_min_inv_angstrom << ".." << q_max_inv_angstrom << "/" << g.q_points;
  else
    os << ", two_theta_deg=" << g.x_min << ".." << g.x_max << "/" << g.x_step;
  os << ")";
  return os.str();
}

}  // namespace

std::vector<Reflection> simulate_sticks(const Crystal& crystal, const StickOptions& options) {
  const double lambda = options.lambda_angstrom;
  if (!(lambda > 0) || !std::isfinite(lambda)) throw Error("simulate_sticks: the wavelength must be positive");
  if (!(options.two_theta_max_deg > options.two_theta_min_deg)) throw Error("simulate_sticks: the 2θ range is empty");
  const double g_min = options.two_theta_min_deg > 0 ? g_for_two_theta(options.two_theta_min_deg, lambda) : 0.0;
  const double g_max = g_for_two_theta(options.two_theta_max_deg, lambda);
  const std::vector<RawReflection> raw = structure_factors(crystal, g_min, g_max, options.debye_waller);

  // Merge as pymatgen does: a reflection joins the earliest peak whose 2θ is within the tolerance.
  std::vector<Reflection> peaks;
  for (const RawReflection& rr : raw) {
    const double theta = std::asin(lambda * rr.g_inv_angstrom / 2.0);
    const double tt = rad_to_deg(2.0 * theta);
    const double intensity = rr.f2 * lorentz_polarisation(theta);
    long match = -1;
    for (long p = static_cast<long>(peaks.size()) - 1; p >= 0; --p) {
      const double diff = std::abs(peaks[p].two_theta_deg - tt);
      if (diff < kTwoThetaMergeTolDeg)
        match = p;
      else if (peaks[p].two_theta_deg < tt)
        break;
    }
    if (match >= 0) {
      peaks[match].intensity += intensity;
      peaks[match].hkls.push_back({rr.h, rr.k, rr.l});
      peaks[match].multiplicity += 1;
    } else {
      Reflection r;
      r.two_theta_deg = tt;
      r.d_angstrom = 1.0 / rr.g_inv_angstrom;
      r.q_inv_angstrom = 2.0 * kPi * rr.g_inv_angstrom;
      r.intensity = intensity;
      r.multiplicity = 1;
      r.hkls.push_back({rr.h, rr.k, rr.l});
      peaks.push_back(std::move(r));
    }
  }
  double max_intensity = 0;
  for (const auto& p : peaks) max_intensity = std::max(max_intensity, p.intensity);
  if (!(max_intensity > 0)) return {};
  std::vector<Reflection> kept;
  kept.reserve(peaks.size());
  for (auto& p : peaks) {
    if (!(p.intensity / max_intensity * 100.0 > kScaledIntensityTol)) continue;
    if (options.scaled) p.intensity = p.intensity / max_intensity * 100.0;
    kept.push_back(std::move(p));
  }
  std::sort(kept.begin(), kept.end(),
            [](const Reflection& a, const Reflection& b) { return a.two_theta_deg < b.two_theta_deg; });
  return kept;
}

double profile_fwhm_deg(const ProfileOptions& profile, double two_theta_deg) {
  if (profile.caglioti_u == 0 && profile.caglioti_v == 0 && profile.caglioti_w == 0) return profile.fwhm_deg;
  const double t = std::tan(deg_to_rad(two_theta_deg) / 2.0);
  const double f2 = profile.caglioti_u * t * t + profile.caglioti_v * t + profile.caglioti_w;
  return f2 > 0 ? std::sqrt(f2) : 0.0;
}

double sinc2_fwhm_inv_angstrom(double size_angstrom) {
  // sinc²(x) = 1/2 at x = 1.391557 (root of sin x = x/√2); the kernel is sinc²(Qτ/2), so FWHM = 4·1.391557/τ.
  return 5.566229 / size_angstrom;
}

std::vector<double> sinc2_broaden_uniform_q(const std::vector<double>& q, const std::vector<double>& y,
                                            double size_angstrom) {
  if (q.size() != y.size()) throw Error("sinc2_broaden_uniform_q: Q and intensity differ in length");
  if (q.size() < 2) throw Error("sinc2_broaden_uniform_q: at least two points are needed");
  if (!(size_angstrom > 0)) return y;
  const std::size_t n = q.size();
  const double dq = (q.back() - q.front()) / static_cast<double>(n - 1);
  if (!(dq > 0)) throw Error("sinc2_broaden_uniform_q: Q must increase");
  for (std::size_t i = 1; i < n; ++i)
    if (std::abs(q[i] - q[i - 1] - dq) > 1e-6 * dq + 1e-12)
      throw Error("sinc2_broaden_uniform_q: the Q grid is not uniform at point " + std::to_string(i + 1));

  // Kernel: sinc²(Qτ/2) averaged over each cell, out to 50 zeros (the tail beyond holds ~0.6 % of the area, and
  // the normalisation gives it back) or the grid length.
  const double fwhm = sinc2_fwhm_inv_angstrom(size_angstrom);
  const double half_width = 50.0 * 2.0 * kPi / size_angstrom;
  const std::size_t m_max = std::min(n - 1, static_cast<std::size_t>(std::ceil(half_width / dq)));
  const int sub = static_cast<int>(std::clamp(std::ceil(16.0 * dq / fwhm), 1.0, 4096.0));
  std::vector<double> w(m_max + 1);
  double total = 0;
  for (std::size_t m = 0; m <= m_max; ++m) {
    double acc = 0;
    for (int s = 0; s < sub; ++s) {
      const double qq = (static_cast<double>(m) - 0.5 + (s + 0.5) / sub) * dq;
      acc += sinc2(qq * size_angstrom / 2.0);
    }
    w[m] = acc / sub;
    total += m == 0 ? w[m] : 2.0 * w[m];
  }
  for (double& v : w) v /= total;

  return convolve_symmetric(y, w);
}

Pattern simulate_pattern(const Crystal& crystal, const Radiation& radiation, const ProfileOptions& profile,
                         const GridOptions& grid) {
  const double lambda1 = radiation.lambda1_angstrom;
  if (!(lambda1 > 0) || !std::isfinite(lambda1)) throw Error("simulate_pattern: the radiation has no wavelength");
  const bool doublet = radiation.has_second_line();
  const double lambda2 = doublet ? radiation.lambda2_angstrom : lambda1;
  if (!(profile.fwhm_deg >= 0) || !std::isfinite(profile.fwhm_deg))
    throw Error("simulate_pattern: the FWHM must be zero or positive");
  if (profile.shape == ProfileShape::PseudoVoigt && !(profile.eta >= 0 && profile.eta <= 1))
    throw Error("simulate_pattern: the pseudo-Voigt fraction must lie in [0, 1]");
  const double q_limit = 4.0 * kPi / lambda1;  // 2θ = 180° for λ1

  // Output grid.
  double x0, dx;
  std::size_t n;
  if (grid.q_grid) {
    const double q_max = grid.q_max_inv_angstrom > 0 ? grid.q_max_inv_angstrom : q_limit;
    if (grid.q_points < 2 || !(q_max > grid.q_min_inv_angstrom) || grid.q_min_inv_angstrom < 0)
      throw Error("simulate_pattern: the Q grid needs q_min >= 0, q_max > q_min and at least 2 points");
    n = static_cast<std::size_t>(grid.q_points);
    x0 = grid.q_min_inv_angstrom;
    dx = (q_max - x0) / static_cast<double>(n - 1);
  } else {
    if (!(grid.x_step > 0) || !(grid.x_max > grid.x_min) || grid.x_min < 0 || grid.x_max > 180)
      throw Error("simulate_pattern: the 2θ grid needs 0 <= min < max <= 180 and a positive step");
    n = static_cast<std::size_t>(std::floor((grid.x_max - grid.x_min) / grid.x_step + 1e-9)) + 1;
    if (n > 50'000'000) throw Error("simulate_pattern: the 2θ grid has too many points");
    x0 = grid.x_min;
    dx = grid.x_step;
  }
  const double x_end = x0 + dx * static_cast<double>(n - 1);

  // Q range (λ1-based) the output covers, widened by the reach of the profile and of the sinc² kernel.
  // Widest profile over the output range (a Caglioti width diverges at 180°, so not beyond the range).
  const double tt_first = grid.q_grid ? q_inv_angstrom_to_two_theta_deg(x0, lambda1) : x0;
  const double tt_last = grid.q_grid
                             ? std::min(179.9, q_inv_angstrom_to_two_theta_deg(std::min(x_end, q_limit), lambda1))
                             : std::min(179.9, x_end);
  double fwhm_max_deg = 0;
  for (int i = 0; i <= 32; ++i)
    fwhm_max_deg = std::max(fwhm_max_deg, profile_fwhm_deg(profile, tt_first + (tt_last - tt_first) * i / 32));
  const double reach_deg = (profile.shape == ProfileShape::Gaussian ? 5.0 : 60.0) * fwhm_max_deg + 1e-6;
  const bool sized = profile.size_angstrom > 0;
  const double sinc_reach = sized ? 50.0 * 2.0 * kPi / profile.size_angstrom : 0.0;
  double q_lo, q_hi;
  if (grid.q_grid) {
    q_lo = x0;
    q_hi = x_end;
  } else {
    q_lo = two_theta_deg_to_q_inv_angstrom(std::max(0.0, x0 - reach_deg), lambda1);
    q_hi = two_theta_deg_to_q_inv_angstrom(std::min(180.0, x_end + reach_deg), lambda1);
  }
  // Widen in Q for a Q-grid profile and for the sinc² kernel (a generous bound: the profile at 180° is widest).
  const double reach_q = (grid.q_grid ? deg_to_rad(reach_deg) * 2.0 * kPi / lambda1 : 0.0) + sinc_reach;
  q_lo = std::max(0.0, q_lo - reach_q);
  q_hi = std::min(q_limit, q_hi + reach_q);
  // A Kα2 line shows at Q·λ2/λ1 of its |g|, so reach lower |g| for it.
  const double g_lo = q_lo / (2.0 * kPi) * std::min(1.0, lambda1 / lambda2);
  const double g_hi = std::min(q_hi / (2.0 * kPi), 2.0 / std::min(lambda1, lambda2));
  const std::vector<RawReflection> raw = structure_factors(crystal, g_lo, g_hi, profile.debye_waller);

  // Lines in the unit of the grid they are rendered on.
  const bool render_in_q = grid.q_grid || sized;
  std::vector<Line> lines;
  auto add_lines = [&](double lambda, double weight) {
    for (const StickLine& s : lines_for_wavelength(raw, lambda, weight)) {
      const double fwhm_deg = profile_fwhm_deg(profile, s.two_theta_deg);
      if (!render_in_q) {
        lines.push_back({s.two_theta_deg, s.intensity, fwhm_deg});
        continue;
      }
      // Displayed Q uses λ1; widths map through dQ/d2θ = (2π/λ1) cosθ.
      const double q = 4.0 * kPi * std::sin(s.theta_rad) / lambda1;
      lines.push_back({q, s.intensity, deg_to_rad(fwhm_deg) * 2.0 * kPi / lambda1 * std::cos(s.theta_rad)});
    }
  };
  add_lines(lambda1, 1.0);
  if (doublet) add_lines(lambda2, radiation.ratio);

  Pattern pattern;
  pattern.x = uniform_grid(x0, dx, n);
  pattern.y.assign(n, 0.0);
  pattern.x_unit = grid.q_grid ? XUnit::QInvAngstrom : XUnit::TwoThetaDeg;
  if (!sized) {
    render_lines(lines, x0, dx, profile.shape, profile.eta, pattern.y);
  } else {
    // Internal Q grid: fine enough for the kernel (8 points per FWHM) and at least as fine as the output.
    const double out_dq = grid.q_grid ? dx : (q_hi - q_lo) / static_cast<double>(n);
    double fdq = std::min(sinc2_fwhm_inv_angstrom(profile.size_angstrom) / 8.0, out_dq);
    fdq = std::max(fdq, (q_hi - q_lo) / 400000.0);
    const std::size_t fn = static_cast<std::size_t>(std::ceil((q_hi - q_lo) / fdq)) + 1;
    const std::vector<double> fq = uniform_grid(q_lo, fdq, fn);
    std::vector<double> fy(fn, 0.0);
    render_lines(lines, q_lo, fdq, profile.shape, profile.eta, fy);
    fy = sinc2_broaden_uniform_q(fq, fy, profile.size_angstrom);
    for (std::size_t i = 0; i < n; ++i) {
      const double x = pattern.x[i];
      if (grid.q_grid) {
        pattern.y[i] = interpolate_uniform(fy, q_lo, fdq, x);
      } else {
        // Intensity per degree: y(Q) · dQ/d2θ.
        const double theta = deg_to_rad(x) / 2.0;
        const double jac = 2.0 * kPi / lambda1 * std::cos(theta) * kPi / 180.0;
        pattern.y[i] = interpolate_uniform(fy, q_lo, fdq, two_theta_deg_to_q_inv_angstrom(x, lambda1)) * jac;
      }
    }
  }
  double y_max = 0;
  for (double v : pattern.y) y_max = std::max(y_max, v);
  if (y_max > 0)
    for (double& v : pattern.y) v = v / y_max * 100.0;
  pattern.radiation = radiation;
  pattern.history.push_back(describe_options(radiation, profile, grid, x_end));
  pattern.source = source_of(crystal);
  pattern.format = "simulated";
  return pattern;
}

Pattern ideal_cu_ka_pattern(const Crystal& crystal, double size_angstrom) {
  ProfileOptions profile;
  profile.shape = ProfileShape::Gaussian;
  profile.fwhm_deg = 0.1;
  profile.size_angstrom = size_angstrom;
  GridOptions grid;
  grid.x_min = 5;
  grid.x_max = 90;
  grid.x_step = 0.02;
  return simulate_pattern(crystal, radiation_from_string("CuKa"), profile, grid);
}

std::vector<Pattern> simulate_batch(const std::vector<Crystal>& crystals, const Radiation& radiation,
                                    const ProfileOptions& profile, const GridOptions& grid, int threads,
                                    const CancelToken* cancel, ProgressSink* progress) {
  std::vector<Pattern> out(crystals.size());
  std::atomic<std::size_t> done{0};
  const std::string total = std::to_string(crystals.size());
  parallel_for(crystals.size(), worker_count(threads), [&](std::size_t i) {
    if (cancel) cancel->throw_if_cancelled();
    try {
      out[i] = simulate_pattern(crystals[i], radiation, profile, grid);
    } catch (const std::exception& e) {
      out[i] = Pattern();
      out[i].source = source_of(crystals[i]);
      out[i].metadata["error"] = e.what();
    }
    const std::size_t finished = done.fetch_add(1) + 1;
    if (progress)
      progress->report(static_cast<double>(finished) / static_cast<double>(crystals.size()),
                       "simulating " + std::to_string(finished) + "/" + total);
  });
  if (cancel) cancel->throw_if_cancelled();
  return out;
}

std::vector<double> pxrdnet_q_grid() {
  return uniform_grid(0.0, kPxrdnetQMaxInvAngstrom / (kPxrdnetPoints - 1), kPxrdnetPoints);
}

std::vector<double> pxrdnet_pattern(const Crystal& crystal) {
  // Sticks split linearly between their two neighbouring points (area kept), then one Gaussian convolution:
  // with a constant σ this equals drawing a Gaussian per line, at the cost of one FFT.
  const double dq = kPxrdnetQMaxInvAngstrom / (kPxrdnetPoints - 1);
  const double lambda = kPxrdnetLambdaAngstrom;
  const double q_hi =
      std::min(4.0 * kPi / lambda, kPxrdnetQMaxInvAngstrom + kGaussReachFwhm * 2.4 * kPxrdnetSigmaInvAngstrom);
  const std::vector<RawReflection> raw = structure_factors(crystal, 0.0, q_hi / (2.0 * kPi), true);
  std::vector<double> sticks(kPxrdnetPoints, 0.0);
  for (const StickLine& s : lines_for_wavelength(raw, lambda, 1.0)) {
    const double p = 4.0 * kPi * std::sin(s.theta_rad) / lambda / dq;
    const long i = static_cast<long>(std::floor(p));
    const double t = p - static_cast<double>(i);
    if (i >= 0 && i < kPxrdnetPoints) sticks[i] += (1.0 - t) * s.intensity;
    if (i + 1 >= 0 && i + 1 < kPxrdnetPoints) sticks[i + 1] += t * s.intensity;
  }
  const double sigma_steps = kPxrdnetSigmaInvAngstrom / dq;
  const std::size_t m_max = static_cast<std::size_t>(std::ceil(6.0 * sigma_steps));
  std::vector<double> w(m_max + 1);
  double total = 0;
  for (std::size_t m = 0; m <= m_max; ++m) {
    w[m] = std::exp(-0.5 * static_cast<double>(m * m) / (sigma_steps * sigma_steps));
    total += m == 0 ? w[m] : 2.0 * w[m];
  }
  for (double& v : w) v /= total;
  std::vector<double> y = convolve_symmetric(sticks, w);
  const double y_max = *std::max_element(y.begin(), y.end());
  if (y_max > 0)
    for (double& v : y) v /= y_max;
  return y;
}

double pxrdnet_rwp2(const std::vector<double>& truth_y, const std::vector<double>& candidate_y) {
  if (truth_y.size() != candidate_y.size() || truth_y.empty())
    throw Error("pxrdnet_rwp2: the patterns differ in length");
  const double a_max = *std::max_element(truth_y.begin(), truth_y.end());
  const double b_max = *std::max_element(candidate_y.begin(), candidate_y.end());
  if (!(a_max > 0)) throw Error("pxrdnet_rwp2: the reference pattern is all zero");
  const double b_scale = b_max > 0 ? 1.0 / b_max : 0.0;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < truth_y.size(); ++i) {
    const double a = truth_y[i] / a_max, b = candidate_y[i] * b_scale;
    num += (a - b) * (a - b);
    den += a * a;
  }
  return num / den;
}

double pxrdnet_rwp2(const Crystal& truth, const Crystal& candidate) {
  return pxrdnet_rwp2(pxrdnet_pattern(truth), pxrdnet_pattern(candidate));
}

}  // namespace pxrd
