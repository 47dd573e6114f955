#include "vtk_widget.hpp"

#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QSurfaceFormat>
#include <QWheelEvent>
#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

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

VtkWidget::VtkWidget(QWidget* parent) : QOpenGLWidget(parent), vtk_(new Vtk) {
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
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(200, 200);
}

VtkWidget::~VtkWidget() {
  makeCurrent();
  release_gl();
  doneCurrent();
  delete vtk_;
}

vtkRenderer* VtkWidget::renderer() const { return vtk_->renderer; }
vtkGenericOpenGLRenderWindow* VtkWidget::render_window() const { return vtk_->window; }
vtkGenericRenderWindowInteractor* VtkWidget::interactor() const { return vtk_->interactor; }

void VtkWidget::make_current_cb(vtkObject*, unsigned long, void*) {
  // Not QOpenGLWidget::makeCurrent(): that rebinds Qt's framebuffer behind VTK's back (black image).
  if (context()) context()->makeCurrent(context()->surface());
}

void VtkWidget::is_current_cb(vtkObject*, unsigned long, void* call_data) {
  bool& current = *static_cast<bool*>(call_data);
  current = context() && QOpenGLContext::currentContext() == context();
}

void VtkWidget::render_request_cb(vtkObject*, unsigned long, void*) { update(); }

void VtkWidget::release_gl() {
  if (!initialized_) return;
  vtk_->window->ReleaseGraphicsResources(vtk_->window);
  vtk_->window->SetReadyForRendering(false);
  initialized_ = false;
}

void VtkWidget::initializeGL() {
  if (initialized_) release_gl();
  if (context() != watched_context_) {
    watched_context_ = context();
    connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] {
      makeCurrent();
      release_gl();
      doneCurrent();
    });
  }
  vtk_->window->SetOwnContext(false);
  vtk_->window->SetReadyForRendering(true);
  vtk_->window->InitializeFromCurrentContext();
  if (vtkOpenGLState* state = vtk_->window->GetState()) {
    state->Reset();
    state->vtkglDepthFunc(GL_LEQUAL);
  }
  initialized_ = true;
  const qreal dpr = devicePixelRatioF();
  vtk_->window->SetSize(int(width() * dpr), int(height() * dpr));
  vtk_->interactor->SetSize(int(width() * dpr), int(height() * dpr));
}

void VtkWidget::resizeGL(int w, int h) {
  const qreal dpr = devicePixelRatioF();
  const int pw = int(w * dpr), ph = int(h * dpr);
  vtk_->interactor->UpdateSize(pw, ph);
  vtk_->window->SetSize(pw, ph);
}

void VtkWidget::paintGL() {
  if (!initialized_) return;
  vtkOpenGLState* state = vtk_->window->GetState();
  state->Reset();
  state->Push();
  vtk_->window->Render();
  state->Pop();
  ++frames_;

  // Blit VTK's display framebuffer into ours, then force alpha to 1 so the compositor shows no holes.
  QOpenGLExtraFunctions* f = context()->extraFunctions();
  const qreal dpr = devicePixelRatioF();
  const int w = int(width() * dpr), h = int(height() * dpr);
  state->PushFramebufferBindings();
  f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
  const GLenum attachment = GL_COLOR_ATTACHMENT0;
  f->glDrawBuffers(1, &attachment);
  state->vtkglViewport(0, 0, w, h);
  state->vtkglScissor(0, 0, w, h);
  vtk_->window->BlitDisplayFramebuffer(0, 0, 0, w, h, 0, 0, w, h, GL_COLOR_BUFFER_BIT, GL_NEAREST);
  state->PopFramebufferBindings();
  f->glBindFramebuffer(GL_FRAMEBUFFER, defaultFramebufferObject());
  f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  f->glClearColor(0, 0, 0, 1);
  f->glClear(GL_COLOR_BUFFER_BIT);
  f->glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
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
