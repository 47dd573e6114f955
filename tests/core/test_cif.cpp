// CIF reading: symmetry expansion from operators, Hall and H-M symbols and numbers; occupancies, ADPs; errors with
// the line; MP-20 P1 strings.
#include <QtTest>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/composition.hpp"
#include "pxrd/error.hpp"
#include "pxrd/symmetry.hpp"
#include "pxrd/units.hpp"

namespace {

std::string data_path(const std::string& name) { return std::string(PXRD_TEST_DATA_DIR) + "/cif/" + name; }
std::string example_path(const std::string& name) {
  return std::string(PXRD_SOURCE_DIR) + "/resources/examples/" + name;
}

std::map<std::string, int> count_elements(const pxrd::Crystal& c) {
  std::map<std::string, int> n;
  for (const auto& s : c.sites) ++n[s.element];
  return n;
}

// Rock salt: every atom sits on one of the 8 positions {0, 1/2}^3, Na where the coordinate sum is even.
void check_rock_salt(const pxrd::Crystal& c, const std::string& cation, const std::string& anion) {
  QCOMPARE(static_cast<int>(c.size()), 8);
  std::map<int, std::string> seen;
  for (const auto& s : c.sites) {
    int code = 0, sum = 0;
    for (int k = 0; k < 3; ++k) {
      const double twice = 2 * s.frac[k];
      QVERIFY(std::abs(twice - std::round(twice)) < 1e-9);
      QVERIFY(s.frac[k] >= 0 && s.frac[k] < 1);
      const int bit = static_cast<int>(std::lround(twice));
      code = code * 2 + bit;
      sum += bit;
    }
    QVERIFY(!seen.count(code));
    seen[code] = s.element;
    QCOMPARE(s.element, sum % 2 == 0 ? cation : anion);
  }
}

// Returns the InputError thrown by reading `name`, failing the test when there is none.
pxrd::InputError expect_input_error(const std::string& path) {
  try {
    pxrd::read_cif(path);
  } catch (const pxrd::InputError& e) {
    return e;
  }
  return pxrd::InputError("", -1, "no InputError thrown");
}

std::vector<std::pair<std::string, std::string>> split_cifs(const std::string& all) {
  std::vector<std::pair<std::string, std::string>> out;  // header line, CIF text
  std::size_t pos = all.find("#==== ");
  while (pos != std::string::npos) {
    const std::size_t nl = all.find('\n', pos);
    const std::size_t next = all.find("#==== ", nl);
    out.emplace_back(all.substr(pos + 6, nl - pos - 6),
                     all.substr(nl + 1, (next == std::string::npos ? all.size() : next) - nl - 1));
    pos = next;
  }
  return out;
}

// True when both crystals have the same lattice and a one-to-one pairing of sites with equal element, occupancy and
// B_iso, within tol_angstrom (periodic).
bool same_structure(const pxrd::Crystal& a, const pxrd::Crystal& b, double tol_angstrom, std::string* why) {
  if (a.size() != b.size()) {
    *why = "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    return false;
  }
  if ((a.lattice.metric_tensor() - b.lattice.metric_tensor()).cwiseAbs().maxCoeff() > 1e-5) {
    *why = "lattices differ";
    return false;
  }
  std::vector<bool> used(b.size(), false);
  for (const auto& s : a.sites) {
    bool found = false;
    for (std::size_t j = 0; j < b.size() && !found; ++j) {
      const auto& t = b.sites[j];
      if (used[j] || t.element != s.element || std::abs(t.occupancy - s.occupancy) > 1e-6 ||
          std::abs(t.b_iso_angstrom2 - s.b_iso_angstrom2) > 1e-5)
        continue;
      Eigen::Vector3d d = s.frac - t.frac;
      for (int k = 0; k < 3; ++k) d[k] -= std::round(d[k]);
      if (a.lattice.to_cartesian(d).norm() < tol_angstrom) used[j] = found = true;
    }
    if (!found) {
      *why = "no partner for a " + s.element + " site";
      return false;
    }
  }
  return true;
}

}  // namespace

class TestCif : public QObject {
  Q_OBJECT
 private slots:
  void nacl_from_symbol_expands_to_eight_atoms() {
    const pxrd::Crystal c = pxrd::read_cif(example_path("NaCl.cif"));
    check_rock_salt(c, "Na", "Cl");
    QCOMPARE(c.name, std::string("NaCl"));
    QVERIFY(std::abs(c.lattice.parameters().a_angstrom - 5.640) < 1e-12);
    for (const auto& s : c.sites) {
      QCOMPARE(s.b_iso_angstrom2, 1.0);
      QCOMPARE(s.occupancy, 1.0);
      QCOMPARE(s.atomic_number, s.element == "Na" ? 11 : 17);
    }
  }
  void nacl_from_hall_number_and_operators() {
    check_rock_salt(pxrd::read_cif(data_path("nacl_hall_only.cif")), "Na", "Cl");
    check_rock_salt(pxrd::read_cif(data_path("nacl_number_only.cif")), "Na", "Cl");
    const pxrd::Crystal ops = pxrd::read_cif(data_path("nacl_symops.cif"));
    check_rock_salt(ops, "Na", "Cl");
    for (const auto& s : ops.sites) QCOMPARE(s.occupancy, s.element == "Na" ? 0.75 : 1.0);
  }
  void hcp_truncated_thirds_deduplicate() {
    const pxrd::Crystal c = pxrd::read_cif(data_path("hcp_mg_symbol_only.cif"));
    QCOMPARE(static_cast<int>(c.size()), 2);  // 2c of P6_3/mmc: 24 operators, 2 distinct images
    QCOMPARE(c.sites[0].element, std::string("Mg"));
    const double b_expected = 8 * pxrd::kPi * pxrd::kPi * 0.0127;  // U_iso with an esd "0.0127(3)"
    QVERIFY(std::abs(c.sites[0].b_iso_angstrom2 - b_expected) < 1e-12);
    QVERIFY(std::abs(c.lattice.parameters().gamma_deg - 120) < 1e-9);
    const double dz = std::abs(c.sites[0].frac.z() - c.sites[1].frac.z());
    QVERIFY(std::abs(dz - 0.5) < 1e-9);
  }
  void pbso4_gsas_example() {
    const pxrd::Crystal c = pxrd::read_cif(example_path("PbSO4-Wyckoff.cif"));
    const auto n = count_elements(c);
    QCOMPARE(n.at("Pb"), 4);
    QCOMPARE(n.at("S"), 4);
    QCOMPARE(n.at("O"), 16);  // _atom_type_number_in_cell of the file
    QCOMPARE(static_cast<int>(c.size()), 24);
    const double b_expected = 8 * pxrd::kPi * pxrd::kPi * 0.010;
    for (const auto& s : c.sites) QVERIFY(std::abs(s.b_iso_angstrom2 - b_expected) < 1e-12);
    QCOMPARE(pxrd::Composition::of(c).reduced().formula(), std::string("O4PbS"));
  }
  void mno_pymatgen_p1_with_charge_symbols() {
    const pxrd::Crystal c = pxrd::read_cif(example_path("MnO_225.cif"));
    check_rock_salt(c, "Mn", "O");
    QCOMPARE(c.sites[0].label, std::string("Mn0"));
  }
  void errors_name_file_and_line() {
    struct Case {
      const char* file;
      int line;
      const char* needle;
    };
    const Case cases[] = {
        {"bad_syntax.cif", 5, "unterminated"},
        {"bad_element.cif", 15, "unknown element 'Qq'"},
        {"bad_missing_cell.cif", 0, "_cell_length_b"},
        {"bad_no_atoms.cif", 0, "no atoms"},
        {"bad_nan.cif", 15, "_atom_site_fract_y"},
        {"bad_cell_nan.cif", 2, "_cell_length_a"},
    };
    for (const Case& k : cases) {
      const pxrd::InputError e = expect_input_error(data_path(k.file));
      const std::string what = e.what();
      QVERIFY2(e.line() >= 0, (std::string(k.file) + ": " + what).c_str());
      QVERIFY2(e.file() == data_path(k.file), what.c_str());
      QVERIFY2(what.find(k.needle) != std::string::npos, what.c_str());
      if (k.line > 0) QVERIFY2(e.line() == k.line, (std::string(k.file) + ": " + what).c_str());
    }
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::read_cif(data_path("does_not_exist.cif")));
    // Deuterium is read as hydrogen; "Dy" stays dysprosium.
    const pxrd::Crystal d = pxrd::read_cif_string(
        "data_d\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\nloop_\n_atom_site_label\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nD1 0 0 0\nDy1 0.5 0.5 0.5\n",
        "deuteride");
    QCOMPARE(d.sites[0].atomic_number, 1);
    QCOMPARE(d.sites[1].element, std::string("Dy"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::read_cif_string("", "empty"));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, pxrd::read_cif_string("data_x\n_cell_length_a 1\n", "x"));
  }
  void p1_round_trip_with_provenance() {
    pxrd::Crystal c = pxrd::read_cif(example_path("PbSO4-Wyckoff.cif"));
    c.sites[3].occupancy = 0.625;
    pxrd::CifProvenance prov;
    prov.comment_lines = {"input pattern: PBSO4.XRA", "R_wp: 0.123\nsecond line"};
    const std::string text = pxrd::cif_p1_string(c, prov);
    QVERIFY(text.rfind("# input pattern: PBSO4.XRA\n# R_wp: 0.123\n# second line\n", 0) == 0);
    const pxrd::Crystal back = pxrd::read_cif_string(text, "p1");
    std::string why;
    QVERIFY2(same_structure(c, back, 1e-6, &why), why.c_str());
    const QString dir = QDir::tempPath() + "/pxrd_test_cif_" + QString::number(QCoreApplication::applicationPid());
    QDir().mkpath(dir);
    const std::string path = (dir + "/out.cif").toStdString();
    pxrd::write_cif(path, text);
    QVERIFY2(same_structure(c, pxrd::read_cif(path), 1e-6, &why), why.c_str());
    QDir(dir).removeRecursively();
  }
  void symmetrized_round_trip_pbso4() {
    const pxrd::Crystal c = pxrd::read_cif(example_path("PbSO4-Wyckoff.cif"));
    const std::string text = pxrd::cif_symmetrized_string(c, 0.01);
    QVERIFY(text.find("symprec = 0.01 A") != std::string::npos);
    QVERIFY(text.find("_space_group_IT_number   62") != std::string::npos);
    QVERIFY(text.find("_space_group_name_H-M_alt   'P n m a'") != std::string::npos);
    QVERIFY(text.find("'-x+1/2, -y, z+1/2'") != std::string::npos);
    // Asymmetric unit: Pb, S, O1, O2 on 4c, O3 on 8d.
    int rows_4c = 0, rows_8d = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("  4  c  ") != std::string::npos) ++rows_4c;
      if (line.find("  8  d  ") != std::string::npos) ++rows_8d;
    }
    QCOMPARE(rows_4c, 4);
    QCOMPARE(rows_8d, 1);
    const pxrd::Crystal back = pxrd::read_cif_string(text, "sym");
    std::string why;
    QVERIFY2(same_structure(pxrd::conventional_standard_cell(c, 0.01), back, 1e-5, &why), why.c_str());
    QCOMPARE(pxrd::find_space_group(back, 1e-4).number, 62);
  }
  void symmetrized_round_trip_mp20() {
    // 40 MP-20 structures over many space groups: write the asymmetric unit, read it back, expand, compare.
    const auto cifs = split_cifs(pxrd::read_file(data_path("mp20_test_first40.cifs")));
    std::set<int> groups;
    for (const auto& [header, text] : cifs) {
      const pxrd::Crystal c = pxrd::read_cif_string(text, header);
      const std::string sym = pxrd::cif_symmetrized_string(c, 0.1);
      const pxrd::Crystal back = pxrd::read_cif_string(sym, header + " (symmetrized)");
      std::string why;
      QVERIFY2(same_structure(pxrd::conventional_standard_cell(c, 0.1), back, 1e-4, &why),
               (header + ": " + why).c_str());
      groups.insert(pxrd::find_space_group(c, 0.1).number);
    }
    QVERIFY(groups.size() >= 15);
  }
  void mutated_files_throw_input_errors_only() {
    // Random byte edits, deletions and truncations of real files: reading either succeeds or throws InputError.
    std::vector<std::string> seeds = {pxrd::read_file(example_path("PbSO4-Wyckoff.cif")),
                                      pxrd::read_file(example_path("NaCl.cif")),
                                      pxrd::read_file(data_path("nacl_symops.cif"))};
    std::mt19937 rng(11);
    const std::string alphabet = " \n\t'\";_#.?-+/0123456789xyzXYZabcdefloop_data_Hall";
    int ok = 0, input_errors = 0;
    for (int k = 0; k < 3000; ++k) {
      std::string text = seeds[k % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t pos = rng() % text.size();
        switch (rng() % 4) {
          case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
          case 1: text.erase(pos, 1 + rng() % 20); break;
          case 2: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
          default: text.resize(pos); break;
        }
      }
      try {
        const pxrd::Crystal c = pxrd::read_cif_string(text, "mutated");
        for (const auto& site : c.sites)
          QVERIFY(std::isfinite(site.frac.x()) && site.frac.x() >= 0 && site.frac.x() < 1 && site.atomic_number > 0);
        ++ok;
      } catch (const pxrd::InputError&) {
        ++input_errors;
      }
    }
    qInfo("mutated CIFs: %d read, %d InputError", ok, input_errors);
    QVERIFY(ok > 100 && input_errors > 100);
  }
  void mp20_p1_strings_parse_fast() {
    const auto cifs = split_cifs(pxrd::read_file(data_path("mp20_test_first40.cifs")));
    QCOMPARE(static_cast<int>(cifs.size()), 40);
    for (const auto& [header, text] : cifs) {
      const pxrd::Crystal c = pxrd::read_cif_string(text, header);
      QVERIFY(c.size() >= 1 && c.size() <= 20);
      // The header carries pymatgen's reduced formula, e.g. "mp-555560 CdTeMoO6".
      const std::string formula = header.substr(header.find(' ') + 1);
      QVERIFY2(pxrd::Composition::of(c).reduced() == pxrd::Composition::parse(formula).reduced(), header.c_str());
    }
    const int repeats = 50;
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t atoms = 0;
    for (int r = 0; r < repeats; ++r)
      for (const auto& [header, text] : cifs) atoms += pxrd::read_cif_string(text, header).size();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_s = repeats * cifs.size() / s;
    qInfo("MP-20 P1 CIFs: %.0f structures/s (%zu atoms)", per_s, atoms);
    QVERIFY(per_s > 2000);  // the model loads ~25k of them at start-up
  }
};

QTEST_GUILESS_MAIN(TestCif)
#include "test_cif.moc"
