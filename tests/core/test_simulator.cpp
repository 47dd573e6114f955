// Small deterministic checks of the simulator on hand-built NaCl- and CsCl-type cells with known answers.
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/phase_tables.hpp"
#include "pxrd/scattering.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"

namespace {

pxrd::Site site(const char* element, int z, double x, double y, double zc) {
  pxrd::Site s;
  s.element = element;
  s.atomic_number = z;
  s.frac = Eigen::Vector3d(x, y, zc);
  return s;
}

pxrd::Crystal nacl(double a = 5.64) {
  pxrd::Crystal c;
  c.name = "NaCl";
  c.lattice = pxrd::Lattice::from_parameters(a, a, a, 90, 90, 90);
  for (auto t :
       {Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(0, .5, .5), Eigen::Vector3d(.5, 0, .5), Eigen::Vector3d(.5, .5, 0)}) {
    c.sites.push_back(site("Na", 11, t[0], t[1], t[2]));
    const Eigen::Vector3d u = t + Eigen::Vector3d(.5, .5, .5);
    c.sites.push_back(site("Cl", 17, u[0] - std::floor(u[0]), u[1] - std::floor(u[1]), u[2] - std::floor(u[2])));
  }
  return c;
}

pxrd::Crystal cscl(double a = 4.12) {
  pxrd::Crystal c;
  c.name = "CsCl";
  c.lattice = pxrd::Lattice::from_parameters(a, a, a, 90, 90, 90);
  c.sites = {site("Cs", 55, 0, 0, 0), site("Cl", 17, .5, .5, .5)};
  return c;
}

double lp(double theta) {
  return (1 + std::cos(2 * theta) * std::cos(2 * theta)) / (std::sin(theta) * std::sin(theta) * std::cos(theta));
}

const pxrd::Reflection* find_peak(const std::vector<pxrd::Reflection>& sticks, double d_angstrom) {
  for (const auto& r : sticks)
    if (std::abs(r.d_angstrom - d_angstrom) < 1e-9) return &r;
  return nullptr;
}

// Index of the largest y with x in [lo, hi].
std::size_t argmax_in(const pxrd::Pattern& p, double lo, double hi) {
  std::size_t best = 0;
  double best_y = -1;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p.x[i] >= lo && p.x[i] <= hi && p.y[i] > best_y) best = i, best_y = p.y[i];
  return best;
}

double area_in(const pxrd::Pattern& p, double lo, double hi) {
  double a = 0;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (p.x[i] >= lo && p.x[i] <= hi) a += p.y[i] * (p.x[1] - p.x[0]);
  return a;
}

// Full width at half maximum of the peak whose top is at index i (linear interpolation of the flanks).
double fwhm_at(const std::vector<double>& x, const std::vector<double>& y, std::size_t i) {
  const double half = y[i] / 2;
  std::size_t l = i, r = i;
  while (l > 0 && y[l] > half) --l;
  while (r + 1 < y.size() && y[r] > half) ++r;
  const double xl = x[l] + (half - y[l]) / (y[l + 1] - y[l]) * (x[l + 1] - x[l]);
  const double xr = x[r - 1] + (half - y[r - 1]) / (y[r] - y[r - 1]) * (x[r] - x[r - 1]);
  return xr - xl;
}

}  // namespace

class TestSimulator : public QObject {
  Q_OBJECT
 private slots:
  void phase_tables_equal_the_exponential() {
    // The recurrence of powers against exp(2πi (hx + ky + lz)) itself, up to |n| = 40, with a weight on axis 0.
    const std::vector<Eigen::Vector3d> frac = {{0.1234, 0.9876, 0.5}, {0.0, 0.333333, 0.771}, {0.61, 0.25, 0.0042}};
    const std::vector<double> weight = {1.0, 0.5, 0.25};
    const pxrd::PhaseTables tables(frac, {40, 7, 40}, weight);
    double worst = 0;
    for (int h = -40; h <= 40; h += 3)
      for (int k = -7; k <= 7; ++k)
        for (int l = -40; l <= 40; l += 5)
          for (std::size_t j = 0; j < frac.size(); ++j) {
            double re, im;
            tables.rows(h, k, l).phase(j, re, im);
            const double t = 2 * pxrd::kPi * (h * frac[j](0) + k * frac[j](1) + l * frac[j](2));
            worst = std::max(worst, std::hypot(re - weight[j] * std::cos(t), im - weight[j] * std::sin(t)));
          }
    qInfo() << "worst deviation" << worst;
    QVERIFY(worst < 1e-12);
    QVERIFY_EXCEPTION_THROWN(pxrd::PhaseTables(frac, {1, 1, 1}, {1.0}), pxrd::Error);
  }

  void form_factor_limits() {
    QCOMPARE(pxrd::xray_form_factor(14, 0.0), 14.0);  // f(0) = Z (the bare Gaussian sum would give 5.8)
    QVERIFY(pxrd::xray_form_factor(14, 0.5) < 14.0 && pxrd::xray_form_factor(14, 0.5) > 0.0);
    QVERIFY(pxrd::xray_form_factor(8, 0.6) < pxrd::xray_form_factor(8, 0.3));
    QVERIFY(pxrd::xray_scattering_coefficients_or_null(99) == nullptr);  // pymatgen has no Es
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::xray_form_factor(99, 0.1));
  }

  void nacl_absences_multiplicity_and_lp() {
    const double a = 5.64;
    pxrd::StickOptions opt;
    opt.scaled = false;
    const auto sticks = pxrd::simulate_sticks(nacl(a), opt);
    // Face-centred: only all-odd or all-even hkl.
    QVERIFY(!find_peak(sticks, a / 1.0));             // 100
    QVERIFY(!find_peak(sticks, a / std::sqrt(2.0)));  // 110
    QVERIFY(!find_peak(sticks, a / std::sqrt(5.0)));  // 210
    const auto* p111 = find_peak(sticks, a / std::sqrt(3.0));
    const auto* p200 = find_peak(sticks, a / 2.0);
    const auto* p220 = find_peak(sticks, a / std::sqrt(8.0));
    QVERIFY(p111 && p200 && p220);
    QCOMPARE(p111->multiplicity, 8);
    QCOMPARE(p200->multiplicity, 6);
    QCOMPARE(p220->multiplicity, 12);
    QCOMPARE(p200->hkls.size(), std::size_t(6));
    QVERIFY(std::abs(p111->two_theta_deg - pxrd::d_angstrom_to_two_theta_deg(a / std::sqrt(3.0), 1.54184)) < 1e-9);
    QVERIFY(std::abs(p200->q_inv_angstrom - 2 * pxrd::kPi / (a / 2)) < 1e-9);
    // Known answer: I = m |F|² LP, F(111) = 4(f_Na − f_Cl), F(200) = 4(f_Na + f_Cl).
    auto expected = [&](double d, int mult, double sign) {
      const double s = 1 / (2 * d);
      const double f = 4 * (pxrd::xray_form_factor(11, s) + sign * pxrd::xray_form_factor(17, s));
      return mult * f * f * lp(std::asin(1.54184 * s));
    };
    QVERIFY(std::abs(p111->intensity / expected(a / std::sqrt(3.0), 8, -1) - 1) < 1e-10);
    QVERIFY(std::abs(p200->intensity / expected(a / 2, 6, +1) - 1) < 1e-10);
    // Scaled: strongest is 100 and the ratio is kept.
    opt.scaled = true;
    const auto scaled = pxrd::simulate_sticks(nacl(a), opt);
    double mx = 0;
    for (const auto& r : scaled) mx = std::max(mx, r.intensity);
    QCOMPARE(mx, 100.0);
    QVERIFY(std::abs(find_peak(scaled, a / 2)->intensity / find_peak(scaled, a / std::sqrt(3.0))->intensity -
                     p200->intensity / p111->intensity) < 1e-9);
    for (std::size_t i = 1; i < scaled.size(); ++i) QVERIFY(scaled[i].two_theta_deg > scaled[i - 1].two_theta_deg);
  }

  void cscl_primitive_and_range() {
    pxrd::StickOptions opt;
    opt.two_theta_min_deg = 25;
    opt.two_theta_max_deg = 60;
    const auto sticks = pxrd::simulate_sticks(cscl(), opt);
    QVERIFY(!sticks.empty());
    for (const auto& r : sticks) QVERIFY(r.two_theta_deg >= 25 && r.two_theta_deg <= 60);
    QVERIFY(find_peak(sticks, 4.12 / std::sqrt(2.0)));  // 110 (2θ ≈ 30.7°)
    QVERIFY(!find_peak(sticks, 4.12));                  // 100 (21.6°) is below the range
  }

  void partial_occupancy_scales_amplitudes() {
    // Cs half occupied (as pymatgen weights each species by its occupancy): F(100) = 0.5 f_Cs − f_Cl,
    // F(110) = 0.5 f_Cs + f_Cl.
    pxrd::Crystal c = cscl();
    c.sites[0].occupancy = 0.5;
    pxrd::StickOptions opt;
    opt.scaled = false;
    const auto sticks = pxrd::simulate_sticks(c, opt);
    auto expected = [](double d, int mult, double sign) {
      const double s = 1 / (2 * d);
      const double f = 0.5 * pxrd::xray_form_factor(55, s) + sign * pxrd::xray_form_factor(17, s);
      return mult * f * f * lp(std::asin(1.54184 * s));
    };
    QVERIFY(std::abs(find_peak(sticks, 4.12)->intensity / expected(4.12, 6, -1) - 1) < 1e-10);
    QVERIFY(std::abs(find_peak(sticks, 4.12 / std::sqrt(2.0))->intensity / expected(4.12 / std::sqrt(2.0), 12, 1) - 1) <
            1e-10);
  }

  void debye_waller_damps_high_angles() {
    pxrd::Crystal c = cscl();
    pxrd::StickOptions opt;
    opt.scaled = false;
    const auto cold = pxrd::simulate_sticks(c, opt);
    for (auto& s : c.sites) s.b_iso_angstrom2 = 1.5;
    const auto warm = pxrd::simulate_sticks(c, opt);
    QCOMPARE(cold.size(), warm.size());
    // Same B on every atom: intensity scales by exp(−2 B s²).
    for (std::size_t i = 0; i < cold.size(); ++i) {
      const double s = 1 / (2 * cold[i].d_angstrom);
      QVERIFY(std::abs(warm[i].intensity / cold[i].intensity - std::exp(-2 * 1.5 * s * s)) < 1e-10);
    }
    opt.debye_waller = false;
    QCOMPARE(pxrd::simulate_sticks(c, opt)[0].intensity, cold[0].intensity);
  }

  void bad_structures_throw_input_error() {
    pxrd::Crystal empty = cscl();
    empty.sites.clear();
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::simulate_sticks(empty, {}));
    pxrd::Crystal es = cscl();
    es.sites[0].element = "Es";
    es.sites[0].atomic_number = 99;
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::simulate_sticks(es, {}));
    pxrd::Crystal flat = cscl();
    flat.lattice = pxrd::Lattice(Eigen::Matrix3d::Zero());
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::simulate_sticks(flat, {}));
  }

  void profile_areas_follow_sticks() {
    pxrd::StickOptions sopt;
    sopt.scaled = false;
    sopt.two_theta_min_deg = 15;
    sopt.two_theta_max_deg = 50;
    const auto sticks = pxrd::simulate_sticks(cscl(), sopt);  // 100 at 21.6°, 110 at 30.7°, 111 at 37.8°
    QVERIFY(sticks.size() >= 3);
    pxrd::Radiation rad{"CuKa", 1.54184, 0, 0};
    pxrd::GridOptions grid;
    grid.x_min = 10;
    grid.x_max = 60;
    grid.x_step = 0.01;
    for (auto shape : {pxrd::ProfileShape::Gaussian, pxrd::ProfileShape::PseudoVoigt}) {
      pxrd::ProfileOptions prof;
      prof.shape = shape;
      prof.fwhm_deg = 0.1;
      const auto p = pxrd::simulate_pattern(cscl(), rad, prof, grid);
      QCOMPARE(p.size(), std::size_t(5001));
      QCOMPARE(*std::max_element(p.y.begin(), p.y.end()), 100.0);
      const std::size_t top = argmax_in(p, sticks[1].two_theta_deg - 1, sticks[1].two_theta_deg + 1);
      QVERIFY(std::abs(p.x[top] - sticks[1].two_theta_deg) <= 0.005 + 1e-9);
      QVERIFY(std::abs(fwhm_at(p.x, p.y, top) - 0.1) < 0.005);
      // Areas: wide lines (10 steps per FWHM, point-sampled) and lines narrower than a step (cell-integrated).
      for (double fwhm_over_step : {10.0, 0.6}) {
        pxrd::GridOptions g = grid;
        g.x_step = fwhm_over_step > 1 ? 0.01 : 0.05;
        prof.fwhm_deg = g.x_step * fwhm_over_step;
        const auto q = pxrd::simulate_pattern(cscl(), rad, prof, g);
        const double w = shape == pxrd::ProfileShape::Gaussian ? 0.5 : 3.0;  // window half-width, degrees
        const double a0 = area_in(q, sticks[0].two_theta_deg - w, sticks[0].two_theta_deg + w);
        const double a1 = area_in(q, sticks[1].two_theta_deg - w, sticks[1].two_theta_deg + w);
        QVERIFY2(std::abs(a0 / a1 / (sticks[0].intensity / sticks[1].intensity) - 1) < 0.01,
                 qPrintable(QString("area ratio, FWHM/step %1").arg(fwhm_over_step)));
      }
    }
    // Caglioti: FWHM² = W at 2θ → 0, growing with tan θ.
    pxrd::ProfileOptions cag;
    cag.caglioti_u = 0.02;
    cag.caglioti_v = -0.01;
    cag.caglioti_w = 0.005;
    const double t = std::tan(pxrd::deg_to_rad(30.0));
    QVERIFY(std::abs(pxrd::profile_fwhm_deg(cag, 60.0) - std::sqrt(0.02 * t * t - 0.01 * t + 0.005)) < 1e-12);
    const auto pc = pxrd::simulate_pattern(cscl(), rad, cag, grid);
    const std::size_t top = argmax_in(pc, sticks[1].two_theta_deg - 1, sticks[1].two_theta_deg + 1);
    QVERIFY(std::abs(fwhm_at(pc.x, pc.y, top) - pxrd::profile_fwhm_deg(cag, sticks[1].two_theta_deg)) < 0.005);
  }

  void kalpha2_doublet() {
    const pxrd::Radiation rad = pxrd::radiation_from_string("CuKa12");
    pxrd::ProfileOptions prof;
    prof.fwhm_deg = 0.02;
    pxrd::GridOptions grid;
    grid.x_min = 60;
    grid.x_max = 70;
    grid.x_step = 0.002;
    const auto p = pxrd::simulate_pattern(cscl(), rad, prof, grid);
    QVERIFY(p.radiation && p.radiation->has_second_line());
    const double d = 4.12 / std::sqrt(8.0);  // 220 near 64°
    const double tt1 = pxrd::d_angstrom_to_two_theta_deg(d, rad.lambda1_angstrom);
    const double tt2 = pxrd::d_angstrom_to_two_theta_deg(d, rad.lambda2_angstrom);
    QVERIFY(tt2 - tt1 > 0.15);  // resolved at this FWHM
    const std::size_t i1 = argmax_in(p, tt1 - 0.05, tt1 + 0.05);
    const std::size_t i2 = argmax_in(p, tt2 - 0.05, tt2 + 0.05);
    QVERIFY(std::abs(p.x[i1] - tt1) <= 0.002);
    QVERIFY(std::abs(p.x[i2] - tt2) <= 0.002);
    // Kα2/Kα1 height ≈ ratio 0.5 times the small LP change over 0.17°.
    const double expect = 0.5 * lp(pxrd::deg_to_rad(tt2 / 2)) / lp(pxrd::deg_to_rad(tt1 / 2));
    QVERIFY2(std::abs(p.y[i2] / p.y[i1] - expect) < 0.03, qPrintable(QString::number(p.y[i2] / p.y[i1])));
  }

  void q_grid_positions() {
    pxrd::Radiation rad{"CuKa1", 1.5406, 0, 0};
    pxrd::ProfileOptions prof;
    prof.fwhm_deg = 0.1;
    pxrd::GridOptions grid;
    grid.q_grid = true;
    grid.q_points = 4096;
    const auto p = pxrd::simulate_pattern(nacl(), rad, prof, grid);
    QCOMPARE(p.x_unit, pxrd::XUnit::QInvAngstrom);
    QCOMPARE(p.size(), std::size_t(4096));
    QCOMPARE(p.x.front(), 0.0);
    QVERIFY(std::abs(p.x.back() - 4 * pxrd::kPi / 1.5406) < 1e-9);
    const double dq = p.x[1] - p.x[0];
    const double q200 = 2 * pxrd::kPi / (5.64 / 2);
    const std::size_t top = argmax_in(p, q200 - 0.05, q200 + 0.05);
    QVERIFY(std::abs(p.x[top] - q200) <= dq);
    QVERIFY(!p.history.empty() && p.history.back().find("q_grid") != std::string::npos);
  }

  void kalpha2_on_q_grid_uses_lambda1() {
    // Q is computed from 2θ with λ1, so the Kα2 line of d sits at Q·λ2/λ1, as in a measured pattern converted to Q.
    const pxrd::Radiation rad = pxrd::radiation_from_string("CuKa12");
    pxrd::ProfileOptions prof;
    prof.fwhm_deg = 0.02;
    pxrd::GridOptions grid;
    grid.q_grid = true;
    grid.q_points = 20001;
    const auto p = pxrd::simulate_pattern(cscl(), rad, prof, grid);
    const double dq = p.x[1] - p.x[0];
    const double q1 = 2 * pxrd::kPi / (4.12 / std::sqrt(8.0));  // 220
    const double q2 = q1 * rad.lambda2_angstrom / rad.lambda1_angstrom;
    QVERIFY(q2 - q1 > 20 * dq);
    QVERIFY(std::abs(p.x[argmax_in(p, q1 - 0.003, q1 + 0.003)] - q1) <= dq);
    QVERIFY(std::abs(p.x[argmax_in(p, q2 - 0.003, q2 + 0.003)] - q2) <= dq);
  }

  void sinc2_kernel_width_and_area() {
    // A delta on a uniform Q grid becomes the kernel: unit area, FWHM 5.566/τ, wider for smaller crystallites.
    const std::size_t n = 4001;
    std::vector<double> q(n), y(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) q[i] = 0.001 * i;
    y[2000] = 1.0;
    double previous = 1e9;
    for (double tau : {20.0, 50.0, 200.0}) {
      const auto b = pxrd::sinc2_broaden_uniform_q(q, y, tau);
      double sum = 0;
      for (double v : b) sum += v;
      // Unit area when the kernel (50 zeros each side) fits in the grid; otherwise the far tails fall off the end.
      if (50 * 2 * pxrd::kPi / tau < 2.0)
        QVERIFY(std::abs(sum - 1.0) < 1e-9);
      else
        QVERIFY(sum > 0.97 && sum < 1.0);
      const double w = fwhm_at(q, b, 2000);
      QVERIFY2(std::abs(w / pxrd::sinc2_fwhm_inv_angstrom(tau) - 1) < 0.03, qPrintable(QString::number(w)));
      QVERIFY(w < previous);
      previous = w;
    }
    // A kernel far sharper than the grid step must not alias: the delta stays (nearly) where it was.
    const auto sharp = pxrd::sinc2_broaden_uniform_q(q, y, 1e6);
    QVERIFY(sharp[2000] > 0.99);
    QCOMPARE(pxrd::sinc2_broaden_uniform_q(q, y, 0.0), y);
    std::vector<double> bent = q;
    bent[10] += 0.0004;
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::sinc2_broaden_uniform_q(bent, y, 50));
  }

  void size_broadening_in_simulated_pattern() {
    pxrd::Radiation rad{"CuKa1", 1.5406, 0, 0};
    pxrd::GridOptions grid;
    grid.q_grid = true;
    grid.q_points = 4096;
    pxrd::ProfileOptions prof;
    prof.fwhm_deg = 0;  // sticks, so the width is the sinc² kernel alone
    const double q100 = 2 * pxrd::kPi / 4.12;
    double previous = 1e9;
    for (double tau : {30.0, 100.0, 300.0}) {
      prof.size_angstrom = tau;
      const auto p = pxrd::simulate_pattern(cscl(), rad, prof, grid);
      const std::size_t top = argmax_in(p, q100 - 0.1, q100 + 0.1);
      QVERIFY(std::abs(p.x[top] - q100) < 0.004);
      const double w = fwhm_at(p.x, p.y, top);
      QVERIFY2(std::abs(w / pxrd::sinc2_fwhm_inv_angstrom(tau) - 1) < 0.08, qPrintable(QString::number(w)));
      QVERIFY(w < previous);
      previous = w;
    }
    // On a 2θ grid too: a 20 Å crystallite is much broader than a 200 Å one.
    pxrd::GridOptions tt;
    tt.x_min = 10;
    tt.x_max = 80;
    tt.x_step = 0.01;
    prof.fwhm_deg = 0.05;
    prof.size_angstrom = 20;
    const auto broad = pxrd::simulate_pattern(cscl(), rad, prof, tt);
    prof.size_angstrom = 200;
    const auto mild = pxrd::simulate_pattern(cscl(), rad, prof, tt);
    const double tt110 = pxrd::d_angstrom_to_two_theta_deg(4.12 / std::sqrt(2.0), 1.5406);
    const double wb = fwhm_at(broad.x, broad.y, argmax_in(broad, tt110 - 1, tt110 + 1));
    const double wm = fwhm_at(mild.x, mild.y, argmax_in(mild, tt110 - 1, tt110 + 1));
    QVERIFY2(wb > 5 * wm && wm > 0.05, qPrintable(QString("%1 %2").arg(wb).arg(wm)));
  }

  void ideal_cu_ka_pattern_is_the_evaluation_grid() {
    // 2θ 5–90° in 0.02° steps, Cu Kα, a 0.1° Gaussian; a size adds sinc² broadening.
    const auto sharp = pxrd::ideal_cu_ka_pattern(nacl());
    QCOMPARE(sharp.size(), std::size_t(4251));
    QCOMPARE(sharp.x.front(), 5.0);
    QVERIFY(std::abs(sharp.x.back() - 90.0) < 1e-9);
    QVERIFY(sharp.radiation.has_value());
    const double lambda = sharp.radiation->lambda1_angstrom;
    QVERIFY(std::abs(lambda - pxrd::radiation_from_string("CuKa").lambda1_angstrom) < 1e-12);
    const double tt200 = pxrd::d_angstrom_to_two_theta_deg(5.64 / 2, lambda);
    const double w = fwhm_at(sharp.x, sharp.y, argmax_in(sharp, tt200 - 1, tt200 + 1));
    QVERIFY2(std::abs(w - 0.1) < 0.02, qPrintable(QString::number(w)));
    const auto nano = pxrd::ideal_cu_ka_pattern(nacl(), 20);
    QCOMPARE(nano.size(), sharp.size());
    QVERIFY(fwhm_at(nano.x, nano.y, argmax_in(nano, tt200 - 3, tt200 + 3)) > 10 * w);
  }

  void batch_is_thread_safe_and_cancellable() {
    std::vector<pxrd::Crystal> crystals;
    for (int i = 0; i < 24; ++i) crystals.push_back(i % 2 ? nacl(5.0 + 0.05 * i) : cscl(3.8 + 0.03 * i));
    crystals[5].sites.clear();  // one bad item
    pxrd::Radiation rad = pxrd::radiation_from_string("CuKa12");
    pxrd::ProfileOptions prof;
    prof.shape = pxrd::ProfileShape::PseudoVoigt;
    prof.size_angstrom = 150;
    pxrd::GridOptions grid;
    std::atomic<int> reports{0};
    std::atomic<bool> reached_one{false};
    pxrd::FunctionProgress progress([&](double fraction, const std::string&) {
      ++reports;
      if (fraction == 1.0) reached_one = true;
    });
    const auto batch = pxrd::simulate_batch(crystals, rad, prof, grid, 4, nullptr, &progress);
    QCOMPARE(reports.load(), static_cast<int>(crystals.size()));
    QVERIFY(reached_one.load());
    QCOMPARE(batch.size(), crystals.size());
    QVERIFY(batch[5].empty() && batch[5].metadata.count("error"));
    for (std::size_t i = 0; i < crystals.size(); ++i) {
      if (i == 5) continue;
      QCOMPARE(batch[i].y, pxrd::simulate_pattern(crystals[i], rad, prof, grid).y);
    }
    pxrd::CancelToken cancel;
    cancel.cancel();
    QVERIFY_THROWS_EXCEPTION(pxrd::Cancelled, pxrd::simulate_batch(crystals, rad, prof, grid, 0, &cancel));
  }

  void pxrdnet_metric() {
    const auto truth = nacl();
    QVERIFY(pxrd::pxrdnet_rwp2(truth, truth) < 1e-15);
    const double r3 = pxrd::pxrdnet_rwp2(truth, nacl(5.64 * 1.01));
    const double r6 = pxrd::pxrdnet_rwp2(truth, nacl(5.64 * 1.03));
    QVERIFY2(r3 > 0.01 && r6 > r3, qPrintable(QString("%1 %2").arg(r3).arg(r6)));
    QVERIFY(pxrd::pxrdnet_rwp2(truth, cscl()) > 0.3);
    // Pattern level: normalisation makes the scale irrelevant; the reference must not be empty.
    const auto a = pxrd::pxrdnet_pattern(truth);
    QCOMPARE(a.size(), std::size_t(pxrd::kPxrdnetPoints));
    QCOMPARE(*std::max_element(a.begin(), a.end()), 1.0);
    std::vector<double> b = pxrd::pxrdnet_pattern(cscl()), b7 = b;
    for (double& v : b7) v *= 7;
    QVERIFY(std::abs(pxrd::pxrdnet_rwp2(a, b) - pxrd::pxrdnet_rwp2(a, b7)) < 1e-12);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::pxrdnet_rwp2(std::vector<double>(8, 0.0), b));
    // Known value for disjoint patterns: ∫(a − 0)² / ∫a² = 1.
    QCOMPARE(pxrd::pxrdnet_rwp2(a, std::vector<double>(a.size(), 0.0)), 1.0);
  }
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "test_simulator.moc"
