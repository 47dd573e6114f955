#pragma once
// Candidate browser: rank, R_wp, R_wp², S, space group, cell and volume; sortable; one selected row drives the
// plot overlay and the 3D view.
#include <QAbstractTableModel>
#include <QDialog>
#include <QWidget>

#include "document.hpp"

class QTableView;
class QSortFilterProxyModel;
class QPushButton;
class QLabel;

namespace pxrd::ui {

class StatusLine;

class CandidateModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kRank, kRwp, kRwp2, kS, kSpaceGroup, kCell, kVolume, kGenerator, kColumns };
  explicit CandidateModel(Document* doc, QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;
  void reset_from_document();
  void rows_appended();  // the document's list grew at its end

 private:
  Document* doc_;
  int row_count_ = 0;
};

class CandidateBrowser : public QWidget {
  Q_OBJECT
 public:
  explicit CandidateBrowser(Document* doc, QWidget* parent = nullptr);
  QTableView* table() const { return table_; }
  // Selects the candidate with this document index (not the sorted row).
  void select_candidate(int doc_index);

 signals:
  void compare_requested();

 private:
  void sync_buttons();
  Document* doc_;
  CandidateModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* table_;
  QPushButton* compare_;
  StatusLine* summary_;
};

// Side-by-side comparison of a candidate with the reference structure: two 3D views, cell parameters,
// structure match (pymatgen-compatible) and the PXRDNet R_wp² between their simulated patterns.
class CompareDialog : public QDialog {
  Q_OBJECT
 public:
  CompareDialog(const Candidate& candidate, const Crystal& reference, QWidget* parent = nullptr);
  QString report() const { return report_; }

 private:
  QString report_;
};

}  // namespace pxrd::ui
