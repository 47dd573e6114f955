#include "main_window.hpp"

#include <QAction>
#include <QActionGroup>
#include <QCheckBox>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

#include "batch_dialog.hpp"
#include "candidate_table.hpp"
#include "export.hpp"
#include "pattern_plot.hpp"
#include "processing_panel.hpp"
#include "pxrd/atomic_file.hpp"
#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"
#include "pxrd/pattern_io.hpp"
#include "solve_worker.hpp"
#include "status_line.hpp"
#include "structure_view.hpp"

namespace pxrd::ui {

namespace {
constexpr int kMaxRecent = 10;
const char* kProjectSuffix = "pxrdproj";

QString file_name(const QString& path) { return QFileInfo(path).fileName(); }
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), doc_(new Document(this)), worker_(new SolveWorker(this)), latency_(new LatencyProbe(this)) {
  setWindowIcon(QIcon(QStringLiteral(":/icons/pxrd-workbench-64.png")));
  setAcceptDrops(true);
  plot_ = new PatternPlot;
  plot_->setObjectName("patternPlot");
  setCentralWidget(plot_);
  build_docks();
  build_actions();

  readout_ = new QLabel;
  statusBar()->addWidget(readout_, 1);
  connect(plot_, &PatternPlot::readout_changed, readout_, &QLabel::setText);

  connect(doc_, &Document::patterns_changed, this, [this] {
    pattern_combo_->blockSignals(true);
    pattern_combo_->clear();
    for (const PatternEntry& e : doc_->patterns())
      pattern_combo_->addItem((e.simulated_from_cif ? tr("[sim] ") : QString()) + file_name(e.path), e.path);
    pattern_combo_->setCurrentIndex(doc_->active_index());
    pattern_combo_->blockSignals(false);
  });
  connect(doc_, &Document::processed_changed, this, [this] {
    sim_cache_.clear();
    if (const PatternEntry* e = doc_->active()) panel_->set_settings(e->settings);
    panel_->set_document_loaded(doc_->has_pattern());
    panel_->set_error(doc_->processing_error());
    update_plot();
    update_actions();
  });
  connect(doc_, &Document::candidates_changed, this, [this] {
    sim_cache_.clear();
    update_actions();
  });
  connect(doc_, &Document::candidates_appended, this, &MainWindow::update_actions);
  connect(doc_, &Document::selection_changed, this, [this] {
    update_plot();
    update_actions();
    // While a solve streams in, the 3D scene is rebuilt in a later event-loop turn, so that the table insert,
    // the replot and the scene never add up to one long stall.
    if (worker_->running())
      QTimer::singleShot(0, this, [this] { update_view3d(); });
    else
      update_view3d();
  });
  connect(doc_, &Document::reference_changed, this, [this] {
    update_plot();
    update_view3d();
    update_actions();
  });
  connect(doc_, &Document::modified_changed, this, &MainWindow::update_title);

  connect(panel_, &ProcessingPanel::settings_edited, this,
          [this](const ProcessingSettings& s, const QString& text, int merge_id) { doc_->set_settings(s, text, merge_id); });
  connect(panel_, &ProcessingPanel::reset_requested, doc_, &Document::reset_to_loaded);
  connect(panel_, &ProcessingPanel::pick_points_toggled, plot_, &PatternPlot::set_background_picking);
  connect(plot_, &PatternPlot::background_point_added, this, [this](double tt, double y) {
    if (!doc_->has_pattern()) return;
    ProcessingSettings s = doc_->active()->settings;
    s.background = BackgroundMethod::Manual;
    s.manual_points.emplace_back(tt, y);
    std::sort(s.manual_points.begin(), s.manual_points.end(),
              [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
    doc_->set_settings(s, tr("Add background point at %1°").arg(tt, 0, 'f', 3));
  });
  connect(plot_, &PatternPlot::background_point_removed, this, [this](double tt) {
    if (!doc_->has_pattern() || doc_->active()->settings.manual_points.empty()) return;
    ProcessingSettings s = doc_->active()->settings;
    auto nearest = std::min_element(s.manual_points.begin(), s.manual_points.end(), [tt](const QPointF& a, const QPointF& b) {
      return std::abs(a.x() - tt) < std::abs(b.x() - tt);
    });
    s.manual_points.erase(nearest);
    doc_->set_settings(s, tr("Remove background point"));
  });
  connect(view3d_, &StructureView::export_image_requested, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export 3D image"), {}, tr("PNG image (*.png)"));
    if (path.isEmpty()) return;
    QString err;
    if (!view3d_->export_image(path, &err)) report_error(tr("Export failed"), err);
  });

  connect(worker_, &SolveWorker::progress, this, [this](double f, const QString& stage) {
    progress_->setValue(int(f * 1000));
    set_solve_status(stage);
  });
  // Arrivals are shown in batches, at most 4 times a second: each repaint of the window costs a whole-window
  // composition (see SolveWorker), and refinements often finish in bursts.
  arrivals_.setSingleShot(true);
  arrivals_.setInterval(250);
  connect(&arrivals_, &QTimer::timeout, this, &MainWindow::show_arrivals);
  connect(worker_, &SolveWorker::candidate_ready, this, [this](const Candidate& c) {
    pending_.push_back(c);
    if (!arrivals_.isActive()) arrivals_.start();
  });
  connect(worker_, &SolveWorker::ranked, this, [this](const std::vector<int>& order) { final_order_ = order; });
  connect(worker_, &SolveWorker::message, this, &MainWindow::log_solve_message);
  connect(worker_, &SolveWorker::finished, this, [this](bool cancelled, const QString& error, int) {
    show_arrivals();
    solving_ = false;
    latency_->stop();
    // The streamed rows become one undo step: the solver's final set (no duplicates, at most k) when it gave one,
    // else all that arrived; ranked by R_wp.
    std::vector<Candidate> result;
    if (final_order_) {
      for (int index : *final_order_)
        for (const Candidate& c : doc_->candidates())
          if (c.stream_index == index) result.push_back(c);
    } else {
      result = doc_->candidates();
    }
    final_order_.reset();
    std::stable_sort(result.begin(), result.end(), [](const Candidate& a, const Candidate& b) { return a.rwp < b.rwp; });
    for (std::size_t i = 0; i < result.size(); ++i) result[i].rank = int(i) + 1;
    const int n = int(result.size());
    doc_->commit_live_candidates(std::move(candidates_before_solve_), std::move(result), tr("Solve (%1 candidates)").arg(n));
    candidates_before_solve_.clear();
    if (!doc_->candidates().empty()) doc_->select_candidate(0);
    progress_->setValue(cancelled || !error.isEmpty() ? progress_->value() : 1000);
    const QString mode = model_used_ ? QString() : tr(" (classical only)");
    set_solve_status(error.isEmpty() ? (cancelled ? tr("Cancelled after %1 candidates").arg(n)
                                                  : tr("Done: %1 candidates").arg(n)) + mode
                                     : tr("Failed"));
    statusBar()->showMessage(tr("Event-loop latency during the solve: max %1 ms, mean %2 ms")
                                 .arg(latency_->max_latency_ms(), 0, 'f', 1)
                                 .arg(latency_->mean_latency_ms(), 0, 'f', 2),
                             15000);
    if (!error.isEmpty()) report_error(tr("Solve failed"), error);
    update_actions();
    emit solve_finished(cancelled, error, n);
  });

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  if (!settings.value("window/geometry").isValid()) resize(1400, 900);
  update_title();
  update_actions();
  update_plot();
}

MainWindow::~MainWindow() {
  disconnect(doc_, nullptr, this, nullptr);
  worker_->cancel();
  worker_->wait(-1);
}

void MainWindow::build_docks() {
  setDockOptions(AnimatedDocks | AllowTabbedDocks);
  panel_ = new ProcessingPanel;
  auto* proc_dock = new QDockWidget(tr("Processing"), this);
  proc_dock->setObjectName("processingDock");
  proc_dock->setWidget(panel_);
  addDockWidget(Qt::LeftDockWidgetArea, proc_dock);

  auto* solve = new QWidget;
  auto* sf = new QFormLayout(solve);
  formula_ = new QLineEdit;
  formula_->setObjectName("formula");
  formula_->setPlaceholderText(tr("e.g. CeO2, or Ce4O8 for a cell's content"));
  cell_content_ = new QCheckBox(tr("Exact cell content"));
  cell_content_->setObjectName("cellContent");
  cell_content_->setToolTip(tr("The formula is one cell's content (Tb2Ga2I2 as a CIF gives it): the primitive cell "
                               "then holds 1 or 2 TbGaI. Unchecked, any number of formula units is tried. Broad "
                               "(nanocrystalline) patterns barely tell Z apart, so give it when you know it."));
  count_ = new QSpinBox;
  count_->setRange(1, 1000);
  count_->setValue(10);
  budget_ = new QDoubleSpinBox;
  budget_->setRange(1, 36000);
  budget_->setValue(60);
  budget_->setSuffix(tr(" s"));
  device_ = new QComboBox;
  device_->setObjectName("device");
  device_->addItem(tr("CPU"));
  device_->addItem(tr("CUDA (not available)"));
  // The models library has no way to ask for CUDA without torch in the UI, and Debian's LibTorch is CPU-only, so
  // CUDA stays disabled; the generator runs on the CPU.
  const QString no_cuda = model_linked()
                              ? tr("CUDA is not available: Debian's LibTorch is built for the CPU only.")
                              : tr("CUDA is not available: this build has no generator model (PXRD_BUILD_MODELS off).");
  if (auto* m = qobject_cast<QStandardItemModel*>(device_->model())) {
    m->item(1)->setEnabled(false);
    m->item(1)->setToolTip(no_cuda);
  }
  device_->setToolTip(tr("Device for the generator model. %1").arg(no_cuda));
  solve_button_ = new QPushButton(tr("Solve"));
  solve_button_->setObjectName("solveButton");
  cancel_button_ = new QPushButton(tr("Cancel"));
  cancel_button_->setObjectName("cancelButton");
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  // Not a QLabel: its text changes would re-lay out the whole window five times a second during a solve.
  solve_status_ = new StatusLine;
  solve_status_->setObjectName("solveStatus");
  solve_log_ = new QPlainTextEdit;
  solve_log_->setObjectName("solveLog");
  solve_log_->setReadOnly(true);
  solve_log_->setMaximumBlockCount(200);
  solve_log_->setFixedHeight(solve_log_->fontMetrics().lineSpacing() * 2 + 10);  // scrolls; keeps the dock short
  solve_log_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  sf->addRow(tr("Formula"), formula_);
  sf->addRow(QString(), cell_content_);
  sf->addRow(tr("Candidates"), count_);
  sf->addRow(tr("Time budget"), budget_);
  sf->addRow(tr("Device"), device_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(solve_button_);
  buttons->addWidget(cancel_button_);
  sf->addRow(buttons);
  sf->addRow(progress_);
  sf->addRow(solve_status_);
  sf->addRow(solve_log_);
  auto* solve_dock = new QDockWidget(tr("Solve"), this);
  solve_dock->setObjectName("solveDock");
  solve_dock->setWidget(solve);
  addDockWidget(Qt::LeftDockWidgetArea, solve_dock);
  connect(solve_button_, &QPushButton::clicked, this,
          [this] { start_solve(formula_->text(), count_->value(), budget_->value()); });
  connect(cancel_button_, &QPushButton::clicked, this, &MainWindow::cancel_solve);
  connect(formula_, &QLineEdit::textChanged, this, &MainWindow::update_actions);

  browser_ = new CandidateBrowser(doc_);
  auto* cand_dock = new QDockWidget(tr("Candidates"), this);
  cand_dock->setObjectName("candidatesDock");
  cand_dock->setWidget(browser_);
  addDockWidget(Qt::BottomDockWidgetArea, cand_dock);
  connect(browser_, &CandidateBrowser::compare_requested, this, &MainWindow::compare_dialog);

  view3d_ = new StructureView;
  view3d_->setObjectName("structureView");
  auto* view_dock = new QDockWidget(tr("Structure"), this);
  view_dock->setObjectName("structureDock");
  view_dock->setWidget(view3d_);
  addDockWidget(Qt::RightDockWidgetArea, view_dock);
  resizeDocks({view_dock}, {420}, Qt::Horizontal);
  resizeDocks({cand_dock}, {200}, Qt::Vertical);
}

QAction* MainWindow::action(const QString& object_name) const { return findChild<QAction*>(object_name); }

void MainWindow::build_actions() {
  auto make = [this](const QString& name, const QString& text, const QKeySequence& key = {}) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    if (!key.isEmpty()) a->setShortcut(key);
    return a;
  };
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = make("actionOpen", tr("&Open…"), QKeySequence::Open);
  connect(open, &QAction::triggered, this, &MainWindow::open_dialog);
  file->addAction(open);
  recent_menu_ = file->addMenu(tr("Open &recent"));
  rebuild_recent_menu();
  QAction* import = make("actionImportCandidates", tr("&Import candidate CIFs…"));
  connect(import, &QAction::triggered, this, [this] {
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Candidate structures"),
                                                            QSettings().value("folders/open").toString(), tr("CIF (*.cif)"));
    if (!paths.isEmpty()) import_candidates(paths);
  });
  file->addAction(import);
  QAction* ref = make("actionLoadReference", tr("Load &reference CIF…"));
  connect(ref, &QAction::triggered, this, &MainWindow::load_reference_dialog);
  file->addAction(ref);
  file->addSeparator();
  QAction* save = make("actionSave", tr("&Save project"), QKeySequence::Save);
  connect(save, &QAction::triggered, this, [this] {
    if (doc_->project_path().isEmpty())
      save_as_dialog();
    else
      save_project(doc_->project_path());
  });
  QAction* save_as = make("actionSaveAs", tr("Save project &as…"), QKeySequence::SaveAs);
  connect(save_as, &QAction::triggered, this, &MainWindow::save_as_dialog);
  file->addAction(save);
  file->addAction(save_as);
  file->addSeparator();
  QMenu* exp = file->addMenu(tr("&Export"));
  QAction* exp_plot = make("actionExportPlot", tr("Plot (PNG, PDF, SVG, CSV)…"));
  connect(exp_plot, &QAction::triggered, this, &MainWindow::export_plot_dialog);
  QAction* exp_cif = make("actionExportCif", tr("Selected candidate as CIF…"));
  connect(exp_cif, &QAction::triggered, this, [this] { export_cif_dialog(false); });
  QAction* exp_all = make("actionExportAllCifs", tr("All candidates as CIF…"));
  connect(exp_all, &QAction::triggered, this, [this] { export_cif_dialog(true); });
  QAction* exp_fit = make("actionExportFit", tr("Fit as .xye…"));
  connect(exp_fit, &QAction::triggered, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export fit"), {}, tr("Pattern (*.xye)"));
    if (!path.isEmpty()) export_fit(path);
  });
  QAction* exp_csv = make("actionExportCandidatesCsv", tr("Candidate summary as CSV…"));
  connect(exp_csv, &QAction::triggered, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export candidates"), {}, tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    try {
      write_file_atomically(path.toStdString(), exporting::candidates_csv(doc_->candidates()).toStdString());
    } catch (const std::exception& e) {
      report_error(tr("Export failed"), QString::fromStdString(e.what()));
    }
  });
  exp->addActions({exp_plot, exp_cif, exp_all, exp_fit, exp_csv});
  file->addSeparator();
  QAction* quit = make("actionQuit", tr("&Quit"), QKeySequence::Quit);
  connect(quit, &QAction::triggered, this, &QWidget::close);
  file->addAction(quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = doc_->undo_stack()->createUndoAction(this, tr("&Undo"));
  undo->setObjectName("actionUndo");
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = doc_->undo_stack()->createRedoAction(this, tr("&Redo"));
  redo->setObjectName("actionRedo");
  redo->setShortcut(QKeySequence::Redo);
  QAction* reset = make("actionResetToLoaded", tr("Reset processing to loaded"));
  connect(reset, &QAction::triggered, doc_, &Document::reset_to_loaded);
  QAction* def_rad = make("actionDefaultRadiation", tr("Use current radiation as default"));
  connect(def_rad, &QAction::triggered, this, [this] {
    const Radiation r = current_radiation();
    QSettings s;
    s.setValue("processing/default_radiation", QString::fromStdString(r.name == "custom" ? format_number(r.lambda1_angstrom) : r.name));
    statusBar()->showMessage(tr("Default radiation: %1").arg(QString::fromStdString(r.describe())), 5000);
  });
  edit->addActions({undo, redo});
  edit->addSeparator();
  edit->addActions({reset, def_rad});

  QMenu* view = menuBar()->addMenu(tr("&View"));
  axis_group_ = new QActionGroup(this);
  const QStringList axis_names = {tr("2θ"), tr("Q"), tr("d")};
  for (int i = 0; i < 3; ++i) {
    QAction* a = make(QStringLiteral("actionAxis%1").arg(i), tr("x axis: %1").arg(axis_names[i]));
    a->setCheckable(true);
    a->setChecked(i == 0);
    axis_group_->addAction(a);
    view->addAction(a);
    connect(a, &QAction::triggered, this, [this, i] { axis_combo_->setCurrentIndex(i); });
  }
  QAction* reset_zoom = make("actionResetZoom", tr("Reset zoom"), QKeySequence(Qt::Key_Home));
  connect(reset_zoom, &QAction::triggered, plot_, &PatternPlot::reset_zoom);
  view->addAction(reset_zoom);
  view->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

  QMenu* tools = menuBar()->addMenu(tr("&Tools"));
  QAction* batch = make("actionBatch", tr("&Batch solve…"));
  connect(batch, &QAction::triggered, this, &MainWindow::batch_dialog);
  tools->addAction(batch);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  QAction* about = make("actionAbout", tr("&About"));
  connect(about, &QAction::triggered, this, [this] {
    QMessageBox::about(this, tr("About PXRD-Diff Workbench"),
                       tr("<b>PXRD-Diff Workbench</b> %1<br>Crystal structures from powder X-ray diffraction.")
                           .arg(QStringLiteral(PXRD_VERSION_STRING)));
  });
  help->addAction(about);

  QToolBar* tb = addToolBar(tr("Main"));
  tb->setObjectName("mainToolbar");
  tb->addAction(open);
  tb->addAction(save);
  tb->addAction(undo);
  tb->addAction(redo);
  tb->addSeparator();
  tb->addWidget(new QLabel(tr(" Pattern ")));
  pattern_combo_ = new QComboBox;
  pattern_combo_->setMinimumContentsLength(18);
  connect(pattern_combo_, qOverload<int>(&QComboBox::activated), doc_, &Document::set_active);
  tb->addWidget(pattern_combo_);
  tb->addWidget(new QLabel(tr(" x axis ")));
  axis_combo_ = new QComboBox;
  axis_combo_->setObjectName("axisCombo");
  axis_combo_->addItems(axis_names);
  connect(axis_combo_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
    const AxisMode mode = static_cast<AxisMode>(i);
    if (!plot_->axis_mode_available(mode)) {
      axis_combo_->setCurrentIndex(int(plot_->axis_mode()));
      return;
    }
    plot_->set_axis_mode(mode);
    doc_->view().axis = mode;
    axis_group_->actions().at(i)->setChecked(true);
  });
  tb->addWidget(axis_combo_);
  tb->addAction(reset_zoom);
  tb->addAction(exp_plot);
}

void MainWindow::report_error(const QString& title, const QString& text) {
  errors_ << title + QStringLiteral(": ") + text;
  if (quiet_)
    statusBar()->showMessage(title + QStringLiteral(": ") + text, 10000);
  else
    QMessageBox::warning(this, title, text);
}

Radiation MainWindow::default_radiation() const {
  QSettings s;
  const QString spec = s.value("processing/default_radiation", QStringLiteral("CuKa12")).toString();
  try {
    return radiation_from_string(spec.toStdString());
  } catch (const Error&) {
    return radiation_from_string("CuKa12");
  }
}

Radiation MainWindow::current_radiation() const {
  return doc_->has_pattern() ? doc_->active()->settings.radiation : default_radiation();
}

int MainWindow::open_files(const QStringList& paths) {
  int opened = 0;
  QStringList failures;
  for (const QString& path : paths) {
    const std::string p = path.toStdString();
    try {
      if (path.endsWith(QStringLiteral(".") + kProjectSuffix, Qt::CaseInsensitive)) {
        if (load_project(path)) ++opened;
        continue;
      }
      if (!QFileInfo(path).isFile()) throw InputError(p, 0, "no such file");
      PatternEntry entry;
      entry.path = path;
      std::optional<Crystal> reference;
      if (backend::looks_like_cif(p)) {
        reference = backend::load_cif(p);
        const Radiation r = current_radiation();
        entry.raw = backend::simulate_default(*reference, r);
        entry.simulated_from_cif = true;
        entry.settings.radiation = r;
        entry.loaded_settings = entry.settings;
      } else {
        entry.raw = backend::load_pattern(p);
        if (entry.raw.radiation && entry.raw.radiation->lambda1_angstrom > 0) {
          entry.settings.radiation = *entry.raw.radiation;
        } else {
          entry.settings.radiation = default_radiation();
          statusBar()->showMessage(tr("%1 names no wavelength: using %2 (change it under Processing)")
                                       .arg(file_name(path), QString::fromStdString(entry.settings.radiation.describe())),
                                   10000);
        }
        // Observed data nearly always sits on a background: SNIP is in force from the start, visibly, and
        // "Reset to loaded" returns here.
        entry.settings.background = BackgroundMethod::Snip;
        entry.loaded_settings = entry.settings;
      }
      const bool keep_active = entry.simulated_from_cif && doc_->has_pattern() && !doc_->active()->simulated_from_cif;
      // A CIF is a simulated pattern and the reference structure: one undo step for both.
      doc_->undo_stack()->beginMacro(tr("Open %1").arg(file_name(path)));
      if (reference) doc_->set_reference(std::move(reference), tr("Reference %1").arg(file_name(path)));
      doc_->add_pattern(std::move(entry), !keep_active);
      doc_->undo_stack()->endMacro();
      add_recent(path);
      QSettings().setValue("folders/open", QFileInfo(path).absolutePath());
      ++opened;
    } catch (const std::exception& e) {
      failures << QString::fromStdString(e.what());
    }
  }
  if (!failures.isEmpty())
    report_error(tr("Could not open %n file(s)", "", int(failures.size())), failures.join(QStringLiteral("\n")));
  return opened;
}

bool MainWindow::save_project(const QString& path) {
  try {
    doc_->save_project(path);
    add_recent(path);
    update_title();
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    return true;
  } catch (const std::exception& e) {
    report_error(tr("Save failed"), QString::fromStdString(e.what()));
    return false;
  }
}

bool MainWindow::load_project(const QString& path) {
  try {
    doc_->load_project(path);
    set_axis_mode(doc_->view().axis);
    add_recent(path);
    update_title();
    return true;
  } catch (const std::exception& e) {
    report_error(tr("Could not open project"), QString::fromStdString(e.what()));
    return false;
  }
}

int MainWindow::import_candidates(const QStringList& cif_paths) {
  if (!doc_->has_pattern() || doc_->processed().processed.empty()) {
    report_error(tr("Cannot import candidates"), tr("Open a pattern first"));
    return 0;
  }
  SolveRequest req;
  req.processed = doc_->processed().processed;
  req.radiation = doc_->active()->settings.radiation;
  req.size_angstrom = doc_->active()->settings.nano_filter ? doc_->active()->settings.crystallite_size_angstrom : 0;
  std::vector<Candidate> all = doc_->candidates();
  QStringList failures;
  int added = 0;
  for (const QString& path : cif_paths) {
    try {
      all.push_back(score_candidate(backend::load_cif(path.toStdString()), req,
                                    "imported from " + file_name(path).toStdString()));
      ++added;
    } catch (const std::exception& e) {
      failures << QString::fromStdString(e.what());
    }
  }
  if (added) {
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.rwp < b.rwp; });
    for (std::size_t i = 0; i < all.size(); ++i) all[i].rank = int(i) + 1;
    doc_->set_candidates(std::move(all), tr("Import %n candidate(s)", "", added));
    doc_->select_candidate(0);
  }
  if (!failures.isEmpty()) report_error(tr("Could not import"), failures.join('\n'));
  return added;
}

bool MainWindow::start_solve(const QString& formula, int candidates, double time_budget_s) {
  if (solving_ || !doc_->has_pattern()) return false;
  if (formula.trimmed().isEmpty()) {
    report_error(tr("Cannot solve"), tr("Enter the formula (cell content) first."));
    return false;
  }
  const backend::Processed& pr = doc_->processed();
  if (pr.processed.empty()) {
    report_error(tr("Cannot solve"), tr("The processed pattern is empty: %1").arg(doc_->processing_error()));
    return false;
  }
  if (formula_->text() != formula) formula_->setText(formula);
  SolveRequest req;
  req.formula = formula.trimmed().toStdString();
  req.formula_is_cell_content = cell_content_->isChecked();
  req.candidates = candidates;
  req.time_budget_s = time_budget_s;
  req.use_cuda = device_->currentIndex() == 1;
  req.model_weights = model_weights_.toStdString();
  model_used_ = false;
  final_order_.reset();
  req.processed = pr.processed;
  req.radiation = doc_->active()->settings.radiation;
  req.size_angstrom = doc_->active()->settings.nano_filter ? doc_->active()->settings.crystallite_size_angstrom : 0;
  req.input_name = doc_->active()->path.toStdString();
  candidates_before_solve_ = doc_->candidates();
  doc_->apply_candidates({});
  if (!worker_->start(std::move(req))) return false;
  solving_ = true;
  latency_->start();
  progress_->setValue(0);
  set_solve_status(tr("Starting…"));
  update_actions();
  return true;
}

void MainWindow::show_arrivals() {
  arrivals_.stop();
  if (pending_.empty()) return;
  std::vector<Candidate> batch = std::move(pending_);
  pending_.clear();
  for (Candidate& c : batch) {
    c.rank = 1;
    for (const Candidate& o : doc_->candidates())
      if (o.rwp < c.rwp) ++c.rank;
  }
  doc_->append_candidates_live(std::move(batch));
  // Only the first arrival changes the selection: following every better one would replot and rebuild the 3D
  // scene each time, the largest stalls of the event loop during a solve.
  if (doc_->selected_candidate() < 0)
    QTimer::singleShot(0, this, [this] {
      if (doc_->selected_candidate() < 0 && !doc_->candidates().empty()) doc_->select_candidate(0);
    });
}

void MainWindow::set_solve_status(const QString& text) { solve_status_->setText(text); }

void MainWindow::log_solve_message(const QString& text) {
  if (text.startsWith(QLatin1String("model ")) && text.contains(QLatin1String(" loaded from "))) model_used_ = true;
  solve_messages_ << text;
  solve_log_->appendPlainText(text);  // a fixed-height box: no re-layout (a status-bar message would hide widgets)
}

void MainWindow::set_axis_mode(AxisMode mode) { axis_combo_->setCurrentIndex(int(mode)); }

void MainWindow::cancel_solve() {
  if (!solving_) return;
  worker_->cancel();
  set_solve_status(tr("Cancelling…"));
}

const Pattern* MainWindow::simulated_for(int index) {
  if (index < 0 || index >= int(doc_->candidates().size()) || doc_->processed().processed.empty()) return nullptr;
  const Candidate& cand = doc_->candidates()[index];
  const ProcessingSettings& settings = doc_->active()->settings;
  const double size = settings.nano_filter ? settings.crystallite_size_angstrom : 0;
  // The worker's simulation, when it was made for the current grid, wavelength and size.
  const Radiation& r = cand.simulated_radiation;
  if (cand.simulated && r.lambda1_angstrom == settings.radiation.lambda1_angstrom &&
      r.lambda2_angstrom == settings.radiation.lambda2_angstrom && r.ratio == settings.radiation.ratio &&
      cand.simulated_size_angstrom == size && cand.simulated->x == doc_->processed().processed.x)
    return cand.simulated.get();
  auto it = sim_cache_.find(index);
  if (it != sim_cache_.end()) return &it->second;
  try {
    Pattern p = backend::simulate_like(cand.crystal, settings.radiation, doc_->processed().processed, size);
    return &sim_cache_.emplace(index, std::move(p)).first->second;
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Could not simulate the candidate: %1").arg(QString::fromStdString(e.what())), 8000);
    return nullptr;
  }
}

void MainWindow::update_plot() {
  PlotCurves c;
  const backend::Processed& pr = doc_->processed();
  QString metrics;
  if (doc_->has_pattern() && !pr.observed.empty()) {
    const ProcessingSettings& s = doc_->active()->settings;
    c.lambda_angstrom = s.radiation.lambda1_angstrom;
    c.x_two_theta_deg = pr.processed.x;
    // Observed and background live on the zero-shifted grid, which equals the processed one unless a step resampled.
    if (pr.observed.x == pr.processed.x) {
      c.observed = pr.observed.y;
      c.background = pr.background;
    }
    const bool changed = pr.processed.y != pr.observed.y;
    if (changed) c.processed = pr.processed.y;
    if (c.observed.empty()) c.observed = pr.processed.y;
    for (const QPointF& p : s.manual_points)
      if (s.background == BackgroundMethod::Manual) c.manual_points.push_back(p);
    const double t0 = c.x_two_theta_deg.front(), t1 = c.x_two_theta_deg.back();
    const int sel = doc_->selected_candidate();
    if (const Pattern* sim = simulated_for(sel)) {
      try {
        const backend::Agreement a = backend::agreement(pr.processed, *sim);
        c.calculated.resize(sim->y.size());
        c.difference.resize(sim->y.size());
        for (std::size_t i = 0; i < sim->y.size(); ++i) {
          c.calculated[i] = a.scale * sim->y[i];
          c.difference[i] = pr.processed.y[i] - c.calculated[i];
        }
        const Candidate& cand = doc_->candidates()[sel];
        c.calc_label = tr("Candidate %1 (%2)").arg(cand.rank).arg(QString::fromStdString(cand.space_group));
        metrics = tr("Candidate %1:  R_wp %2 %   R_wp² %3   S %4")
                      .arg(cand.rank)
                      .arg(100 * a.rwp, 0, 'f', 2)
                      .arg(a.rwp2, 0, 'f', 4)
                      .arg(a.s, 0, 'f', 2);
        c.candidate_ticks = backend::sticks(cand.crystal, s.radiation, t0, t1);
      } catch (const std::exception& e) {
        metrics = tr("Agreement not available: %1").arg(QString::fromStdString(e.what()));
      }
    }
    if (doc_->reference()) {
      try {
        c.reference_ticks = backend::sticks(*doc_->reference(), s.radiation, t0, t1);
      } catch (const std::exception&) {
      }
    }
  }
  plot_->set_curves(std::move(c));
  plot_->set_metrics_text(metrics);
}

void MainWindow::update_view3d() {
  const int sel = doc_->selected_candidate();
  if (sel >= 0 && sel < int(doc_->candidates().size())) {
    const Candidate& c = doc_->candidates()[sel];
    view3d_->set_crystal(c.crystal, tr("Candidate %1  %2").arg(c.rank).arg(QString::fromStdString(c.space_group)));
  } else if (doc_->reference()) {
    view3d_->set_crystal(doc_->reference(),
                         tr("Reference: %1").arg(QString::fromStdString(doc_->reference()->name)));
  } else {
    view3d_->set_crystal(std::nullopt);
  }
}

void MainWindow::update_actions() {
  const bool has = doc_->has_pattern();
  const bool sel = doc_->selected_candidate() >= 0;
  const bool any = !doc_->candidates().empty();
  const bool radiation = has && doc_->active()->settings.radiation.lambda1_angstrom > 0;
  auto set = [this](const char* name, bool on, const QString& why = {}) {
    if (QAction* a = action(QString::fromLatin1(name))) {
      a->setEnabled(on);
      a->setStatusTip(on ? QString() : why);
    }
  };
  set("actionSave", has || any || doc_->reference().has_value());
  set("actionSaveAs", has || any || doc_->reference().has_value());
  set("actionExportPlot", has, tr("Open a pattern first"));
  set("actionExportCif", sel && !solving_, tr("Select a candidate first"));
  set("actionExportAllCifs", any && !solving_, tr("No candidates yet"));
  set("actionExportFit", sel && has && !solving_, tr("Select a candidate first"));
  set("actionExportCandidatesCsv", any && !solving_);
  set("actionResetToLoaded", has && doc_->active()->settings != doc_->active()->loaded_settings);
  set("actionResetZoom", has);
  set("actionBatch", !solving_);
  set("actionImportCandidates", has && !solving_, tr("Open a pattern first"));
  set("actionDefaultRadiation", radiation);
  for (int i = 1; i < 3; ++i) set(QStringLiteral("actionAxis%1").arg(i).toLatin1().constData(), radiation);
  auto* model = qobject_cast<QStandardItemModel*>(axis_combo_->model());
  if (model)
    for (int i = 1; i < 3; ++i) model->item(i)->setEnabled(radiation);
  const bool can_solve = has && radiation && !solving_ && !formula_->text().trimmed().isEmpty() && solver_available();
  solve_button_->setEnabled(can_solve);
  solve_button_->setToolTip(!solver_available() ? tr("The solver is not part of this build")
                            : !has          ? tr("Open a pattern first")
                            : formula_->text().trimmed().isEmpty() ? tr("Enter the formula")
                                                                    : QString());
  cancel_button_->setEnabled(solving_);
  panel_->setEnabled(!solving_);
  pattern_combo_->setEnabled(!solving_ && doc_->patterns().size() > 1);
}

void MainWindow::update_title() {
  const QString name = doc_->project_path().isEmpty()
                           ? (doc_->has_pattern() ? file_name(doc_->active()->path) : tr("Untitled"))
                           : file_name(doc_->project_path());
  setWindowTitle(QStringLiteral("%1[*] — PXRD-Diff Workbench").arg(name));
  setWindowModified(doc_->modified());
}

void MainWindow::add_recent(const QString& path) {
  QSettings s;
  QStringList recent = s.value("recent_files").toStringList();
  const QString abs = QFileInfo(path).absoluteFilePath();
  recent.removeAll(abs);
  recent.prepend(abs);
  while (recent.size() > kMaxRecent) recent.removeLast();
  s.setValue("recent_files", recent);
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  QSettings s;
  QStringList recent = s.value("recent_files").toStringList();
  QStringList kept;
  for (const QString& p : recent)
    if (QFileInfo::exists(p)) kept << p;  // pruned: files that vanished are dropped
  if (kept != recent) s.setValue("recent_files", kept);
  for (const QString& p : kept) {
    QAction* a = recent_menu_->addAction(file_name(p));
    a->setToolTip(p);
    connect(a, &QAction::triggered, this, [this, p] { open_files({p}); });
  }
  recent_menu_->setEnabled(!kept.isEmpty());
}

void MainWindow::open_dialog() {
  QSettings s;
  const QStringList paths = QFileDialog::getOpenFileNames(
      this, tr("Open patterns, CIFs or a project"), s.value("folders/open").toString(),
      tr("All supported (*.xy *.xye *.dat *.csv *.txt *.qye *.chi *.raw *.xrdml *.uxd *.cif *.%1);;Projects (*.%1);;All files (*)")
          .arg(kProjectSuffix));
  if (!paths.isEmpty()) open_files(paths);
}

void MainWindow::save_as_dialog() {
  QSettings s;
  QString path = QFileDialog::getSaveFileName(this, tr("Save project"), s.value("folders/save").toString(),
                                              tr("Workbench project (*.%1)").arg(kProjectSuffix));
  if (path.isEmpty()) return;
  if (!path.endsWith(QStringLiteral(".") + kProjectSuffix)) path += QStringLiteral(".") + kProjectSuffix;
  s.setValue("folders/save", QFileInfo(path).absolutePath());
  save_project(path);
}

void MainWindow::export_plot_dialog() {
  QSettings s;
  QString filter;
  const QString path = QFileDialog::getSaveFileName(this, tr("Export plot"), s.value("folders/export").toString(),
                                                    tr("PNG (*.png);;PDF (*.pdf);;SVG (*.svg);;CSV (*.csv)"), &filter);
  if (path.isEmpty()) return;
  s.setValue("folders/export", QFileInfo(path).absolutePath());
  const QString ext = QFileInfo(path).suffix().toLower();
  QString err;
  bool ok = false;
  if (ext == "pdf")
    ok = plot_->export_pdf(path, &err);
  else if (ext == "svg")
    ok = plot_->export_svg(path, &err);
  else if (ext == "csv")
    ok = plot_->export_csv(path, &err);
  else
    ok = plot_->export_png(path, &err);
  if (!ok) report_error(tr("Export failed"), err);
}

bool MainWindow::export_selected_cif(const QString& path) {
  const int sel = doc_->selected_candidate();
  if (sel < 0) return false;
  try {
    write_cif(path.toStdString(), exporting::candidate_cif(doc_->candidates()[sel],
                                                           doc_->has_pattern() ? doc_->active()->path : QString()));
    return true;
  } catch (const std::exception& e) {
    report_error(tr("Export failed"), QString::fromStdString(e.what()));
    return false;
  }
}

int MainWindow::export_all_cifs(const QString& folder) {
  try {
    return int(exporting::write_candidate_cifs(doc_->candidates(), folder,
                                               doc_->has_pattern() ? doc_->active()->path : QString())
                   .size());
  } catch (const std::exception& e) {
    report_error(tr("Export failed"), QString::fromStdString(e.what()));
    return 0;
  }
}

bool MainWindow::export_fit(const QString& path) {
  const int sel = doc_->selected_candidate();
  if (sel < 0 || !doc_->has_pattern()) return false;
  try {
    const ProcessingSettings& s = doc_->active()->settings;
    const Pattern fit = exporting::fit_pattern(doc_->processed().processed, doc_->candidates()[sel], s.radiation,
                                               s.nano_filter ? s.crystallite_size_angstrom : 0);
    write_xy(fit, path.toStdString());
    return true;
  } catch (const std::exception& e) {
    report_error(tr("Export failed"), QString::fromStdString(e.what()));
    return false;
  }
}

void MainWindow::export_cif_dialog(bool all) {
  QSettings s;
  if (all) {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder for the CIFs"), s.value("folders/export").toString());
    if (folder.isEmpty()) return;
    s.setValue("folders/export", folder);
    bool exists = false;
    for (const Candidate& c : doc_->candidates())
      exists |= QFileInfo::exists(QDir(folder).filePath(QStringLiteral("candidate_%1.cif").arg(c.rank, 2, 10, QChar('0'))));
    if (exists && QMessageBox::question(this, tr("Overwrite?"), tr("Some candidate CIFs exist in this folder. Overwrite them?")) !=
                      QMessageBox::Yes)
      return;
    const int n = export_all_cifs(folder);
    statusBar()->showMessage(tr("Wrote %1 CIFs to %2").arg(n).arg(folder), 5000);
  } else {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export CIF"), s.value("folders/export").toString(),
                                                      tr("CIF (*.cif)"));
    if (path.isEmpty()) return;
    s.setValue("folders/export", QFileInfo(path).absolutePath());
    export_selected_cif(path);
  }
}

void MainWindow::load_reference_dialog() {
  QSettings s;
  const QString path = QFileDialog::getOpenFileName(this, tr("Reference structure"), s.value("folders/open").toString(),
                                                    tr("CIF (*.cif);;All files (*)"));
  if (path.isEmpty()) return;
  try {
    doc_->set_reference(backend::load_cif(path.toStdString()), tr("Reference %1").arg(file_name(path)));
  } catch (const std::exception& e) {
    report_error(tr("Could not read the CIF"), QString::fromStdString(e.what()));
  }
}

void MainWindow::compare_dialog() {
  const int sel = doc_->selected_candidate();
  if (sel < 0 || !doc_->reference()) return;
  CompareDialog dlg(doc_->candidates()[sel], *doc_->reference(), this);
  dlg.exec();
}

void MainWindow::batch_dialog() {
  BatchDialog dlg(default_radiation(), this);
  dlg.exec();
}

bool MainWindow::maybe_save() {
  if (!doc_->modified() || quiet_) return true;
  const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the project before closing?"),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Cancel) return false;
  if (answer == QMessageBox::Save) {
    if (doc_->project_path().isEmpty()) save_as_dialog();
    else save_project(doc_->project_path());
    return !doc_->modified();
  }
  return true;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  QStringList paths;
  for (const QUrl& url : e->mimeData()->urls())
    if (url.isLocalFile()) paths << url.toLocalFile();
  if (paths.isEmpty()) return;
  e->acceptProposedAction();
  open_files(paths);
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!maybe_save()) {
    e->ignore();
    return;
  }
  worker_->cancel();
  QSettings s;
  s.setValue("window/geometry", saveGeometry());
  s.setValue("window/state", saveState());
  e->accept();
}

}  // namespace pxrd::ui
