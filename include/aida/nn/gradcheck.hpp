#pragma once
/// \file
/// Gradient checking against central finite differences: the law every operation of the
/// backend is tested by (style.md, practice 6), offered to users who write their own.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// Tolerances of `check_gradients`. The computation is in float, so the step is large
/// (1e-2): the truncation error of a central difference is O(eps²) and the rounding error
/// O(ulp(loss) / eps); an analytic and a numeric derivative agree when
/// `|a − n| <= abs_tolerance + rel_tolerance · max(|a|, |n|)`.
struct gradcheck_options {
  float eps = 1e-2f;            ///< the step of the central difference
  double abs_tolerance = 2e-3;  ///< the absolute part of the tolerance
  double rel_tolerance = 2e-2;  ///< the relative part of the tolerance
  /// At most this many elements of each parameter are checked (evenly spaced), to bound
  /// the cost for large parameters; 0 checks all.
  std::size_t max_elements = 0;
};

/// The outcome of a gradient check.
struct gradcheck_result {
  bool ok = true;              ///< every compared element within tolerance
  std::size_t checked = 0;     ///< elements compared
  double worst_excess = 0;     ///< largest `|a − n| − tolerance` seen (<= 0 when ok)
  std::string worst;           ///< description of the worst element: parameter, index, both values
};

/// Compares `d loss / d p` from `tape::backward` with central finite differences, for
/// every (or every k-th) element of every parameter in `params`. `loss_fn(tape&) -> var`
/// must build a 1×1 loss from `tape.param(*params[i])` and be deterministic. Gradients
/// of `params` are overwritten; values are restored.
template <class F>
gradcheck_result check_gradients(std::span<parameter* const> params, F&& loss_fn, const gradcheck_options& opt = {}) {
  tape t;
  for (parameter* p : params) p->grad = tensor::Zero(p->rows(), p->cols());
  {
    tape_scope scope(t);
    t.backward(loss_fn(t));
  }
  auto evaluate = [&] {
    tape_scope scope(t);
    return static_cast<double>(loss_fn(t).item());
  };
  gradcheck_result res;
  res.worst_excess = -1e300;
  for (std::size_t k = 0; k < params.size(); ++k) {
    parameter& p = *params[k];
    const auto n = static_cast<std::size_t>(p.size());
    const std::size_t stride = opt.max_elements == 0 || n <= opt.max_elements ? 1 : n / opt.max_elements;
    for (std::size_t i = 0; i < n; i += stride) {
      float& x = p.value.data()[i];
      const float saved = x;
      x = saved + opt.eps;
      const double up = evaluate();
      x = saved - opt.eps;
      const double down = evaluate();
      x = saved;
      const double numeric = (up - down) / (2.0 * static_cast<double>(opt.eps));
      const double analytic = static_cast<double>(p.grad.data()[i]);
      const double tol = opt.abs_tolerance + opt.rel_tolerance * std::max(std::abs(numeric), std::abs(analytic));
      const double excess = std::abs(numeric - analytic) - tol;
      ++res.checked;
      if (excess > res.worst_excess || !std::isfinite(excess)) {
        res.worst_excess = excess;
        res.worst = "parameter " + std::to_string(k) + " element " + std::to_string(i) + ": analytic " +
                    std::to_string(analytic) + ", numeric " + std::to_string(numeric);
      }
      if (!(excess <= 0)) res.ok = false;
    }
  }
  return res;
}

}  // namespace aida::nn
