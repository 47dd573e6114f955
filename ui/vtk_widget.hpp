#pragma once
// A plain QWidget that shows a vtkGenericOpenGLRenderWindow (Debian's VTK Qt modules are built against Qt 5).
// VTK renders into its own framebuffer in an off-screen OpenGL context; the image is read back and painted with
// QPainter. Not a QOpenGLWidget on purpose: one of those makes Qt compose the WHOLE window through OpenGL on every
// repaint of any widget in it (a progress bar, a table row), 20-80 ms each with Mesa's software renderer, which
// were the largest stalls of the event loop during a solve. Here only a 3D change costs a render.
#include <QImage>
#include <QWidget>
#include <vtkNew.h>

class vtkGenericOpenGLRenderWindow;
class vtkGenericRenderWindowInteractor;
class vtkRenderer;
class vtkObject;
class QOpenGLContext;
class QOffscreenSurface;

namespace pxrd::ui {

class VtkWidget : public QWidget {
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
  // The image as shown (rendered now if the scene changed); null when no OpenGL context could be made.
  QImage grabFramebuffer();

 signals:
  void clicked(int x_device, int y_device_from_bottom);  // a press+release without dragging

 protected:
  void paintEvent(QPaintEvent* e) override;
  void resizeEvent(QResizeEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;

 private:
  void make_current_cb(vtkObject*, unsigned long, void*);
  void is_current_cb(vtkObject*, unsigned long, void*);
  void render_request_cb(vtkObject*, unsigned long, void*);
  bool ensure_gl();
  void render();  // VTK renders, image_ gets the pixels
  void forward_mouse(QMouseEvent* e);

  struct Vtk;
  Vtk* vtk_;
  QOpenGLContext* context_ = nullptr;
  QOffscreenSurface* surface_ = nullptr;
  bool gl_failed_ = false;
  bool dirty_ = true;
  QImage image_;
  int frames_ = 0;
  QPoint press_pos_;
};

}  // namespace pxrd::ui
