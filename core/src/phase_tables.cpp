#include "pxrd/phase_tables.hpp"

#include <cmath>

#include "pxrd/error.hpp"
#include "pxrd/units.hpp"

namespace pxrd {

PhaseTables::PhaseTables(const std::vector<Eigen::Vector3d>& frac, const std::array<int, 3>& n_max,
                         const std::vector<double>& weight)
    : n_max_(n_max), atoms_(frac.size()) {
  if (!weight.empty() && weight.size() != frac.size()) throw Error("PhaseTables: one weight per atom");
  for (int d = 0; d < 3; ++d) {
    if (n_max[d] < 0) throw Error("PhaseTables: negative index bound");
    const std::size_t len = static_cast<std::size_t>(2 * n_max[d] + 1) * atoms_;
    re_[d].resize(len);
    im_[d].resize(len);
    // Powers of exp(2πi x) by recurrence: one sine and cosine per atom and axis (the tables are rebuilt for every
    // structure a fit or search scores, and trig per entry cost as much as the sums). The error grows like n ε,
    // with n a few tens at most.
    for (std::size_t j = 0; j < atoms_; ++j) {
      const double w = d == 0 && !weight.empty() ? weight[j] : 1.0;
      const double t = 2.0 * kPi * frac[j][d];
      const double c = std::cos(t), sn = std::sin(t);
      const std::size_t zero = static_cast<std::size_t>(n_max[d]) * atoms_ + j;
      double re = w, im = 0;
      re_[d][zero] = re;
      im_[d][zero] = 0;
      for (int n = 1; n <= n_max[d]; ++n) {
        const double next_re = re * c - im * sn;
        im = re * sn + im * c;
        re = next_re;
        const std::size_t step = static_cast<std::size_t>(n) * atoms_;
        re_[d][zero + step] = re;
        im_[d][zero - step] = -im;
        im_[d][zero + step] = im;
        re_[d][zero - step] = re;
      }
    }
  }
}

}  // namespace pxrd
