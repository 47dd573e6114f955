#pragma once
// Runs the built pxrd-diff as a user would and collects its exit code and output (shared by the CLI tests).
#include <QProcess>
#include <QString>
#include <QStringList>

namespace pxrd_cli_test {

struct Run {
  int code = -1;  // -1 when it crashed or hung
  QString out, err;
};

inline Run run_pxrd_diff(const QStringList& args, int timeout_ms = 120000) {
  QProcess p;
  p.start(PXRD_BIN_DIR "/pxrd-diff", args);
  Run r;
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace pxrd_cli_test
