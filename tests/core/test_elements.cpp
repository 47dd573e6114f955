// Element table: symbols, masses, Cordero covalent radii, Jmol colours.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <string>

#include "pxrd/elements.hpp"
#include "pxrd/error.hpp"

class TestElements : public QObject {
  Q_OBJECT
 private slots:
  void symbols_round_trip() {
    for (int z = 1; z <= pxrd::kMaxAtomicNumber; ++z)
      QCOMPARE(pxrd::atomic_number(pxrd::element_symbol(z)), z);
    QCOMPARE(pxrd::atomic_number("fe"), 26);
    QCOMPARE(pxrd::atomic_number("O2-"), 8);
    QCOMPARE(pxrd::atomic_number_or_negative("Xx"), -1);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::atomic_number("Qq"));
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::element_symbol(0));
  }
  void masses() {
    QVERIFY(std::abs(pxrd::atomic_mass_amu(1) - 1.008) < 1e-3);
    QVERIFY(std::abs(pxrd::atomic_mass_amu(6) - 12.011) < 1e-3);
    QVERIFY(std::abs(pxrd::atomic_mass_amu(26) - 55.845) < 1e-3);
    QVERIFY(std::abs(pxrd::atomic_mass_amu(82) - 207.2) < 1e-3);
    // Masses grow with Z except for the well-known inversions (Ar/K, Co/Ni, Te/I, Th/Pa, U/Np, Pu/Am).
    int inversions = 0;
    for (int z = 2; z <= pxrd::kMaxAtomicNumber; ++z)
      if (pxrd::atomic_mass_amu(z) < pxrd::atomic_mass_amu(z - 1)) ++inversions;
    QVERIFY(inversions <= 6);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::atomic_mass_amu(104));
  }
  void volume_estimates_of_known_solids() {
    using pxrd::atomic_volume_estimate_angstrom3;
    // Experimental volumes per formula unit: NaCl a = 5.640 Å, Z = 4; MnO a = 4.4457 Å, Z = 4; rutile TiO2
    // a = 4.594, c = 2.959 Å, Z = 2; CdCl2 (R-3m) 84.3 Å³, Z = 1.
    const struct {
      int z1, n1, z2, n2;
      double volume;
    } known[] = {{11, 1, 17, 1, 5.640 * 5.640 * 5.640 / 4},
                 {25, 1, 8, 1, 4.4457 * 4.4457 * 4.4457 / 4},
                 {22, 1, 8, 2, 4.594 * 4.594 * 2.959 / 2},
                 {48, 1, 17, 2, 84.3}};
    for (const auto& k : known) {
      const double v = k.n1 * atomic_volume_estimate_angstrom3(k.z1) + k.n2 * atomic_volume_estimate_angstrom3(k.z2);
      QVERIFY2(std::abs(std::log(v / k.volume)) < 0.2, std::to_string(v / k.volume).c_str());
    }
    // An element MP-20 lacks (Rn) gets the packing guess max(6 r³, 9 Å³) from its covalent radius.
    const double r = pxrd::covalent_radius_angstrom(86);
    QCOMPARE(atomic_volume_estimate_angstrom3(86), std::max(6 * r * r * r, 9.0));
  }
  void cordero_radii() {
    // Values from Cordero et al. 2008, Table 2; the largest is Fr, 2.60 Å.
    QCOMPARE(pxrd::covalent_radius_angstrom(1), 0.31);
    QCOMPARE(pxrd::covalent_radius_angstrom(6), 0.76);
    QCOMPARE(pxrd::covalent_radius_angstrom(8), 0.66);
    QCOMPARE(pxrd::covalent_radius_angstrom(14), 1.11);
    QCOMPARE(pxrd::covalent_radius_angstrom(55), 2.44);
    for (int z = 1; z <= pxrd::kMaxAtomicNumber; ++z)
      QVERIFY(pxrd::covalent_radius_angstrom(z) > 0.2 && pxrd::covalent_radius_angstrom(z) <= 2.60);
  }
  void jmol_colours() {
    QCOMPARE(pxrd::element_colour_rgb(8), 0xFF0D0Du);   // O red
    QCOMPARE(pxrd::element_colour_rgb(1), 0xFFFFFFu);   // H white
    QCOMPARE(pxrd::element_colour_rgb(6), 0x909090u);   // C grey
    QCOMPARE(pxrd::element_colour_rgb(26), 0xE06633u);  // Fe
  }
};

QTEST_GUILESS_MAIN(TestElements)
#include "test_elements.moc"
