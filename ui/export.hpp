#pragma once
// Exports of the workbench: candidate CIFs (symmetrized, with provenance), the fit as .xye, summaries as CSV.
#include <QString>
#include <QStringList>
#include <vector>

#include "document.hpp"

namespace pxrd::ui::exporting {

// Symmetrized CIF (spglib at symprec) with provenance comments; falls back to P1 when symmetrization fails,
// and says so in the provenance.
std::string candidate_cif(const Candidate& candidate, const QString& input_pattern, double symprec = 0.01);
// Writes candidate_<rank>.cif files into `folder` atomically; returns the paths. Throws pxrd::Error.
QStringList write_candidate_cifs(const std::vector<Candidate>& candidates, const QString& folder,
                                 const QString& input_pattern);
// The scaled calculated profile on the observed grid, with the observed esd and a header naming R_wp and scale.
Pattern fit_pattern(const Pattern& processed, const Candidate& candidate, const Radiation& radiation,
                    double size_angstrom);
QString candidates_csv(const std::vector<Candidate>& candidates);

struct BatchRow {
  QString input;
  QString formula;
  QString status;      // "ok", "failed", "cancelled", "skipped"
  QString message;
  int candidates = 0;
  double best_rwp = 0, best_rwp2 = 0;
  QString space_group;
  double seconds = 0;
};
QString batch_csv(const std::vector<BatchRow>& rows);

// Quotes a CSV field when needed (RFC 4180).
QString csv_field(const QString& s);

}  // namespace pxrd::ui::exporting
