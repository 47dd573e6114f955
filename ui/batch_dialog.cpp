#include "batch_dialog.hpp"

#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QTableWidget>
#include <QTextStream>
#include <QVBoxLayout>

#include "pxrd/atomic_file.hpp"
#include "pxrd/error.hpp"

namespace pxrd::ui {

std::vector<BatchItem> read_manifest(const QString& path) {
  const std::string text = read_file(path.toStdString());
  const QDir base = QFileInfo(path).absoluteDir();
  std::vector<BatchItem> items;
  const QStringList lines = QString::fromStdString(text).split('\n');
  for (int i = 0; i < lines.size(); ++i) {
    const QString line = lines[i].trimmed();
    if (line.isEmpty() || line.startsWith('#')) continue;
    const int comma = line.indexOf(',');
    BatchItem item;
    item.path = (comma < 0 ? line : line.left(comma)).trimmed();
    item.formula = comma < 0 ? QString() : line.mid(comma + 1).trimmed();
    if (item.path.isEmpty()) throw InputError(path.toStdString(), i + 1, "empty path before the comma");
    if (QFileInfo(item.path).isRelative()) item.path = base.filePath(item.path);
    items.push_back(item);
  }
  return items;
}

std::vector<BatchItem> scan_folder(const QString& folder) {
  std::vector<BatchItem> items;
  const QStringList filters = {"*.xy", "*.xye", "*.dat", "*.csv", "*.txt", "*.qye", "*.chi", "*.raw", "*.xrdml", "*.uxd"};
  for (const QFileInfo& fi : QDir(folder).entryInfoList(filters, QDir::Files, QDir::Name)) items.push_back({fi.absoluteFilePath(), {}});
  return items;
}

BatchDialog::BatchDialog(const Radiation& default_radiation, QWidget* parent)
    : QDialog(parent), radiation_(default_radiation), fn_(default_solve_function()) {
  setWindowTitle(tr("Batch solve"));
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  formula_ = new QLineEdit;
  formula_->setPlaceholderText(tr("default formula for items without one"));
  count_ = new QSpinBox;
  count_->setRange(1, 1000);
  count_->setValue(10);
  budget_ = new QDoubleSpinBox;
  budget_->setRange(1, 36000);
  budget_->setValue(30);
  budget_->setSuffix(tr(" s per item"));
  form->addRow(tr("Formula"), formula_);
  form->addRow(tr("Candidates"), count_);
  form->addRow(tr("Time budget"), budget_);
  form->addRow(new QLabel(tr("Radiation when a file names none: %1").arg(QString::fromStdString(radiation_.describe()))));
  layout->addLayout(form);
  auto* pick = new QHBoxLayout;
  folder_ = new QPushButton(tr("Folder…"));
  manifest_ = new QPushButton(tr("Manifest…"));
  pick->addWidget(folder_);
  pick->addWidget(manifest_);
  pick->addStretch(1);
  layout->addLayout(pick);
  table_ = new QTableWidget(0, 8);
  table_->setHorizontalHeaderLabels(
      {tr("Input"), tr("Formula"), tr("Status"), tr("Candidates"), tr("Best R_wp (%)"), tr("R_wp²"), tr("Space group"), tr("Message")});
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(table_, 1);
  progress_ = new QProgressBar;
  status_ = new QLabel;
  layout->addWidget(progress_);
  layout->addWidget(status_);
  auto* buttons = new QHBoxLayout;
  run_ = new QPushButton(tr("Run"));
  stop_ = new QPushButton(tr("Cancel"));
  export_ = new QPushButton(tr("Export CSV…"));
  auto* close = new QPushButton(tr("Close"));
  buttons->addWidget(run_);
  buttons->addWidget(stop_);
  buttons->addWidget(export_);
  buttons->addStretch(1);
  buttons->addWidget(close);
  layout->addLayout(buttons);

  connect(folder_, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of patterns"));
    if (!dir.isEmpty()) set_items(scan_folder(dir));
  });
  connect(manifest_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Manifest"), {}, tr("Manifest (*.txt *.csv *.lst);;All files (*)"));
    if (path.isEmpty()) return;
    try {
      set_items(read_manifest(path));
    } catch (const std::exception& e) {
      QMessageBox::warning(this, tr("Bad manifest"), QString::fromStdString(e.what()));
    }
  });
  connect(run_, &QPushButton::clicked, this, &BatchDialog::start);
  connect(stop_, &QPushButton::clicked, this, &BatchDialog::cancel);
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Batch summary"), {}, tr("CSV (*.csv)"));
    QString err;
    if (!path.isEmpty() && !export_csv(path, &err)) QMessageBox::warning(this, tr("Export failed"), err);
  });
  connect(close, &QPushButton::clicked, this, &QDialog::reject);
  connect(formula_, &QLineEdit::textChanged, this, &BatchDialog::sync_buttons);
  resize(900, 550);
  sync_buttons();
}

BatchDialog::~BatchDialog() {
  cancel();
  if (thread_) {
    thread_->wait();
    delete thread_;
  }
}

void BatchDialog::set_default_formula(const QString& f) { formula_->setText(f); }

void BatchDialog::set_options(int candidates, double time_budget_s) {
  count_->setValue(candidates);
  budget_->setValue(time_budget_s);
}

void BatchDialog::set_items(std::vector<BatchItem> items) {
  if (running()) return;
  items_ = std::move(items);
  rows_.assign(items_.size(), {});
  table_->setRowCount(int(items_.size()));
  for (std::size_t i = 0; i < items_.size(); ++i) {
    rows_[i].input = items_[i].path;
    rows_[i].formula = items_[i].formula;
    rows_[i].status = tr("queued");
    show_row(int(i));
  }
  progress_->setRange(0, int(items_.size()));
  progress_->setValue(0);
  status_->setText(tr("%1 items").arg(items_.size()));
  sync_buttons();
}

void BatchDialog::show_row(int i) {
  const exporting::BatchRow& r = rows_[i];
  const QStringList cells = {QFileInfo(r.input).fileName(),
                             r.formula,
                             r.status,
                             QString::number(r.candidates),
                             r.candidates ? QString::number(100 * r.best_rwp, 'f', 2) : QString(),
                             r.candidates ? QString::number(r.best_rwp2, 'f', 4) : QString(),
                             r.space_group,
                             r.message};
  for (int c = 0; c < cells.size(); ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    if (c == 0) item->setToolTip(r.input);
    if (c == 2 && r.status == QLatin1String("failed")) item->setForeground(QColor(176, 0, 32));
    table_->setItem(i, c, item);
  }
}

void BatchDialog::sync_buttons() {
  const bool busy = running();
  run_->setEnabled(!busy && !items_.empty());
  stop_->setEnabled(busy);
  export_->setEnabled(!busy && !rows_.empty());
  folder_->setEnabled(!busy);
  manifest_->setEnabled(!busy);
}

bool BatchDialog::start() {
  if (running() || items_.empty()) return false;
  cancel_ = std::make_shared<CancelToken>();
  auto token = cancel_;
  const auto items = items_;
  const std::string default_formula = formula_->text().trimmed().toStdString();
  const int count = count_->value();
  const double budget = budget_->value();
  const Radiation radiation = radiation_;
  auto fn = fn_;
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    rows_[i] = {};
    rows_[i].input = items[i].path;
    rows_[i].formula = items[i].formula.isEmpty() ? QString::fromStdString(default_formula) : items[i].formula;
    rows_[i].status = tr("queued");
    show_row(int(i));
  }
  thread_ = QThread::create([this, items, token, default_formula, count, budget, radiation, fn] {
    lower_this_thread_priority();
    for (std::size_t i = 0; i < items.size(); ++i) {
      exporting::BatchRow row;
      row.input = items[i].path;
      row.formula = items[i].formula.isEmpty() ? QString::fromStdString(default_formula) : items[i].formula;
      if (token->cancelled()) {
        row.status = QStringLiteral("cancelled");
      } else {
        QMetaObject::invokeMethod(this, [this, i] {
          rows_[i].status = tr("running");
          show_row(int(i));
        }, Qt::QueuedConnection);
        QElapsedTimer t;
        t.start();
        try {
          if (row.formula.isEmpty()) throw InputError(row.input.toStdString(), 0, "no formula (give one per line or a default)");
          Pattern raw = backend::load_pattern(row.input.toStdString());
          ProcessingSettings s;
          s.radiation = raw.radiation && raw.radiation->lambda1_angstrom > 0 ? *raw.radiation : radiation;
          s.background = BackgroundMethod::Snip;
          SolveRequest req;
          req.formula = row.formula.toStdString();
          req.candidates = count;
          req.time_budget_s = budget;
          req.processed = backend::process(raw, s).processed;
          req.radiation = s.radiation;
          req.input_name = row.input.toStdString();
          NullProgress progress;
          SolveSink sink;
          sink.candidate = [&](const Crystal& crystal, const std::string& generator) {
            const Candidate c = score_candidate(crystal, req, generator);
            if (row.candidates == 0 || c.rwp < row.best_rwp) {
              row.best_rwp = c.rwp;
              row.best_rwp2 = c.rwp2;
              row.space_group = QString::fromStdString(c.space_group);
            }
            ++row.candidates;
          };
          // The final set drops duplicates; the best streamed one is always in it.
          sink.ranked = [&](const std::vector<int>& order) { row.candidates = int(order.size()); };
          fn(req, *token, progress, sink);
          row.status = token->cancelled() ? QStringLiteral("cancelled") : QStringLiteral("ok");
        } catch (const Cancelled&) {
          row.status = QStringLiteral("cancelled");
        } catch (const std::exception& e) {
          // One bad item never stops the batch.
          row.status = QStringLiteral("failed");
          row.message = QString::fromStdString(e.what());
        }
        row.seconds = t.elapsed() / 1000.0;
      }
      QMetaObject::invokeMethod(this, [this, i, row] {
        rows_[i] = row;
        show_row(int(i));
        progress_->setValue(int(i) + 1);
      }, Qt::QueuedConnection);
    }
    QMetaObject::invokeMethod(this, [this] {
      thread_->wait();
      thread_->deleteLater();
      thread_ = nullptr;
      int ok = 0, failed = 0;
      for (const auto& r : rows_) {
        ok += r.status == QLatin1String("ok");
        failed += r.status == QLatin1String("failed");
      }
      status_->setText(tr("Finished: %1 ok, %2 failed, %3 items").arg(ok).arg(failed).arg(rows_.size()));
      sync_buttons();
      emit batch_finished();
    }, Qt::QueuedConnection);
  });
  thread_->start(QThread::LowPriority);
  status_->setText(tr("Running…"));
  sync_buttons();
  return true;
}

void BatchDialog::cancel() {
  if (cancel_) cancel_->cancel();
}

bool BatchDialog::export_csv(const QString& path, QString* error) {
  try {
    write_file_atomically(path.toStdString(), exporting::batch_csv(rows_).toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

}  // namespace pxrd::ui
