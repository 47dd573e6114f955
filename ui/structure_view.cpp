#include "structure_view.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>
#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkFloatArray.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGlyph3DMapper.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>
#include <vtkSphereSource.h>
#include <vtkTubeFilter.h>
#include <vtkUnsignedCharArray.h>

#include "vtk_widget.hpp"

namespace pxrd::ui {

namespace {
// Drawn ball radius from the covalent radius: large enough to read the element, small enough to see bonds.
double ball_radius(double covalent) { return 0.35 * covalent + 0.12; }

bool platform_has_gl() {
  const QString p = QGuiApplication::platformName();
  return p != QLatin1String("offscreen") && p != QLatin1String("minimal");
}
}  // namespace

struct StructureView::Actors {
  vtkNew<vtkActor> atoms, bonds, cell, highlight;
};

StructureView::StructureView(QWidget* parent) : QWidget(parent), actors_(new Actors) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  title_ = new QLabel(tr("No structure"));
  supercell_ = new QComboBox;
  supercell_->addItems({QStringLiteral("1×1×1"), QStringLiteral("2×2×2")});
  supercell_->setToolTip(tr("Supercell (atoms wrapped and de-duplicated before replication)"));
  bonds_ = new QCheckBox(tr("Bonds"));
  bonds_->setChecked(true);
  cell_ = new QCheckBox(tr("Cell"));
  cell_->setChecked(true);
  bar->addWidget(title_, 1);
  bar->addWidget(supercell_);
  bar->addWidget(bonds_);
  bar->addWidget(cell_);
  for (int axis = 0; axis < 3; ++axis) {
    auto* b = new QPushButton(QString(QChar('a' + axis)));
    b->setToolTip(tr("View along %1").arg(QChar('a' + axis)));
    b->setMaximumWidth(32);
    connect(b, &QPushButton::clicked, this, [this, axis] { view_along(axis); });
    bar->addWidget(b);
  }
  export_ = new QPushButton(tr("Image…"));
  export_->setObjectName("export3dImage");
  bar->addWidget(export_);
  layout->addLayout(bar);

  if (platform_has_gl()) {
    vtk_ = new VtkWidget(this);
    layout->addWidget(vtk_, 1);
    vtkRenderer* r = vtk_->renderer();
    for (vtkActor* a : {actors_->atoms.GetPointer(), actors_->bonds.GetPointer(), actors_->cell.GetPointer(),
                        actors_->highlight.GetPointer()})
      r->AddActor(a);
    connect(vtk_, &VtkWidget::clicked, this, [this](int x, int y) { pick(x, y); });
  } else {
    placeholder_ = new QLabel(tr("3D view unavailable on this display platform"));
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setMinimumSize(200, 200);
    layout->addWidget(placeholder_, 1);
  }
  info_ = new QLabel(tr("Click an atom to see its label and coordinates"));
  info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  // One line always, also when empty: a height change would resize the 3D view and cost a second render.
  info_->setMinimumHeight(info_->sizeHint().height());
  layout->addWidget(info_);

  connect(supercell_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) { set_supercell(i + 1); });
  connect(bonds_, &QCheckBox::toggled, this, [this](bool on) {
    options_.bonds = on;
    rebuild();
  });
  connect(cell_, &QCheckBox::toggled, this, [this](bool on) {
    show_cell_ = on;
    rebuild();
  });
  connect(export_, &QPushButton::clicked, this, &StructureView::export_image_requested);
  set_crystal(std::nullopt);
  if (vtk_) QTimer::singleShot(0, this, &StructureView::warm_up);
}

void StructureView::warm_up() {
  // The first render of atoms, bonds and a cell compiles VTK's shaders: ~60 ms with Mesa's software renderer.
  // Done once off-screen when the window starts, so that the first candidate of a solve does not pay it.
  if (!vtk_ || crystal_) return;
  Crystal c;
  c.lattice = Lattice::from_parameters(4, 4, 4, 90, 90, 90);
  Site na, cl;
  na.element = "Na";
  na.atomic_number = 11;
  cl.element = "Cl";
  cl.atomic_number = 17;
  cl.frac = Eigen::Vector3d(0.5, 0.5, 0.5);
  c.sites = {na, cl};
  crystal_ = c;
  rebuild();
  vtk_->grabFramebuffer();
  crystal_.reset();
  rebuild();
}

StructureView::~StructureView() { delete actors_; }

void StructureView::set_crystal(const std::optional<Crystal>& crystal, const QString& title) {
  // Re-selecting what is shown costs a scene rebuild and a render: skip it.
  QString key;
  if (crystal) {
    key = title + QString::fromStdString(crystal->name + "|" + crystal->source + "|" + std::to_string(crystal->size()));
    const auto& m = crystal->lattice.matrix();
    for (int i = 0; i < 9; ++i) key += QLatin1Char(',') + QString::number(m(i / 3, i % 3), 'g', 12);
    for (const Site& s : crystal->sites)
      key += QStringLiteral(";%1,%2,%3").arg(s.frac.x(), 0, 'g', 12).arg(s.frac.y(), 0, 'g', 12).arg(s.frac.z(), 0, 'g', 12);
  }
  if (key == shown_key_ && crystal.has_value() == crystal_.has_value()) return;
  shown_key_ = key;
  crystal_ = crystal;
  title_->setText(crystal ? (title.isEmpty() ? QString::fromStdString(crystal->name) : title) : tr("No structure"));
  picked_ = -1;
  info_->setText(crystal ? tr("Click an atom to see its label and coordinates") : QString());
  export_->setEnabled(crystal.has_value() && vtk_);
  rebuild();
  if (crystal_) view_along(2);
}

void StructureView::set_supercell(int n) {
  options_.na = options_.nb = options_.nc = std::clamp(n, 1, 4);
  if (supercell_->currentIndex() != options_.na - 1 && options_.na <= supercell_->count())
    supercell_->setCurrentIndex(options_.na - 1);
  picked_ = -1;
  rebuild();
}

void StructureView::rebuild() {
  scene_ = crystal_ ? build_scene(*crystal_, options_) : Scene{};
  if (placeholder_) {
    placeholder_->setText(crystal_ ? tr("%1: %2 atoms drawn (3D view needs an OpenGL display)")
                                         .arg(title_->text())
                                         .arg(scene_.atoms.size())
                                   : tr("3D view unavailable on this display platform"));
    return;
  }
  if (!vtk_) return;

  // Atoms: one glyph mapper, spheres scaled by radius and coloured by element.
  vtkNew<vtkPoints> pts;
  vtkNew<vtkFloatArray> radius;
  radius->SetName("radius");
  vtkNew<vtkUnsignedCharArray> colour;
  colour->SetName("colour");
  colour->SetNumberOfComponents(3);
  for (const SceneAtom& a : scene_.atoms) {
    pts->InsertNextPoint(a.cart.data());
    radius->InsertNextValue(float(2.0 * ball_radius(a.radius_angstrom)));  // sphere source has radius 0.5
    colour->InsertNextTuple3((a.colour_rgb >> 16) & 0xff, (a.colour_rgb >> 8) & 0xff, a.colour_rgb & 0xff);
  }
  vtkNew<vtkPolyData> atom_data;
  atom_data->SetPoints(pts);
  atom_data->GetPointData()->AddArray(radius);
  atom_data->GetPointData()->AddArray(colour);
  vtkNew<vtkSphereSource> sphere;
  sphere->SetThetaResolution(20);
  sphere->SetPhiResolution(16);
  vtkNew<vtkGlyph3DMapper> glyphs;
  glyphs->SetInputData(atom_data);
  glyphs->SetSourceConnection(sphere->GetOutputPort());
  glyphs->SetScaleArray("radius");
  glyphs->SetScaleModeToScaleByMagnitude();
  glyphs->SetScalarModeToUsePointFieldData();
  glyphs->SelectColorArray("colour");
  glyphs->SetColorModeToDirectScalars();
  actors_->atoms->SetMapper(glyphs);
  actors_->atoms->GetProperty()->SetSpecular(0.3);
  actors_->atoms->GetProperty()->SetSpecularPower(30);

  // Bonds: each split at its midpoint so each half takes its atom's colour.
  vtkNew<vtkPoints> bpts;
  vtkNew<vtkCellArray> lines;
  vtkNew<vtkUnsignedCharArray> bcol;
  bcol->SetName("colour");
  bcol->SetNumberOfComponents(3);
  for (const SceneBond& b : scene_.bonds) {
    const SceneAtom& p = scene_.atoms[b.a];
    const SceneAtom& q = scene_.atoms[b.b];
    const Eigen::Vector3d mid = 0.5 * (p.cart + q.cart);
    for (const SceneAtom* end : {&p, &q}) {
      const vtkIdType i0 = bpts->InsertNextPoint(end->cart.data());
      const vtkIdType i1 = bpts->InsertNextPoint(mid.data());
      const vtkIdType ids[2] = {i0, i1};
      lines->InsertNextCell(2, ids);
      const unsigned c = end->colour_rgb;
      bcol->InsertNextTuple3((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
    }
  }
  vtkNew<vtkPolyData> bond_data;
  bond_data->SetPoints(bpts);
  bond_data->SetLines(lines);
  bond_data->GetCellData()->SetScalars(bcol);
  vtkNew<vtkTubeFilter> tubes;
  tubes->SetInputData(bond_data);
  tubes->SetRadius(0.12);
  tubes->SetNumberOfSides(12);
  vtkNew<vtkPolyDataMapper> bond_mapper;
  bond_mapper->SetInputConnection(tubes->GetOutputPort());
  bond_mapper->SetScalarModeToUseCellData();
  bond_mapper->SetColorModeToDirectScalars();
  actors_->bonds->SetMapper(bond_mapper);
  actors_->bonds->SetVisibility(options_.bonds && !scene_.bonds.empty());

  // Cell (the whole supercell box): 12 edges.
  vtkNew<vtkPoints> cpts;
  for (const auto& c : scene_.corners) cpts->InsertNextPoint(c.data());
  vtkNew<vtkCellArray> edges;
  for (int i = 0; i < 8; ++i)
    for (int bit : {1, 2, 4})
      if (!(i & bit)) {
        const vtkIdType ids[2] = {i, i | bit};
        edges->InsertNextCell(2, ids);
      }
  vtkNew<vtkPolyData> cell_data;
  cell_data->SetPoints(cpts);
  cell_data->SetLines(edges);
  vtkNew<vtkPolyDataMapper> cell_mapper;
  cell_mapper->SetInputData(cell_data);
  actors_->cell->SetMapper(cell_mapper);
  actors_->cell->GetProperty()->SetColor(0.1, 0.1, 0.1);
  actors_->cell->GetProperty()->SetLineWidth(1.5);
  actors_->cell->SetVisibility(show_cell_ && crystal_.has_value());
  actors_->atoms->SetVisibility(!scene_.atoms.empty());
  actors_->highlight->SetVisibility(false);
  vtk_->update();
}

void StructureView::view_along(int axis) {
  if (!vtk_ || !crystal_) return;
  vtkRenderer* r = vtk_->renderer();
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  for (const auto& c : scene_.corners) centre += c / 8.0;
  const Eigen::Matrix3d& m = scene_.lattice_rows;
  const Eigen::Vector3d dir = m.row(axis).transpose().normalized();
  // Up: c when looking along a or b, b when looking along c.
  Eigen::Vector3d up = m.row(axis == 2 ? 1 : 2).transpose().normalized();
  vtkCamera* cam = r->GetActiveCamera();
  cam->SetFocalPoint(centre.data());
  const Eigen::Vector3d pos = centre + dir * 50.0;
  cam->SetPosition(pos.data());
  cam->SetViewUp(up.data());
  r->ResetCamera();
  cam->OrthogonalizeViewUp();
  vtk_->update();
}

int StructureView::pick(int x, int y) {
  if (!vtk_ || scene_.atoms.empty()) return -1;
  // Ray through the pixel; the nearest atom whose drawn sphere the ray crosses.
  vtkRenderer* r = vtk_->renderer();
  double near_w[4], far_w[4];
  r->SetDisplayPoint(x, y, 0.0);
  r->DisplayToWorld();
  r->GetWorldPoint(near_w);
  r->SetDisplayPoint(x, y, 1.0);
  r->DisplayToWorld();
  r->GetWorldPoint(far_w);
  if (near_w[3] == 0 || far_w[3] == 0) return -1;
  const Eigen::Vector3d p0(near_w[0] / near_w[3], near_w[1] / near_w[3], near_w[2] / near_w[3]);
  const Eigen::Vector3d p1(far_w[0] / far_w[3], far_w[1] / far_w[3], far_w[2] / far_w[3]);
  const Eigen::Vector3d d = (p1 - p0).normalized();
  int best = -1;
  double best_t = 1e300;
  for (std::size_t i = 0; i < scene_.atoms.size(); ++i) {
    const Eigen::Vector3d oc = scene_.atoms[i].cart - p0;
    const double t = oc.dot(d);
    const double dist2 = oc.squaredNorm() - t * t;
    const double rad = ball_radius(scene_.atoms[i].radius_angstrom);
    if (dist2 <= rad * rad && t < best_t) {
      best_t = t;
      best = int(i);
    }
  }
  picked_ = best;
  if (best >= 0) {
    const SceneAtom& a = scene_.atoms[best];
    vtkNew<vtkSphereSource> s;
    s->SetCenter(a.cart.data());
    s->SetRadius(ball_radius(a.radius_angstrom) * 1.25);
    s->SetThetaResolution(20);
    s->SetPhiResolution(16);
    vtkNew<vtkPolyDataMapper> m;
    m->SetInputConnection(s->GetOutputPort());
    actors_->highlight->SetMapper(m);
    actors_->highlight->GetProperty()->SetRepresentationToWireframe();
    actors_->highlight->GetProperty()->SetColor(1.0, 0.8, 0.0);
    actors_->highlight->SetVisibility(true);
  } else {
    actors_->highlight->SetVisibility(false);
  }
  info_->setText(picked_text());
  emit atom_picked(best, picked_text());
  vtk_->update();
  return best;
}

QString StructureView::picked_text() const {
  if (picked_ < 0 || picked_ >= int(scene_.atoms.size())) return {};
  const SceneAtom& a = scene_.atoms[picked_];
  return tr("%1 (%2)  frac %3 %4 %5  cart %6 %7 %8 Å")
      .arg(QString::fromStdString(a.label), QString::fromStdString(a.element))
      .arg(a.frac.x(), 0, 'f', 4)
      .arg(a.frac.y(), 0, 'f', 4)
      .arg(a.frac.z(), 0, 'f', 4)
      .arg(a.cart.x(), 0, 'f', 3)
      .arg(a.cart.y(), 0, 'f', 3)
      .arg(a.cart.z(), 0, 'f', 3);
}

QImage StructureView::render_image() { return vtk_ ? vtk_->grabFramebuffer() : QImage(); }

bool StructureView::export_image(const QString& path, QString* error) {
  const QImage img = render_image();
  if (img.isNull()) {
    if (error) *error = tr("the 3D view has no image (no OpenGL display)");
    return false;
  }
  if (!img.save(path)) {
    if (error) *error = tr("could not write %1").arg(path);
    return false;
  }
  return true;
}

}  // namespace pxrd::ui
