#pragma once
// The 3D structure view: ball-and-stick with element colours and radii, bonds, the unit cell, 2×2×2 supercells,
// views along a, b and c, atom picking and image export. Falls back to a text placeholder on platforms that cannot
// host OpenGL (QT_QPA_PLATFORM=offscreen).
#include <QImage>
#include <QWidget>
#include <optional>

#include "pxrd/crystal.hpp"
#include "structure_scene.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;

namespace pxrd::ui {

class VtkWidget;

class StructureView : public QWidget {
  Q_OBJECT
 public:
  explicit StructureView(QWidget* parent = nullptr);
  ~StructureView() override;

  void set_crystal(const std::optional<Crystal>& crystal, const QString& title = {});
  bool has_crystal() const { return crystal_.has_value(); }
  const Scene& scene() const { return scene_; }
  bool has_gl() const { return vtk_ != nullptr; }
  VtkWidget* vtk_widget() const { return vtk_; }

  void view_along(int axis);   // 0 = a, 1 = b, 2 = c
  void set_supercell(int n);   // n×n×n
  // Picks the atom under a device-pixel position (origin bottom-left); returns its index or -1.
  int pick(int x_device, int y_device);
  QString picked_text() const;
  QImage render_image();       // what the view shows now (null image without GL)
  bool export_image(const QString& path, QString* error = nullptr);

 signals:
  void atom_picked(int index, const QString& text);
  void export_image_requested();

 private:
  void rebuild();
  void warm_up();

  std::optional<Crystal> crystal_;
  Scene scene_;
  SceneOptions options_;
  bool show_cell_ = true;
  int picked_ = -1;
  QString shown_key_ = QStringLiteral("-");  // identity of what is drawn
  VtkWidget* vtk_ = nullptr;
  QLabel* placeholder_ = nullptr;
  QLabel* title_;
  QLabel* info_;
  QComboBox* supercell_;
  QCheckBox* bonds_;
  QCheckBox* cell_;
  QPushButton* export_;
  struct Actors;
  Actors* actors_;
};

}  // namespace pxrd::ui
