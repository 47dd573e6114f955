#pragma once
// Tables of exp(2πi·n·x_d) per atom and axis for structure-factor sums: the phase of (h, k, l) at an atom is then
// two complex products instead of a sine and a cosine per reflection. Used by the simulator, the Rietveld and
// search intensities, and the direct-space search's per-atom phases.
#include <array>
#include <cstddef>
#include <vector>

#include <Eigen/Core>

namespace pxrd {

class PhaseTables {
 public:
  // n runs over −n_max[d]..n_max[d] on axis d. `weight` (empty, or one per atom) multiplies axis 0's entries, so a
  // per-atom factor such as the occupancy rides along for free.
  PhaseTables(const std::vector<Eigen::Vector3d>& frac, const std::array<int, 3>& n_max,
              const std::vector<double>& weight = {});

  // The three table rows of one reflection; phase(j) is exp(2πi (h x_j + k y_j + l z_j)) (times weight_j).
  struct Rows {
    const double *hr, *hi, *kr, *ki, *lr, *li;
    void phase(std::size_t j, double& re, double& im) const {
      const double ar = hr[j] * kr[j] - hi[j] * ki[j], ai = hr[j] * ki[j] + hi[j] * kr[j];
      re = ar * lr[j] - ai * li[j];
      im = ar * li[j] + ai * lr[j];
    }
  };
  // |h|, |k|, |l| must not exceed n_max.
  Rows rows(int h, int k, int l) const {
    return {row(re_[0], 0, h), row(im_[0], 0, h), row(re_[1], 1, k),
            row(im_[1], 1, k), row(re_[2], 2, l), row(im_[2], 2, l)};
  }

 private:
  const double* row(const std::vector<double>& t, int d, int n) const {
    return t.data() + static_cast<std::size_t>(n + n_max_[d]) * atoms_;
  }
  std::array<int, 3> n_max_;
  std::size_t atoms_;
  std::vector<double> re_[3], im_[3];  // [(n + n_max[d]) * atoms + j]
};

}  // namespace pxrd
