#include "export.hpp"

#include <QDateTime>
#include <QDir>
#include <QTextStream>

#include "pxrd/cif.hpp"
#include "pxrd/error.hpp"

namespace pxrd::ui::exporting {

std::string candidate_cif(const Candidate& c, const QString& input_pattern, double symprec) {
  CifProvenance prov;
  prov.comment_lines = {
      "written by PXRD-Diff Workbench " PXRD_VERSION_STRING " on " +
          QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toStdString(),
      "input pattern: " + (input_pattern.isEmpty() ? std::string("(none)") : input_pattern.toStdString()),
      "generator: " + (c.generator.empty() ? std::string("unknown") : c.generator),
      "candidate rank " + std::to_string(c.rank) + ", R_wp " + QString::number(100 * c.rwp, 'f', 3).toStdString() +
          " %, R_wp2 " + QString::number(c.rwp2, 'f', 4).toStdString() + ", S " +
          QString::number(c.s, 'f', 3).toStdString()};
  try {
    return cif_symmetrized_string(c.crystal, symprec, prov);
  } catch (const Error& e) {
    prov.comment_lines.push_back(std::string("symmetrization failed (") + e.what() + "); written in P1");
    return cif_p1_string(c.crystal, prov);
  }
}

QStringList write_candidate_cifs(const std::vector<Candidate>& candidates, const QString& folder,
                                 const QString& input_pattern) {
  QStringList paths;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    const QString path =
        QDir(folder).filePath(QStringLiteral("candidate_%1.cif").arg(c.rank > 0 ? c.rank : int(i + 1), 2, 10, QChar('0')));
    write_cif(path.toStdString(), candidate_cif(c, input_pattern));
    paths << path;
  }
  return paths;
}

Pattern fit_pattern(const Pattern& processed, const Candidate& c, const Radiation& radiation, double size_angstrom) {
  Pattern calc = backend::simulate_like(c.crystal, radiation, processed, size_angstrom);
  for (double& y : calc.y) y *= c.scale;
  calc.esd = processed.esd;
  calc.metadata["observed"] = processed.source;
  calc.metadata["candidate_rank"] = std::to_string(c.rank);
  calc.metadata["r_wp"] = QString::number(c.rwp, 'g', 6).toStdString();
  calc.metadata["scale"] = QString::number(c.scale, 'g', 8).toStdString();
  calc.metadata["generator"] = c.generator;
  calc.source = processed.source;
  return calc;
}

QString csv_field(const QString& s) {
  if (!s.contains(',') && !s.contains('"') && !s.contains('\n')) return s;
  QString q = s;
  q.replace('"', QStringLiteral("\"\""));
  return '"' + q + '"';
}

QString candidates_csv(const std::vector<Candidate>& candidates) {
  QString out;
  QTextStream ts(&out);
  ts << "rank,r_wp,r_wp2,s,scale,space_group,space_group_number,a,b,c,alpha,beta,gamma,volume,atoms,generator\n";
  for (const Candidate& c : candidates) {
    const LatticeParameters p = c.crystal.lattice.parameters();
    ts << c.rank << ',' << c.rwp << ',' << c.rwp2 << ',' << c.s << ',' << c.scale << ','
       << csv_field(QString::fromStdString(c.space_group)) << ',' << c.space_group_number << ',' << p.a_angstrom << ','
       << p.b_angstrom << ',' << p.c_angstrom << ',' << p.alpha_deg << ',' << p.beta_deg << ',' << p.gamma_deg << ','
       << c.crystal.lattice.volume_angstrom3() << ',' << c.crystal.size() << ','
       << csv_field(QString::fromStdString(c.generator)) << '\n';
  }
  return out;
}

QString batch_csv(const std::vector<BatchRow>& rows) {
  QString out;
  QTextStream ts(&out);
  ts << "input,formula,status,candidates,best_r_wp,best_r_wp2,space_group,seconds,message\n";
  for (const BatchRow& r : rows)
    ts << csv_field(r.input) << ',' << csv_field(r.formula) << ',' << r.status << ',' << r.candidates << ','
       << r.best_rwp << ',' << r.best_rwp2 << ',' << csv_field(r.space_group) << ',' << QString::number(r.seconds, 'f', 2)
       << ',' << csv_field(r.message) << '\n';
  return out;
}

}  // namespace pxrd::ui::exporting
