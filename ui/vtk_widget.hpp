#pragma once
// A QOpenGLWidget that hosts a vtkGenericOpenGLRenderWindow (the design of VTK's own Qt widget, written for Qt 6
// because Debian's VTK Qt modules are built against Qt 5). VTK renders into its own framebuffer inside paintGL,
// which is then blitted into the widget's framebuffer.
#include <QOpenGLWidget>
#include <vtkNew.h>

class vtkGenericOpenGLRenderWindow;
class vtkGenericRenderWindowInteractor;
class vtkRenderer;
class vtkObject;
class QOpenGLContext;

namespace pxrd::ui {

class VtkWidget : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit VtkWidget(QWidget* parent = nullptr);
  // OpenGL 3.2 core, depth 24, stencil 8: what VTK needs. Call before QApplication exists.
  static void set_default_surface_format();
  ~VtkWidget() override;

  vtkRenderer* renderer() const;
  vtkGenericOpenGLRenderWindow* render_window() const;
  vtkGenericRenderWindowInteractor* interactor() const;
  // Number of frames VTK rendered (for tests: > 0 means VTK really drew).
  int frames_rendered() const { return frames_; }

 signals:
  void clicked(int x_device, int y_device_from_bottom);  // a press+release without dragging

 protected:
  void initializeGL() override;
  void paintGL() override;
  void resizeGL(int w, int h) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;

 private:
  void make_current_cb(vtkObject*, unsigned long, void*);
  void is_current_cb(vtkObject*, unsigned long, void*);
  void render_request_cb(vtkObject*, unsigned long, void*);
  void release_gl();
  void forward_mouse(QMouseEvent* e);

  struct Vtk;
  Vtk* vtk_;
  bool initialized_ = false;
  int frames_ = 0;
  QPoint press_pos_;
  QOpenGLContext* watched_context_ = nullptr;
};

}  // namespace pxrd::ui
