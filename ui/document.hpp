#pragma once
// The workbench document: loaded patterns with their processing, candidates, reference structure and view state.
// Every edit goes through the QUndoStack; the modified flag follows the stack's clean state.
#include <QObject>
#include <QString>
#include <QUndoStack>
#include <memory>
#include <optional>
#include <vector>

#include "backend.hpp"
#include "processing_settings.hpp"
#include "pxrd/crystal.hpp"
#include "pxrd/pattern.hpp"

namespace pxrd::ui {

enum class AxisMode { TwoTheta, Q, D };

struct PatternEntry {
  QString path;                        // file it came from
  Pattern raw;                         // as read; x stays raw
  ProcessingSettings settings;         // current
  ProcessingSettings loaded_settings;  // for "Reset to loaded"
  bool simulated_from_cif = false;
};

struct Candidate {
  Crystal crystal;
  int rank = 0;                        // 1 = best R_wp at the time it arrived
  double rwp = 0, rwp2 = 0, s = 0, scale = 1;
  std::string space_group;
  int space_group_number = 0;
  std::string generator;               // model id or "classical"
  int stream_index = -1;               // arrival id during a solve, unique in the process (-1: imported or loaded)
  // The simulation it was scored with (computed off the GUI thread), valid for the grid, wavelength and size
  // below; the plot reuses it instead of simulating on the GUI thread.
  std::shared_ptr<const Pattern> simulated;
  Radiation simulated_radiation;
  double simulated_size_angstrom = 0;
};

struct ViewState {
  AxisMode axis = AxisMode::TwoTheta;
  double x_min = 0, x_max = 0;          // in 2θ degrees; equal means "auto"
  bool show_background = true;
  bool show_processed = true;
};

class Document : public QObject {
  Q_OBJECT
 public:
  explicit Document(QObject* parent = nullptr);
  ~Document() override;

  QUndoStack* undo_stack() { return &undo_; }
  bool modified() const { return !undo_.isClean() || dirty_; }
  void mark_saved();  // after a successful save

  // Patterns.
  const std::vector<PatternEntry>& patterns() const { return patterns_; }
  int active_index() const { return active_; }
  bool has_pattern() const { return active_ >= 0 && active_ < int(patterns_.size()); }
  const PatternEntry* active() const { return has_pattern() ? &patterns_[active_] : nullptr; }
  // Undoable.
  // make_active: switch to it (a CIF's simulated pattern does not displace an observed one).
  void add_pattern(PatternEntry entry, bool make_active = true);
  void set_active(int index);
  void set_settings(const ProcessingSettings& s, const QString& text, int merge_id = -1);
  void reset_to_loaded();
  void set_reference(std::optional<Crystal> crystal, const QString& text);
  void set_candidates(std::vector<Candidate> candidates, const QString& text);
  // Streaming results from a running solve are not separate undo steps; the finished set is (see MainWindow):
  // one step from `before` (the list when the solve began) to `after`. The selection stays on the same
  // streamed candidate when it is in `after`, so that the plot and the 3D view are not rebuilt for nothing.
  void append_candidates_live(std::vector<Candidate> cs);
  void commit_live_candidates(std::vector<Candidate> before, std::vector<Candidate> after, const QString& text);

  // Derived from the active pattern and its settings (recomputed on change); empty when there is no pattern.
  const backend::Processed& processed() const { return processed_; }
  const QString& processing_error() const { return processing_error_; }

  const std::vector<Candidate>& candidates() const { return candidates_; }
  int selected_candidate() const { return selected_; }
  void select_candidate(int index);  // view state only; not an undo step
  const std::optional<Crystal>& reference() const { return reference_; }

  ViewState& view() { return view_; }
  const ViewState& view() const { return view_; }

  // Project file (JSON). Throws pxrd::InputError for unreadable or invalid files; writes atomically.
  void save_project(const QString& path);
  void load_project(const QString& path);
  const QString& project_path() const { return project_path_; }

  // Internal setters used by undo commands (no undo, but they emit signals).
  void apply_settings(int index, const ProcessingSettings& s);
  void apply_patterns(std::vector<PatternEntry> patterns, int active);
  void apply_reference(std::optional<Crystal> crystal);
  void apply_candidates(std::vector<Candidate> candidates);

 signals:
  void patterns_changed();   // list or active pattern changed
  void processed_changed();  // processing output changed
  void candidates_changed();   // replaced (undo, import, load, end of a solve)
  void candidates_appended();  // grew at its end (streaming); indices of the others unchanged
  void selection_changed(int index);
  void reference_changed();
  void modified_changed(bool modified);

 private:
  void recompute();
  QUndoStack undo_;
  std::vector<PatternEntry> patterns_;
  int active_ = -1;
  backend::Processed processed_;
  QString processing_error_;
  std::vector<Candidate> candidates_;
  int selected_ = -1;
  std::optional<Crystal> reference_;
  ViewState view_;
  QString project_path_;
  bool dirty_ = false;
};

}  // namespace pxrd::ui
