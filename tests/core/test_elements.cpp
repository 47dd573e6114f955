// Element table: symbols, masses, Cordero covalent radii, Jmol colours.
#include <QtTest>

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
