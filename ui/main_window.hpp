#pragma once
// The workbench main window: pattern plot in the centre; processing, solve, candidates and 3D view in docks.
#include <QMainWindow>
#include <QTimer>
#include <QStringList>
#include <map>
#include <optional>
#include <vector>

#include "document.hpp"

class QAction;
class QActionGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace pxrd::ui {

class CandidateBrowser;
class LatencyProbe;
class PatternPlot;
class ProcessingPanel;
class SolveWorker;
class StatusLine;
class StructureView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Quiet mode (tests, --screenshot): errors are collected instead of shown in dialogs, nothing asks questions.
  void set_quiet(bool quiet) { quiet_ = quiet; }
  const QStringList& errors() const { return errors_; }
  void clear_errors() { errors_.clear(); }

  // Opens patterns, CIFs (simulated pattern + reference) and project files; a bad file gives an error, not a
  // crash, and the others still open. Returns the number opened.
  int open_files(const QStringList& paths);
  bool save_project(const QString& path);
  bool load_project(const QString& path);
  // Scores structures from CIFs against the active pattern and adds them as candidates (one undo step).
  int import_candidates(const QStringList& cif_paths);
  bool start_solve(const QString& formula, int candidates, double time_budget_s);
  void cancel_solve();
  // Generator weights for the next solves; empty (the default): the shipped ones, see default_model_weights_path.
  void set_model_weights_path(const QString& path) { model_weights_ = path; }
  // Messages of the solves so far (model loaded or not, solver notes), also shown in the Solve dock's log.
  const QStringList& solve_messages() const { return solve_messages_; }
  void set_axis_mode(AxisMode mode);  // through the toolbar switch, so that every view of it agrees
  bool export_selected_cif(const QString& path);
  int export_all_cifs(const QString& folder);
  bool export_fit(const QString& path);

  Document* document() const { return doc_; }
  PatternPlot* plot() const { return plot_; }
  StructureView* structure_view() const { return view3d_; }
  ProcessingPanel* processing_panel() const { return panel_; }
  CandidateBrowser* candidate_browser() const { return browser_; }
  SolveWorker* worker() const { return worker_; }
  LatencyProbe* latency_probe() const { return latency_; }
  QAction* action(const QString& object_name) const;

 signals:
  void solve_finished(bool cancelled, const QString& error, int candidates);

 protected:
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;
  void closeEvent(QCloseEvent* e) override;

 private:
  void build_actions();
  void build_docks();
  void report_error(const QString& title, const QString& text);
  void update_plot();
  void set_solve_status(const QString& text);
  void show_arrivals();  // streamed candidates waiting in pending_ go to the document
  void log_solve_message(const QString& text);
  void update_view3d();
  void update_actions();
  void update_title();
  void add_recent(const QString& path);
  void rebuild_recent_menu();
  bool maybe_save();
  void open_dialog();
  void save_as_dialog();
  void export_plot_dialog();
  void export_cif_dialog(bool all);
  void load_reference_dialog();
  void compare_dialog();
  void batch_dialog();
  const Pattern* simulated_for(int candidate);
  Radiation current_radiation() const;
  Radiation default_radiation() const;

  Document* doc_;
  PatternPlot* plot_;
  ProcessingPanel* panel_;
  StructureView* view3d_;
  CandidateBrowser* browser_;
  SolveWorker* worker_;
  LatencyProbe* latency_;
  QComboBox* pattern_combo_;
  QComboBox* axis_combo_;
  QLineEdit* formula_;
  QCheckBox* cell_content_;
  QSpinBox* count_;
  QDoubleSpinBox* budget_;
  QComboBox* device_;
  QPushButton* solve_button_;
  QPushButton* cancel_button_;
  QProgressBar* progress_;
  StatusLine* solve_status_;
  QPlainTextEdit* solve_log_;
  QLabel* readout_;
  QMenu* recent_menu_;
  QActionGroup* axis_group_;
  std::map<int, Pattern> sim_cache_;
  std::vector<Candidate> candidates_before_solve_;
  bool quiet_ = false;
  bool solving_ = false;
  bool model_used_ = false;                 // the running/last solve had the generator
  std::optional<std::vector<int>> final_order_;  // from SolveWorker::ranked
  QString model_weights_;
  std::vector<Candidate> pending_;
  QTimer arrivals_;
  QStringList solve_messages_;
  QStringList errors_;
};

}  // namespace pxrd::ui
