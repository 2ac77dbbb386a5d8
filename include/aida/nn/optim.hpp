#pragma once
/// \file
/// Optimisers of the reference backend: SGD and Adam, with gradient-norm clipping. Both
/// walk a reflected parameter struct (`for_each_parameter`) and satisfy `OptimizerState`,
/// so checkpoints save and restore them.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "aida/core/error.hpp"
#include "aida/nn/parameter.hpp"

namespace aida::nn {

/// The Euclidean norm of all gradients of a reflected struct together (in double).
template <class Params>
double gradient_norm(const Params& params) {
  double s = 0;
  for_each_parameter(params, [&](std::string_view, const parameter& p) {
    s += p.grad.template cast<double>().squaredNorm();
  });
  return std::sqrt(s);
}

namespace detail {

/// Scales all gradients, whose joint norm is `norm`, so that it is at most `max_norm`.
template <class Params>
void clip_to(Params& params, double norm, double max_norm) {
  if (max_norm > 0 && norm > max_norm && std::isfinite(norm)) {
    const auto f = static_cast<float>(max_norm / norm);
    for_each_parameter(params, [&](std::string_view, parameter& p) { p.grad *= f; });
  }
}

/// The joint norm of the gradients, checked finite before an optimiser writes anything: a NaN
/// or infinite gradient would otherwise write NaN into every parameter it reaches (and into
/// Adam's moments, for good). `who` names the optimiser in the message.
template <class Params>
double finite_gradient_norm(const Params& params, const char* who) {
  const double norm = gradient_norm(params);
  if (std::isfinite(norm)) return norm;
  std::string where;
  for_each_parameter(params, [&](std::string_view name, const parameter& p) {
    if (where.empty() && !p.grad.allFinite()) where = name;
  });
  throw non_finite_error(std::string(who) + "::step: " +
                         (where.empty() ? std::string("the gradients' norm overflows")
                                        : "the gradient of parameter " + where + " is not finite") +
                         " (norm " + std::to_string(norm) + "); parameters and optimiser state are unchanged");
}

}  // namespace detail

/// Scales all gradients so that their joint norm is at most `max_norm` (no-op when
/// `max_norm <= 0` or the norm is already below it). Returns the norm before clipping.
template <class Params>
double clip_gradients(Params& params, double max_norm) {
  const double norm = gradient_norm(params);
  detail::clip_to(params, norm, max_norm);
  return norm;
}

namespace detail {

inline void check_option(bool ok, const char* options, const char* field, float value, const char* rule) {
  if (!ok)
    throw invalid_options(std::string("aida::nn::") + options + "::" + field + " = " + std::to_string(value) +
                          " (must be " + rule + ")");
}

}  // namespace detail

/// Options of `sgd`.
struct sgd_options {
  float learning_rate = 1e-2f;  ///< the step size lr
  float clip_norm = 0;  ///< gradient-norm clipping threshold; 0 disables

  /// Throws `aida::invalid_options` naming the field and its value.
  void validate() const {
    detail::check_option(std::isfinite(learning_rate) && learning_rate > 0, "sgd_options", "learning_rate",
                         learning_rate, "finite and > 0");
    detail::check_option(std::isfinite(clip_norm) && clip_norm >= 0, "sgd_options", "clip_norm", clip_norm,
                         "finite and >= 0");
  }
};

/// Plain stochastic gradient descent `p ← p − lr · g` (after clipping). Stateless apart
/// from the step count.
class sgd {
 public:
  /// Throws `aida::invalid_options` for unusable options (`sgd_options::validate`).
  explicit sgd(sgd_options opt = {}) : opt_(opt) { opt_.validate(); }

  /// One update from the current gradients (clipped first). Throws `aida::invalid_options`
  /// for unusable options, and `non_finite_error` naming the parameter when a gradient is
  /// NaN or infinite, before anything changes.
  template <class Params>
  void step(Params& params) {
    opt_.validate();
    detail::clip_to(params, detail::finite_gradient_norm(params, "aida::nn::sgd"), opt_.clip_norm);
    for_each_parameter(params, [&](std::string_view, parameter& p) { p.value -= opt_.learning_rate * p.grad; });
    ++steps_;
  }

  /// Calls nothing: SGD has no state tensors (`OptimizerState`).
  template <class F>
  void for_each_state(F&&) {}
  /// Updates made so far, writable so that a checkpoint can restore it (`OptimizerState`).
  std::uint64_t& step_count() noexcept { return steps_; }
  /// The options in force.
  [[nodiscard]] const sgd_options& options() const noexcept { return opt_; }

 private:
  sgd_options opt_;
  std::uint64_t steps_ = 0;
};

/// Options of `adam`.
struct adam_options {
  float learning_rate = 1e-3f;  ///< the step size
  float beta1 = 0.9f;           ///< decay of the first-moment estimate, in [0, 1)
  float beta2 = 0.999f;         ///< decay of the second-moment estimate, in [0, 1)
  float epsilon = 1e-8f;        ///< added to the denominator, for stability
  float clip_norm = 0;  ///< gradient-norm clipping threshold; 0 disables

  /// Throws `aida::invalid_options` naming the field and its value.
  void validate() const {
    detail::check_option(std::isfinite(learning_rate) && learning_rate > 0, "adam_options", "learning_rate",
                         learning_rate, "finite and > 0");
    detail::check_option(beta1 >= 0 && beta1 < 1, "adam_options", "beta1", beta1, "in [0, 1)");
    detail::check_option(beta2 >= 0 && beta2 < 1, "adam_options", "beta2", beta2, "in [0, 1)");
    detail::check_option(std::isfinite(epsilon) && epsilon > 0, "adam_options", "epsilon", epsilon, "finite and > 0");
    detail::check_option(std::isfinite(clip_norm) && clip_norm >= 0, "adam_options", "clip_norm", clip_norm,
                         "finite and >= 0");
  }
};

/// Adam (Kingma & Ba 2015) with bias correction. Its state is a first and second moment
/// per parameter, named `"<parameter>.m"` and `"<parameter>.v"`, plus the step count.
class adam {
 public:
  adam() = default;

  /// State shaped like the parameters of `params` (moments start at zero). Throws
  /// `aida::invalid_options` for unusable options (`adam_options::validate`).
  template <class Params>
  explicit adam(const Params& params, adam_options opt = {}) : opt_(opt) {
    opt_.validate();
    for_each_parameter(params, [&](std::string_view name, const parameter& p) {
      names_.emplace_back(std::string(name) + ".m");
      moments_.push_back(tensor::Zero(p.rows(), p.cols()));
      names_.emplace_back(std::string(name) + ".v");
      moments_.push_back(tensor::Zero(p.rows(), p.cols()));
    });
  }

  /// One update from the current gradients (clipped first). The options must be usable
  /// (else `aida::invalid_options`: `options()` can change them), `params` must be the
  /// struct the optimiser was made for (else `aida::error`), and every gradient finite (else
  /// `non_finite_error`, naming the parameter); each error is thrown before anything
  /// changes: parameters, moments and step count are as they were.
  template <class Params>
  void step(Params& params) {
    opt_.validate();
    std::size_t k = 0;
    for_each_parameter(params, [&](std::string_view name, const parameter& p) {
      // Checked before anything changes, so that a mismatch leaves parameters and state as they were.
      if (k + 1 >= moments_.size() || moments_[k].rows() != p.rows() || moments_[k].cols() != p.cols())
        throw error("aida::nn::adam: parameter " + std::string(name) +
                    " does not match the state the optimiser was made for");
      k += 2;
    });
    detail::clip_to(params, detail::finite_gradient_norm(params, "aida::nn::adam"), opt_.clip_norm);
    ++steps_;
    const double t = static_cast<double>(steps_);
    const auto c1 = static_cast<float>(1.0 - std::pow(static_cast<double>(opt_.beta1), t));
    const auto c2 = static_cast<float>(1.0 - std::pow(static_cast<double>(opt_.beta2), t));
    const float step = opt_.learning_rate / c1;
    const float sqrt_c2 = std::sqrt(c2);
    k = 0;
    for_each_parameter(params, [&](std::string_view, parameter& p) {
      auto m = moments_[k].array();
      auto v = moments_[k + 1].array();
      const auto g = p.grad.array();
      m = opt_.beta1 * m + (1.0f - opt_.beta1) * g;
      v = opt_.beta2 * v + (1.0f - opt_.beta2) * g.square();
      // p −= lr · m̂ / (√v̂ + ε), with m̂ = m / c1 and √v̂ = √v / √c2.
      p.value.array() -= step * m / (v.sqrt() / sqrt_c2 + opt_.epsilon);
      k += 2;
    });
  }

  /// Calls `f(name, tensor&)` for each state tensor (OptimizerState).
  template <class F>
  void for_each_state(F&& f) {
    for (std::size_t i = 0; i < moments_.size(); ++i) f(std::string_view(names_[i]), moments_[i]);
  }
  /// Calls `f(name, const tensor&)` for each state tensor.
  template <class F>
  void for_each_state(F&& f) const {
    for (std::size_t i = 0; i < moments_.size(); ++i) f(std::string_view(names_[i]), moments_[i]);
  }
  /// Updates made so far (Adam's t), writable so that a checkpoint can restore it
  /// (`OptimizerState`).
  std::uint64_t& step_count() noexcept { return steps_; }
  /// Updates made so far.
  [[nodiscard]] std::uint64_t step_count() const noexcept { return steps_; }
  /// The options in force.
  [[nodiscard]] const adam_options& options() const noexcept { return opt_; }
  /// The options, to change between steps (each step validates them).
  adam_options& options() noexcept { return opt_; }

 private:
  adam_options opt_;
  std::vector<std::string> names_;
  std::vector<tensor> moments_;
  std::uint64_t steps_ = 0;
};

/// What the reference models' `snapshot()` returns and `restore()` takes (`aida::Restorable`):
/// a copy of a model's parameters and of its optimiser's state. Putting it back only moves,
/// so it cannot throw.
template <class Params, class Opt>
struct learner_snapshot {
  Params parameters;  ///< the saved parameters
  Opt optimizer;      ///< the saved optimiser, with its state

  /// Copies `params` and `opt` into this snapshot, into the storage it already has when the
  /// shapes are the same (no allocation): what `snapshot_into` does. Strong guarantee only
  /// for the learner, not for this snapshot, which a throw (out of memory) leaves part-copied.
  void copy_from(const Params& params, const Opt& opt) {
    parameters = params;
    optimizer = opt;
  }

  /// Moves the saved state into `params` and `opt`.
  void move_into(Params& params, Opt& opt) noexcept {
    static_assert(std::is_nothrow_move_assignable_v<Params> && std::is_nothrow_move_assignable_v<Opt>,
                  "a restore must not throw: it runs while an exception is in flight");
    params = std::move(parameters);
    opt = std::move(optimizer);
  }
};

static_assert(OptimizerState<sgd>);
static_assert(OptimizerState<adam>);

}  // namespace aida::nn
