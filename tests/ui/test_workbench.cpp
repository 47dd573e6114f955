// Workbench tests (run under xvfb-run): files, drops, processing with undo, candidates, exports, project files,
// the 3D scene and view, batch mode, and a solve that is cancelled while the event loop stays responsive.
#include <QApplication>
#include <QCheckBox>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QComboBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QFileInfo>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <atomic>
#include <functional>
#include <cmath>
#include <cstdio>
#include <qcustomplot.h>

#include "batch_dialog.hpp"
#include "candidate_table.hpp"
#include "export.hpp"
#include "main_window.hpp"
#include "pattern_plot.hpp"
#include "processing_panel.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/structure_matcher.hpp"
#include "pxrd/units.hpp"
#include "solve_worker.hpp"
#include "status_line.hpp"
#include "structure_scene.hpp"
#include "structure_view.hpp"
#include "vtk_widget.hpp"

using namespace pxrd;
using namespace pxrd::ui;

namespace {
QString data(const char* name) { return QStringLiteral(PXRD_TEST_DATA_DIR "/ui/") + name; }
// Runs a real event loop (QTest::qWait sleeps 10 ms between rounds, which would count as latency).
void spin(int ms) {
  QEventLoop loop;
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}
}  // namespace

class TestWorkbench : public QObject {
  Q_OBJECT
 private slots:
  void init() { QSettings().clear(); }

  void opens_a_pattern() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    QVERIFY(w.errors().isEmpty());
    const Document* d = w.document();
    QVERIFY(d->has_pattern());
    QCOMPARE(int(d->active()->raw.size()), 4501);  // 10..100° in 0.02° steps
    QCOMPARE(d->active()->settings.radiation.lambda1_angstrom, 1.540598);
    QCOMPARE(d->active()->settings.background, BackgroundMethod::Snip);
    QCOMPARE(d->processed().background.size(), d->processed().processed.size());
    // SNIP removes the smooth background: the net intensity far from peaks is near zero, the raw one is ~300+.
    QVERIFY(d->processed().observed.y.back() > 200);
    QVERIFY(std::abs(d->processed().processed.y.back()) < 100);
    QVERIFY(d->modified());
  }

  void bad_file_gives_an_error_not_a_crash() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("bad.xy"), data("does_not_exist.xy")}), 0);
    QCOMPARE(w.errors().size(), 1);  // one dialog naming both
    QVERIFY(w.errors().first().contains("bad.xy"));
    QVERIFY(w.errors().first().contains("does_not_exist.xy"));
    QVERIFY(!w.document()->has_pattern());
    QVERIFY(!w.action("actionExportPlot")->isEnabled());
    QVERIFY(!w.action("actionExportCif")->isEnabled());
  }

  void drop_of_pattern_and_cif() {
    MainWindow w;
    w.set_quiet(true);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(data("nacl_cuka.xy")), QUrl::fromLocalFile(data("nacl.cif"))});
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY2(w.errors().isEmpty(), qPrintable(w.errors().join('\n')));
    const Document* d = w.document();
    QCOMPARE(int(d->patterns().size()), 2);
    QVERIFY(d->patterns()[1].simulated_from_cif);
    QCOMPARE(d->active_index(), 0);  // the CIF's simulation does not displace the observed pattern
    QVERIFY(d->reference().has_value());
    QCOMPARE(int(d->reference()->size()), 8);  // NaCl conventional cell
    // The CIF became a simulated pattern: its strongest peak is NaCl (200) at 2θ = 2 asin(λ/2d), d = a/2.
    const Pattern& sim = d->patterns()[1].raw;
    const auto top = std::max_element(sim.y.begin(), sim.y.end()) - sim.y.begin();
    const double expected = d_angstrom_to_two_theta_deg(5.6402 / 2, 1.540598);
    QVERIFY2(std::abs(sim.x[top] - expected) < 0.05, qPrintable(QString::number(sim.x[top])));
    // The 3D view shows the reference.
    QVERIFY(w.structure_view()->has_crystal());
    // Opening the CIF was one undo step: undo removes both its pattern and the reference.
    w.document()->undo_stack()->undo();
    QCOMPARE(int(d->patterns().size()), 1);
    QVERIFY(!d->reference().has_value());
    // Recent files: most recent first.
    const QStringList recent = QSettings().value("recent_files").toStringList();
    QCOMPARE(recent.size(), 2);
    QCOMPARE(recent.first(), QFileInfo(data("nacl.cif")).absoluteFilePath());
    // Crosshair readout: moving over the plot shows 2θ, Q and d of the position.
    QCustomPlot* cp = w.plot()->custom_plot();
    const QPoint at(cp->width() / 2, cp->height() / 4);
    QTest::mouseMove(cp, at);
    QMouseEvent move(QEvent::MouseMove, QPointF(at), cp->mapToGlobal(QPointF(at)), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(cp, &move);
    QVERIFY2(w.plot()->readout().contains(QStringLiteral("2θ")) && w.plot()->readout().contains(QStringLiteral("Q ")) &&
                 w.plot()->readout().contains(QStringLiteral("d ")),
             qPrintable(w.plot()->readout()));
  }

  void processing_change_and_undo() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    Document* d = w.document();
    const std::vector<double> before = d->processed().processed.y;
    const int undo_count = d->undo_stack()->count();
    auto* snip = w.processing_panel()->findChild<QSpinBox*>("snipIterations");
    QVERIFY(snip);
    snip->setValue(10);
    snip->setValue(5);  // same control: merges into one undo step
    QCOMPARE(d->active()->settings.snip_iterations, 5);
    QCOMPARE(d->undo_stack()->count(), undo_count + 1);
    QVERIFY(d->processed().processed.y != before);
    QVERIFY(w.action("actionResetToLoaded")->isEnabled());
    d->undo_stack()->undo();
    QCOMPARE(d->active()->settings.snip_iterations, 40);
    QCOMPARE(d->processed().processed.y, before);
    QCOMPARE(snip->value(), 40);  // the panel follows the document
    d->undo_stack()->redo();
    QCOMPARE(d->active()->settings.snip_iterations, 5);
    d->reset_to_loaded();
    QCOMPARE(d->active()->settings.snip_iterations, 40);
    QVERIFY(!w.action("actionResetToLoaded")->isEnabled());

    // Manual background points placed on the plot, each one undo step.
    emit w.plot()->background_point_added(20.0, 500.0);
    emit w.plot()->background_point_added(60.0, 300.0);
    QCOMPARE(d->active()->settings.background, BackgroundMethod::Manual);
    QCOMPARE(int(d->active()->settings.manual_points.size()), 2);
    // Linear anchors: at 40°, halfway, the background is 400.
    const auto& x = d->processed().processed.x;
    const auto i40 = std::lower_bound(x.begin(), x.end(), 40.0 - 1e-9) - x.begin();
    QVERIFY(std::abs(d->processed().background[i40] - 400.0) < 1e-6);
    d->undo_stack()->undo();
    QCOMPARE(int(d->active()->settings.manual_points.size()), 1);
  }

  void processing_preview_is_interactive() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    Document* d = w.document();
    ProcessingSettings s = d->active()->settings;
    struct Step {
      const char* name;
      std::function<void(ProcessingSettings&)> change;
    };
    const std::vector<Step> steps = {
        {"snip 60", [](ProcessingSettings& p) { p.snip_iterations = 60; }},
        {"chebyshev 8", [](ProcessingSettings& p) { p.background = BackgroundMethod::Chebyshev; p.chebyshev_order = 8; }},
        {"rolling ball 2°", [](ProcessingSettings& p) { p.background = BackgroundMethod::RollingBall; }},
        {"smoothing 0.05°", [](ProcessingSettings& p) { p.smooth = true; }},
        {"sinc² 100 Å", [](ProcessingSettings& p) { p.nano_filter = true; }},
        {"zero shift 0.05°", [](ProcessingSettings& p) { p.zero_shift_deg = 0.05; }}};
    for (const Step& step : steps) {
      step.change(s);
      const std::vector<double> before = d->processed().processed.y;
      const std::vector<double> background_before = d->processed().background;
      QElapsedTimer t;
      t.start();
      d->set_settings(s, QString::fromLatin1(step.name));
      const double ms = t.nsecsElapsed() / 1e6;
      // The time is printed, not asserted (a shared machine's timing varies); every change must show in the preview.
      std::printf("preview after %-18s %7.1f ms (%zu points; processing, plot and panel)\n", step.name, ms,
                  d->active()->raw.size());
      QVERIFY2(d->processing_error().isEmpty(), qPrintable(d->processing_error()));
      QVERIFY2(d->processed().processed.y != before || d->processed().background != background_before, step.name);
    }
  }

  void candidates_rank_and_cif_export() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    QCOMPARE(w.import_candidates({data("kcl.cif"), data("nacl.cif")}), 2);
    const Document* d = w.document();
    QCOMPARE(int(d->candidates().size()), 2);
    // The true structure fits better than KCl: it is ranked first and selected.
    QCOMPARE(d->candidates()[0].crystal.name, std::string("NaCl"));
    QVERIFY(d->candidates()[0].rwp < d->candidates()[1].rwp);
    QVERIFY(d->candidates()[0].rwp2 < 0.3);
    QVERIFY(d->candidates()[1].rwp2 > 0.5);
    QCOMPARE(d->candidates()[0].space_group_number, 225);
    QCOMPARE(d->selected_candidate(), 0);
    QVERIFY(w.plot()->custom_plot()->graphCount() > 0);
    QVERIFY(w.action("actionExportCif")->isEnabled());

    QTemporaryDir dir;
    const QString cif = dir.filePath("best.cif");
    QVERIFY(w.export_selected_cif(cif));
    const Crystal back = read_cif(cif.toStdString());
    QCOMPARE(int(back.size()), 8);
    QVERIFY(std::abs(back.lattice.parameters().a_angstrom - 5.6402) < 1e-4);
    const std::string text = read_file(cif.toStdString());
    QVERIFY(text.find("R_wp") != std::string::npos);
    QVERIFY(text.find("nacl_cuka.xy") != std::string::npos);
    QVERIFY(text.find("225") != std::string::npos);
    // Side-by-side comparison with the reference (NaCl loaded as the reference): the candidate matches it.
    w.document()->set_reference(read_cif(data("nacl.cif").toStdString()), "reference");
    CompareDialog compare(d->candidates()[0], *d->reference());
    QVERIFY2(compare.report().contains("match, RMS 0.0000"), qPrintable(compare.report()));
    QVERIFY(compare.report().contains("Fm-3m"));
    QCOMPARE(w.export_all_cifs(dir.path()), 2);
    QVERIFY(QFileInfo::exists(dir.filePath("candidate_01.cif")));
    QVERIFY(QFileInfo::exists(dir.filePath("candidate_02.cif")));
    const QString xye = dir.filePath("fit.xye");
    QVERIFY(w.export_fit(xye));
    QVERIFY(QFileInfo(xye).size() > 1000);

    // Selecting the other row updates the selection, the overlay label and the 3D view.
    w.candidate_browser()->select_candidate(1);
    QCOMPARE(d->selected_candidate(), 1);
    QCOMPARE(w.structure_view()->scene().unique_sites, std::size_t(8));
    QVERIFY(std::abs(w.structure_view()->scene().lattice_rows(0, 0) - 6.2917) < 1e-9);

    // Undo removes the reference, then the import.
    w.document()->undo_stack()->undo();
    QVERIFY(!d->reference().has_value());
    w.document()->undo_stack()->undo();
    QCOMPARE(int(d->candidates().size()), 0);
    QVERIFY(!w.action("actionExportCif")->isEnabled());
  }

  void project_round_trip() {
    QTemporaryDir dir;
    const QString path = dir.filePath("p.pxrdproj");
    {
      MainWindow w;
      w.set_quiet(true);
      QCOMPARE(w.open_files({data("nacl_cuka.xy"), data("nacl.cif")}), 2);
      w.import_candidates({data("nacl.cif")});
      auto* snip = w.processing_panel()->findChild<QSpinBox*>("snipIterations");
      snip->setValue(25);
      w.plot()->set_axis_mode(AxisMode::Q);
      w.document()->view().axis = AxisMode::Q;
      QVERIFY(w.save_project(path));
      QVERIFY(!w.document()->modified());
    }
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({path}), 1);
    const Document* d = w.document();
    QCOMPARE(int(d->patterns().size()), 2);
    QCOMPARE(d->active()->settings.snip_iterations, 25);
    QCOMPARE(d->active()->loaded_settings.snip_iterations, 40);
    QCOMPARE(int(d->candidates().size()), 1);
    QCOMPARE(d->candidates()[0].space_group_number, 225);
    QCOMPARE(d->selected_candidate(), 0);
    QVERIFY(d->reference().has_value());
    QCOMPARE(w.plot()->axis_mode(), AxisMode::Q);
    QVERIFY(!d->modified());
    QCOMPARE(int(d->active()->raw.size()), 4501);
    // A file that is not a project is refused with a message.
    QCOMPARE(w.open_files({data("nacl.cif") + ".missing.pxrdproj"}), 0);
    QCOMPARE(w.errors().size(), 1);
  }

  void axis_switch_and_plot_exports() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    PatternPlot* plot = w.plot();
    plot->set_axis_mode(AxisMode::Q);
    auto s = plot->series();
    QVERIFY(!s.empty());
    QCOMPARE(s[0].name, QStringLiteral("observed"));
    QVERIFY(std::abs(s[0].x.front() - 4 * kPi * std::sin(deg_to_rad(5.0)) / 1.540598) < 1e-9);
    plot->set_axis_mode(AxisMode::D);
    s = plot->series();
    QVERIFY(std::abs(s[0].x.front() - 1.540598 / (2 * std::sin(deg_to_rad(5.0)))) < 1e-9);
    QTemporaryDir dir;
    for (const char* ext : {"png", "pdf", "svg", "csv"}) {
      const QString path = dir.filePath(QStringLiteral("plot.") + ext);
      QString err;
      const bool ok = QString(ext) == "png"   ? plot->export_png(path, &err)
                      : QString(ext) == "pdf" ? plot->export_pdf(path, &err)
                      : QString(ext) == "svg" ? plot->export_svg(path, &err)
                                              : plot->export_csv(path, &err);
      QVERIFY2(ok, qPrintable(err));
      QVERIFY2(QFileInfo(path).size() > 500, ext);
    }
    QFile csv(dir.filePath("plot.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(csv.readAll());
    QVERIFY(text.contains("series,x,y"));
    QCOMPARE(text.count(QStringLiteral("\nobserved,")), 4501);
    QFile svg(dir.filePath("plot.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QVERIFY(svg.readAll().count("<polyline") >= 2);  // observed, processed, background
  }

  void scene_wraps_deduplicates_and_replicates() {
    const Crystal nacl = read_cif((data("nacl.cif")).toStdString());
    SceneOptions o;
    o.boundary_images = false;
    o.bonds = false;
    QCOMPARE(int(build_scene(nacl, o).atoms.size()), 8);
    // Duplicates and out-of-cell copies collapse before replication.
    Crystal dup = nacl;
    for (Site s : nacl.sites) {
      s.frac += Eigen::Vector3d(1.0, -2.0, 0.0);
      dup.sites.push_back(s);
    }
    dup.sites.push_back(nacl.sites[0]);
    QCOMPARE(int(build_scene(dup, o).atoms.size()), 8);
    o.na = o.nb = o.nc = 2;
    QCOMPARE(int(build_scene(dup, o).atoms.size()), 64);
    // With the images on the far faces: 14 Na (8 corners + 6 faces) and 13 Cl (12 edges + centre).
    o.na = o.nb = o.nc = 1;
    o.boundary_images = true;
    const Scene scene = build_scene(nacl, o);
    QCOMPARE(int(scene.atoms.size()), 27);
    int na = 0;
    for (const auto& a : scene.atoms) na += a.element == "Na";
    QCOMPARE(na, 14);
    // Bonds: Na–Cl at a/2 = 2.82 Å; each of the 27 atoms' nearest neighbours inside the cell: 54 bonds.
    o.bonds = true;
    QCOMPARE(int(build_scene(nacl, o).bonds.size()), 54);
  }

  void view3d_renders_and_picks() {
    StructureView view;
    view.resize(500, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.has_gl());
    view.set_crystal(read_cif(data("nacl.cif").toStdString()));
    view.view_along(2);
    QImage img = view.render_image();
    QVERIFY(!img.isNull());
    QVERIFY(view.vtk_widget()->frames_rendered() > 0);
    // Not blank: element colours appear (Na is purple, Cl green in the Jmol scheme).
    int coloured = 0;
    for (int y = 0; y < img.height(); y += 2)
      for (int x = 0; x < img.width(); x += 2) {
        const QColor c = img.pixelColor(x, y);
        coloured += std::abs(c.red() - c.green()) > 40 || std::abs(c.green() - c.blue()) > 40;
      }
    QVERIFY2(coloured > img.width() * img.height() / 4 / 20, qPrintable(QString::number(coloured)));
    // Looking down c at the cell centre: the ray meets the atoms on the (½, ½, z) column; the nearest is drawn.
    const qreal dpr = view.vtk_widget()->devicePixelRatioF();
    const int cx = int(view.vtk_widget()->width() * dpr / 2), cy = int(view.vtk_widget()->height() * dpr / 2);
    const int picked = view.pick(cx, cy);
    QVERIFY(picked >= 0);
    const auto& a = view.scene().atoms[picked];
    QVERIFY(std::abs(a.frac.x() - 0.5) < 1e-9 && std::abs(a.frac.y() - 0.5) < 1e-9);
    QVERIFY(view.picked_text().contains(QString::fromStdString(a.label)));
    QCOMPARE(view.pick(0, 0), -1);  // the corner of the view is empty
    view.set_supercell(2);
    QCOMPARE(int(view.scene().atoms.size()), 125);  // (2·2+1)³ sites of the rock-salt lattice
    QTemporaryDir dir;
    QVERIFY(view.export_image(dir.filePath("v.png")));
  }

  // The "Exact cell content" box reaches the solver with the formula.
  void cell_content_box_reaches_the_request() {
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    const Crystal nacl = read_cif(data("nacl.cif").toStdString());
    std::atomic<int> seen{-1};
    w.worker()->set_solve_function([&](const SolveRequest& r, const CancelToken&, ProgressSink&, SolveSink& sink) {
      seen = r.formula_is_cell_content ? 1 : 0;
      sink.candidate(nacl, "test double");
    });
    QSignalSpy finished(&w, &MainWindow::solve_finished);
    QVERIFY(w.start_solve("Na4Cl4", 3, 10));
    QVERIFY(finished.wait(30000));
    QCOMPARE(seen.load(), 0);
    auto* box = w.findChild<QCheckBox*>("cellContent");
    QVERIFY(box);
    box->setChecked(true);
    QVERIFY(w.start_solve("Na4Cl4", 3, 10));
    QVERIFY(finished.wait(30000));
    QCOMPARE(seen.load(), 1);
  }

  void batch_goes_on_past_failures() {
    BatchDialog dlg(radiation_from_string("CuKa1"));
    // A test double for the solver: it emits the known NaCl structure, so that the batch machinery (threads,
    // per-item status, failures, CSV) is what is tested here.
    const Crystal nacl = read_cif(data("nacl.cif").toStdString());
    std::atomic<int> calls{0};
    std::atomic<bool> wrong_formula{false};
    dlg.set_solve_function([&](const SolveRequest& r, const CancelToken&, ProgressSink&,
                               SolveSink& sink) {
      ++calls;
      if (r.formula != "NaCl") wrong_formula = true;
      sink.candidate(nacl, "test double");
    });
    dlg.set_default_formula("NaCl");
    dlg.set_items({{data("nacl_cuka.xy"), {}}, {data("bad.xy"), {}}, {data("missing.xy"), {}}, {data("nacl_cuka.xy"), "NaCl"}});
    QSignalSpy done(&dlg, &BatchDialog::batch_finished);
    QVERIFY(dlg.start());
    QVERIFY(done.wait(60000));
    const auto& rows = dlg.rows();
    QCOMPARE(int(rows.size()), 4);
    QCOMPARE(rows[0].status, QStringLiteral("ok"));
    QCOMPARE(rows[1].status, QStringLiteral("failed"));
    QVERIFY(rows[1].message.contains("bad.xy"));
    QCOMPARE(rows[2].status, QStringLiteral("failed"));
    QCOMPARE(rows[3].status, QStringLiteral("ok"));
    QCOMPARE(calls.load(), 2);
    QVERIFY(!wrong_formula);
    QCOMPARE(rows[0].space_group, QStringLiteral("Fm-3m"));
    QVERIFY(rows[0].best_rwp2 < 0.3);
    QTemporaryDir dir;
    QVERIFY(dlg.export_csv(dir.filePath("batch.csv")));
    QFile f(dir.filePath("batch.csv"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()).count('\n'), 5);

    // Manifests: comments, relative paths, per-line formulas.
    const QString manifest = dir.filePath("list.txt");
    QFile m(manifest);
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write("# patterns\n" PXRD_TEST_DATA_DIR "/ui/nacl_cuka.xy, NaCl\n\nrel.xy\n");
    m.close();
    const auto items = read_manifest(manifest);
    QCOMPARE(int(items.size()), 2);
    QCOMPARE(items[0].formula, QStringLiteral("NaCl"));
    QCOMPARE(items[1].path, dir.filePath("rel.xy"));
  }

  void solve_cancel_keeps_the_ui_responsive() {
    if (!solver_available()) QSKIP("the solve pipeline is not part of this build");
    MainWindow w;
    w.set_quiet(true);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    // Baseline: the same probe with no solve running (the machine may be busy with other work).
    LatencyProbe idle;
    idle.start();
    spin(2500);
    idle.stop();
    std::printf("event-loop latency idle: max %.1f ms, p95 %.1f ms, p50 %.2f ms over %d samples\n", idle.max_latency_ms(),
                idle.percentile_ms(0.95), idle.percentile_ms(0.5), idle.samples());
    QSignalSpy finished(&w, &MainWindow::solve_finished);
    QElapsedTimer clock;
    clock.start();
    QString last_stage;
    connect(w.worker(), &SolveWorker::progress, this, [&](double f, const QString& stage) {
      if (stage != last_stage) std::printf("  %6.2f s  %5.1f %%  %s\n", clock.elapsed() / 1000.0, 100 * f, qPrintable(stage));
      last_stage = stage;
    });
    QVERIFY(w.start_solve("NaCl", 5, 120));
    QVERIFY(!w.action("actionExportCif")->isEnabled());
    QVERIFY(w.findChild<QWidget*>("cancelButton")->isEnabled());
    QVERIFY(!w.findChild<QWidget*>("solveButton")->isEnabled());
    spin(2500);  // the event loop runs (timers, repaints) while the solver works
    w.cancel_solve();
    const qint64 cancel_at = clock.elapsed();
    QVERIFY(!finished.isEmpty() || finished.wait(120000));
    std::printf("cancel honoured after %.2f s\n", (clock.elapsed() - cancel_at) / 1000.0);
    const auto args = finished.takeFirst();
    QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));
    const double max_ms = w.latency_probe()->max_latency_ms();
    std::printf("event-loop latency during solve: max %.1f ms, p95 %.1f ms, p50 %.2f ms over %d samples; "
                "cancelled=%d, %d candidates\n",
                max_ms, w.latency_probe()->percentile_ms(0.95), w.latency_probe()->percentile_ms(0.5),
                w.latency_probe()->samples(), args.at(0).toBool(), args.at(2).toInt());
    for (const auto& [at, late] : idle.stalls(20)) std::printf("  idle stall at %.0f ms: %.1f ms\n", at, late);
    for (const auto& [at, late] : w.latency_probe()->stalls(20)) std::printf("  solve stall at %.0f ms: %.1f ms\n", at, late);
    QVERIFY(w.latency_probe()->samples() > 100);
    // The solver runs at nice 19 in its own threads; the GUI thread only repaints (progress 2×/s). The median
    // must stay under 50 ms always; the 95th percentile too unless the machine is overloaded
    // (load average above 1.5 per core, e.g. ctest -j2 next to a training test), when the idle baseline printed
    // above already exceeds 50 ms with no solve running.
    const double p95 = w.latency_probe()->percentile_ms(0.95);
    QVERIFY2(w.latency_probe()->percentile_ms(0.5) < 50.0, qPrintable(QString::number(w.latency_probe()->percentile_ms(0.5))));
    double load = 0;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
      if (std::fscanf(f, "%lf", &load) != 1) load = 0;
      std::fclose(f);
    }
    const int cores = std::max(1, QThread::idealThreadCount());
    std::printf("load average %.2f on %d cores\n", load, cores);
    if (load / cores <= 1.5) QVERIFY2(p95 < 50.0, qPrintable(QString::number(p95)));
    // The maximum is printed, not asserted: it was 5–25 ms in 9 runs next to a training job, but a loaded 2-core
    // machine can delay any single timer by tens of ms (docs/benchmarks.md records the runs).
    QVERIFY(!w.worker()->running());
    QVERIFY(w.findChild<QWidget*>("solveButton")->isEnabled());
  }

  void short_solve_finds_rock_salt() {
    if (!solver_available()) QSKIP("the solve pipeline is not part of this build");
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    QSignalSpy finished(&w, &MainWindow::solve_finished);
    int streamed = 0;
    connect(w.worker(), &SolveWorker::candidate_ready, this, [&] { ++streamed; });
    QVERIFY(w.start_solve("NaCl", 3, 20));
    QVERIFY(finished.wait(180000));
    const auto args = finished.takeFirst();
    QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));
    const Document* d = w.document();
    QVERIFY(!d->candidates().empty());
    // Every refined candidate streams in; the final set leaves out duplicates and keeps at most k.
    QVERIFY(streamed >= int(d->candidates().size()));
    QVERIFY(int(d->candidates().size()) <= 3);
    QCOMPARE(args.at(2).toInt(), int(d->candidates().size()));
    QCOMPARE(d->candidates()[0].rank, 1);
    // Whether the solver finds rock salt within 20 s depends on the CPU it gets (tests/core/test_solve.cpp owns
    // that); here the UI's side is checked: streaming, ranking, selection, one undo step. The match is printed.
    const Crystal truth = read_cif(data("nacl.cif").toStdString());
    const MatchResult m = match_structures(d->candidates()[0].crystal, truth, MatchTolerances{0.3, 0.5, 10.0});
    std::printf("best candidate: %s (%d), R_wp %.4f, R_wp2 %.4f, match %d rms %.4f\n",
                d->candidates()[0].space_group.c_str(), d->candidates()[0].space_group_number, d->candidates()[0].rwp,
                d->candidates()[0].rwp2, m.matched, m.rms);
    for (std::size_t i = 1; i < d->candidates().size(); ++i) {
      QVERIFY(d->candidates()[i - 1].rwp <= d->candidates()[i].rwp);
      QCOMPARE(d->candidates()[i].rank, int(i) + 1);
    }
    QCOMPARE(d->selected_candidate(), 0);
    // One undo step removes the whole result.
    w.document()->undo_stack()->undo();
    QVERIFY(d->candidates().empty());
  }

  void candidates_stream_in_before_the_solve_finishes() {
    if (!solver_available()) QSKIP("the solve pipeline is not part of this build");
    MainWindow w;
    w.set_quiet(true);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);  // simulated NaCl, Cu Kα
    const QAbstractItemModel* table = w.candidate_browser()->table()->model();
    QSignalSpy finished(&w, &MainWindow::solve_finished);
    QElapsedTimer clock;
    clock.start();
    // The table as the user sees it, looked at from the event loop while the solve runs.
    int rows_seen_while_running = 0;
    double first_row_s = -1;
    QTimer watch;
    watch.setInterval(20);
    connect(&watch, &QTimer::timeout, this, [&] {
      if (!finished.isEmpty()) return;
      rows_seen_while_running = std::max(rows_seen_while_running, table->rowCount());
      if (first_row_s < 0 && table->rowCount() > 0) first_row_s = clock.elapsed() / 1000.0;
    });
    std::vector<int> stream_indices;
    connect(w.worker(), &SolveWorker::candidate_ready, this,
            [&](const Candidate& c) { stream_indices.push_back(c.stream_index); });
    watch.start();
    QVERIFY(w.start_solve("NaCl", 5, 12));
    QVERIFY(finished.wait(180000));
    watch.stop();
    const auto args = finished.takeFirst();
    QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));
    const double total_s = clock.elapsed() / 1000.0;
    std::printf("first row after %.2f s, %d rows while running, %d streamed, finished after %.2f s, %d kept\n",
                first_row_s, rows_seen_while_running, int(stream_indices.size()), total_s, args.at(2).toInt());
    for (const QString& m : w.solve_messages()) std::printf("  log: %s\n", qPrintable(m));
    QVERIFY(rows_seen_while_running >= 1);  // a row was in the table before `finished`
    QVERIFY(first_row_s >= 0 && first_row_s < total_s);
    for (std::size_t i = 1; i < stream_indices.size(); ++i) QVERIFY(stream_indices[i] > stream_indices[i - 1]);
    // The final set replaces the streamed rows: no row twice, at most k, ranked by R_wp.
    const Document* d = w.document();
    QCOMPARE(table->rowCount(), int(d->candidates().size()));
    QCOMPARE(args.at(2).toInt(), int(d->candidates().size()));
    QVERIFY(!d->candidates().empty() && d->candidates().size() <= 5);
    for (std::size_t i = 0; i < d->candidates().size(); ++i) {
      QCOMPARE(d->candidates()[i].rank, int(i) + 1);
      for (std::size_t j = 0; j < i; ++j) QVERIFY(d->candidates()[i].stream_index != d->candidates()[j].stream_index);
    }
    // With the generator linked and its shipped weights present, the log says it was loaded.
    if (model_linked() && QFileInfo::exists(QString::fromStdString(default_model_weights_path()))) {
      bool loaded = false;
      for (const QString& m : w.solve_messages()) loaded = loaded || (m.startsWith("model ") && m.contains(" loaded from "));
      QVERIFY(loaded);
    }
    const LatencyProbe* probe = w.latency_probe();
    std::printf("event-loop latency during a streaming solve: max %.1f ms, p95 %.1f ms, p50 %.2f ms over %d samples\n",
                probe->max_latency_ms(), probe->percentile_ms(0.95), probe->percentile_ms(0.5), probe->samples());
    for (const auto& [at, late] : probe->stalls(20)) std::printf("  solve stall at %.0f ms: %.1f ms\n", at, late);
    QVERIFY2(probe->percentile_ms(0.5) < 50.0, qPrintable(QString::number(probe->percentile_ms(0.5))));
  }

  void missing_or_corrupt_weights_solve_classical_only() {
    if (!solver_available()) QSKIP("the solve pipeline is not part of this build");
    MainWindow w;
    w.set_quiet(true);
    QCOMPARE(w.open_files({data("nacl_cuka.xy")}), 1);
    QTemporaryDir dir;
    const QString missing = dir.filePath("no_such_weights.pt");
    w.set_model_weights_path(missing);
    QSignalSpy finished(&w, &MainWindow::solve_finished);
    QVERIFY(w.start_solve("NaCl", 3, 6));
    QVERIFY(finished.wait(180000));
    auto args = finished.takeFirst();
    QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));  // not a failure
    QVERIFY(w.errors().isEmpty());
    QVERIFY(args.at(2).toInt() >= 1);  // the classical solver still gave candidates
    const QString log = w.findChild<QPlainTextEdit*>("solveLog")->toPlainText();
    std::printf("log after the missing weights:\n%s\n", qPrintable(log));
    QVERIFY(log.contains("classical solver only"));
    if (model_linked()) QVERIFY(log.contains(missing));
    QVERIFY(w.findChild<StatusLine*>("solveStatus")->text().contains("classical only"));

    // A corrupt file: the same, with the loader's reason in the log. Cancelled once the note is there.
    const QString corrupt = dir.filePath("corrupt.pt");
    QFile f(corrupt);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a torch archive\n");
    f.close();
    w.set_model_weights_path(corrupt);
    const int before = int(w.solve_messages().size());
    QVERIFY(w.start_solve("NaCl", 3, 30));
    QElapsedTimer t;
    t.start();
    while (int(w.solve_messages().size()) == before && t.elapsed() < 60000) spin(50);
    w.cancel_solve();
    QVERIFY(finished.wait(180000));
    args = finished.takeFirst();
    QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));
    QVERIFY(int(w.solve_messages().size()) > before);
    const QString note = w.solve_messages().at(before);
    std::printf("note for the corrupt weights: %s\n", qPrintable(note));
    QVERIFY(note.contains("classical solver only"));
    if (model_linked()) QVERIFY(note.contains("could not be loaded"));

    // No models call reports CUDA, and Debian's LibTorch is CPU-only: the CUDA entry is disabled and says why.
    auto* device = w.findChild<QComboBox*>("device");
    QVERIFY(device);
    auto* items = qobject_cast<QStandardItemModel*>(device->model());
    QVERIFY(items && !items->item(1)->isEnabled());
    QVERIFY(items->item(1)->toolTip().contains("CUDA is not available"));
    QCOMPARE(device->currentIndex(), 0);
  }
};

// With PXRD_TRACE_EVENTS set, prints every event that takes longer than 15 ms to handle (receiver class, object name,
// event type, nesting depth): the tool that found the stalls of the event loop during a solve.
class TracingApplication : public QApplication {
 public:
  TracingApplication(int& argc, char** argv) : QApplication(argc, argv), trace_(qEnvironmentVariableIsSet("PXRD_TRACE_EVENTS")) {}
  bool notify(QObject* receiver, QEvent* event) override {
    if (!trace_) return QApplication::notify(receiver, event);
    QElapsedTimer t;
    t.start();
    const int type = event->type();
    ++depth_;
    const bool r = QApplication::notify(receiver, event);
    --depth_;
    const double ms = t.nsecsElapsed() / 1e6;
    if (ms > 15)
      std::printf("  [trace %.3f s] %*s%.1f ms %s '%s' event %d\n", since_.elapsed() / 1000.0, 2 * depth_, "", ms,
                  receiver->metaObject()->className(), qPrintable(receiver->objectName()), type);
    return r;
  }

 private:
  bool trace_;
  int depth_ = 0;
  QElapsedTimer since_ = [] {
    QElapsedTimer t;
    t.start();
    return t;
  }();
};

int main(int argc, char** argv) {
  VtkWidget::set_default_surface_format();
  TracingApplication app(argc, argv);
  QStandardPaths::setTestModeEnabled(true);
  QApplication::setOrganizationName("PXRD-Diff-tests");
  QApplication::setApplicationName("test_workbench");
  TestWorkbench t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_workbench.moc"
