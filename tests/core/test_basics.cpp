// Units, radiation presets, lattice geometry and pattern validation.
#include <QtTest>

#include "pxrd/error.hpp"
#include "pxrd/lattice.hpp"
#include "pxrd/pattern.hpp"
#include "pxrd/radiation.hpp"
#include "pxrd/units.hpp"

class TestBasics : public QObject {
  Q_OBJECT
 private slots:
  void units_round_trip() {
    const double q = pxrd::two_theta_deg_to_q_inv_angstrom(180.0, 1.5406);
    const double q170 = pxrd::two_theta_deg_to_q_inv_angstrom(170.0, 1.5406);
    QVERIFY(std::abs(q - 8.1568) < 1e-4);  // science.md §1
    QVERIFY(std::abs(pxrd::q_inv_angstrom_to_two_theta_deg(q170, 1.5406) - 170.0) < 1e-9);
    QVERIFY(std::abs(pxrd::two_theta_deg_to_d_angstrom(30.0, 1.54184) * 2 * std::sin(pxrd::deg_to_rad(15.0)) -
                     1.54184) < 1e-12);
    QVERIFY(std::isnan(pxrd::q_inv_angstrom_to_two_theta_deg(9.0, 1.5406)));
  }
  void radiation_presets() {
    auto cu = pxrd::radiation_from_string("CuKa");
    QCOMPARE(cu.lambda1_angstrom, 1.54184);
    QVERIFY(!cu.has_second_line());
    auto d = pxrd::radiation_from_string("cuka12");
    QVERIFY(d.has_second_line());
    QCOMPARE(d.ratio, 0.5);
    QCOMPARE(pxrd::radiation_from_string("0.7").lambda1_angstrom, 0.7);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::radiation_from_string("XxKa"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::radiation_from_string("-1"));
  }
  void lattice_geometry() {
    auto l = pxrd::Lattice::from_parameters(4, 5, 6, 90, 100, 90);
    auto p = l.parameters();
    QVERIFY(std::abs(p.beta_deg - 100) < 1e-9 && std::abs(p.c_angstrom - 6) < 1e-12);
    QVERIFY(std::abs(l.volume_angstrom3() - 4 * 5 * 6 * std::sin(pxrd::deg_to_rad(100))) < 1e-9);
    auto cubic = pxrd::Lattice::from_parameters(4, 4, 4, 90, 90, 90);
    QVERIFY(std::abs(cubic.d_spacing_angstrom(1, 1, 0) - 4 / std::sqrt(2.0)) < 1e-12);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::Lattice::from_parameters(1, 1, 1, 10, 10, 100));
  }
  void pattern_validation() {
    pxrd::Pattern p;
    p.source = "a.xy";
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, p.validate());
    p.x = {1, 2, 2};
    p.y = {1, 2, 3};
    try {
      p.validate();
      QFAIL("no throw");
    } catch (const pxrd::InputError& e) {
      QVERIFY(std::string(e.what()).find("a.xy") == 0);
      QVERIFY(std::string(e.what()).find("point 3") != std::string::npos);
    }
    p.x = {1, 2, 3};
    p.y = {4, 0, std::nan("")};
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, p.validate());
    p.y = {4, 0, 9};
    auto w = p.weights();
    QCOMPARE(w[0], 0.25);
    QCOMPARE(w[1], 0.0);
  }
};

QTEST_GUILESS_MAIN(TestBasics)
#include "test_basics.moc"
