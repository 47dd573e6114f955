#include "document.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUndoCommand>

#include "pxrd/atomic_file.hpp"
#include "pxrd/error.hpp"

namespace pxrd::ui {

namespace {

class SettingsCommand : public QUndoCommand {
 public:
  SettingsCommand(Document* doc, int index, ProcessingSettings before, ProcessingSettings after, const QString& text,
                  int merge_id)
      : QUndoCommand(text), doc_(doc), index_(index), before_(std::move(before)), after_(std::move(after)),
        merge_id_(merge_id) {}
  void undo() override { doc_->apply_settings(index_, before_); }
  void redo() override { doc_->apply_settings(index_, after_); }
  int id() const override { return merge_id_; }
  // Slider drags and spin-box steps of one control merge into one undo step.
  bool mergeWith(const QUndoCommand* other) override {
    auto* o = static_cast<const SettingsCommand*>(other);
    if (o->index_ != index_) return false;
    after_ = o->after_;
    return true;
  }

 private:
  Document* doc_;
  int index_;
  ProcessingSettings before_, after_;
  int merge_id_;
};

class PatternsCommand : public QUndoCommand {
 public:
  PatternsCommand(Document* doc, std::vector<PatternEntry> before, int active_before, std::vector<PatternEntry> after,
                  int active_after, const QString& text)
      : QUndoCommand(text), doc_(doc), before_(std::move(before)), after_(std::move(after)),
        active_before_(active_before), active_after_(active_after) {}
  void undo() override { doc_->apply_patterns(before_, active_before_); }
  void redo() override { doc_->apply_patterns(after_, active_after_); }

 private:
  Document* doc_;
  std::vector<PatternEntry> before_, after_;
  int active_before_, active_after_;
};

// Swaps one whole document value (reference, candidate list) between before and after.
template <typename T>
class ValueCommand : public QUndoCommand {
 public:
  using Apply = void (Document::*)(T);
  ValueCommand(Document* doc, Apply apply, T before, T after, const QString& text)
      : QUndoCommand(text), doc_(doc), apply_(apply), before_(std::move(before)), after_(std::move(after)) {}
  void undo() override { (doc_->*apply_)(before_); }
  void redo() override { (doc_->*apply_)(after_); }

 private:
  Document* doc_;
  Apply apply_;
  T before_, after_;
};

QJsonArray doubles_to_json(const std::vector<double>& v) {
  QJsonArray a;
  for (double d : v) a.append(d);
  return a;
}

std::vector<double> doubles_from_json(const QJsonValue& v) {
  std::vector<double> out;
  for (const auto& e : v.toArray()) out.push_back(e.toDouble());
  return out;
}

QJsonObject crystal_to_json(const Crystal& c) {
  QJsonArray m;
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) m.append(c.lattice.matrix()(r, k));
  QJsonArray sites;
  for (const Site& s : c.sites)
    sites.append(QJsonObject{{"element", QString::fromStdString(s.element)},
                             {"z", s.atomic_number},
                             {"frac", QJsonArray{s.frac.x(), s.frac.y(), s.frac.z()}},
                             {"occupancy", s.occupancy},
                             {"b_iso", s.b_iso_angstrom2},
                             {"label", QString::fromStdString(s.label)}});
  return QJsonObject{{"name", QString::fromStdString(c.name)},
                     {"source", QString::fromStdString(c.source)},
                     {"lattice_rows", m},
                     {"sites", sites}};
}

Crystal crystal_from_json(const QJsonObject& o, const std::string& file) {
  Crystal c;
  c.name = o.value("name").toString().toStdString();
  c.source = o.value("source").toString().toStdString();
  const QJsonArray m = o.value("lattice_rows").toArray();
  if (m.size() != 9) throw InputError(file, 0, "crystal '" + c.name + "' has no 3x3 lattice");
  Eigen::Matrix3d rows;
  for (int i = 0; i < 9; ++i) rows(i / 3, i % 3) = m.at(i).toDouble();
  c.lattice = Lattice(rows);
  for (const auto& v : o.value("sites").toArray()) {
    const QJsonObject so = v.toObject();
    Site s;
    s.element = so.value("element").toString().toStdString();
    s.atomic_number = so.value("z").toInt();
    const QJsonArray f = so.value("frac").toArray();
    if (f.size() != 3) throw InputError(file, 0, "site without 3 fractional coordinates");
    s.frac = Eigen::Vector3d(f.at(0).toDouble(), f.at(1).toDouble(), f.at(2).toDouble());
    s.occupancy = so.value("occupancy").toDouble(1.0);
    s.b_iso_angstrom2 = so.value("b_iso").toDouble();
    s.label = so.value("label").toString().toStdString();
    c.sites.push_back(s);
  }
  return c;
}

QJsonObject pattern_to_json(const Pattern& p) {
  QJsonObject o{{"x", doubles_to_json(p.x)},
                {"y", doubles_to_json(p.y)},
                {"esd", doubles_to_json(p.esd)},
                {"x_unit", x_unit_name(p.x_unit)},
                {"source", QString::fromStdString(p.source)},
                {"format", QString::fromStdString(p.format)}};
  if (p.radiation) o.insert("radiation", radiation_to_json(*p.radiation));
  QJsonArray hist;
  for (const auto& h : p.history) hist.append(QString::fromStdString(h));
  o.insert("history", hist);
  QJsonObject meta;
  for (const auto& [k, v] : p.metadata) meta.insert(QString::fromStdString(k), QString::fromStdString(v));
  o.insert("metadata", meta);
  return o;
}

Pattern pattern_from_json(const QJsonObject& o) {
  Pattern p;
  p.x = doubles_from_json(o.value("x"));
  p.y = doubles_from_json(o.value("y"));
  p.esd = doubles_from_json(o.value("esd"));
  p.x_unit = o.value("x_unit").toString() == "q_inv_angstrom" ? XUnit::QInvAngstrom : XUnit::TwoThetaDeg;
  p.source = o.value("source").toString().toStdString();
  p.format = o.value("format").toString().toStdString();
  if (o.contains("radiation")) p.radiation = radiation_from_json(o.value("radiation").toObject());
  for (const auto& h : o.value("history").toArray()) p.history.push_back(h.toString().toStdString());
  const QJsonObject meta = o.value("metadata").toObject();
  for (auto it = meta.begin(); it != meta.end(); ++it)
    p.metadata[it.key().toStdString()] = it.value().toString().toStdString();
  return p;
}

const char* axis_id(AxisMode a) { return a == AxisMode::Q ? "q" : a == AxisMode::D ? "d" : "two_theta"; }
AxisMode axis_from_id(const QString& s) {
  return s == "q" ? AxisMode::Q : s == "d" ? AxisMode::D : AxisMode::TwoTheta;
}

constexpr int kProjectVersion = 1;

}  // namespace

Document::Document(QObject* parent) : QObject(parent) {
  connect(&undo_, &QUndoStack::cleanChanged, this, [this] { emit modified_changed(modified()); });
}

Document::~Document() {
  // The stack emits cleanChanged while it is destroyed; nobody may hear it by then.
  undo_.blockSignals(true);
  blockSignals(true);
}

void Document::mark_saved() {
  dirty_ = false;
  undo_.setClean();
  emit modified_changed(false);
}

void Document::add_pattern(PatternEntry entry, bool make_active) {
  auto after = patterns_;
  after.push_back(std::move(entry));
  const QString name = after.back().path.section('/', -1);
  const int active = make_active || active_ < 0 ? int(patterns_.size()) : active_;
  undo_.push(new PatternsCommand(this, patterns_, active_, std::move(after), active, tr("Open %1").arg(name)));
}

void Document::set_active(int index) {
  if (index == active_ || index < 0 || index >= int(patterns_.size())) return;
  undo_.push(new PatternsCommand(this, patterns_, active_, patterns_, index, tr("Switch pattern")));
}

void Document::set_settings(const ProcessingSettings& s, const QString& text, int merge_id) {
  if (!has_pattern() || s == patterns_[active_].settings) return;
  undo_.push(new SettingsCommand(this, active_, patterns_[active_].settings, s, text, merge_id));
}

void Document::reset_to_loaded() {
  if (!has_pattern()) return;
  set_settings(patterns_[active_].loaded_settings, tr("Reset to loaded"));
}

void Document::set_reference(std::optional<Crystal> crystal, const QString& text) {
  undo_.push(new ValueCommand<std::optional<Crystal>>(this, &Document::apply_reference, reference_, std::move(crystal), text));
}

void Document::set_candidates(std::vector<Candidate> candidates, const QString& text) {
  undo_.push(new ValueCommand<std::vector<Candidate>>(this, &Document::apply_candidates, candidates_, std::move(candidates), text));
}

void Document::commit_live_candidates(std::vector<Candidate> before, std::vector<Candidate> after, const QString& text) {
  undo_.push(new ValueCommand<std::vector<Candidate>>(this, &Document::apply_candidates, std::move(before), std::move(after), text));
}

void Document::append_candidates_live(std::vector<Candidate> cs) {
  if (cs.empty()) return;
  for (Candidate& c : cs) candidates_.push_back(std::move(c));
  emit candidates_appended();
}

void Document::select_candidate(int index) {
  if (index < -1 || index >= int(candidates_.size())) index = -1;
  if (index == selected_) return;
  selected_ = index;
  emit selection_changed(index);
}

void Document::apply_settings(int index, const ProcessingSettings& s) {
  if (index < 0 || index >= int(patterns_.size())) return;
  patterns_[index].settings = s;
  if (index == active_) recompute();
}

void Document::apply_patterns(std::vector<PatternEntry> patterns, int active) {
  patterns_ = std::move(patterns);
  active_ = patterns_.empty() ? -1 : std::clamp(active, 0, int(patterns_.size()) - 1);
  emit patterns_changed();
  recompute();
}

void Document::apply_reference(std::optional<Crystal> crystal) {
  reference_ = std::move(crystal);
  emit reference_changed();
}

void Document::apply_candidates(std::vector<Candidate> candidates) {
  int keep = -1;
  if (selected_ >= 0 && selected_ < int(candidates_.size()) && candidates_[selected_].stream_index >= 0)
    for (std::size_t i = 0; i < candidates.size() && keep < 0; ++i)
      if (candidates[i].stream_index == candidates_[selected_].stream_index) keep = int(i);
  candidates_ = std::move(candidates);
  const int old = selected_;
  selected_ = keep;
  emit candidates_changed();
  if (keep != old) emit selection_changed(keep);
}

void Document::recompute() {
  processing_error_.clear();
  processed_ = {};
  if (has_pattern()) {
    try {
      processed_ = backend::process(patterns_[active_].raw, patterns_[active_].settings);
    } catch (const std::exception& e) {
      // A bad parameter combination shows as a message in the panel; the raw curve stays visible.
      processing_error_ = QString::fromStdString(e.what());
    }
  }
  emit processed_changed();
}

void Document::save_project(const QString& path) {
  QJsonArray pats;
  for (const PatternEntry& e : patterns_)
    pats.append(QJsonObject{{"path", e.path},
                            {"raw", pattern_to_json(e.raw)},
                            {"settings", e.settings.to_json()},
                            {"loaded_settings", e.loaded_settings.to_json()},
                            {"simulated_from_cif", e.simulated_from_cif}});
  QJsonArray cands;
  for (const Candidate& c : candidates_)
    cands.append(QJsonObject{{"crystal", crystal_to_json(c.crystal)},
                             {"rank", c.rank},
                             {"rwp", c.rwp},
                             {"rwp2", c.rwp2},
                             {"s", c.s},
                             {"scale", c.scale},
                             {"space_group", QString::fromStdString(c.space_group)},
                             {"space_group_number", c.space_group_number},
                             {"generator", QString::fromStdString(c.generator)}});
  QJsonObject root{{"format", "pxrd-workbench-project"},
                   {"version", kProjectVersion},
                   {"patterns", pats},
                   {"active", active_},
                   {"candidates", cands},
                   {"selected_candidate", selected_},
                   {"view", QJsonObject{{"axis", axis_id(view_.axis)},
                                        {"x_min", view_.x_min},
                                        {"x_max", view_.x_max},
                                        {"show_background", view_.show_background},
                                        {"show_processed", view_.show_processed}}}};
  if (reference_) root.insert("reference", crystal_to_json(*reference_));
  write_file_atomically(path.toStdString(), QJsonDocument(root).toJson().toStdString());
  project_path_ = path;
  mark_saved();
}

void Document::load_project(const QString& path) {
  const std::string file = path.toStdString();
  const std::string text = read_file(file);
  QJsonParseError err{};
  const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(text), &err);
  if (json.isNull()) throw InputError(file, 0, "not a JSON file: " + err.errorString().toStdString());
  const QJsonObject root = json.object();
  if (root.value("format").toString() != "pxrd-workbench-project")
    throw InputError(file, 0, "not a PXRD-Diff Workbench project (missing \"format\")");
  if (root.value("version").toInt() > kProjectVersion)
    throw InputError(file, 0, "project version " + std::to_string(root.value("version").toInt()) +
                                  " is newer than this program supports");
  std::vector<PatternEntry> pats;
  for (const auto& v : root.value("patterns").toArray()) {
    const QJsonObject o = v.toObject();
    PatternEntry e;
    e.path = o.value("path").toString();
    e.raw = pattern_from_json(o.value("raw").toObject());
    e.raw.validate();
    e.settings = ProcessingSettings::from_json(o.value("settings").toObject());
    e.loaded_settings = ProcessingSettings::from_json(o.value("loaded_settings").toObject());
    e.simulated_from_cif = o.value("simulated_from_cif").toBool();
    pats.push_back(std::move(e));
  }
  std::vector<Candidate> cands;
  for (const auto& v : root.value("candidates").toArray()) {
    const QJsonObject o = v.toObject();
    Candidate c;
    c.crystal = crystal_from_json(o.value("crystal").toObject(), file);
    c.rank = o.value("rank").toInt();
    c.rwp = o.value("rwp").toDouble();
    c.rwp2 = o.value("rwp2").toDouble();
    c.s = o.value("s").toDouble();
    c.scale = o.value("scale").toDouble(1.0);
    c.space_group = o.value("space_group").toString().toStdString();
    c.space_group_number = o.value("space_group_number").toInt();
    c.generator = o.value("generator").toString().toStdString();
    cands.push_back(std::move(c));
  }
  std::optional<Crystal> ref;
  if (root.contains("reference")) ref = crystal_from_json(root.value("reference").toObject(), file);
  const QJsonObject view = root.value("view").toObject();

  // Everything parsed: replace the document in one go, starting a fresh history.
  undo_.clear();
  view_.axis = axis_from_id(view.value("axis").toString());
  view_.x_min = view.value("x_min").toDouble();
  view_.x_max = view.value("x_max").toDouble();
  view_.show_background = view.value("show_background").toBool(true);
  view_.show_processed = view.value("show_processed").toBool(true);
  apply_reference(std::move(ref));
  apply_candidates(std::move(cands));
  apply_patterns(std::move(pats), root.value("active").toInt());
  select_candidate(root.value("selected_candidate").toInt(-1));
  project_path_ = path;
  mark_saved();
}

}  // namespace pxrd::ui
