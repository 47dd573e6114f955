#include "pxrd/models/conditioning.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "pxrd/agreement.hpp"
#include "pxrd/error.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

namespace pxrd::models {

void normalise_peaks(PeakCondition& condition, int max_peaks) {
  auto& p = condition.peaks;
  p.erase(std::remove_if(p.begin(), p.end(), [](const ConditionPeak& k) { return !(k.intensity > 0) || !(k.q_inv_angstrom > 0); }),
          p.end());
  if (static_cast<int>(p.size()) > max_peaks) {
    std::partial_sort(p.begin(), p.begin() + max_peaks, p.end(),
                      [](const ConditionPeak& a, const ConditionPeak& b) { return a.intensity > b.intensity; });
    p.resize(max_peaks);
  }
  double strongest = 0;
  for (const auto& k : p) strongest = std::max(strongest, k.intensity);
  if (strongest > 0)
    for (auto& k : p) k.intensity *= 100.0 / strongest;
  std::sort(p.begin(), p.end(), [](const ConditionPeak& a, const ConditionPeak& b) { return a.q_inv_angstrom < b.q_inv_angstrom; });
}

PeakCondition condition_from_reflections(const std::vector<Reflection>& reflections, double lambda_angstrom,
                                         double two_theta_min_deg, double two_theta_max_deg) {
  PeakCondition c;
  c.q_min_inv_angstrom = two_theta_deg_to_q_inv_angstrom(two_theta_min_deg, lambda_angstrom);
  c.q_max_inv_angstrom = two_theta_deg_to_q_inv_angstrom(two_theta_max_deg, lambda_angstrom);
  double strongest = 0;
  for (const auto& r : reflections) strongest = std::max(strongest, r.intensity);
  for (const auto& r : reflections) {
    if (r.intensity < 1e-3 * strongest) continue;
    const double q = r.q_inv_angstrom > 0 ? r.q_inv_angstrom : two_theta_deg_to_q_inv_angstrom(r.two_theta_deg, lambda_angstrom);
    c.peaks.push_back({q, r.intensity});
  }
  normalise_peaks(c);
  return c;
}

std::vector<ConditionPeak> merge_close_peaks(const std::vector<ConditionPeak>& peaks, double fwhm_q_inv_angstrom) {
  std::vector<ConditionPeak> out;
  for (const auto& p : peaks) {
    if (!out.empty() && p.q_inv_angstrom - out.back().q_inv_angstrom < fwhm_q_inv_angstrom) {
      auto& m = out.back();
      const double total = m.intensity + p.intensity;
      if (total > 0) m.q_inv_angstrom = (m.q_inv_angstrom * m.intensity + p.q_inv_angstrom * p.intensity) / total;
      m.intensity = total;
    } else {
      out.push_back(p);
    }
  }
  return out;
}

namespace {
double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
bool chance(std::mt19937_64& rng, double p) { return uniform(rng, 0, 1) < p; }
double normal(std::mt19937_64& rng, double sigma) { return std::normal_distribution<double>(0.0, sigma)(rng); }
}  // namespace

PeakCondition augmented_condition(const std::vector<StickLine>& sticks, std::mt19937_64& rng,
                                  const AugmentOptions& options) {
  // Draw every random number in a fixed order so that a batch depends only on the seed.
  const double u_mode = uniform(rng, 0, 1);
  if (u_mode < options.no_pattern_fraction) return PeakCondition{};
  if (u_mode < options.no_pattern_fraction + options.ideal_fraction) {
    return condition_from_reflections(sticks_at_wavelength(sticks, kCacheLambdaAngstrom, 0.0, 90.0),
                                      kCacheLambdaAngstrom, 0.0, 90.0);
  }
  // Radiation: Cu Kα most often, the other anodes, or a synchrotron wavelength.
  static const double kAnodes[] = {1.54184, 1.54184, 1.54184, 0.71073, 1.78901, 2.29100, 1.93736, 0.56087};
  double lambda = kAnodes[std::uniform_int_distribution<int>(0, 7)(rng)];
  const bool synchrotron = chance(rng, 0.1);
  if (synchrotron) lambda = uniform(rng, 0.4, 1.0);
  const bool lab = !synchrotron;
  double tt_min = uniform(rng, 0.0, 15.0);
  double tt_max = uniform(rng, 50.0, 150.0);
  // Above the cached Q range nothing is known; NaN means the wavelength cannot reach it anyway.
  const double tt_reach = q_inv_angstrom_to_two_theta_deg(kCacheQMaxInvAngstrom, lambda);
  if (!std::isnan(tt_reach)) tt_max = std::min(tt_max, tt_reach);
  const auto refl = sticks_at_wavelength(sticks, lambda, tt_min, tt_max);

  // Crystallite size (sinc² width 5.57/τ in Q) and an instrumental width in 2θ.
  const bool has_size = chance(rng, 0.5);
  const double size_angstrom = has_size ? std::pow(10.0, uniform(rng, 1.0, 3.0)) : 0.0;
  const double inst_fwhm_deg = uniform(rng, 0.02, 0.25);
  const bool ka2 = lab && chance(rng, 0.3);
  const double zero_shift_deg = chance(rng, 0.5) ? normal(rng, 0.04) : 0.0;
  const double jitter_deg = uniform(rng, 0.0, 0.01);
  const double texture_sigma = uniform(rng, 0.0, 0.35);
  const double trend = normal(rng, 0.15);
  const double threshold = uniform(rng, 0.001, 0.03);
  const int spurious = chance(rng, 0.3) ? std::uniform_int_distribution<int>(1, 3)(rng) : 0;
  const bool report_size = has_size && chance(rng, 0.5);

  PeakCondition c;
  c.q_min_inv_angstrom = two_theta_deg_to_q_inv_angstrom(tt_min, lambda);
  c.q_max_inv_angstrom = two_theta_deg_to_q_inv_angstrom(tt_max, lambda);
  c.size_angstrom = report_size ? size_angstrom : 0.0;
  const double q_mid = 0.5 * (c.q_min_inv_angstrom + c.q_max_inv_angstrom);
  std::vector<ConditionPeak> peaks;
  for (const auto& r : refl) {
    const double i = r.intensity * std::exp(normal(rng, texture_sigma) + trend * (r.q_inv_angstrom - q_mid));
    const double tt = r.two_theta_deg + zero_shift_deg + normal(rng, jitter_deg + 1e-9);
    peaks.push_back({two_theta_deg_to_q_inv_angstrom(tt, lambda), i});
    if (ka2) {
      // The Kα2 line (λ2/λ1 = 1.0025, half the intensity) read at λ1 appears at a slightly higher Q.
      peaks.push_back({two_theta_deg_to_q_inv_angstrom(tt, lambda) * 1.0025, 0.5 * i});
    }
  }
  std::sort(peaks.begin(), peaks.end(), [](const ConditionPeak& a, const ConditionPeak& b) { return a.q_inv_angstrom < b.q_inv_angstrom; });
  // Width in Q at mid-window: instrument (2θ) and size (sinc²) added in quadrature.
  const double theta_mid = std::asin(std::min(1.0, q_mid * lambda / (4 * kPi)));
  const double inst_q = (4 * kPi / lambda) * std::cos(theta_mid) * deg_to_rad(inst_fwhm_deg) / 2.0;
  const double size_q = has_size ? 5.57 / size_angstrom : 0.0;
  peaks = merge_close_peaks(peaks, 0.8 * std::sqrt(inst_q * inst_q + size_q * size_q));
  double strongest = 0;
  for (const auto& p : peaks) strongest = std::max(strongest, p.intensity);
  for (const auto& p : peaks)
    if (p.intensity >= threshold * strongest) c.peaks.push_back(p);
  for (int s = 0; s < spurious; ++s)
    c.peaks.push_back({uniform(rng, c.q_min_inv_angstrom, c.q_max_inv_angstrom), strongest * uniform(rng, 0.005, 0.05)});
  normalise_peaks(c);
  if (c.peaks.empty()) {
    // A window that holds no reflection: fall back to the ideal pattern.
    return condition_from_reflections(sticks_at_wavelength(sticks, kCacheLambdaAngstrom, 0.0, 90.0),
                                      kCacheLambdaAngstrom, 0.0, 90.0);
  }
  return c;
}

PeakCondition condition_from_profile(const Pattern& pattern, double lambda_angstrom, double min_relative_height) {
  pattern.validate();
  const bool is_q = pattern.x_unit == XUnit::QInvAngstrom;
  if (!is_q && lambda_angstrom <= 0) {
    if (pattern.radiation && pattern.radiation->lambda1_angstrom > 0)
      lambda_angstrom = pattern.radiation->lambda1_angstrom;
    else
      throw InputError(pattern.source, 0, "the pattern has no wavelength; give one (e.g. --wavelength CuKa)");
  }
  auto to_q = [&](double x) { return is_q ? x : two_theta_deg_to_q_inv_angstrom(x, lambda_angstrom); };
  PeakSearchOptions opt;
  opt.min_relative_prominence = min_relative_height;
  PeakCondition c;
  c.q_min_inv_angstrom = to_q(pattern.x.front());
  c.q_max_inv_angstrom = to_q(pattern.x.back());
  std::vector<Peak> found = find_peaks(pattern, opt);
  // An amorphous hump or a background bump is found as a peak many times wider than the diffraction lines, and its
  // area can exceed the strongest line's (the bundled MnO lab pattern: 7° wide at 14.9°, area 4500 against 4200 for
  // the 200 line). Widths are compared in Q, where size broadening is the same for every line, against the
  // area-weighted median, which noise spikes do not move; peaks wider than kMaxWidthOverMedian times it are left
  // out. When every peak is broad (a few-nm crystallite) the median is broad too and nothing is.
  auto weight = [](const Peak& p) { return p.area > 0 ? p.area : p.prominence; };
  auto width_q = [&](const Peak& p) { return to_q(p.x + 0.5 * p.fwhm) - to_q(p.x - 0.5 * p.fwhm); };
  std::vector<std::pair<double, double>> widths;  // (width in Q, weight)
  double total_weight = 0;
  for (const Peak& p : found) {
    const double w = width_q(p);
    if (p.fwhm > 0 && std::isfinite(w)) {
      widths.emplace_back(w, weight(p));
      total_weight += weight(p);
    }
  }
  if (widths.size() >= 3 && total_weight > 0) {
    std::sort(widths.begin(), widths.end());
    double cumulative = 0, median_width_q = widths.back().first;
    for (const auto& [w, wt] : widths)
      if ((cumulative += wt) >= 0.5 * total_weight) {
        median_width_q = w;
        break;
      }
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Peak& p) {
                                 return p.fwhm > 0 && width_q(p) > kMaxWidthOverMedian * median_width_q;
                               }),
                found.end());
  }
  // Integrated intensities, like the sticks the model was trained on; the prominence when no area is known.
  for (const auto& p : found)
    c.peaks.push_back({to_q(p.x), weight(p)});
  normalise_peaks(c);
  return c;
}

namespace {
// The crystal's sticks as a peak list in the observed window (the form of the model's condition).
PeakCondition calculated_condition(const PeakCondition& observed, const Crystal& crystal, double lambda_angstrom) {
  StickOptions opt;
  opt.lambda_angstrom = lambda_angstrom;
  const double tt_max = q_inv_angstrom_to_two_theta_deg(observed.q_max_inv_angstrom, lambda_angstrom);
  opt.two_theta_min_deg = std::max(0.0, q_inv_angstrom_to_two_theta_deg(observed.q_min_inv_angstrom, lambda_angstrom));
  opt.two_theta_max_deg = std::isnan(tt_max) ? 180.0 : tt_max;
  return condition_from_reflections(simulate_sticks(crystal, opt), lambda_angstrom, opt.two_theta_min_deg,
                                    opt.two_theta_max_deg);
}
}  // namespace

double peak_match_score(const PeakCondition& observed, const Crystal& crystal, double lambda_angstrom,
                        double tol_q_inv_angstrom) {
  if (!observed.has_pattern()) return 0.0;
  const PeakCondition calc = calculated_condition(observed, crystal, lambda_angstrom);
  auto explained = [&](const std::vector<ConditionPeak>& a, const std::vector<ConditionPeak>& b) {
    double hit = 0, total = 0;
    for (const auto& p : a) {
      total += p.intensity;
      // b is sorted by Q.
      auto it = std::lower_bound(b.begin(), b.end(), p.q_inv_angstrom - tol_q_inv_angstrom,
                                 [](const ConditionPeak& x, double q) { return x.q_inv_angstrom < q; });
      if (it != b.end() && it->q_inv_angstrom <= p.q_inv_angstrom + tol_q_inv_angstrom) hit += p.intensity;
    }
    return total > 0 ? hit / total : 0.0;
  };
  return explained(observed.peaks, calc.peaks) * explained(calc.peaks, observed.peaks);
}

double broadened_peak_agreement(const PeakCondition& observed, const Crystal& crystal, double lambda_angstrom,
                                double fwhm_deg) {
  if (!observed.has_pattern()) return 0.0;
  if (!(fwhm_deg > 0) || !(lambda_angstrom > 0)) throw Error("broadened_peak_agreement: FWHM and wavelength must be positive");
  const PeakCondition calc = calculated_condition(observed, crystal, lambda_angstrom);
  const double tt_lo = std::max(0.0, q_inv_angstrom_to_two_theta_deg(observed.q_min_inv_angstrom, lambda_angstrom));
  const double tt_max = q_inv_angstrom_to_two_theta_deg(observed.q_max_inv_angstrom, lambda_angstrom);
  const double tt_hi = std::isnan(tt_max) ? 180.0 : tt_max;
  const double step_deg = fwhm_deg / 40.0;
  const std::size_t n = static_cast<std::size_t>(std::max(1.0, std::ceil((tt_hi - tt_lo) / step_deg))) + 1;
  const double sigma_deg = fwhm_deg / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  auto draw = [&](const std::vector<ConditionPeak>& peaks) {
    std::vector<double> y(n, 0.0);
    for (const auto& p : peaks) {
      const double x0 = q_inv_angstrom_to_two_theta_deg(p.q_inv_angstrom, lambda_angstrom);
      if (std::isnan(x0)) continue;
      const long lo = std::max(0L, static_cast<long>(std::floor((x0 - 4 * sigma_deg - tt_lo) / step_deg)));
      const long hi = std::min(static_cast<long>(n) - 1, static_cast<long>(std::ceil((x0 + 4 * sigma_deg - tt_lo) / step_deg)));
      for (long i = lo; i <= hi; ++i) {
        const double u = (tt_lo + static_cast<double>(i) * step_deg - x0) / sigma_deg;
        y[static_cast<std::size_t>(i)] += p.intensity * std::exp(-0.5 * u * u);
      }
    }
    return y;
  };
  return cosine_similarity(draw(observed.peaks), draw(calc.peaks));
}

double symmetry_order_log2(const Crystal& crystal, double symprec_angstrom) {
  try {
    const std::size_t n = symmetry_dataset(crystal, symprec_angstrom).operations.size();
    return n > 0 ? std::log2(static_cast<double>(n)) : 0.0;
  } catch (const Error&) {
    return 0.0;  // spglib refuses, e.g. atoms closer than the tolerance: counts as no symmetry
  }
}

double consensus_key(int support, std::size_t others, double agreement, double symmetry_log2) {
  const double scaled_support = support * kConsensusReferenceOthers / static_cast<double>(std::max<std::size_t>(others, 1));
  return scaled_support + kConsensusAgreementWeight * agreement + kConsensusSymmetryWeight * symmetry_log2;
}

}  // namespace pxrd::models
