#pragma once
/// \file
/// What the character models share: the vocabulary (a charset), the errors of the
/// reference models, the embedding vector that is ML's output, and the character encoder
/// (embedding + GRU) that maps a batch of strings to one vector each.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "aida/core/communicator.hpp"
#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"
#include "aida/nn/layers.hpp"
#include "aida/nn/optim.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// A model configuration that cannot work (names the field and the value).
struct config_error : error {
  using error::error;
};

/// A string contains a character that is not in the model's vocabulary (names the
/// character, its position and the string).
struct vocabulary_error : error {
  using error::error;
};

/// A training step met a non-finite loss or gradient; parameters and optimiser state were
/// left unchanged. The same type as `aida::non_finite_error` (core/error.hpp), which
/// `aida::train` also throws; this name is kept for the code that spelled it here.
using aida::non_finite_error;

/// The output of `char_model::predict`: ML's embedding vector of a question (spec §1),
/// from which the answer distribution is read. A 1×hidden row.
struct embedding_vector {
  tensor value;  ///< the vector, [1, hidden]

  /// Equal when the shapes and all the values are.
  friend bool operator==(const embedding_vector& a, const embedding_vector& b) {
    return a.value.rows() == b.value.rows() && a.value.cols() == b.value.cols() && a.value == b.value;
  }
};

/// The 95 printable ASCII characters, space to tilde: the default charset.
inline std::string printable_ascii() {
  std::string s;
  for (char c = ' '; c <= '~'; ++c) s += c;
  return s;
}

/// A charset and the index of each of its characters.
class vocabulary {
 public:
  vocabulary() { index_.fill(-1); }

  /// Throws `config_error` for an empty charset or a repeated character.
  explicit vocabulary(std::string_view charset) : chars_(charset) {
    index_.fill(-1);
    if (charset.empty()) throw config_error("aida::nn: the charset is empty");
    for (std::size_t i = 0; i < charset.size(); ++i) {
      const auto u = static_cast<unsigned char>(charset[i]);
      if (index_[u] >= 0)
        throw config_error("aida::nn: the charset repeats the character " + describe_char(charset[i]) +
                           " (at positions " + std::to_string(index_[u]) + " and " + std::to_string(i) + ")");
      index_[u] = static_cast<std::int32_t>(i);
    }
  }

  /// Number of characters.
  [[nodiscard]] std::size_t size() const noexcept { return chars_.size(); }
  /// The characters, in index order.
  [[nodiscard]] const std::string& chars() const noexcept { return chars_; }
  /// The index of `c`, or −1 when `c` is not in the charset.
  [[nodiscard]] std::int32_t index(char c) const noexcept { return index_[static_cast<unsigned char>(c)]; }
  /// The character of index `i`; precondition `i < size()`.
  [[nodiscard]] char at(std::size_t i) const noexcept { return chars_[i]; }

  /// Throws `vocabulary_error` naming the first character of `s` outside the charset;
  /// `who` and `what` complete the message ("aida::nn::char_model", "question").
  void check(std::string_view s, const char* who, const char* what) const {
    for (std::size_t i = 0; i < s.size(); ++i)
      if (index(s[i]) < 0)
        throw vocabulary_error(std::string(who) + ": character " + describe_char(s[i]) + " at position " +
                               std::to_string(i) + " of the " + what + " \"" + std::string(s) +
                               "\" is not in the vocabulary");
  }

  /// `'x'` for a printable character, its code otherwise.
  static std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 32 && u < 127) return std::string("'") + c + "' (code " + std::to_string(u) + ")";
    return "code " + std::to_string(u);
  }

 private:
  std::string chars_;
  std::array<std::int32_t, 256> index_{};
};

/// The parameters of a character encoder.
struct char_encoder_params {
  BOOST_HANA_DEFINE_STRUCT(char_encoder_params, (embedding_params, embed), (gru_params, gru));
};

/// An encoder of `symbols` characters: embeddings of width `embedding` and a GRU of
/// `hidden` units, initialised as by `make_embedding` and `make_gru`.
inline char_encoder_params make_char_encoder(Eigen::Index symbols, Eigen::Index embedding, Eigen::Index hidden,
                                             sampler& rng) {
  char_encoder_params p;
  p.embed = make_embedding(symbols, embedding, rng);
  p.gru = make_gru(embedding, hidden, rng);
  return p;
}

/// Encodes `count` strings (`get(i)` → `std::string_view`, already checked against
/// `vocab`) to their final GRU states [count, H]: the strings are padded to the longest,
/// time-major, and padded steps are masked so that each row is the state after the
/// string's own last character (zero for an empty string).
template <class Get>
var encode_strings(tape& t, const char_encoder_params& p, const vocabulary& vocab, std::size_t count, Get&& get,
                   bool train) {
  const auto B = static_cast<Eigen::Index>(count);
  const Eigen::Index H = p.gru.w_hh.rows();
  std::size_t steps = 0;
  for (std::size_t i = 0; i < count; ++i) steps = std::max(steps, std::string_view(get(i)).size());
  const var h0 = t.constant(tensor::Zero(B, H));
  if (steps == 0) return h0;
  std::vector<std::int32_t> ids(steps * count, 0);
  std::vector<float> mask(steps * count, 0.0f);
  bool padded = false;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view s = get(i);
    for (std::size_t k = 0; k < s.size(); ++k) {
      ids[k * count + i] = vocab.index(s[k]);
      mask[k * count + i] = 1.0f;
    }
    padded = padded || s.size() < steps;
  }
  const var states = gru_over_symbols(t, p.embed, p.gru, ids, h0,
                                      padded ? std::span<const float>(mask) : std::span<const float>(), train);
  return slice_rows(states, static_cast<Eigen::Index>(steps - 1) * B, B);
}

/// The token a character model draws from one row of logits at temperature T (> 0, checked,
/// naming `who`): `argmax_k (logit_k / T + g_k)` with `g_k` standard Gumbel draws from
/// `rng`, a draw from softmax(logits / T) (the Gumbel-max trick). One draw per logit, so the
/// sampler's stream advances the same way whatever the logits are.
template <class Logits, Sampler S>
Eigen::Index gumbel_max_token(const Logits& logits, float temperature, S& rng) {
  const float inv = 1.0f / temperature;
  Eigen::Index best = 0;
  double best_v = -std::numeric_limits<double>::infinity();
  for (Eigen::Index k = 0; k < logits.cols(); ++k) {
    const double v = static_cast<double>(logits(0, k) * inv) + static_cast<double>(rng.gumbel());
    if (v > best_v) best_v = v, best = k;
  }
  return best;
}

/// Throws `error` naming `who` unless `temperature` is finite and > 0.
inline void check_temperature(float temperature, const char* who) {
  if (!(std::isfinite(temperature) && temperature > 0))
    throw error(std::string(who) + "::sample: temperature " + std::to_string(temperature) + " must be > 0");
}

/// The token of the largest logit of row 0 (the first of equal ones).
template <class Logits>
Eigen::Index argmax_token(const Logits& logits) {
  Eigen::Index best = 0;
  logits.row(0).maxCoeff(&best);
  return best;
}

/// An adversary batch ordered for its regression loss (spec §2): the targets recorded with
/// the squared form first, then the absolute ones, so that one forward pass over `order`
/// gives scores whose top `squared` rows take the squared error and the rest the absolute.
struct adversary_regression {
  std::vector<std::size_t> order;  ///< batch index of each row
  Eigen::Index squared = 0;        ///< rows with the squared form
  tensor targets;                  ///< −L of each row, [n, 1]
};

/// `batch` (adversary targets) ordered for its loss: see `adversary_regression`.
template <class Target>
adversary_regression order_by_loss_form(std::span<const Target> batch) {
  adversary_regression r;
  r.order.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].form == adversary_loss::squared) r.order.push_back(i);
  r.squared = static_cast<Eigen::Index>(r.order.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].form != adversary_loss::squared) r.order.push_back(i);
  r.targets.resize(static_cast<Eigen::Index>(batch.size()), 1);
  for (std::size_t k = 0; k < r.order.size(); ++k)
    r.targets(static_cast<Eigen::Index>(k), 0) = static_cast<float>(batch[r.order[k]].target);
  return r;
}

/// The mean over the rows of `scores` (in `r.order`) of each target's error, squared or
/// absolute by its form.
inline var adversary_regression_loss(var scores, const adversary_regression& r) {
  const auto n = static_cast<Eigen::Index>(r.order.size());
  const Eigen::Index squared = r.squared;
  if (squared == n) return mse(scores, r.targets);
  if (squared == 0) return mae(scores, r.targets);
  // A mixed batch: the mean over all targets, each by its own form.
  const auto share = [n](Eigen::Index k) { return static_cast<float>(k) / static_cast<float>(n); };
  return add(scale(mse(slice_rows(scores, 0, squared), r.targets.topRows(squared)), share(squared)),
             scale(mae(slice_rows(scores, squared, n - squared), r.targets.bottomRows(n - squared)), share(n - squared)));
}

/// One guarded optimiser step, shared by ML and Adv: records the loss with
/// `make_loss(tape&) -> var`, and only when the loss and the gradient norm are finite lets
/// `opt` step. Otherwise throws `non_finite_error` naming `who`, with parameters and
/// optimiser state unchanged. Returns the loss before the step.
template <class Params, class Opt, class MakeLoss>
double guarded_step(Params& params, Opt& opt, const char* who, MakeLoss&& make_loss) {
  tape& t = tape::local();
  tape_scope scope(t);
  zero_grad(params);
  const var l = make_loss(t);
  const double value = static_cast<double>(l.item());
  if (!std::isfinite(value)) {
    zero_grad(params);
    throw non_finite_error(std::string(who) + "::train_step: the loss is " + std::to_string(value) +
                           "; parameters and optimiser state are unchanged");
  }
  t.backward(l);
  const double norm = gradient_norm(params);
  if (!std::isfinite(norm)) {
    zero_grad(params);
    throw non_finite_error(std::string(who) + "::train_step: the gradient norm is " + std::to_string(norm) +
                           "; parameters and optimiser state are unchanged");
  }
  opt.step(params);
  zero_grad(params);
  return value;
}

namespace detail {

/// Copies every gradient of `params` into `flat`, one after the other (`to_flat`), or back.
template <class Params>
void gradients_to_flat(Params& params, std::vector<float>& flat) {
  flat.resize(count_parameters(params));
  std::size_t at = 0;
  for_each_parameter(params, [&](std::string_view, const parameter& p) {
    std::memcpy(flat.data() + at, p.grad.data(), sizeof(float) * static_cast<std::size_t>(p.grad.size()));
    at += static_cast<std::size_t>(p.grad.size());
  });
}
template <class Params>
void gradients_from_flat(Params& params, const std::vector<float>& flat) {
  std::size_t at = 0;
  for_each_parameter(params, [&](std::string_view, parameter& p) {
    std::memcpy(p.grad.data(), flat.data() + at, sizeof(float) * static_cast<std::size_t>(p.grad.size()));
    at += static_cast<std::size_t>(p.grad.size());
  });
}

/// Calls `f(float* data, std::size_t n)` for every tensor a step changes: the parameters'
/// values and the optimiser's state.
template <class Params, class Opt, class F>
void for_each_trained_tensor(Params& params, Opt& opt, F&& f) {
  for_each_parameter(params, [&](std::string_view, parameter& p) {
    f(p.value.data(), static_cast<std::size_t>(p.value.size()));
  });
  opt.for_each_state([&](std::string_view, tensor& x) { f(x.data(), static_cast<std::size_t>(x.size())); });
}

}  // namespace detail

/// The data-parallel form of `guarded_step` (`aida::DataParallelModel`): records the loss
/// over this rank's `count` targets (none when `count` is 0), exchanges it and its gradient
/// with the other ranks (`aida::exchange_mean`), and steps `opt` on the mean gradient over
/// every rank's targets. Every rank takes part even when its own loss throws; then every rank
/// throws (this one its own exception, the others `aida::error` naming how many ranks
/// failed), as on a non-finite loss or gradient over the ranks (`non_finite_error`), with
/// parameters and optimiser state unchanged. Returns the mean loss over all ranks (0 and no
/// step when no rank has a target).
template <class Params, class Opt, class MakeLoss>
double exchanged_step(Params& params, Opt& opt, const char* who, gradient_exchange& ex, std::size_t count,
                      MakeLoss&& make_loss) {
  tape& t = tape::local();
  tape_scope scope(t);
  zero_grad(params);
  double value = 0;
  std::exception_ptr failure;
  if (count > 0) {
    try {
      const var l = make_loss(t);
      value = static_cast<double>(l.item());
      if (std::isfinite(value)) t.backward(l);
    } catch (...) {
      failure = std::current_exception();
      zero_grad(params);
    }
  }
  thread_local std::vector<float> flat;
  detail::gradients_to_flat(params, flat);
  const exchange_result r = exchange_mean(ex, flat, value, count, failure == nullptr);
  zero_grad(params);
  if (failure) std::rethrow_exception(failure);
  if (r.failed > 0)
    throw error(std::string(who) + "::train_step: the step failed on " + std::to_string(r.failed) +
                " other rank(s) (see their errors); parameters and optimiser state are unchanged");
  if (r.count == 0) return 0;
  if (!std::isfinite(r.loss))
    throw non_finite_error(std::string(who) + "::train_step: the loss over all ranks is " + std::to_string(r.loss) +
                           "; parameters and optimiser state are unchanged");
  detail::gradients_from_flat(params, flat);
  const double norm = gradient_norm(params);
  if (!std::isfinite(norm)) {
    zero_grad(params);
    throw non_finite_error(std::string(who) + "::train_step: the gradient norm over all ranks is " +
                           std::to_string(norm) + "; parameters and optimiser state are unchanged");
  }
  opt.step(params);
  zero_grad(params);
  return r.loss;
}

/// Makes the parameters and optimiser state of `params` and `opt` those of rank `root`
/// (`aida::DataParallelModel::synchronize`). Throws `aida::error` on every rank, changing
/// nothing, when the ranks' models differ in size (different configurations).
template <class Params, class Opt>
void synchronize_state(Params& params, Opt& opt, const char* who, gradient_exchange& ex, int root) {
  if (root < 0 || root >= ex.size())
    throw error(std::string(who) + "::synchronize: root " + std::to_string(root) + " is not a rank (there are " +
                std::to_string(ex.size()) + ")");
  std::size_t floats = 0;
  detail::for_each_trained_tensor(params, opt, [&](float*, std::size_t n) { floats += n; });
  std::uint64_t sizes[2] = {floats, opt.step_count()};
  std::uint64_t root_sizes[2] = {sizes[0], sizes[1]};
  ex.broadcast(std::as_writable_bytes(std::span<std::uint64_t>(root_sizes)), root);
  double mismatch[1] = {root_sizes[0] == sizes[0] ? 0.0 : 1.0};
  ex.all_reduce_sum(std::span<double>(mismatch));
  if (mismatch[0] > 0)
    throw error(std::string(who) + "::synchronize: " + std::to_string(static_cast<int>(mismatch[0])) +
                " rank(s) hold a model of another size than rank " + std::to_string(root) + "'s (" +
                std::to_string(root_sizes[0]) + " trained values; this rank: " + std::to_string(sizes[0]) +
                "): make every rank's model with the same configuration");
  std::vector<float> flat;
  flat.reserve(floats);
  detail::for_each_trained_tensor(params, opt, [&](float* p, std::size_t n) { flat.insert(flat.end(), p, p + n); });
  ex.broadcast(std::as_writable_bytes(std::span<float>(flat)), root);
  std::size_t at = 0;
  detail::for_each_trained_tensor(params, opt, [&](float* p, std::size_t n) {
    std::memcpy(p, flat.data() + at, sizeof(float) * n);
    at += n;
  });
  opt.step_count() = root_sizes[1];
}

}  // namespace aida::nn
