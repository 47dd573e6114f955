#include "pxrd/agreement.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "pxrd/error.hpp"

namespace pxrd {

namespace {
void require_same_size(std::size_t a, std::size_t b, const char* what) {
  if (a != b)
    throw Error(std::string(what) + ": the curves differ in length (" + std::to_string(a) + " vs " + std::to_string(b) +
                ")");
}
}  // namespace

double least_squares_scale(const std::vector<double>& yo, const std::vector<double>& yc, const std::vector<double>& w) {
  require_same_size(yo.size(), yc.size(), "scale");
  require_same_size(yo.size(), w.size(), "scale");
  double num = 0, den = 0;
  for (std::size_t i = 0; i < yo.size(); ++i) {
    num += w[i] * yo[i] * yc[i];
    den += w[i] * yc[i] * yc[i];
  }
  if (!(den > 0)) throw Error("scale: the calculated pattern is zero wherever the weights are positive");
  return num / den;
}

Agreement agreement_factors(const std::vector<double>& yo, const std::vector<double>& yc, const std::vector<double>& w,
                            bool fit_scale, std::size_t extra_parameters) {
  require_same_size(yo.size(), yc.size(), "agreement");
  require_same_size(yo.size(), w.size(), "agreement");
  Agreement a;
  a.scale = fit_scale ? least_squares_scale(yo, yc, w) : 1.0;
  a.p = (fit_scale ? 1 : 0) + extra_parameters;
  double sum_abs_diff = 0, sum_abs_obs = 0, sum_w_diff2 = 0, sum_w_obs2 = 0;
  for (std::size_t i = 0; i < yo.size(); ++i) {
    const double diff = yo[i] - a.scale * yc[i];
    sum_abs_diff += std::abs(diff);
    sum_abs_obs += std::abs(yo[i]);
    if (w[i] > 0) {
      ++a.n;
      sum_w_diff2 += w[i] * diff * diff;
      sum_w_obs2 += w[i] * yo[i] * yo[i];
    }
  }
  if (a.n == 0 || !(sum_w_obs2 > 0)) throw Error("agreement: no observed point has a positive weight");
  a.r_p = sum_abs_obs > 0 ? sum_abs_diff / sum_abs_obs : 0.0;
  a.r_wp = std::sqrt(sum_w_diff2 / sum_w_obs2);
  if (a.n > a.p) {
    const double dof = static_cast<double>(a.n - a.p);
    a.r_exp = std::sqrt(dof / sum_w_obs2);
    a.chi2_red = sum_w_diff2 / dof;
    a.gof = a.r_wp / a.r_exp;
  } else {
    a.gof = a.chi2_red = std::numeric_limits<double>::quiet_NaN();
  }
  return a;
}

Agreement agreement_factors(const Pattern& observed, const std::vector<double>& calculated, bool fit_scale,
                            std::size_t extra_parameters) {
  return agreement_factors(observed.y, calculated, observed.weights(), fit_scale, extra_parameters);
}

double cosine_similarity(const std::vector<double>& a, const std::vector<double>& b) {
  require_same_size(a.size(), b.size(), "cosine similarity");
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (!(aa > 0) || !(bb > 0)) return 0.0;
  return ab / std::sqrt(aa * bb);
}

}  // namespace pxrd
