// Centred cells: primitive transform, reflection conditions and expansion back to the conventional cell.
#include <QtTest>

#include <random>

#include "pxrd/centring.hpp"
#include "pxrd/simulator.hpp"

using namespace pxrd;

namespace {
// The reflection conditions of International Tables A, Table 2.2.13.1, written out independently.
bool allowed(const std::string& c, int h, int k, int l) {
  auto even = [](int v) { return v % 2 == 0; };
  if (c == "I") return even(h + k + l);
  if (c == "F") return even(h + k) && even(k + l) && even(h + l);
  if (c == "C") return even(h + k);
  if (c == "A") return even(k + l);
  if (c == "B") return even(h + l);
  if (c == "R") return ((-h + k + l) % 3 + 3) % 3 == 0;
  return true;
}
}  // namespace

class TestCentring : public QObject {
  Q_OBJECT
 private slots:
  void primitive_cells_and_reflection_conditions() {
    const Lattice ortho = Lattice::from_parameters(5.1, 6.3, 7.7, 90, 90, 90);
    const Lattice hex = Lattice::from_parameters(4.9, 4.9, 13.8, 90, 90, 120);
    for (const char* symbol : {"P", "I", "F", "C", "A", "B", "R"}) {
      const Centring c = centring_from_symbol(symbol);
      const Lattice conv = std::string(symbol) == "R" ? hex : ortho;
      const Lattice prim = primitive_lattice(conv, c);
      QVERIFY2(std::abs(prim.volume_angstrom3() * c.multiplicity() - conv.volume_angstrom3()) < 1e-9, symbol);
      for (int h = -4; h <= 4; ++h)
        for (int k = -4; k <= 4; ++k)
          for (int l = -4; l <= 4; ++l) {
            std::array<int, 3> hp{};
            const bool ok = primitive_hkl({h, k, l}, c, hp);
            QCOMPARE(ok, allowed(symbol, h, k, l));
            if (ok && (h || k || l))
              QVERIFY(std::abs(prim.d_spacing_angstrom(hp[0], hp[1], hp[2]) - conv.d_spacing_angstrom(h, k, l)) < 1e-9);
          }
    }
    QVERIFY_THROWS_EXCEPTION(std::exception, centring_from_symbol("X"));
    // The Niggli-reduced variant: F-centred cubic a = 4 gives the 60° rhombohedron with a = 4/√2, same conditions.
    const Lattice cubic = Lattice::from_parameters(4, 4, 4, 90, 90, 90);
    const Centring f = with_niggli_primitive(cubic, centring_from_symbol("F"));
    const auto p = primitive_lattice(cubic, f).parameters();
    QVERIFY(std::abs(p.a_angstrom - 4 / std::sqrt(2.0)) < 1e-9 && std::abs(p.alpha_deg - 60) < 1e-9);
    std::array<int, 3> hp{};
    QVERIFY(primitive_hkl({1, 1, 1}, f, hp) && !primitive_hkl({1, 0, 0}, f, hp));
    QVERIFY(std::abs(primitive_lattice(cubic, f).d_spacing_angstrom(hp[0], hp[1], hp[2]) - 4 / std::sqrt(3.0)) < 1e-9);
  }
  void expansion_keeps_the_pattern() {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    const Lattice ortho = Lattice::from_parameters(5.1, 6.3, 7.7, 90, 90, 90);
    const Lattice hex = Lattice::from_parameters(4.9, 4.9, 13.8, 90, 90, 120);
    for (const char* symbol : {"I", "F", "C", "A", "B", "R"}) {
      const Centring c = centring_from_symbol(symbol);
      const Lattice conv = std::string(symbol) == "R" ? hex : ortho;
      Crystal prim;
      prim.lattice = primitive_lattice(conv, c);
      for (int i = 0; i < 3; ++i) {
        Site s;
        s.element = i == 0 ? "Ba" : "O";
        s.atomic_number = i == 0 ? 56 : 8;
        s.frac = {u(rng), u(rng), u(rng)};
        prim.sites.push_back(s);
      }
      const Crystal full = expand_to_conventional(prim, conv, c);
      QCOMPARE(int(full.size()), 3 * c.multiplicity());
      StickOptions so;
      so.two_theta_max_deg = 70;
      const auto a = simulate_sticks(prim, so), b = simulate_sticks(full, so);
      QCOMPARE(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        QVERIFY2(std::abs(a[i].two_theta_deg - b[i].two_theta_deg) < 1e-8, symbol);
        QVERIFY2(std::abs(a[i].intensity - b[i].intensity) < 1e-6, symbol);
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestCentring)
#include "test_centring.moc"
