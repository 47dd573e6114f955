#pragma once
// Batch mode: a folder of patterns or a manifest (one "path[,formula]" per line), solved one after another in a
// worker thread with per-item status; a failed item is recorded and the batch goes on.
#include <QDialog>
#include <atomic>
#include <vector>

#include "export.hpp"
#include "solve_worker.hpp"

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace pxrd::ui {

struct BatchItem {
  QString path;
  QString formula;  // empty: the dialog's default formula
};

// Reads a manifest: blank lines and '#' comments skipped; relative paths are relative to the manifest.
// Throws pxrd::InputError naming the line for an empty path.
std::vector<BatchItem> read_manifest(const QString& path);
// Pattern files in a folder (by extension, sorted by name).
std::vector<BatchItem> scan_folder(const QString& folder);

class BatchDialog : public QDialog {
  Q_OBJECT
 public:
  explicit BatchDialog(const Radiation& default_radiation, QWidget* parent = nullptr);
  ~BatchDialog() override;

  void set_items(std::vector<BatchItem> items);
  void set_solve_function(SolveFunction fn) { fn_ = std::move(fn); }
  void set_default_formula(const QString& f);
  void set_options(int candidates, double time_budget_s);
  bool start();
  void cancel();
  bool running() const { return thread_ != nullptr; }
  const std::vector<exporting::BatchRow>& rows() const { return rows_; }
  bool export_csv(const QString& path, QString* error = nullptr);

 signals:
  void batch_finished();

 private:
  void show_row(int i);
  void sync_buttons();

  Radiation radiation_;
  SolveFunction fn_;
  std::vector<BatchItem> items_;
  std::vector<exporting::BatchRow> rows_;
  QThread* thread_ = nullptr;
  std::shared_ptr<CancelToken> cancel_;
  QLineEdit* formula_;
  QSpinBox* count_;
  QDoubleSpinBox* budget_;
  QTableWidget* table_;
  QProgressBar* progress_;
  QLabel* status_;
  QPushButton* folder_;
  QPushButton* manifest_;
  QPushButton* run_;
  QPushButton* stop_;
  QPushButton* export_;
};

}  // namespace pxrd::ui
