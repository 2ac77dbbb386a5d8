#pragma once
/// \file
/// Tensors and parameters of the reference backend, and the reflection that lets
/// optimisers, gradient zeroing, parameter counting and checkpoints walk a model's
/// parameters without hand-kept lists.
///
/// A model declares its parameters once, in a struct reflected with Boost.Hana:
///
///     struct encoder_params {
///       BOOST_HANA_DEFINE_STRUCT(encoder_params,
///         (aida::nn::parameter, embedding),
///         (aida::nn::gru_params, gru));   // nested reflected structs are walked too
///     };
///
/// and `for_each_parameter(params, f)` calls `f("gru.w_ih", p)` for every parameter, with
/// dotted names in declaration order (the order checkpoints use).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#include <boost/hana/accessors.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/core/to.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/concept/struct.hpp>

namespace aida::nn {

/// A dense float matrix, row-major (rows are batch items); storage and kernels are Eigen's.
using tensor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A trainable parameter: its value and the gradient accumulated by the backward pass.
struct parameter {
  tensor value;  ///< the parameter's value
  tensor grad;   ///< its gradient, the same shape

  parameter() = default;
  /// A `rows` × `cols` parameter of zeros, with a zero gradient.
  parameter(Eigen::Index rows, Eigen::Index cols)
      : value(tensor::Zero(rows, cols)), grad(tensor::Zero(rows, cols)) {}

  [[nodiscard]] Eigen::Index rows() const noexcept { return value.rows(); }  ///< rows of `value`
  [[nodiscard]] Eigen::Index cols() const noexcept { return value.cols(); }  ///< columns of `value`
  [[nodiscard]] Eigen::Index size() const noexcept { return value.size(); }  ///< rows × columns
};

namespace detail {

template <class T>
inline constexpr bool is_std_vector = false;
template <class T, class Alloc>
inline constexpr bool is_std_vector<std::vector<T, Alloc>> = true;

template <class Params, class F>
void for_each_parameter_named(Params& params, std::string& prefix, F& f) {
  using T = std::remove_const_t<Params>;
  if constexpr (std::is_same_v<T, parameter>) {
    f(std::string_view(prefix), params);
  } else if constexpr (is_std_vector<T>) {
    // A stack of layers whose depth is chosen at run time: element i is named "<prefix>.i".
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::size_t mark = prefix.size();
      if (!prefix.empty()) prefix += '.';
      prefix += std::to_string(i);
      for_each_parameter_named(params[i], prefix, f);
      prefix.resize(mark);
    }
  } else {
    static_assert(boost::hana::Struct<T>::value,
                  "aida::nn::for_each_parameter: a parameter struct must be an aida::nn::parameter or "
                  "a struct declared with BOOST_HANA_DEFINE_STRUCT");
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
      const std::size_t mark = prefix.size();
      if (!prefix.empty()) prefix += '.';
      prefix += boost::hana::to<const char*>(boost::hana::first(pair));
      auto& member = boost::hana::second(pair)(params);
      for_each_parameter_named(member, prefix, f);
      prefix.resize(mark);
    });
  }
}

}  // namespace detail

/// Calls `f(std::string_view name, parameter& p)` (or `const parameter&` for a const struct)
/// for every parameter of a reflected struct, recursively, in declaration order. Names are
/// dotted paths: `"decoder.gru.w_ih"`. A member may also be a `std::vector` of parameters
/// or of reflected structs (a stack of layers): its elements are named by their index,
/// `"encoder.0.self.query.weight"`.
template <class Params, class F>
void for_each_parameter(Params& params, F&& f) {
  std::string prefix;
  detail::for_each_parameter_named(params, prefix, f);
}

/// Number of scalar parameters of a reflected struct.
template <class Params>
std::size_t count_parameters(const Params& params) {
  std::size_t n = 0;
  for_each_parameter(params, [&](std::string_view, const parameter& p) { n += static_cast<std::size_t>(p.size()); });
  return n;
}

/// Sets every gradient of a reflected struct to zero.
template <class Params>
void zero_grad(Params& params) {
  for_each_parameter(params, [](std::string_view, parameter& p) { p.grad.setZero(); });
}

/// \concept OptimizerState
/// What checkpoints need of an optimiser: `opt.for_each_state(f)` calling
/// `f(std::string_view name, tensor& t)` for each state tensor (for example Adam's
/// `"decoder.gru.w_ih.m"`), and `opt.step_count()` returning a `std::uint64_t&`.
template <class O>
concept OptimizerState = requires(O& o) {
  o.for_each_state([](std::string_view, tensor&) {});
  { o.step_count() } -> std::same_as<std::uint64_t&>;
};

}  // namespace aida::nn
