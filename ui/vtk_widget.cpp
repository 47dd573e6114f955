#include "vtk_widget.hpp"

#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QPainter>
#include <QSurfaceFormat>
#include <QWheelEvent>
#include <algorithm>
#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>
#include <vtkUnsignedCharArray.h>

namespace pxrd::ui {

struct VtkWidget::Vtk {
  vtkNew<vtkGenericOpenGLRenderWindow> window;
  vtkNew<vtkGenericRenderWindowInteractor> interactor;
  vtkNew<vtkRenderer> renderer;
  vtkNew<vtkInteractorStyleTrackballCamera> style;
};

void VtkWidget::set_default_surface_format() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  QSurfaceFormat::setDefaultFormat(format);
}

VtkWidget::VtkWidget(QWidget* parent) : QWidget(parent), vtk_(new Vtk) {
  vtk_->window->SetReadyForRendering(false);
  vtk_->window->SetFrameBlitModeToNoBlit();
  vtk_->window->SetMultiSamples(0);
  vtk_->window->AddRenderer(vtk_->renderer);
  vtk_->interactor->SetRenderWindow(vtk_->window);
  vtk_->interactor->SetInteractorStyle(vtk_->style);
  vtk_->interactor->EnableRenderOff();  // Qt decides when to paint
  vtk_->window->AddObserver(vtkCommand::WindowMakeCurrentEvent, this, &VtkWidget::make_current_cb);
  vtk_->window->AddObserver(vtkCommand::WindowIsCurrentEvent, this, &VtkWidget::is_current_cb);
  vtk_->interactor->AddObserver(vtkCommand::RenderEvent, this, &VtkWidget::render_request_cb);
  vtk_->renderer->SetBackground(1.0, 1.0, 1.0);
  setAttribute(Qt::WA_OpaquePaintEvent);  // the image covers every pixel
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(200, 200);
}

VtkWidget::~VtkWidget() {
  if (context_ && context_->makeCurrent(surface_)) {
    vtk_->window->ReleaseGraphicsResources(vtk_->window);
    context_->doneCurrent();
  }
  delete vtk_;
}

vtkRenderer* VtkWidget::renderer() const { return vtk_->renderer; }
vtkGenericOpenGLRenderWindow* VtkWidget::render_window() const { return vtk_->window; }
vtkGenericRenderWindowInteractor* VtkWidget::interactor() const { return vtk_->interactor; }

void VtkWidget::make_current_cb(vtkObject*, unsigned long, void*) {
  if (context_) context_->makeCurrent(surface_);
}

void VtkWidget::is_current_cb(vtkObject*, unsigned long, void* call_data) {
  bool& current = *static_cast<bool*>(call_data);
  current = context_ && QOpenGLContext::currentContext() == context_;
}

void VtkWidget::render_request_cb(vtkObject*, unsigned long, void*) { update(); }

bool VtkWidget::ensure_gl() {
  if (context_) return context_->makeCurrent(surface_);
  if (gl_failed_) return false;
  surface_ = new QOffscreenSurface(nullptr, this);
  surface_->setFormat(QSurfaceFormat::defaultFormat());
  surface_->create();
  context_ = new QOpenGLContext(this);
  context_->setFormat(QSurfaceFormat::defaultFormat());
  if (!surface_->isValid() || !context_->create() || !context_->makeCurrent(surface_)) {
    gl_failed_ = true;
    delete context_;
    context_ = nullptr;
    return false;
  }
  vtk_->window->SetOwnContext(false);
  vtk_->window->SetReadyForRendering(true);
  vtk_->window->InitializeFromCurrentContext();
  if (vtkOpenGLState* state = vtk_->window->GetState()) {
    state->Reset();
    state->vtkglDepthFunc(GL_LEQUAL);
  }
  return true;
}

void VtkWidget::render() {
  const qreal dpr = devicePixelRatioF();
  const int w = std::max(1, int(width() * dpr)), h = std::max(1, int(height() * dpr));
  if (!ensure_gl()) {
    image_ = QImage();
    return;
  }
  vtk_->window->SetSize(w, h);
  vtk_->interactor->UpdateSize(w, h);
  vtkOpenGLState* state = vtk_->window->GetState();
  state->Reset();
  state->Push();
  vtk_->window->Render();
  state->Pop();
  // VTK's display framebuffer (front = 1 in NoBlit mode), bottom row first.
  vtkNew<vtkUnsignedCharArray> rgb;
  vtk_->window->GetPixelData(0, 0, w - 1, h - 1, 1, rgb, 0);
  context_->doneCurrent();
  if (rgb->GetNumberOfValues() != vtkIdType(w) * h * 3) {
    image_ = QImage();
    return;
  }
  QImage flipped(rgb->GetPointer(0), w, h, 3 * w, QImage::Format_RGB888);
  image_ = flipped.mirrored();  // a deep copy, top row first
  image_.setDevicePixelRatio(dpr);
  ++frames_;
}

QImage VtkWidget::grabFramebuffer() {
  render();
  return image_;
}

void VtkWidget::paintEvent(QPaintEvent*) {
  // Painted only when this widget is dirty (a scene change, an expose, a resize), never for a repaint elsewhere.
  render();
  QPainter p(this);
  if (image_.isNull()) {
    p.fillRect(rect(), palette().window());
    p.drawText(rect(), Qt::AlignCenter, tr("3D view: no OpenGL context"));
    return;
  }
  p.drawImage(QPoint(0, 0), image_);
}

void VtkWidget::resizeEvent(QResizeEvent* e) {
  QWidget::resizeEvent(e);
  update();
}

void VtkWidget::forward_mouse(QMouseEvent* e) {
  const qreal dpr = devicePixelRatioF();
  const int x = int(e->position().x() * dpr);
  const int y = int((height() - e->position().y() - 1) * dpr);  // VTK's origin is bottom-left
  auto* it = vtk_->interactor.GetPointer();
  it->SetEventInformation(x, y, (e->modifiers() & Qt::ControlModifier) ? 1 : 0,
                          (e->modifiers() & Qt::ShiftModifier) ? 1 : 0);
  switch (e->type()) {
    case QEvent::MouseButtonPress:
      if (e->button() == Qt::LeftButton) it->InvokeEvent(vtkCommand::LeftButtonPressEvent);
      if (e->button() == Qt::RightButton) it->InvokeEvent(vtkCommand::RightButtonPressEvent);
      if (e->button() == Qt::MiddleButton) it->InvokeEvent(vtkCommand::MiddleButtonPressEvent);
      break;
    case QEvent::MouseButtonRelease:
      if (e->button() == Qt::LeftButton) it->InvokeEvent(vtkCommand::LeftButtonReleaseEvent);
      if (e->button() == Qt::RightButton) it->InvokeEvent(vtkCommand::RightButtonReleaseEvent);
      if (e->button() == Qt::MiddleButton) it->InvokeEvent(vtkCommand::MiddleButtonReleaseEvent);
      break;
    case QEvent::MouseMove: it->InvokeEvent(vtkCommand::MouseMoveEvent); break;
    default: break;
  }
  update();
}

void VtkWidget::mousePressEvent(QMouseEvent* e) {
  press_pos_ = e->position().toPoint();
  forward_mouse(e);
}

void VtkWidget::mouseReleaseEvent(QMouseEvent* e) {
  forward_mouse(e);
  if (e->button() == Qt::LeftButton && (e->position().toPoint() - press_pos_).manhattanLength() < 4) {
    const qreal dpr = devicePixelRatioF();
    emit clicked(int(e->position().x() * dpr), int((height() - e->position().y() - 1) * dpr));
  }
}

void VtkWidget::mouseMoveEvent(QMouseEvent* e) { forward_mouse(e); }

void VtkWidget::wheelEvent(QWheelEvent* e) {
  auto* it = vtk_->interactor.GetPointer();
  const qreal dpr = devicePixelRatioF();
  it->SetEventInformation(int(e->position().x() * dpr), int((height() - e->position().y() - 1) * dpr));
  it->InvokeEvent(e->angleDelta().y() > 0 ? vtkCommand::MouseWheelForwardEvent : vtkCommand::MouseWheelBackwardEvent);
  update();
}

}  // namespace pxrd::ui
