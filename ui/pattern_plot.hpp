#pragma once
// The pattern plot: observed, processed, background and the selected candidate's scaled profile in one panel,
// hkl tick rows under it, and the difference curve in its own panel, all sharing one x axis (2θ, Q or d).
#include <QPointF>
#include <QWidget>
#include <vector>

#include "document.hpp"
#include "pxrd/simulator.hpp"

class QCustomPlot;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPLegend;

namespace pxrd::ui {

struct PlotCurves {
  std::vector<double> x_two_theta_deg;   // shared by every curve below
  std::vector<double> observed;          // raw intensities (zero shift applied to x)
  std::vector<double> processed;         // empty when no processing step changed y
  std::vector<double> background;        // empty when none
  std::vector<double> calculated;        // selected candidate, scaled; empty when none
  std::vector<double> difference;        // processed (or observed) − calculated; empty when no candidate
  std::vector<Reflection> candidate_ticks;
  std::vector<Reflection> reference_ticks;
  std::vector<QPointF> manual_points;     // (2θ, intensity) of manual background points
  double lambda_angstrom = 0;            // 0: only the 2θ axis is available
  QString calc_label;                    // "candidate 3 (Fm-3m)"
};

// One curve as written to CSV / SVG, in the current axis unit.
struct ExportSeries {
  QString name;
  std::vector<double> x, y;
};

class PatternPlot : public QWidget {
  Q_OBJECT
 public:
  explicit PatternPlot(QWidget* parent = nullptr);

  void set_curves(PlotCurves curves);
  void set_axis_mode(AxisMode mode);
  AxisMode axis_mode() const { return axis_; }
  bool axis_mode_available(AxisMode mode) const;
  void set_metrics_text(const QString& text);  // "R_wp 12.3 %  R_wp² 0.08  S 1.9"
  void set_background_picking(bool on);
  void reset_zoom();
  void set_show(bool processed, bool background);

  // Throw nothing; return false with `error` set when the file cannot be written.
  bool export_png(const QString& path, QString* error = nullptr);
  bool export_pdf(const QString& path, QString* error = nullptr);
  bool export_svg(const QString& path, QString* error = nullptr);
  bool export_csv(const QString& path, QString* error = nullptr);

  std::vector<ExportSeries> series() const;  // what is plotted, in the current unit
  QCustomPlot* custom_plot() const { return plot_; }
  QString readout() const { return readout_; }

 signals:
  void background_point_added(double two_theta_deg, double intensity);
  void background_point_removed(double two_theta_deg);
  void readout_changed(const QString& text);

 private:
  void rebuild();
  void rescale_values();  // y ranges of the main and difference panels from the data
  double to_axis(double two_theta_deg) const;    // NaN when not representable
  double from_axis(double x) const;
  void mouse_move(QMouseEvent* e);
  void mouse_press(QMouseEvent* e);

  QCustomPlot* plot_;
  QCPAxisRect* main_rect_;
  QCPAxisRect* tick_rect_;
  QCPAxisRect* diff_rect_;
  QCPGraph* observed_;
  QCPGraph* processed_;
  QCPGraph* background_;
  QCPGraph* calculated_;
  QCPGraph* difference_;
  QCPGraph* cand_ticks_;
  QCPGraph* ref_ticks_;
  QCPGraph* manual_;
  QCPItemStraightLine* cross_v_;
  QCPItemStraightLine* cross_h_;
  QCPItemText* metrics_;
  QCPLegend* legend_;
  PlotCurves curves_;
  AxisMode axis_ = AxisMode::TwoTheta;
  bool picking_ = false;
  bool show_processed_ = true, show_background_ = true;
  QString readout_;
};

// Writers used by the plot's export; free functions so they are testable without a window.
QString series_to_csv(const std::vector<ExportSeries>& series, const QString& x_label);
QString series_to_svg(const std::vector<ExportSeries>& series, const QString& x_label, int width, int height);

}  // namespace pxrd::ui
