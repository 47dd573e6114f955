#include "pattern_plot.hpp"

#include <QFile>
#include <QMouseEvent>
#include <QSaveFile>
#include <QTextStream>
#include <QVBoxLayout>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "pxrd/units.hpp"

namespace pxrd::ui {

namespace {

const QColor kObserved(40, 40, 40);
const QColor kProcessed(31, 119, 180);
const QColor kBackground(255, 127, 14);
const QColor kCalculated(214, 39, 40);
const QColor kDifference(44, 160, 44);
const QColor kReference(148, 103, 189);

QCPGraph* add_graph(QCustomPlot* plot, QCPAxisRect* rect, const QColor& colour, const QString& name,
                    double width = 1.2) {
  QCPGraph* g = plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
  g->setPen(QPen(colour, width));
  g->setName(name);
  g->setAdaptiveSampling(true);
  return g;
}

QCPScatterStyle tick_style(const QColor& colour) {
  QPainterPath bar;
  bar.moveTo(0, -1);
  bar.lineTo(0, 1);
  return QCPScatterStyle(bar, QPen(colour, 1.5), Qt::NoBrush, 12);
}

QString axis_label(AxisMode mode) {
  switch (mode) {
    case AxisMode::Q: return QStringLiteral("Q (Å⁻¹)");
    case AxisMode::D: return QStringLiteral("d (Å)");
    default: return QStringLiteral("2θ (°)");
  }
}

QString hkl_text(const Reflection& r) {
  if (r.hkls.empty()) return {};
  const auto& h = r.hkls.front();
  return QStringLiteral("(%1 %2 %3)").arg(h[0]).arg(h[1]).arg(h[2]);
}

bool write_text(const QString& path, const QString& text, QString* error) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
    if (error) *error = f.errorString();
    return false;
  }
  f.write(text.toUtf8());
  if (!f.commit()) {
    if (error) *error = f.errorString();
    return false;
  }
  return true;
}

}  // namespace

PatternPlot::PatternPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->setAutoAddPlottableToLegend(false);
  plot_->plotLayout()->clear();

  main_rect_ = new QCPAxisRect(plot_);
  tick_rect_ = new QCPAxisRect(plot_);
  diff_rect_ = new QCPAxisRect(plot_);
  plot_->plotLayout()->addElement(0, 0, main_rect_);
  plot_->plotLayout()->addElement(1, 0, tick_rect_);
  plot_->plotLayout()->addElement(2, 0, diff_rect_);
  plot_->plotLayout()->setRowStretchFactors({6.0, 0.7, 2.0});
  plot_->plotLayout()->setRowSpacing(0);
  auto* group = new QCPMarginGroup(plot_);
  for (QCPAxisRect* r : {main_rect_, tick_rect_, diff_rect_}) {
    r->setMarginGroup(QCP::msLeft | QCP::msRight, group);
    r->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    r->setRangeZoom(Qt::Horizontal | Qt::Vertical);
  }
  tick_rect_->setRangeDrag(Qt::Horizontal);
  tick_rect_->setRangeZoom(Qt::Horizontal);
  main_rect_->axis(QCPAxis::atBottom)->setTickLabels(false);
  tick_rect_->axis(QCPAxis::atBottom)->setTickLabels(false);
  tick_rect_->axis(QCPAxis::atLeft)->setTicks(false);
  tick_rect_->axis(QCPAxis::atLeft)->setTickLabels(false);
  tick_rect_->axis(QCPAxis::atLeft)->setRange(0, 1);
  tick_rect_->setMinimumSize(0, 28);
  main_rect_->axis(QCPAxis::atLeft)->setLabel(tr("Intensity"));
  diff_rect_->axis(QCPAxis::atLeft)->setLabel(tr("Obs − calc"));
  diff_rect_->axis(QCPAxis::atBottom)->setLabel(axis_label(axis_));

  observed_ = add_graph(plot_, main_rect_, kObserved, tr("Observed"), 1.0);
  processed_ = add_graph(plot_, main_rect_, kProcessed, tr("Processed"));
  background_ = add_graph(plot_, main_rect_, kBackground, tr("Background"));
  calculated_ = add_graph(plot_, main_rect_, kCalculated, tr("Calculated"));
  manual_ = add_graph(plot_, main_rect_, kBackground, tr("Background points"));
  manual_->setLineStyle(QCPGraph::lsNone);
  manual_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kBackground, Qt::white, 8));
  difference_ = add_graph(plot_, diff_rect_, kDifference, tr("Difference"));
  cand_ticks_ = add_graph(plot_, tick_rect_, kCalculated, tr("Candidate hkl"));
  ref_ticks_ = add_graph(plot_, tick_rect_, kReference, tr("Reference hkl"));
  for (QCPGraph* g : {cand_ticks_, ref_ticks_}) g->setLineStyle(QCPGraph::lsNone);
  cand_ticks_->setScatterStyle(tick_style(kCalculated));
  ref_ticks_->setScatterStyle(tick_style(kReference));

  legend_ = new QCPLegend;
  main_rect_->insetLayout()->addElement(legend_, Qt::AlignRight | Qt::AlignTop);
  legend_->setLayer("legend");
  legend_->setBrush(QColor(255, 255, 255, 200));

  // One x range for the three panels.
  const std::vector<QCPAxis*> xs = {main_rect_->axis(QCPAxis::atBottom), tick_rect_->axis(QCPAxis::atBottom),
                                    diff_rect_->axis(QCPAxis::atBottom)};
  for (QCPAxis* from : xs)
    connect(from, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [xs](const QCPRange& r) {
      for (QCPAxis* to : xs) to->setRange(r);
    });

  cross_v_ = new QCPItemStraightLine(plot_);
  cross_h_ = new QCPItemStraightLine(plot_);
  for (QCPItemStraightLine* l : {cross_v_, cross_h_}) {
    l->setClipAxisRect(main_rect_);
    l->point1->setAxes(main_rect_->axis(QCPAxis::atBottom), main_rect_->axis(QCPAxis::atLeft));
    l->point2->setAxes(main_rect_->axis(QCPAxis::atBottom), main_rect_->axis(QCPAxis::atLeft));
    l->setPen(QPen(QColor(120, 120, 120), 0.8, Qt::DashLine));
    l->setVisible(false);
  }
  metrics_ = new QCPItemText(plot_);
  metrics_->setClipAxisRect(main_rect_);
  metrics_->position->setType(QCPItemPosition::ptAxisRectRatio);
  metrics_->position->setAxisRect(main_rect_);
  metrics_->position->setCoords(0.01, 0.02);
  metrics_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
  metrics_->setFont(QFont(font().family(), 10));
  metrics_->setText({});

  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->setPlottingHints(QCP::phFastPolylines | QCP::phCacheLabels);
  plot_->setMouseTracking(true);
  connect(plot_, &QCustomPlot::mouseMove, this, &PatternPlot::mouse_move);
  connect(plot_, &QCustomPlot::mousePress, this, &PatternPlot::mouse_press);
  setMinimumSize(400, 300);
}

bool PatternPlot::axis_mode_available(AxisMode mode) const {
  return mode == AxisMode::TwoTheta || curves_.lambda_angstrom > 0;
}

double PatternPlot::to_axis(double tt) const {
  const double lambda = curves_.lambda_angstrom;
  switch (axis_) {
    case AxisMode::Q: return two_theta_deg_to_q_inv_angstrom(tt, lambda);
    case AxisMode::D: return tt > 0 ? two_theta_deg_to_d_angstrom(tt, lambda) : std::nan("");
    default: return tt;
  }
}

double PatternPlot::from_axis(double x) const {
  const double lambda = curves_.lambda_angstrom;
  switch (axis_) {
    case AxisMode::Q: return q_inv_angstrom_to_two_theta_deg(x, lambda);
    case AxisMode::D: return x > 0 ? d_angstrom_to_two_theta_deg(x, lambda) : std::nan("");
    default: return x;
  }
}

void PatternPlot::set_curves(PlotCurves curves) {
  const bool same_grid = curves.x_two_theta_deg == curves_.x_two_theta_deg;
  curves_ = std::move(curves);
  if (!axis_mode_available(axis_)) axis_ = AxisMode::TwoTheta;
  rebuild();
  if (!same_grid) {
    reset_zoom();
  } else {
    rescale_values();
  }
  plot_->replot();
}

void PatternPlot::rescale_values() {
  QCPAxis* y = main_rect_->axis(QCPAxis::atLeft);
  y->rescale();
  const QCPRange yr = y->range();
  y->setRange(std::min(0.0, yr.lower), yr.upper * 1.05 + 1e-9);
  QCPAxis* dy = diff_rect_->axis(QCPAxis::atLeft);
  dy->rescale();
  const QCPRange dr = dy->range();
  const double half = std::max(std::abs(dr.lower), std::abs(dr.upper)) * 1.1 + 1e-9;
  dy->setRange(-half, half);
  tick_rect_->axis(QCPAxis::atLeft)->setRange(0, 1);
}

void PatternPlot::set_axis_mode(AxisMode mode) {
  if (!axis_mode_available(mode) || mode == axis_) return;
  axis_ = mode;
  rebuild();
  reset_zoom();
  plot_->replot();
}

void PatternPlot::set_metrics_text(const QString& text) {
  metrics_->setText(text);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PatternPlot::set_background_picking(bool on) {
  picking_ = on;
  plot_->setCursor(on ? Qt::CrossCursor : Qt::ArrowCursor);
}

void PatternPlot::set_show(bool processed, bool background) {
  show_processed_ = processed;
  show_background_ = background;
  rebuild();
  plot_->replot();
}

std::vector<ExportSeries> PatternPlot::series() const {
  std::vector<ExportSeries> out;
  auto add = [&](const QString& name, const std::vector<double>& y) {
    if (y.size() != curves_.x_two_theta_deg.size() || y.empty()) return;
    ExportSeries s;
    s.name = name;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double x = to_axis(curves_.x_two_theta_deg[i]);
      if (!std::isfinite(x)) continue;
      s.x.push_back(x);
      s.y.push_back(y[i]);
    }
    out.push_back(std::move(s));
  };
  add(QStringLiteral("observed"), curves_.observed);
  if (show_processed_) add(QStringLiteral("processed"), curves_.processed);
  if (show_background_) add(QStringLiteral("background"), curves_.background);
  add(QStringLiteral("calculated"), curves_.calculated);
  add(QStringLiteral("difference"), curves_.difference);
  return out;
}

void PatternPlot::rebuild() {
  auto fill = [&](QCPGraph* g, const std::vector<double>& y, bool visible) {
    QVector<double> kx, vy;
    if (visible && y.size() == curves_.x_two_theta_deg.size()) {
      kx.reserve(int(y.size()));
      vy.reserve(int(y.size()));
      for (std::size_t i = 0; i < y.size(); ++i) {
        const double x = to_axis(curves_.x_two_theta_deg[i]);
        if (!std::isfinite(x) || !std::isfinite(y[i])) continue;
        kx.push_back(x);
        vy.push_back(y[i]);
      }
    }
    g->setData(kx, vy);
    g->setVisible(!kx.isEmpty());
  };
  fill(observed_, curves_.observed, true);
  fill(processed_, curves_.processed, show_processed_);
  fill(background_, curves_.background, show_background_);
  fill(calculated_, curves_.calculated, true);
  fill(difference_, curves_.difference, true);
  calculated_->setName(curves_.calc_label.isEmpty() ? tr("Calculated") : curves_.calc_label);
  for (QCPGraph* g : {observed_, processed_, background_, calculated_}) {
    if (g->visible())
      g->addToLegend(legend_);
    else
      g->removeFromLegend(legend_);
  }
  auto ticks = [&](QCPGraph* g, const std::vector<Reflection>& refl, double row) {
    QVector<double> kx, vy;
    for (const Reflection& r : refl) {
      const double x = to_axis(r.two_theta_deg);
      if (!std::isfinite(x)) continue;
      kx.push_back(x);
      vy.push_back(row);
    }
    g->setData(kx, vy);
  };
  ticks(cand_ticks_, curves_.candidate_ticks, 0.7);
  ticks(ref_ticks_, curves_.reference_ticks, 0.3);
  QVector<double> mx, my;
  for (const QPointF& p : curves_.manual_points) {
    const double x = to_axis(p.x());
    if (!std::isfinite(x)) continue;
    mx.push_back(x);
    my.push_back(p.y());
  }
  manual_->setData(mx, my);
  const bool reversed = axis_ == AxisMode::D;
  for (QCPAxisRect* r : {main_rect_, tick_rect_, diff_rect_}) r->axis(QCPAxis::atBottom)->setRangeReversed(reversed);
  diff_rect_->axis(QCPAxis::atBottom)->setLabel(axis_label(axis_));
}

void PatternPlot::reset_zoom() {
  bool found = false;
  const QCPRange xr = observed_->getKeyRange(found);
  if (found) main_rect_->axis(QCPAxis::atBottom)->setRange(xr);
  rescale_values();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PatternPlot::mouse_move(QMouseEvent* e) {
  QCPAxis* xa = main_rect_->axis(QCPAxis::atBottom);
  QCPAxis* ya = main_rect_->axis(QCPAxis::atLeft);
  const double x = xa->pixelToCoord(e->position().x());
  const double tt = from_axis(x);
  const bool inside = main_rect_->rect().contains(e->position().toPoint());
  cross_v_->setVisible(true);
  cross_h_->setVisible(inside);
  cross_v_->point1->setCoords(x, 0);
  cross_v_->point2->setCoords(x, 1);
  const double y = ya->pixelToCoord(e->position().y());
  cross_h_->point1->setCoords(0, y);
  cross_h_->point2->setCoords(1, y);
  QString text = QStringLiteral("2θ %1°").arg(tt, 0, 'f', 3);
  if (curves_.lambda_angstrom > 0 && std::isfinite(tt) && tt > 0) {
    text += QStringLiteral("   Q %1 Å⁻¹   d %2 Å")
                .arg(two_theta_deg_to_q_inv_angstrom(tt, curves_.lambda_angstrom), 0, 'f', 4)
                .arg(two_theta_deg_to_d_angstrom(tt, curves_.lambda_angstrom), 0, 'f', 4);
  }
  if (inside) text += QStringLiteral("   I %1").arg(y, 0, 'g', 5);
  // Name the nearest reflection within 4 pixels.
  for (const auto* list : {&curves_.candidate_ticks, &curves_.reference_ticks}) {
    for (const Reflection& r : *list) {
      if (std::abs(xa->coordToPixel(to_axis(r.two_theta_deg)) - e->position().x()) < 4) {
        text += QStringLiteral("   hkl %1").arg(hkl_text(r));
        break;
      }
    }
  }
  readout_ = text;
  emit readout_changed(text);
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PatternPlot::mouse_press(QMouseEvent* e) {
  if (!picking_ || !main_rect_->rect().contains(e->position().toPoint())) return;
  const double tt = from_axis(main_rect_->axis(QCPAxis::atBottom)->pixelToCoord(e->position().x()));
  if (!std::isfinite(tt)) return;
  if (e->button() == Qt::LeftButton) {
    emit background_point_added(tt, main_rect_->axis(QCPAxis::atLeft)->pixelToCoord(e->position().y()));
  } else if (e->button() == Qt::RightButton) {
    emit background_point_removed(tt);
  }
}

bool PatternPlot::export_png(const QString& path, QString* error) {
  if (plot_->savePng(path, 1600, 1000, 1.0)) return true;
  if (error) *error = tr("could not write %1").arg(path);
  return false;
}

bool PatternPlot::export_pdf(const QString& path, QString* error) {
  if (plot_->savePdf(path, 1000, 650, QCP::epNoCosmetic, QStringLiteral("PXRD-Diff Workbench"))) return true;
  if (error) *error = tr("could not write %1").arg(path);
  return false;
}

bool PatternPlot::export_svg(const QString& path, QString* error) {
  return write_text(path, series_to_svg(series(), axis_label(axis_), 1000, 650), error);
}

bool PatternPlot::export_csv(const QString& path, QString* error) {
  return write_text(path, series_to_csv(series(), axis_label(axis_)), error);
}

QString series_to_csv(const std::vector<ExportSeries>& series, const QString& x_label) {
  // Long format keeps curves with different point sets (d axis drops 2θ = 0) in one file.
  QString out;
  QTextStream ts(&out);
  ts << "# PXRD-Diff Workbench plot export; x = " << x_label << "\n";
  ts << "series,x,y\n";
  for (const ExportSeries& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i)
      ts << s.name << ',' << QString::number(s.x[i], 'g', 10) << ',' << QString::number(s.y[i], 'g', 10) << '\n';
  return out;
}

QString series_to_svg(const std::vector<ExportSeries>& series, const QString& x_label, int width, int height) {
  double x0 = std::numeric_limits<double>::max(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const ExportSeries& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  if (x1 <= x0) x0 = 0, x1 = 1;
  if (y1 <= y0) y0 = 0, y1 = 1;
  const double left = 70, right = 20, top = 20, bottom = 50;
  const double pw = width - left - right, ph = height - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + (1.0 - (y - y0) / (y1 - y0)) * ph; };
  const QStringList colours = {"#282828", "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd"};
  QString out;
  QTextStream ts(&out);
  ts << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" viewBox=\"0 0 " << width << ' ' << height << "\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int t = 0; t <= 5; ++t) {
    const double xv = x0 + (x1 - x0) * t / 5.0;
    ts << "<text x=\"" << px(xv) << "\" y=\"" << (top + ph + 18) << "\" font-size=\"12\" text-anchor=\"middle\">"
       << QString::number(xv, 'g', 4) << "</text>\n";
  }
  ts << "<text x=\"" << (left + pw / 2) << "\" y=\"" << (height - 10) << "\" font-size=\"14\" text-anchor=\"middle\">"
     << x_label.toHtmlEscaped() << "</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const ExportSeries& s = series[k];
    ts << "<polyline fill=\"none\" stroke-width=\"1\" stroke=\"" << colours[int(k) % colours.size()];
    ts << "\" points=\"";
    for (std::size_t i = 0; i < s.x.size(); ++i)
      ts << QString::number(px(s.x[i]), 'f', 2) << ',' << QString::number(py(s.y[i]), 'f', 2) << ' ';
    ts << "\"><title>" << s.name.toHtmlEscaped() << "</title></polyline>\n";
  }
  ts << "</svg>\n";
  return out;
}

}  // namespace pxrd::ui
