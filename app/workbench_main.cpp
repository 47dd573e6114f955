// pxrd-workbench: the Qt 6 desktop front end.
//   pxrd-workbench [FILE...]                      open patterns, CIFs or a project
//   pxrd-workbench --open FILE... --screenshot OUT.png [--candidate CIF]... [--axis 2theta|q|d]
//       renders the window, saves it, prints where the plot and 3D areas are, and quits.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <clocale>
#include <cstdio>

#include "candidate_table.hpp"
#include "main_window.hpp"
#include "pattern_plot.hpp"
#include "structure_view.hpp"
#include "vtk_widget.hpp"

int main(int argc, char** argv) {
  pxrd::ui::VtkWidget::set_default_surface_format();  // before QApplication exists

  QApplication app(argc, argv);
  std::setlocale(LC_NUMERIC, "C");  // numbers in files never depend on the user's locale
  QApplication::setOrganizationName(QStringLiteral("PXRD-Diff"));
  QApplication::setApplicationName(QStringLiteral("pxrd-workbench"));
  QApplication::setApplicationVersion(QStringLiteral(PXRD_VERSION_STRING));
  QApplication::setDesktopFileName(QStringLiteral("io.github.pxrd_diff.Workbench"));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Solve crystal structures from powder X-ray diffraction patterns."));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption open_opt(QStringLiteral("open"), QStringLiteral("Open FILE (patterns, CIFs, a project)."),
                              QStringLiteral("FILE"));
  QCommandLineOption shot_opt(QStringLiteral("screenshot"), QStringLiteral("Render, save the window to OUT.png, quit."),
                              QStringLiteral("OUT.png"));
  QCommandLineOption cand_opt(QStringLiteral("candidate"), QStringLiteral("Add a CIF as a scored candidate."),
                              QStringLiteral("CIF"));
  QCommandLineOption axis_opt(QStringLiteral("axis"), QStringLiteral("x axis: 2theta, q or d."), QStringLiteral("AXIS"));
  parser.addOptions({open_opt, shot_opt, cand_opt, axis_opt});
  parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Files to open."), QStringLiteral("[FILE...]"));
  parser.process(app);

  const QString screenshot = parser.value(shot_opt);
  pxrd::ui::MainWindow window;
  if (!screenshot.isEmpty()) {
    window.set_quiet(true);
    window.resize(1500, 950);
  }
  window.show();
  const QStringList files = parser.values(open_opt) + parser.positionalArguments();
  if (!files.isEmpty()) window.open_files(files);
  if (parser.isSet(cand_opt)) window.import_candidates(parser.values(cand_opt));
  const QString axis = parser.value(axis_opt).toLower();
  if (axis == QLatin1String("q")) window.set_axis_mode(pxrd::ui::AxisMode::Q);
  if (axis == QLatin1String("d")) window.set_axis_mode(pxrd::ui::AxisMode::D);
  if (screenshot.isEmpty()) return app.exec();

  int rc = 0;
  QTimer::singleShot(1200, &window, [&] {
    const QImage image = window.grab().toImage();
    if (!image.save(screenshot)) {
      std::fprintf(stderr, "pxrd-workbench: error: could not write %s\n", qPrintable(screenshot));
      rc = 1;
    }
    auto rect_of = [&](QWidget* w) {
      const QPoint tl = w->mapTo(&window, QPoint(0, 0));
      return QRect(tl, w->size());
    };
    const QRect p = rect_of(window.plot());
    const QRect v = rect_of(window.structure_view());
    std::printf("screenshot %s %dx%d\nplot %d %d %d %d\nview3d %d %d %d %d\n", qPrintable(screenshot), image.width(),
                image.height(), p.x(), p.y(), p.width(), p.height(), v.x(), v.y(), v.width(), v.height());
    for (const QString& e : window.errors()) std::fprintf(stderr, "pxrd-workbench: error: %s\n", qPrintable(e));
    if (rc == 0 && !window.errors().isEmpty()) rc = 2;
    std::fflush(stdout);
    app.quit();
  });
  app.exec();
  return rc;
}
