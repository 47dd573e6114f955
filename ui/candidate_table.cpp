#include "candidate_table.hpp"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "pxrd/composition.hpp"
#include "pxrd/simulator.hpp"
#include "pxrd/structure_matcher.hpp"
#include "status_line.hpp"
#include "structure_view.hpp"

namespace pxrd::ui {

CandidateModel::CandidateModel(Document* doc, QObject* parent)
    : QAbstractTableModel(parent), doc_(doc), row_count_(int(doc->candidates().size())) {}

// Its own count, not the document's: between a change of the document and the begin/end calls the views must
// still see the old number.
int CandidateModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : row_count_; }
int CandidateModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kColumns; }

QVariant CandidateModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"Rank", "R_wp (%)", "R_wp²", "S", "Space group", "Cell a b c / α β γ", "V (Å³)",
                                "Generator"};
  return section >= 0 && section < kColumns ? tr(names[section]) : QVariant();
}

QVariant CandidateModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(doc_->candidates().size())) return {};
  const Candidate& c = doc_->candidates()[index.row()];
  if (role == Qt::UserRole) return index.row();  // document index, survives sorting
  const bool sort = role == Qt::UserRole + 1;
  if (role != Qt::DisplayRole && !sort) {
    if (role == Qt::TextAlignmentRole && index.column() != kCell && index.column() != kGenerator)
      return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
  }
  switch (index.column()) {
    case kRank: return c.rank;
    case kRwp: return sort ? QVariant(c.rwp) : QVariant(QString::number(100.0 * c.rwp, 'f', 2));
    case kRwp2: return sort ? QVariant(c.rwp2) : QVariant(QString::number(c.rwp2, 'f', 4));
    case kS: return sort ? QVariant(c.s) : QVariant(QString::number(c.s, 'f', 2));
    case kSpaceGroup:
      if (sort) return c.space_group_number;
      return c.space_group.empty() ? QStringLiteral("?")
                                   : QStringLiteral("%1 (%2)").arg(QString::fromStdString(c.space_group))
                                         .arg(c.space_group_number);
    case kCell: return QString::fromStdString(backend::cell_summary(c.crystal));
    case kVolume: {
      const double v = c.crystal.lattice.volume_angstrom3();
      return sort ? QVariant(v) : QVariant(QString::number(v, 'f', 2));
    }
    case kGenerator: return QString::fromStdString(c.generator);
    default: return {};
  }
}

void CandidateModel::reset_from_document() {
  beginResetModel();
  row_count_ = int(doc_->candidates().size());
  endResetModel();
}

void CandidateModel::rows_appended() {
  const int first = row_count_;
  const int last = int(doc_->candidates().size()) - 1;
  if (last < first) return reset_from_document();
  beginInsertRows({}, first, last);
  row_count_ = last + 1;
  endInsertRows();
}

CandidateBrowser::CandidateBrowser(Document* doc, QWidget* parent)
    : QWidget(parent), doc_(doc), model_(new CandidateModel(doc, this)), proxy_(new QSortFilterProxyModel(this)) {
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(Qt::UserRole + 1);
  table_ = new QTableView;
  table_->setObjectName("candidateTable");
  table_->setModel(proxy_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(CandidateModel::kRwp, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();
  table_->setAlternatingRowColors(true);
  table_->setWordWrap(false);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  compare_ = new QPushButton(tr("Compare with reference…"));
  summary_ = new StatusLine;  // not a QLabel: a row arriving must not re-lay out the window
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(table_, 1);
  auto* row = new QHBoxLayout;
  row->addWidget(summary_, 1);
  row->addWidget(compare_);
  layout->addLayout(row);

  connect(doc_, &Document::candidates_changed, this, [this] {
    model_->reset_from_document();
    sync_buttons();
  });
  connect(doc_, &Document::candidates_appended, this, [this] {
    model_->rows_appended();
    sync_buttons();
  });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    doc_->select_candidate(rows.isEmpty() ? -1 : proxy_->data(rows.first(), Qt::UserRole).toInt());
  });
  connect(doc_, &Document::selection_changed, this, [this](int i) {
    select_candidate(i);
    sync_buttons();
  });
  connect(doc_, &Document::reference_changed, this, &CandidateBrowser::sync_buttons);
  connect(compare_, &QPushButton::clicked, this, &CandidateBrowser::compare_requested);
  sync_buttons();
}

void CandidateBrowser::select_candidate(int doc_index) {
  if (doc_index < 0) {
    if (!table_->selectionModel()->selectedRows().isEmpty()) table_->clearSelection();
    return;
  }
  const QModelIndex src = model_->index(doc_index, 0);
  const QModelIndex idx = proxy_->mapFromSource(src);
  if (!idx.isValid()) return;
  const QModelIndexList rows = table_->selectionModel()->selectedRows();
  if (!rows.isEmpty() && rows.first().row() == idx.row()) return;
  table_->selectRow(idx.row());
  table_->scrollTo(idx);
}

void CandidateBrowser::sync_buttons() {
  compare_->setEnabled(doc_->reference().has_value() && doc_->selected_candidate() >= 0);
  compare_->setToolTip(doc_->reference() ? QString() : tr("Load a reference CIF first (File ▸ Load reference CIF)"));
  const auto& c = doc_->candidates();
  if (c.empty()) {
    summary_->setText(tr("No candidates yet"));
  } else {
    double best = c.front().rwp;
    for (const Candidate& x : c) best = std::min(best, x.rwp);
    summary_->setText(tr("%1 candidates, best R_wp %2 %").arg(c.size()).arg(100 * best, 0, 'f', 2));
  }
}

CompareDialog::CompareDialog(const Candidate& candidate, const Crystal& reference, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Candidate %1 vs reference").arg(candidate.rank));
  auto* layout = new QVBoxLayout(this);
  auto* split = new QSplitter(Qt::Horizontal);
  auto* left = new StructureView;
  left->set_crystal(candidate.crystal, tr("Candidate %1").arg(candidate.rank));
  auto* right = new StructureView;
  right->set_crystal(reference, tr("Reference: %1").arg(QString::fromStdString(reference.name)));
  split->addWidget(left);
  split->addWidget(right);
  layout->addWidget(split, 1);

  const auto sg_ref = backend::space_group(reference);
  QString match_text;
  try {
    const MatchResult m = match_structures(candidate.crystal, reference);
    const MatchResult loose = match_structures(candidate.crystal, reference, MatchTolerances{0.3, 0.5, 10.0});
    match_text = tr("pymatgen defaults (0.2/0.3/5°): %1; DiffCSP (0.3/0.5/10°): %2")
                     .arg(m.matched ? tr("match, RMS %1").arg(m.rms, 0, 'f', 4) : tr("no match"))
                     .arg(loose.matched ? tr("match, RMS %1").arg(loose.rms, 0, 'f', 4) : tr("no match"));
  } catch (const std::exception& e) {
    match_text = tr("not available: %1").arg(QString::fromStdString(e.what()));
  }
  QString rwp2_text;
  try {
    rwp2_text = QString::number(pxrdnet_rwp2(reference, candidate.crystal), 'f', 4);
  } catch (const std::exception& e) {
    rwp2_text = tr("not available: %1").arg(QString::fromStdString(e.what()));
  }
  auto row = [](const QString& k, const QString& a, const QString& b) {
    return QStringLiteral("<tr><th align=left>%1</th><td>%2</td><td>%3</td></tr>").arg(k, a, b);
  };
  auto formula = [](const Crystal& c) {
    try {
      return QString::fromStdString(Composition::of(c).formula());
    } catch (const std::exception&) {
      return QStringLiteral("?");
    }
  };
  report_ = QStringLiteral("<table cellspacing=6>") + row({}, tr("<b>Candidate</b>"), tr("<b>Reference</b>")) +
            row(tr("Formula"), formula(candidate.crystal), formula(reference)) +
            row(tr("Space group"), QString::fromStdString(candidate.space_group),
                QString::fromStdString(sg_ref.symbol)) +
            row(tr("Cell"), QString::fromStdString(backend::cell_summary(candidate.crystal)),
                QString::fromStdString(backend::cell_summary(reference))) +
            row(tr("Volume (Å³)"), QString::number(candidate.crystal.lattice.volume_angstrom3(), 'f', 2),
                QString::number(reference.lattice.volume_angstrom3(), 'f', 2)) +
            QStringLiteral("</table><p><b>Structure match:</b> %1<br><b>PXRDNet R_wp² (reference vs candidate):</b> %2</p>")
                .arg(match_text, rwp2_text);
  auto* text = new QTextBrowser;
  text->setHtml(report_);
  text->setMaximumHeight(190);
  layout->addWidget(text);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  resize(1000, 700);
}

}  // namespace pxrd::ui
