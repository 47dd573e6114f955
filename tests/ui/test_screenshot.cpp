// The screenshot mode: `pxrd-workbench --open FILE... --screenshot OUT.png` renders, saves and quits; the plot and
// 3D areas of the image must not be blank.
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {
QString data(const char* name) { return QStringLiteral(PXRD_TEST_DATA_DIR "/ui/") + name; }

QRect parse_rect(const QString& out, const QString& key) {
  for (const QString& line : out.split('\n')) {
    const QStringList f = line.split(' ', Qt::SkipEmptyParts);
    if (f.size() == 5 && f[0] == key) return QRect(f[1].toInt(), f[2].toInt(), f[3].toInt(), f[4].toInt());
  }
  return {};
}

// Fraction of sampled pixels that differ from the area's most common colour (the background).
double ink_fraction(const QImage& img, const QRect& r, bool coloured_only) {
  QHash<QRgb, int> counts;
  int total = 0, coloured = 0;
  for (int y = r.top(); y <= r.bottom(); y += 2)
    for (int x = r.left(); x <= r.right(); x += 2) {
      const QRgb c = img.pixel(x, y);
      ++counts[c];
      ++total;
      const int red = qRed(c), g = qGreen(c), b = qBlue(c);
      coloured += std::abs(red - g) > 40 || std::abs(g - b) > 40 || std::abs(red - b) > 40;
    }
  if (coloured_only) return total ? double(coloured) / total : 0;
  int most = 0;
  for (int n : counts) most = std::max(most, n);
  return total ? 1.0 - double(most) / total : 0;
}
}  // namespace

class TestScreenshot : public QObject {
  Q_OBJECT
 private slots:
  void screenshot_shows_plot_and_structure() {
    QTemporaryDir dir;
    const QString out = dir.filePath("shot.png");
    QProcess p;
    p.setProgram(QStringLiteral(PXRD_BIN_DIR "/pxrd-workbench"));
    p.setArguments({"--open", data("nacl_cuka.xy"), data("nacl.cif"), "--candidate", data("nacl.cif"), "--candidate",
                    data("kcl.cif"), "--screenshot", out});
    p.start();
    QVERIFY(p.waitForFinished(120000));
    const QString stdout_text = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
    const QImage img(out);
    QVERIFY(!img.isNull());
    QVERIFY(img.width() >= 800 && img.height() >= 600);
    const QRect plot = parse_rect(stdout_text, "plot");
    const QRect view = parse_rect(stdout_text, "view3d");
    QVERIFY2(plot.isValid() && view.isValid(), qPrintable(stdout_text));
    QVERIFY(img.rect().contains(plot) && img.rect().contains(view));
    // The plot has curves, axes and text; the 3D view has element-coloured atoms on its white background.
    const double plot_ink = ink_fraction(img, plot, false);
    const double atoms = ink_fraction(img, view, true);
    qInfo("plot ink %.3f, coloured 3D pixels %.3f", plot_ink, atoms);
    QVERIFY(plot_ink > 0.03);
    QVERIFY(ink_fraction(img, plot, true) > 0.005);  // red calculated / blue processed curves
    QVERIFY(atoms > 0.05);

    // A bad file still produces a screenshot, and the exit code says something failed.
    QProcess bad;
    bad.start(QStringLiteral(PXRD_BIN_DIR "/pxrd-workbench"), {"--open", data("bad.xy"), "--screenshot", dir.filePath("b.png")});
    QVERIFY(bad.waitForFinished(120000));
    QCOMPARE(bad.exitCode(), 2);
    QVERIFY(QString::fromUtf8(bad.readAllStandardError()).contains("bad.xy"));
    QVERIFY(!QImage(dir.filePath("b.png")).isNull());
  }
};

QTEST_MAIN(TestScreenshot)
#include "test_screenshot.moc"
