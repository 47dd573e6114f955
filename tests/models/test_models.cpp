// The flow model: CSV and cache I/O, LP algebra of the cached sticks, augmentation, the torus flow path,
// training (overfit, determinism, resume), checkpoints and sampling.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pxrd/atomic_file.hpp"
#include "pxrd/cancel.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/models/conditioning.hpp"
#include "pxrd/models/dataset.hpp"
#include "pxrd/models/diffusion.hpp"
#include "pxrd/models/formula_units.hpp"
#include "pxrd/peaks.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/units.hpp"
#include "src/lattice_code.hpp"

namespace fs = std::filesystem;
using namespace pxrd::models;

namespace {
pxrd::Crystal rocksalt() {
  // NaCl, conventional cell (a = 5.64 Å): 4 Na + 4 Cl.
  pxrd::Crystal c;
  c.name = "NaCl";
  c.lattice = pxrd::Lattice::from_parameters(5.64, 5.64, 5.64, 90, 90, 90);
  const double na[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
  for (const auto& p : na) {
    pxrd::Site s;
    s.element = "Na";
    s.atomic_number = 11;
    s.frac = Eigen::Vector3d(p[0], p[1], p[2]);
    c.sites.push_back(s);
    s.element = "Cl";
    s.atomic_number = 17;
    s.frac = Eigen::Vector3d(p[0] + 0.5, p[1], p[2]);
    c.sites.push_back(s);
  }
  c.wrap_to_unit_cell();
  return c;
}

pxrd::Crystal rutile() {
  pxrd::Crystal c;
  c.name = "TiO2";
  c.lattice = pxrd::Lattice::from_parameters(4.594, 4.594, 2.959, 90, 90, 90);
  const double u = 0.305;
  const double ti[2][3] = {{0, 0, 0}, {0.5, 0.5, 0.5}};
  const double o[4][3] = {{u, u, 0}, {1 - u, 1 - u, 0}, {0.5 + u, 0.5 - u, 0.5}, {0.5 - u, 0.5 + u, 0.5}};
  for (const auto& p : ti) c.sites.push_back({"Ti", 22, Eigen::Vector3d(p[0], p[1], p[2]), 1.0, 0.0, ""});
  for (const auto& p : o) c.sites.push_back({"O", 8, Eigen::Vector3d(p[0], p[1], p[2]), 1.0, 0.0, ""});
  return c;
}

DatasetEntry entry(const pxrd::Crystal& c, const std::string& id) {
  DatasetEntry e;
  e.material_id = id;
  e.crystal = c;
  e.sticks = radiation_free_sticks(c);
  return e;
}

std::string temp_dir(const std::string& name) {
  const auto p = fs::temp_directory_path() / ("pxrd_models_test_" + name + "_" + std::to_string(QCoreApplication::applicationPid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

TrainOptions tiny_options(const std::string& dir) {
  TrainOptions o;
  o.out_dir = dir;
  o.batch_size = 8;
  o.threads = 1;
  o.model.hidden = 32;
  o.model.layers = 2;
  o.model.fourier = 4;
  o.model.rbf = 8;
  o.log_every = 5;
  o.monitor_every = 0;
  o.verbose = false;
  o.checkpoint_minutes = 1000;
  o.learning_rate = 3e-3;
  return o;
}

// A 4-step tiny model trained on rock salt and rutile, for the sampling tests; returns its folder.
std::string tiny_trained_model(const std::string& name) {
  const auto dir = temp_dir(name);
  const std::vector<DatasetEntry> data = {entry(rocksalt(), "a"), entry(rutile(), "b")};
  auto o = tiny_options(dir);
  o.max_steps = 4;
  pxrd::CancelToken cancel;
  pxrd::NullProgress progress;
  train_model(data, {}, o, cancel, progress);
  return dir;
}

// Rutile's cell content conditioned on its ideal Cu Kα sticks.
SampleRequest rutile_request(int count, unsigned long long seed) {
  SampleRequest r;
  r.atomic_numbers = {22, 22, 8, 8, 8, 8};
  r.condition = condition_from_reflections(pxrd::simulate_sticks(rutile(), pxrd::StickOptions()), 1.54184, 0, 90);
  r.count = count;
  r.seed = seed;
  return r;
}
}  // namespace

class TestModels : public QObject {
  Q_OBJECT
 private slots:
  void csv_with_quotes_and_newlines() {
    const auto rows = parse_csv("a,b,c\n1,\"x\ny, \"\"q\"\"\",3\r\n\n4,,\"\"\n", "t.csv");
    QCOMPARE(rows.size(), std::size_t(3));
    QCOMPARE(rows[1][1], std::string("x\ny, \"q\""));
    QCOMPARE(rows[1][2], std::string("3"));
    QCOMPARE(rows[2].size(), std::size_t(3));
    QCOMPARE(rows[2][1], std::string(""));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, parse_csv("a,\"b\n", "bad.csv"));
  }

  void sticks_round_trip_through_lp() {
    // Dividing LP out at the cache wavelength and multiplying it back at Cu Kα must give the simulator's pattern.
    const auto c = rutile();
    pxrd::StickOptions opt;
    const auto direct = pxrd::simulate_sticks(c, opt);
    const auto back = sticks_at_wavelength(radiation_free_sticks(c), opt.lambda_angstrom, 0.0, 90.0);
    QVERIFY(direct.size() >= 8);
    QCOMPARE(back.size(), direct.size());
    for (std::size_t i = 0; i < direct.size(); ++i) {
      QVERIFY(std::abs(back[i].two_theta_deg - direct[i].two_theta_deg) < 1e-3);
      QVERIFY(std::abs(back[i].intensity - direct[i].intensity) < 1e-3 * 100);
    }
    // At Mo Kα the same reflections move to lower angles: d stays.
    const auto mo = sticks_at_wavelength(radiation_free_sticks(c), 0.71073, 0.0, 40.0);
    QVERIFY(!mo.empty());
    QVERIFY(std::abs(mo[0].d_angstrom - direct[0].d_angstrom) < 1e-4);
  }

  void peak_merging_known_answer() {
    const std::vector<ConditionPeak> p = {{1.0, 10}, {1.01, 30}, {1.5, 5}};
    const auto m = merge_close_peaks(p, 0.02);
    QCOMPARE(m.size(), std::size_t(2));
    QVERIFY(std::abs(m[0].q_inv_angstrom - (1.0 * 10 + 1.01 * 30) / 40) < 1e-12);
    QCOMPARE(m[0].intensity, 40.0);
  }

  void annealed_step_never_passes_the_end() {
    // Without the anneal every step is dt and they add up to 1.
    float t = 0;
    for (int s = 0; s < 25; ++s) {
      QCOMPARE(annealed_coordinate_step(s, 25, 0.0), 1.0f / 25);
      t += annealed_coordinate_step(s, 25, 0.0);
    }
    QVERIFY(std::abs(t - 1.0f) < 1e-5f);
    // Anneal 3: early steps are dt·(1 + 3t); from t = 0.88 on, the step reaches t = 1 (the structure the velocity
    // points at) instead of 2.9 times past it at the last step.
    QVERIFY(std::abs(annealed_coordinate_step(0, 25, 3.0) - 0.04f) < 1e-7f);
    QVERIFY(std::abs(annealed_coordinate_step(10, 25, 3.0) - 0.04f * 2.2f) < 1e-6f);
    QVERIFY(std::abs(annealed_coordinate_step(21, 25, 3.0) - 0.04f * (1 + 3 * 0.84f)) < 1e-6f);
    for (int s = 22; s < 25; ++s) QVERIFY(std::abs(annealed_coordinate_step(s, 25, 3.0) - (25 - s) / 25.0f) < 1e-7f);
  }

  void augmentation_is_deterministic_and_plausible() {
    const auto sticks = radiation_free_sticks(rutile());
    for (int seed = 0; seed < 50; ++seed) {
      std::mt19937_64 a(seed), b(seed);
      const auto ca = augmented_condition(sticks, a);
      const auto cb = augmented_condition(sticks, b);
      QCOMPARE(ca.peaks.size(), cb.peaks.size());
      for (std::size_t i = 0; i < ca.peaks.size(); ++i) QCOMPARE(ca.peaks[i].q_inv_angstrom, cb.peaks[i].q_inv_angstrom);
      QVERIFY(ca.peaks.size() <= std::size_t(kMaxPeaks));
      for (const auto& p : ca.peaks) {
        QVERIFY(p.intensity > 0 && p.intensity <= 100.0 + 1e-9);
        QVERIFY(p.q_inv_angstrom >= ca.q_min_inv_angstrom - 0.05 && p.q_inv_angstrom <= ca.q_max_inv_angstrom + 0.05);
      }
    }
  }

  void profile_peaks_match_sticks() {
    const auto c = rutile();
    pxrd::Radiation cu;
    cu.name = "CuKa";
    cu.lambda1_angstrom = 1.54184;
    pxrd::ProfileOptions prof;
    prof.fwhm_deg = 0.1;
    pxrd::GridOptions grid;
    const auto pattern = pxrd::simulate_pattern(c, cu, prof, grid);
    const auto cond = condition_from_profile(pattern);
    pxrd::StickOptions opt;
    const auto ideal = condition_from_reflections(pxrd::simulate_sticks(c, opt), 1.54184, 0, 90);
    // The strongest stick (rutile 110) is found within 0.005 Å⁻¹ and is the strongest picked peak.
    auto strongest = [](const PeakCondition& k) {
      return *std::max_element(k.peaks.begin(), k.peaks.end(),
                               [](const ConditionPeak& a, const ConditionPeak& b) { return a.intensity < b.intensity; });
    };
    QVERIFY(std::abs(strongest(cond).q_inv_angstrom - strongest(ideal).q_inv_angstrom) < 0.005);
    QVERIFY(peak_match_score(cond, c, 1.54184) > 0.8);
    // A wrong structure matches worse than the right one.
    QVERIFY(peak_match_score(ideal, rocksalt(), 1.54184) < peak_match_score(ideal, c, 1.54184));
    // The broadened agreement: 1 for the crystal itself, forgiving a 1 % cell error at 2° (not at 0.1°), and lower
    // for a wrong structure; 0 without a pattern.
    QVERIFY(std::abs(broadened_peak_agreement(ideal, c, 1.54184) - 1.0) < 1e-9);
    pxrd::Crystal stretched = c;
    stretched.lattice = pxrd::Lattice::from_parameters({c.lattice.parameters().a_angstrom * 1.01, c.lattice.parameters().b_angstrom * 1.01,
                                                       c.lattice.parameters().c_angstrom * 1.01, 90, 90, 90});
    const double stretched_broad = broadened_peak_agreement(ideal, stretched, 1.54184);
    QVERIFY2(stretched_broad > 0.8, qPrintable(QString::number(stretched_broad)));
    QVERIFY(broadened_peak_agreement(ideal, stretched, 1.54184, 0.1) < stretched_broad - 0.3);
    QVERIFY(broadened_peak_agreement(ideal, rocksalt(), 1.54184) < stretched_broad - 0.2);
    QCOMPARE(broadened_peak_agreement(PeakCondition{}, c, 1.54184), 0.0);
    pxrd::Pattern no_radiation = pattern;
    no_radiation.radiation.reset();
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, condition_from_profile(no_radiation));
  }

  void profile_peaks_leave_out_an_amorphous_hump() {
    // Rutile's ideal Cu Kα pattern plus a hump 7° wide at 2θ = 15° whose area is 3 times the strongest line's
    // (the bundled MnO lab pattern has one like it).
    pxrd::Pattern humped = pxrd::ideal_cu_ka_pattern(rutile());
    const double fwhm_deg = 7.0, centre_deg = 15.0, sigma = fwhm_deg / 2.3548;
    const double height = 3.0 * 100.0 * 0.1 / fwhm_deg;  // area ∝ height × FWHM; the line: 100 × 0.1°
    for (std::size_t i = 0; i < humped.x.size(); ++i)
      humped.y[i] += height * std::exp(-0.5 * std::pow((humped.x[i] - centre_deg) / sigma, 2));
    const double lambda = humped.radiation->lambda1_angstrom;
    const double q_hump = pxrd::two_theta_deg_to_q_inv_angstrom(centre_deg, lambda);
    auto near_hump = [&](const PeakCondition& k) {
      return std::any_of(k.peaks.begin(), k.peaks.end(),
                         [&](const ConditionPeak& p) { return std::abs(p.q_inv_angstrom - q_hump) < 0.1; });
    };
    // The peak search finds the hump; the condition leaves it out and keeps every line of the clean pattern.
    const auto raw = pxrd::find_peaks(humped);
    QVERIFY(std::any_of(raw.begin(), raw.end(), [&](const pxrd::Peak& p) { return std::abs(p.x - centre_deg) < 1.0; }));
    const PeakCondition clean = condition_from_profile(pxrd::ideal_cu_ka_pattern(rutile()));
    const PeakCondition cond = condition_from_profile(humped);
    QVERIFY(!near_hump(cond));
    QCOMPARE(cond.peaks.size(), clean.peaks.size());
    for (std::size_t i = 0; i < cond.peaks.size(); ++i)
      QVERIFY(std::abs(cond.peaks[i].q_inv_angstrom - clean.peaks[i].q_inv_angstrom) < 0.005);
    // A 10 Å crystallite: every peak is broad, none is left out.
    const pxrd::Pattern nano = pxrd::ideal_cu_ka_pattern(rutile(), 10.0);
    const PeakCondition nano_cond = condition_from_profile(nano);
    pxrd::PeakSearchOptions opt;
    opt.min_relative_prominence = 0.01;
    QCOMPARE(nano_cond.peaks.size(), std::min<std::size_t>(pxrd::find_peaks(nano, opt).size(), kMaxPeaks));
    QVERIFY(nano_cond.peaks.size() >= 2);
  }

  void consensus_key_counts_symmetry_at_a_loose_tolerance() {
    // Rock salt in its conventional cell: Fm-3m, 48 rotations × 4 centring translations = 192 operations.
    const pxrd::Crystal c = rocksalt();
    QVERIFY(std::abs(symmetry_order_log2(c) - std::log2(192.0)) < 1e-12);
    // A raw sample's error: one atom 0.17 Å off its site keeps the group at the 0.5 Å tolerance, not at 0.01 Å.
    pxrd::Crystal off = c;
    off.sites[0].frac.x() += 0.03;
    QVERIFY(std::abs(symmetry_order_log2(off) - std::log2(192.0)) < 1e-12);
    QVERIFY(symmetry_order_log2(off, 0.01) < std::log2(192.0) - 1);
    // Atoms more than a tolerance off in different directions leave fewer operations.
    pxrd::Crystal scrambled = c;
    const double shift[8][3] = {{0.21, 0.03, 0.11}, {0.0, 0.17, 0.0}, {0.05, 0.0, 0.23}, {0.13, 0.19, 0.0},
                                {0.0, 0.0, 0.0},    {0.27, 0.1, 0.0}, {0.0, 0.23, 0.15}, {0.09, 0.0, 0.0}};
    for (std::size_t i = 0; i < scrambled.sites.size(); ++i)
      scrambled.sites[i].frac += Eigen::Vector3d(shift[i][0], shift[i][1], shift[i][2]);
    QVERIFY(symmetry_order_log2(scrambled) < symmetry_order_log2(off) - 1);
    // The key adds support, 30 × agreement and 4 × symmetry; with 19 others (20 samples) the support counts as is.
    QCOMPARE(consensus_key(3, 19, 0.5, 2.0), 3 + 0.5 * kConsensusAgreementWeight + 2.0 * kConsensusSymmetryWeight);
    QCOMPARE(consensus_key(3, 19, 0.5, 2.0), 26.0);
    // Support is scaled to 19 others: 6 of 38 weighs as 3 of 19, 2 of 4 as 9.5 of 19.
    QCOMPARE(consensus_key(6, 38, 0.5, 2.0), 26.0);
    QCOMPARE(consensus_key(2, 4, 0.0, 0.0), 9.5);
    QCOMPARE(consensus_key(0, 0, 0.0, 1.0), 4.0);  // a single sample has no others
  }

  void torus_flow_path_math() {
    const auto [xt, u] = torus_flow_path({0.9f, 0.1f, 0.2f, 0.3f}, {0.1f, 0.9f, 0.2f, 0.6f}, 0.5f);
    // The short way round: 0.9 → 0.1 goes forward by 0.2 through 1 ≡ 0.
    QVERIFY(std::abs(u[0] - 0.2f) < 1e-6 && std::abs(u[1] + 0.2f) < 1e-6);
    QVERIFY(std::abs(xt[0]) < 1e-6 || std::abs(xt[0] - 1.0f) < 1e-6);
    QVERIFY(std::abs(xt[1]) < 1e-6 || std::abs(xt[1] - 1.0f) < 1e-6);
    QVERIFY(std::abs(u[2]) < 1e-7 && std::abs(xt[2] - 0.2f) < 1e-6);
    QVERIFY(std::abs(u[3] - 0.3f) < 1e-6 && std::abs(xt[3] - 0.45f) < 1e-6);
    const auto end = torus_flow_path({0.9f, 0.7f}, {0.1f, 0.25f}, 1.0f).first;
    QVERIFY(std::abs(end[0] - 0.1f) < 1e-6 && std::abs(end[1] - 0.25f) < 1e-6);
  }

  void lattice_code_round_trip() {
    const auto l = pxrd::Lattice::from_parameters(4.1, 5.2, 7.3, 80, 95, 110);
    const auto code = detail::raw_lattice_code(l, 6);
    QVERIFY(std::abs(code[0] - std::log(4.1 / std::cbrt(6.0))) < 1e-9);
    const auto p = detail::lattice_from_raw_code(code, 6).parameters();
    QVERIFY(std::abs(p.c_angstrom - 7.3) < 1e-9 && std::abs(p.gamma_deg - 110) < 1e-9);
    // Impossible angles are repaired into a valid cell instead of throwing.
    const auto fixed = detail::lattice_from_raw_code({0, 0, 0, 150, 150, 150}, 1);
    QVERIFY(fixed.volume_angstrom3() > 0.04);
  }

  void dataset_cache_round_trip_and_corruption() {
    const auto dir = temp_dir("cache");
    std::vector<DatasetEntry> entries = {entry(rocksalt(), "mp-22862"), entry(rutile(), "mp-2657")};
    entries[1].split = Split::Monitor;
    save_dataset_cache(dir + "/c.bin", entries);
    const auto back = load_dataset_cache(dir + "/c.bin");
    QCOMPARE(back.size(), std::size_t(2));
    QCOMPARE(back[1].material_id, std::string("mp-2657"));
    QVERIFY(back[1].split == Split::Monitor);
    QCOMPARE(back[0].crystal.sites.size(), std::size_t(8));
    QCOMPARE(back[1].crystal.sites[2].element, std::string("O"));
    QCOMPARE(back[1].sticks.size(), entries[1].sticks.size());
    QCOMPARE(back[1].sticks[3].intensity_no_lp, entries[1].sticks[3].intensity_no_lp);
    std::string bytes = pxrd::read_file(dir + "/c.bin");
    bytes.resize(bytes.size() - 5);
    std::ofstream(dir + "/bad.bin", std::ios::binary) << bytes;
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, load_dataset_cache(dir + "/bad.bin"));
    fs::remove_all(dir);
  }

  void monitor_set_is_the_held_out_val_slice() {
    // eval-solve --split monitor must see exactly the val crystals that training holds out (and no others).
    const auto dir = temp_dir("monitor");
    auto write_xz_csv = [&](const std::string& name, const std::vector<std::string>& ids) {
      std::ofstream out(dir + "/" + name.substr(0, name.size() - 3));
      out << "material_id,cif\n";
      for (std::size_t i = 0; i < ids.size(); ++i) {
        pxrd::Crystal c = rocksalt();
        c.lattice = pxrd::Lattice::from_parameters(5.0 + 0.1 * i, 5.64, 5.64, 90, 90, 90);
        std::string cif = pxrd::cif_p1_string(c);
        std::string quoted;
        for (char ch : cif) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        out << ids[i] << ",\"" << quoted << "\"\n";
      }
      out.close();
      QCOMPARE(std::system(("xz -f '" + dir + "/" + name.substr(0, name.size() - 3) + "'").c_str()), 0);
    };
    write_xz_csv("train_partial.csv.xz", {"mp-t0", "mp-t1"});
    write_xz_csv("train_canonical_subset.csv.xz", {"mp-c0"});
    write_xz_csv("val.csv.xz", {"mp-v0", "mp-v1", "mp-v2", "mp-v3", "mp-v4"});
    const auto monitor = load_monitor_set(dir, 2);
    QCOMPARE(monitor.size(), std::size_t(3));
    pxrd::CancelToken cancel;
    pxrd::NullProgress quiet;
    std::vector<std::string> held_out;
    for (const DatasetEntry& e : load_training_set(dir, "", 2, 1, cancel, quiet))
      if (e.split == Split::Monitor) held_out.push_back(e.material_id);
    QCOMPARE(held_out.size(), monitor.size());
    for (std::size_t i = 0; i < monitor.size(); ++i) {
      QCOMPARE(monitor[i].material_id, held_out[i]);
      QVERIFY(monitor[i].split == Split::Monitor);
    }
    QCOMPARE(monitor[1].material_id, std::string("mp-v2"));
    QVERIFY(std::abs(monitor[2].crystal.lattice.volume_angstrom3() - 5.4 * 5.64 * 5.64) < 1e-3);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, load_monitor_set(dir, 0));
    fs::remove_all(dir);
  }

  void formula_cell_content() {
    const auto c = cell_content(pxrd::Composition::parse("Sc2ZnS4"), 2);
    QCOMPARE(c.size(), std::size_t(14));
    QCOMPARE(std::count(c.begin(), c.end(), 16), 8L);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, cell_content(pxrd::Composition::parse("Fe0.5O"), 1));
  }

  void overfit_two_crystals_reduces_loss() {
    const auto dir = temp_dir("overfit");
    const std::vector<DatasetEntry> data = {entry(rocksalt(), "a"), entry(rutile(), "b")};
    auto o = tiny_options(dir);
    o.augment.ideal_fraction = 1.0;
    o.augment.no_pattern_fraction = 0.0;
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    pxrd::CancelToken stop_now;  // a run cancelled before its first step: the untrained model, for reference
    stop_now.cancel();
    train_model(data, {}, o, stop_now, progress);
    fs::copy_file(dir + "/weights.pt", dir + "/untrained.pt");
    o.max_steps = 300;
    o.log_every = 50;
    o.resume = true;
    const auto s = train_model(data, {}, o, cancel, progress);
    QCOMPARE(s.end_step, 300L);
    QVERIFY2(s.last_loss < s.first_loss, qPrintable(QString("loss %1 -> %2").arg(s.first_loss).arg(s.last_loss)));
    // The exported (EMA) weights: losses with the same fixed noise fall; the lattice one (a single target per
    // composition) by more than half.
    auto model = Model::load(dir + "/weights.pt", "cpu");
    QCOMPARE(model->training_steps(), 300L);
    const auto [lc, ll] = model->evaluate_loss(data, 5);
    const auto [lc0, ll0] = Model::load(dir + "/untrained.pt", "cpu")->evaluate_loss(data, 5);
    QVERIFY2(ll < 0.5 * ll0, qPrintable(QString("lattice %1 -> %2").arg(ll0).arg(ll)));
    QVERIFY2(lc < lc0, qPrintable(QString("coord %1 -> %2").arg(lc0).arg(lc)));
    fs::remove_all(dir);
  }

  void training_is_deterministic_and_resumes_exactly() {
    const std::vector<DatasetEntry> data = {entry(rocksalt(), "a"), entry(rutile(), "b")};
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    const auto a = temp_dir("det_a"), b = temp_dir("det_b"), c = temp_dir("det_c");
    auto o = tiny_options(a);
    o.seed = 7;  // not the default: the resume below must take it (and the rate) from the checkpoint
    o.max_steps = 6;
    train_model(data, {}, o, cancel, progress);
    o.out_dir = b;
    train_model(data, {}, o, cancel, progress);
    // Interrupted after 3 steps, then resumed to 6 without repeating the seed or the learning rate.
    o.out_dir = c;
    o.max_steps = 3;
    train_model(data, {}, o, cancel, progress);
    const auto d = temp_dir("det_d");
    fs::copy(c, d, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    o.max_steps = 6;
    o.resume = true;
    o.seed.reset();
    o.learning_rate.reset();
    const auto s = train_model(data, {}, o, cancel, progress);
    QCOMPARE(s.start_step, 3L);
    // The same interrupted run resumed with another rate given: it replaces the checkpoint's.
    o.out_dir = d;
    o.learning_rate = 1e-4;
    train_model(data, {}, o, cancel, progress);
    o.out_dir = c;
    o.learning_rate.reset();
    const double ca = Model::load(a + "/weights.pt", "cpu")->parameter_checksum();
    const double cb = Model::load(b + "/weights.pt", "cpu")->parameter_checksum();
    const double cc = Model::load(c + "/weights.pt", "cpu")->parameter_checksum();
    const double cd = Model::load(d + "/weights.pt", "cpu")->parameter_checksum();
    QCOMPARE(ca, cb);
    QVERIFY2(std::abs(ca - cc) <= 1e-9 * std::abs(ca), qPrintable(QString("%1 vs %2").arg(ca, 0, 'g', 17).arg(cc, 0, 'g', 17)));
    // The exported weights are the slow EMA, so three steps at another rate move them by about 1e-6 relative.
    QVERIFY2(std::abs(ca - cd) > 1e-8 * std::abs(ca), qPrintable(QString("%1 vs %2").arg(ca, 0, 'g', 17).arg(cd, 0, 'g', 17)));
    std::ifstream config(d + "/config.txt");
    const std::string config_text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
    QVERIFY2(config_text.find("lr=0.0001\n") != std::string::npos && config_text.find("seed=7\n") != std::string::npos,
             config_text.c_str());
    // A cancelled run stops at once with a checkpoint.
    pxrd::CancelToken stop;
    stop.cancel();
    o.max_steps = 100;
    const auto s2 = train_model(data, {}, o, stop, progress);
    QVERIFY(s2.cancelled);
    QCOMPARE(s2.end_step, 6L);
    QVERIFY(fs::exists(c + "/checkpoint.pt"));
    for (const auto& dir : {a, b, c, d}) fs::remove_all(dir);
  }

  void fine_tuning_starts_from_given_weights() {
    const std::vector<DatasetEntry> data = {entry(rocksalt(), "a"), entry(rutile(), "b")};
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    const auto a = temp_dir("ft_a"), b = temp_dir("ft_b");
    auto o = tiny_options(a);
    o.max_steps = 5;
    train_model(data, {}, o, cancel, progress);
    // Zero further steps: the fine-tune run exports exactly the weights it started from, at their step.
    auto ft = tiny_options(b);
    ft.init_weights = a + "/weights.pt";
    ft.max_steps = 5;
    const auto s0 = train_model(data, {}, ft, cancel, progress);
    QCOMPARE(s0.start_step, 5L);
    QCOMPARE(s0.end_step, 5L);
    const double start = Model::load(a + "/weights.pt", "cpu")->parameter_checksum();
    QCOMPARE(Model::load(b + "/weights.pt", "cpu")->parameter_checksum(), start);
    // Three more steps change them; resuming the fine-tune keeps its step count.
    ft.max_steps = 8;
    ft.resume = true;
    const auto s1 = train_model(data, {}, ft, cancel, progress);
    QCOMPARE(s1.start_step, 5L);
    QCOMPARE(s1.end_step, 8L);
    QVERIFY(Model::load(b + "/weights.pt", "cpu")->parameter_checksum() != start);
    auto missing = tiny_options(temp_dir("ft_c"));
    missing.init_weights = a + "/no_such.pt";
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, train_model(data, {}, missing, cancel, progress));
    for (const auto& d : {a, b, missing.out_dir}) fs::remove_all(d);
  }

  void sampling_shapes_determinism_and_hint() {
    const auto dir = tiny_trained_model("sample");
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    auto model = Model::load(dir + "/weights.pt", "auto");
    model->set_sampling(10, 3);  // 3 crystals per network call: batching must not change results
    const SampleRequest r = rutile_request(5, 42);
    SampleRequest hinted = r;
    hinted.lattice_hint = rutile().lattice;
    hinted.count = 2;
    const auto out = model->sample({r, hinted}, cancel, progress);
    QCOMPARE(out.size(), std::size_t(2));
    QCOMPARE(out[0].size(), std::size_t(5));
    for (const auto& c : out[0]) {
      QCOMPARE(c.sites.size(), std::size_t(6));
      QCOMPARE(c.sites[2].element, std::string("O"));
      QVERIFY(c.lattice.volume_angstrom3() > 1.0);
      for (const auto& s : c.sites)
        for (int k = 0; k < 3; ++k) QVERIFY(s.frac[k] >= 0 && s.frac[k] < 1);
    }
    for (const auto& c : out[1]) QVERIFY((c.lattice.matrix() - rutile().lattice.matrix()).norm() < 1e-9);
    model->set_sampling(10, 64);
    const auto again = model->sample({r}, cancel, progress);
    for (int i = 0; i < 5; ++i)
      QVERIFY((again[0][i].sites[3].frac - out[0][i].sites[3].frac).norm() < 1e-5);
    QVERIFY((out[0][0].sites[3].frac - out[0][1].sites[3].frac).norm() > 1e-4);
    // Pattern guidance: weight 0 is composition-only sampling, weight 2 moves the samples away from weight 1.
    SampleRequest bare = r;
    bare.condition = {};
    model->set_pattern_guidance(0.0);
    const auto guided0 = model->sample({r}, cancel, progress);
    model->set_pattern_guidance(1.0);
    const auto unguided_bare = model->sample({bare}, cancel, progress);
    model->set_pattern_guidance(2.0);
    const auto guided2 = model->sample({r}, cancel, progress);
    model->set_pattern_guidance(1.0);
    double moved_by_guidance = 0;
    for (int i = 0; i < 5; ++i) {
      QVERIFY((guided0[0][i].sites[3].frac - unguided_bare[0][i].sites[3].frac).norm() < 1e-5);
      QVERIFY((guided0[0][i].lattice.matrix() - unguided_bare[0][i].lattice.matrix()).norm() < 1e-4);
      moved_by_guidance += (guided2[0][i].lattice.matrix() - out[0][i].lattice.matrix()).norm();
    }
    QVERIFY(moved_by_guidance > 1e-3);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, model->set_pattern_guidance(-1.0));
    // The CandidateGenerator interface.
    auto gen = load_generator(dir + "/weights.pt", "cpu");
    pxrd::GenerationRequest g;
    g.atomic_numbers = {11, 17};
    g.count = 3;
    QCOMPARE(gen->generate(g, cancel, progress).size(), std::size_t(3));
    QVERIFY(gen->name().find("pxrd-flow") != std::string::npos);
    pxrd::CancelToken stopped;
    stopped.cancel();
    QVERIFY_THROWS_EXCEPTION(pxrd::Cancelled, gen->generate(g, stopped, progress));
    // A cancel after the first round of 8 keeps those 8 (the solver's time share relies on it).
    struct CancelAtFirstRoundEnd : pxrd::ProgressSink {
      pxrd::CancelToken* token;
      void report(double fraction, const std::string&) override {
        if (fraction >= 1.0) token->cancel();
      }
    };
    pxrd::CancelToken late;
    CancelAtFirstRoundEnd canceller;
    canceller.token = &late;
    g.count = 20;
    QCOMPARE(gen->generate(g, late, canceller).size(), std::size_t(8));
    fs::remove_all(dir);
  }

  void peak_attention_added_to_trained_weights() {
    // Atom-to-peak attention added to trained weights starts as a no-op (same samples), is recorded in the weights
    // file, and then learns (samples move after training).
    const auto dir = tiny_trained_model("peakattn");
    const std::vector<DatasetEntry> data = {entry(rocksalt(), "a"), entry(rutile(), "b")};
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    auto base = Model::load(dir + "/weights.pt", "cpu");
    base->set_sampling(10, 8);
    const SampleRequest r = rutile_request(4, 3);
    const auto before = base->sample({r}, cancel, progress)[0];

    auto widened = tiny_options(temp_dir("peakattn_w"));
    widened.init_weights = dir + "/weights.pt";
    widened.model.peak_heads = 4;
    widened.max_steps = 4;  // the weights' own step: no training, only the added attention
    train_model(data, {}, widened, cancel, progress);
    auto same = Model::load(widened.out_dir + "/weights.pt", "cpu");
    QVERIFY(same->id().find("+peaks4") != std::string::npos);
    same->set_sampling(10, 8);
    const auto after = same->sample({r}, cancel, progress)[0];
    for (int i = 0; i < 4; ++i) {
      QVERIFY((after[i].lattice.matrix() - before[i].lattice.matrix()).norm() < 1e-4);
      for (int s = 0; s < 6; ++s) QVERIFY((after[i].sites[s].frac - before[i].sites[s].frac).norm() < 1e-5);
    }

    auto other_heads = tiny_options(temp_dir("peakattn_o"));  // weights with 4 heads cannot become 2
    other_heads.init_weights = widened.out_dir + "/weights.pt";
    other_heads.model.peak_heads = 2;
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, train_model(data, {}, other_heads, cancel, progress));
    fs::remove_all(other_heads.out_dir);

    auto trained = tiny_options(temp_dir("peakattn_t"));
    trained.init_weights = dir + "/weights.pt";
    trained.model.peak_heads = 4;
    trained.max_steps = 12;
    const auto summary = train_model(data, {}, trained, cancel, progress);
    QCOMPARE(summary.end_step, 12L);
    auto plain = trained;  // the same fine-tune without the attention
    plain.out_dir = temp_dir("peakattn_p");
    plain.model.peak_heads = 0;
    train_model(data, {}, plain, cancel, progress);
    auto with_attention = Model::load(trained.out_dir + "/weights.pt", "cpu");
    auto without = Model::load(plain.out_dir + "/weights.pt", "cpu");
    with_attention->set_sampling(10, 8);
    without->set_sampling(10, 8);
    const auto a = with_attention->sample({r}, cancel, progress)[0];
    const auto b = without->sample({r}, cancel, progress)[0];
    double shift = 0;
    for (int i = 0; i < 4; ++i) shift += (a[i].sites[4].frac - b[i].sites[4].frac).norm();
    QVERIFY2(shift > 1e-4, std::to_string(shift).c_str());
    for (const auto& d : {dir, widened.out_dir, trained.out_dir, plain.out_dir}) fs::remove_all(d);
  }

  void pattern_steering_mechanics() {
    // A tiny model: steering is deterministic, leaves composition-only requests alone and changes patterned ones.
    const auto dir = tiny_trained_model("steer");
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    auto model = Model::load(dir + "/weights.pt", "cpu");
    model->set_sampling(10, 3);
    const SampleRequest r = rutile_request(6, 7);
    SampleRequest bare = r;
    bare.condition = {};
    const auto plain = model->sample({r, bare}, cancel, progress);
    model->set_pattern_steering({0.5}, 0.5);
    const auto steered = model->sample({r, bare}, cancel, progress);
    const auto again = model->sample({r, bare}, cancel, progress);
    double moved = 0;
    for (int i = 0; i < 6; ++i) {
      QVERIFY((steered[0][i].sites[4].frac - again[0][i].sites[4].frac).norm() < 1e-6);
      QVERIFY((steered[1][i].sites[4].frac - plain[1][i].sites[4].frac).norm() < 1e-5);
      moved += (steered[0][i].sites[4].frac - plain[0][i].sites[4].frac).norm();
    }
    QVERIFY(moved > 1e-3);
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, model->set_pattern_steering({1.0}, 0.5));
    QVERIFY_THROWS_EXCEPTION(pxrd::InputError, model->set_pattern_steering({0.5}, 0.0));
    fs::remove_all(dir);
  }

  void pattern_steering_raises_agreement_with_shipped_weights() {
    // The shipped model on rutile's pattern: steered samples agree better with the pattern on average.
    auto model = Model::load(std::string(PXRD_SOURCE_DIR) + "/models/weights/mp20_flow.pt", "cpu");
    model->set_sampling(25, 64);
    model->set_threads(1);
    pxrd::CancelToken cancel;
    pxrd::NullProgress progress;
    const SampleRequest r = rutile_request(24, 11);
    auto mean_agreement = [&](const std::vector<pxrd::Crystal>& samples) {
      double sum = 0;
      for (const auto& c : samples) sum += broadened_peak_agreement(r.condition, c, 1.54184);
      return sum / static_cast<double>(samples.size());
    };
    const double plain = mean_agreement(model->sample({r}, cancel, progress)[0]);
    model->set_pattern_steering({0.4, 0.7}, 0.5);
    const double steered = mean_agreement(model->sample({r}, cancel, progress)[0]);
    qInfo("mean 2-degree agreement of 24 rutile samples: %.3f plain, %.3f steered", plain, steered);
    QVERIFY2(steered > plain + 0.02, (std::to_string(plain) + " -> " + std::to_string(steered)).c_str());
  }

  void missing_or_corrupt_weights_give_clear_errors() {
    const auto dir = temp_dir("corrupt");
    try {
      Model::load(dir + "/none.pt", "cpu");
      QFAIL("no error for a missing file");
    } catch (const pxrd::Error& e) {
      QVERIFY(std::string(e.what()).find("not found") != std::string::npos);
    }
    std::ofstream(dir + "/junk.pt") << "this is not a torch archive";
    try {
      Model::load(dir + "/junk.pt", "cpu");
      QFAIL("no error for a corrupt file");
    } catch (const pxrd::Error& e) {
      QVERIFY(std::string(e.what()).find("corrupt") != std::string::npos);
    }
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, Model::load(dir + "/junk.pt", "tpu"));
    fs::remove_all(dir);
  }
};

QTEST_GUILESS_MAIN(TestModels)
#include "test_models.moc"
