// Chemical formulas: nesting, hydrates, reduced vs cell formula, Z, errors with the position.
#include <QtTest>

#include <random>

#include "pxrd/composition.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/error.hpp"

namespace {
double amount(const pxrd::Composition& c, const std::string& el) {
  auto it = c.amounts().find(el);
  return it == c.amounts().end() ? 0.0 : it->second;
}
}  // namespace

class TestComposition : public QObject {
  Q_OBJECT
 private slots:
  void nested_parentheses() {
    const auto c = pxrd::Composition::parse("Nd(Al2Cu)4");
    QCOMPARE(amount(c, "Nd"), 1.0);
    QCOMPARE(amount(c, "Al"), 8.0);
    QCOMPARE(amount(c, "Cu"), 4.0);
    QCOMPARE(c.total_atoms(), 13.0);
    const auto d = pxrd::Composition::parse("Ca3(Al(SiO4)2)2");  // two levels
    QCOMPARE(amount(d, "Al"), 2.0);
    QCOMPARE(amount(d, "Si"), 4.0);
    QCOMPARE(amount(d, "O"), 16.0);
    QCOMPARE(amount(pxrd::Composition::parse("K4[Fe(CN)6]"), "N"), 6.0);
  }
  void cell_vs_reduced_formula() {
    const auto c = pxrd::Composition::parse("Ce4O8");
    QCOMPARE(c.formula_units(), 4);
    QCOMPARE(c.reduced().formula(), std::string("CeO2"));
    QCOMPARE(c.formula(), std::string("Ce4O8"));
    QCOMPARE(c.formula(true), std::string("Ce4 O8"));
    QVERIFY(c.reduced().scaled(4) == c);
    QVERIFY(!(c.reduced() == c));
    QVERIFY(pxrd::Composition::parse("Ce4 O8") == c);  // pymatgen's spaced form parses back
    const auto lfp = pxrd::Composition::parse("LiFePO4");
    QCOMPARE(lfp.formula_units(), 1);
    QCOMPARE(lfp.total_atoms(), 7.0);
    QCOMPARE(pxrd::Composition::parse("Li0.5CoO2").formula_units(), 1);
    QCOMPARE(amount(pxrd::Composition::parse("Li0.5CoO2"), "Li"), 0.5);
    QCOMPARE(pxrd::Composition::parse("C6H12O6").formula(), std::string("C6H12O6"));  // Hill: C, H first
    QCOMPARE(pxrd::Composition::parse("H2SO4").formula(), std::string("H2O4S"));     // no C: alphabetical
  }
  void hydrates() {
    for (const char* f : {"CuSO4\xC2\xB7" "5H2O", "CuSO4.5H2O", "CuSO4*5H2O", "CuSO4 \xC2\xB7 5 H2O", "CuSO4.5(H2O)"}) {
      const auto c = pxrd::Composition::parse(f);
      QCOMPARE(amount(c, "Cu"), 1.0);
      QCOMPARE(amount(c, "H"), 10.0);
      QCOMPARE(amount(c, "O"), 9.0);
      QCOMPARE(amount(c, "S"), 1.0);
    }
    QCOMPARE(amount(pxrd::Composition::parse("Na2CO3.10H2O"), "H"), 20.0);
    QCOMPARE(amount(pxrd::Composition::parse("CaSO4.0.5H2O"), "H"), 1.0);
    QCOMPARE(amount(pxrd::Composition::parse("CuSO4.H2O"), "O"), 5.0);
  }
  void of_crystal_sums_occupancies() {
    pxrd::Crystal x;
    for (int i = 0; i < 4; ++i) {
      pxrd::Site s;
      s.element = "Ce";
      s.atomic_number = 58;
      x.sites.push_back(s);
      s.element = "O";
      s.atomic_number = 8;
      x.sites.push_back(s);
      x.sites.push_back(s);
    }
    x.sites[0].occupancy = 0.5;
    const auto c = pxrd::Composition::of(x);
    QCOMPARE(amount(c, "Ce"), 3.5);
    QCOMPARE(amount(c, "O"), 8.0);
    QCOMPARE(c.formula_units(), 1);
  }
  void random_strings_throw_input_errors_only() {
    std::mt19937 rng(5);
    const std::string alphabet = "CuSOHNaFeAlx()[]0123456789.*\xC2\xB7 ";
    int ok = 0, errors = 0;
    for (int k = 0; k < 5000; ++k) {
      std::string f;
      const int len = static_cast<int>(rng() % 14);
      for (int i = 0; i < len; ++i) f += alphabet[rng() % alphabet.size()];
      try {
        const auto c = pxrd::Composition::parse(f);
        QVERIFY(!c.empty() && c.total_atoms() > 0);
        ++ok;
      } catch (const pxrd::InputError& e) {
        QVERIFY(std::string(e.what()).find("position") != std::string::npos ||
                std::string(e.what()).find("empty") != std::string::npos);
        ++errors;
      }
    }
    QVERIFY(ok > 50 && errors > 50);
  }
  void errors_name_the_position() {
    struct Case {
      const char* formula;
      const char* needle;
    };
    const Case cases[] = {
        {"Nd(Al2Cu4", "unbalanced '(' at position 3"},
        {"NaCl)", "unbalanced ')' at position 5"},
        {"Fe2Xx3", "unknown element 'Xx' at position 4"},
        {"Fe2O3#", "unexpected character '#' at position 6"},
        {"", "empty formula"},
        {"CuSO4\xC2\xB7", "nothing after the hydrate separator at position 7"},
        {"Fe0O", "amount must be positive at position 3"},
        {"fe2o3", "unexpected character 'f' at position 1"},
    };
    for (const Case& k : cases) {
      try {
        pxrd::Composition::parse(k.formula);
        QFAIL(k.formula);
      } catch (const pxrd::InputError& e) {
        QVERIFY2(std::string(e.what()).find(k.needle) != std::string::npos, e.what());
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestComposition)
#include "test_composition.moc"
