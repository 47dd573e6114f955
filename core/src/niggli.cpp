// Lattice reduction: Niggli (Grosse-Kunstleve, Sauter & Adams, Acta Cryst. A60 (2004) 1-6, the epsilon-guarded
// Křivý-Gruber algorithm) and LLL (Lenstra, Lenstra & Lovász 1982), both tracking the integer transformation.
#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/lattice.hpp"

namespace pxrd {

namespace {

// Gram-Schmidt of the rows of b: b_star rows and mu(i, j) = <b_i, b*_j> / |b*_j|².
void gram_schmidt(const Eigen::Matrix3d& b, Eigen::Matrix3d& b_star, Eigen::Matrix3d& mu) {
  mu.setZero();
  for (int i = 0; i < 3; ++i) {
    Eigen::Vector3d v = b.row(i).transpose();
    for (int j = 0; j < i; ++j) {
      mu(i, j) = b.row(i).dot(b_star.row(j)) / b_star.row(j).squaredNorm();
      v -= mu(i, j) * b_star.row(j).transpose();
    }
    b_star.row(i) = v.transpose();
  }
}

// Sign with a dead zone: 0 when |x| ≤ eps.
int sign_eps(double x, double eps) { return x > eps ? 1 : (x < -eps ? -1 : 0); }

}  // namespace

Lattice Lattice::lll_reduced(double delta, Eigen::Matrix3d* transform) const {
  Eigen::Matrix3d b = matrix_;
  Eigen::Matrix3d t = Eigen::Matrix3d::Identity();
  Eigen::Matrix3d b_star, mu;
  gram_schmidt(b, b_star, mu);
  int k = 1;
  for (int guard = 0; k < 3; ++guard) {
    if (guard > 10000) throw Error("LLL reduction did not converge");
    for (int j = k - 1; j >= 0; --j) {
      const double q = std::round(mu(k, j));
      if (q != 0) {
        b.row(k) -= q * b.row(j);
        t.row(k) -= q * t.row(j);
        gram_schmidt(b, b_star, mu);
      }
    }
    if (b_star.row(k).squaredNorm() >= (delta - mu(k, k - 1) * mu(k, k - 1)) * b_star.row(k - 1).squaredNorm()) {
      ++k;
    } else {
      b.row(k).swap(b.row(k - 1));
      t.row(k).swap(t.row(k - 1));
      gram_schmidt(b, b_star, mu);
      k = std::max(k - 1, 1);
    }
  }
  if (transform) *transform = t;
  return Lattice(b);
}

Lattice Lattice::niggli_reduced(double tolerance, Eigen::Matrix3d* transform) const {
  const double volume = volume_angstrom3();
  if (!(volume > 0) || !std::isfinite(volume)) throw Error("Niggli reduction: degenerate lattice");
  const double eps = tolerance * std::pow(volume, 2.0 / 3.0);

  // LLL first: the Niggli steps change one vector by one multiple at a time, slow for very skewed cells.
  Eigen::Matrix3d t;
  Eigen::Matrix3d r = lll_reduced(0.75, &t).matrix();

  // Steps act on columns of the paper's matrices (new basis = old basis · M); our basis vectors are rows.
  auto apply = [&](const Eigen::Matrix3d& m_columns) {
    r = m_columns.transpose() * r;
    t = m_columns.transpose() * t;
  };
  double A = 0, B = 0, C = 0, xi = 0, eta = 0, zeta = 0;
  auto update = [&]() {
    const Eigen::Matrix3d g = r * r.transpose();  // recomputed from the integer transform: no drift
    A = g(0, 0), B = g(1, 1), C = g(2, 2);
    xi = 2 * g(1, 2), eta = 2 * g(0, 2), zeta = 2 * g(0, 1);
  };
  auto equal = [&](double x, double y) { return !(x < y - eps) && !(y < x - eps); };

  bool done = false;
  for (int iteration = 0; iteration < 10000 && !done; ++iteration) {
    update();
    // A1
    if (A > B + eps || (equal(A, B) && std::abs(xi) > std::abs(eta) + eps)) {
      Eigen::Matrix3d m;
      m << 0, -1, 0, -1, 0, 0, 0, 0, -1;
      apply(m);
      update();
    }
    // A2
    if (B > C + eps || (equal(B, C) && std::abs(eta) > std::abs(zeta) + eps)) {
      Eigen::Matrix3d m;
      m << -1, 0, 0, 0, 0, -1, 0, -1, 0;
      apply(m);
      continue;
    }
    const int l = sign_eps(xi, eps), m_ = sign_eps(eta, eps), n = sign_eps(zeta, eps);
    if (l * m_ * n == 1) {
      // A3: make all three positive.
      apply(Eigen::Vector3d(l == -1 ? -1 : 1, m_ == -1 ? -1 : 1, n == -1 ? -1 : 1).asDiagonal());
    } else {
      // A4: make all three non-positive, keeping det = +1 by flipping an axis whose product is zero.
      double i = 1, j = 1, k = 1;
      double* p = nullptr;
      if (l == 1) i = -1;
      else if (l == 0) p = &i;
      if (m_ == 1) j = -1;
      else if (m_ == 0) p = &j;
      if (n == 1) k = -1;
      else if (n == 0) p = &k;
      if (i * j * k < 0) {
        if (!p) throw Error("Niggli reduction: inconsistent signs (step A4)");
        *p = -1;
      }
      apply(Eigen::Vector3d(i, j, k).asDiagonal());
    }
    update();
    // A5
    if (std::abs(xi) > B + eps || (equal(xi, B) && 2 * eta < zeta - eps) || (equal(xi, -B) && zeta < -eps)) {
      const double s = xi > 0 ? 1 : -1;
      Eigen::Matrix3d m;
      m << 1, 0, 0, 0, 1, -s, 0, 0, 1;
      apply(m);
      continue;
    }
    // A6
    if (std::abs(eta) > A + eps || (equal(eta, A) && 2 * xi < zeta - eps) || (equal(eta, -A) && zeta < -eps)) {
      const double s = eta > 0 ? 1 : -1;
      Eigen::Matrix3d m;
      m << 1, 0, -s, 0, 1, 0, 0, 0, 1;
      apply(m);
      continue;
    }
    // A7
    if (std::abs(zeta) > A + eps || (equal(zeta, A) && 2 * xi < eta - eps) || (equal(zeta, -A) && eta < -eps)) {
      const double s = zeta > 0 ? 1 : -1;
      Eigen::Matrix3d m;
      m << 1, -s, 0, 0, 1, 0, 0, 0, 1;
      apply(m);
      continue;
    }
    // A8
    const double sum = xi + eta + zeta + A + B;
    if (sum < -eps || (equal(sum, 0) && 2 * (A + eta) + zeta > eps)) {
      Eigen::Matrix3d m;
      m << 1, 0, 1, 0, 1, 1, 0, 0, 1;
      apply(m);
      continue;
    }
    done = true;
  }
  if (!done) {
    // Near a boundary of the reduced domain (a near-fcc primitive cell, angles within 0.2° of 60°) the steps'
    // tolerant comparisons can cycle; a tighter tolerance breaks the tie.
    if (tolerance > 1e-6) return niggli_reduced(0.1 * tolerance, transform);
    throw Error("Niggli reduction did not converge");
  }
  if (r.determinant() < 0) {  // same lattice, right-handed basis
    r = -r;
    t = -t;
  }
  if (transform) *transform = t;
  return Lattice(r);
}

}  // namespace pxrd
