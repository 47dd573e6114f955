// spglib wrapper: space groups of known structures, standard cells, symmetrization, failures.
#include <QtTest>

#include <random>

#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/symmetry.hpp"

namespace {
std::string example_path(const std::string& name) {
  return std::string(PXRD_SOURCE_DIR) + "/resources/examples/" + name;
}
std::string data_path(const std::string& name) { return std::string(PXRD_TEST_DATA_DIR) + "/cif/" + name; }

pxrd::Crystal perturbed(const pxrd::Crystal& c, double sigma_angstrom, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma_angstrom);
  pxrd::Crystal out = c;
  for (auto& s : out.sites) {
    const Eigen::Vector3d cart = c.lattice.to_cartesian(s.frac) + Eigen::Vector3d(noise(rng), noise(rng), noise(rng));
    s.frac = c.lattice.to_fractional(cart);
  }
  return out;
}

// Largest distance (Å) from a site of `a` to the same-element site of `b` with the same index, periodic.
double max_site_shift(const pxrd::Crystal& a, const pxrd::Crystal& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.sites.size(); ++i) {
    Eigen::Vector3d d = a.sites[i].frac - b.sites[i].frac;
    for (int k = 0; k < 3; ++k) d[k] -= std::round(d[k]);
    worst = std::max(worst, a.lattice.to_cartesian(d).norm());
  }
  return worst;
}
}  // namespace

class TestSymmetry : public QObject {
  Q_OBJECT
 private slots:
  void known_space_groups() {
    const auto nacl = pxrd::find_space_group(pxrd::read_cif(example_path("NaCl.cif")));
    QCOMPARE(nacl.number, 225);
    QCOMPARE(nacl.international, std::string("Fm-3m"));
    QCOMPARE(nacl.hall, std::string("-F 4 2 3"));
    QCOMPARE(nacl.crystal_system, std::string("cubic"));
    QCOMPARE(nacl.point_group, std::string("m-3m"));
    QCOMPARE(nacl.symprec, 0.01);
    QCOMPARE(pxrd::find_space_group(pxrd::read_cif(example_path("MnO_225.cif"))).number, 225);
    const auto pbso4 = pxrd::find_space_group(pxrd::read_cif(example_path("PbSO4-Wyckoff.cif")));
    QCOMPARE(pbso4.number, 62);
    QCOMPARE(pbso4.crystal_system, std::string("orthorhombic"));
    const auto mg = pxrd::find_space_group(pxrd::read_cif(data_path("hcp_mg_symbol_only.cif")), 0.01);
    QCOMPARE(mg.number, 194);
    QCOMPARE(mg.crystal_system, std::string("hexagonal"));
  }
  void dataset_operations_and_wyckoff() {
    const auto ds = pxrd::symmetry_dataset(pxrd::read_cif(example_path("PbSO4-Wyckoff.cif")));
    QCOMPARE(static_cast<int>(ds.operations.size()), 8);
    // Pb, S, O1, O2 on 4c (mirror), O3 on 8d (general).
    int on_4c = 0, on_8d = 0;
    for (std::size_t i = 0; i < ds.wyckoff_letters.size(); ++i) {
      if (ds.wyckoff_letters[i] == "c") ++on_4c;
      if (ds.wyckoff_letters[i] == "d") ++on_8d;
    }
    QCOMPARE(on_4c, 16);
    QCOMPARE(on_8d, 8);
    pxrd::SymmetryOperation op;
    op.rotation << 0, -1, 0, 1, -1, 0, 0, 0, 1;
    op.translation = {0, 0.5, 2.0 / 3.0};
    QCOMPARE(op.as_xyz(), std::string("-y, x-y+1/2, z+2/3"));
  }
  void standard_cells() {
    const pxrd::Crystal nacl = pxrd::read_cif(example_path("NaCl.cif"));
    const pxrd::Crystal prim = pxrd::primitive_standard_cell(nacl, 0.01);
    QCOMPARE(static_cast<int>(prim.size()), 2);
    QVERIFY(std::abs(prim.lattice.volume_angstrom3() * 4 - nacl.lattice.volume_angstrom3()) < 1e-6);
    const pxrd::Crystal conv = pxrd::conventional_standard_cell(prim, 0.01);
    QCOMPARE(static_cast<int>(conv.size()), 8);
    QVERIFY(std::abs(conv.lattice.parameters().a_angstrom - 5.64) < 1e-9);
    for (const auto& s : conv.sites) QCOMPARE(s.b_iso_angstrom2, 1.0);  // site properties survive
  }
  void occupancy_lowers_symmetry() {
    pxrd::Crystal c = pxrd::read_cif(example_path("NaCl.cif"));
    c.sites[0].occupancy = 0.5;  // one Na of four differs: no longer F-centred
    QVERIFY(pxrd::find_space_group(c).number != 225);
  }
  void symmetrize_restores_exact_symmetry() {
    const pxrd::Crystal ideal = pxrd::read_cif(example_path("PbSO4-Wyckoff.cif"));
    const pxrd::Crystal noisy = perturbed(ideal, 0.003, 7);
    QCOMPARE(pxrd::find_space_group(noisy, 1e-4).number, 1);
    QCOMPARE(pxrd::find_space_group(noisy, 0.05).number, 62);
    const pxrd::Crystal sym = pxrd::symmetrize(noisy, 0.05);
    QCOMPARE(pxrd::find_space_group(sym, 1e-6).number, 62);
    QCOMPARE(sym.size(), noisy.size());
    QVERIFY(max_site_shift(sym, noisy) < 0.02);
    QVERIFY(std::abs(sym.lattice.volume_angstrom3() - noisy.lattice.volume_angstrom3()) < 1e-6);
  }
  void symmetrize_restores_the_metric() {
    // hcp Mg with a sheared cell (γ ≠ 120°) and noisy atoms: the symmetrized cell is hexagonal again.
    const pxrd::Crystal ideal = pxrd::read_cif(data_path("hcp_mg_symbol_only.cif"));
    pxrd::Crystal noisy = perturbed(ideal, 0.004, 3);
    Eigen::Matrix3d shear = Eigen::Matrix3d::Identity();
    shear(0, 1) = 0.002;
    noisy.lattice = pxrd::Lattice(noisy.lattice.matrix() * shear);
    QVERIFY(pxrd::find_space_group(noisy, 1e-4).number < 194);
    const pxrd::Crystal sym = pxrd::symmetrize(noisy, 0.05);
    QCOMPARE(pxrd::find_space_group(sym, 1e-6).number, 194);
    const auto p = sym.lattice.parameters();
    QVERIFY(std::abs(p.gamma_deg - 120) < 1e-9 && std::abs(p.alpha_deg - 90) < 1e-9);
    QVERIFY(std::abs(p.a_angstrom - p.b_angstrom) < 1e-9);
  }
  void failures_are_errors() {
    pxrd::Crystal empty;
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::find_space_group(empty));
    pxrd::Crystal overlap = pxrd::read_cif(example_path("NaCl.cif"));
    overlap.sites.push_back(overlap.sites[0]);
    overlap.sites.back().frac += Eigen::Vector3d(1e-4, 0, 0);
    try {
      pxrd::find_space_group(overlap, 0.01);
      QFAIL("no error");
    } catch (const pxrd::Error& e) {
      QVERIFY2(std::string(e.what()).find("symprec 0.01") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, pxrd::crystal_system_of(231));
    QCOMPARE(pxrd::crystal_system_of(167), std::string("trigonal"));
    QCOMPARE(pxrd::crystal_system_of(168), std::string("hexagonal"));
    QCOMPARE(pxrd::crystal_system_of(15), std::string("monoclinic"));
  }
};

QTEST_GUILESS_MAIN(TestSymmetry)
#include "test_symmetry.moc"
