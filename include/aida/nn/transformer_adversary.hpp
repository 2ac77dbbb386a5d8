#pragma once
/// \file
/// `aida::nn::transformer_adversary`: Adv of spec §1–§2 for a `transformer_model`.
///
/// Two readings of a question are joined and mapped by an MLP to one scalar, the predicted
/// −L (higher means ML answers better):
/// - its own: a small Transformer encoder over the question's characters, pooled by a
///   learned query that attends over its states;
/// - ML's: a second learned query attends over ML's output O (the encoder states of the
///   question, projected to the adversary's width), so the adversary reads what ML made of
///   each character rather than one summary vector. O enters as a constant: no gradient
///   flows into ML (spec §2).
///
/// Trained against the recorded −L by each target's loss form (spec §2): `(Adv + L)²` by
/// default, `|Adv + L|` for targets recorded with `adversary_loss::absolute`.
///
/// Satisfies `aida::TrainableAdversary<transformer_adversary, std::string, encoder_states>`.

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "aida/core/concepts.hpp"
#include "aida/core/episode.hpp"
#include "aida/nn/char_encoder.hpp"
#include "aida/nn/optim.hpp"
#include "aida/nn/transformer_layers.hpp"
#include "aida/nn/transformer_model.hpp"

namespace aida::nn {

/// Configuration of `transformer_adversary`; `validate()` (called by the constructor)
/// throws `config_error` naming the field.
struct transformer_adversary_config {
  std::string charset = printable_ascii();  ///< characters of questions
  std::size_t width = 32;                   ///< the adversary's own state width
  std::size_t heads = 2;                    ///< attention heads (must divide `width`)
  std::size_t layers = 1;                   ///< its own encoder layers
  std::size_t feed_forward = 64;            ///< hidden width of its feed-forward blocks
  std::size_t max_question_length = 256;    ///< positions of its encoder
  std::size_t model_output_size = 64;       ///< width of ML's states (`transformer_model::output_size()`)
  std::size_t mlp_hidden = 64;              ///< hidden width of the MLP head
  /// The MLP's output is multiplied by this, so that scores of the size of typical losses
  /// (tens of nats) are within a few Adam steps of the initial ones.
  float output_scale = 10.0f;
  float learning_rate = 1e-3f;              ///< Adam's step size
  float clip = 1.0f;                        ///< gradient-norm clipping threshold (0: none)
  std::uint64_t seed = 0;                   ///< initialisation of the parameters

  /// Throws `config_error` naming the field when the configuration cannot work.
  void validate() const {
    auto fail = [](const std::string& what) { throw config_error("aida::nn::transformer_adversary_config: " + what); };
    (void)vocabulary(charset);
    auto check_size = [&](const char* field, std::size_t v, std::size_t hi) {
      if (v == 0 || v > hi) fail(std::string(field) + " = " + std::to_string(v) + " (must be in 1.." + std::to_string(hi) + ")");
    };
    check_size("width", width, 8192);
    check_size("heads", heads, width);
    if (width % heads != 0)
      fail("heads = " + std::to_string(heads) + " does not divide width = " + std::to_string(width));
    check_size("layers", layers, 64);
    check_size("feed_forward", feed_forward, 65536);
    check_size("max_question_length", max_question_length, 1 << 20);
    check_size("model_output_size", model_output_size, 65536);
    check_size("mlp_hidden", mlp_hidden, 65536);
    if (!(std::isfinite(output_scale) && output_scale > 0))
      fail("output_scale = " + std::to_string(output_scale) + " (must be finite and > 0)");
    if (!(std::isfinite(learning_rate) && learning_rate > 0))
      fail("learning_rate = " + std::to_string(learning_rate) + " (must be finite and > 0)");
    if (!(std::isfinite(clip) && clip >= 0)) fail("clip = " + std::to_string(clip) + " (must be finite and >= 0)");
  }
};

/// All parameters of `transformer_adversary`, in checkpoint order.
struct transformer_adversary_params {
  BOOST_HANA_DEFINE_STRUCT(transformer_adversary_params, (transformer_encoder_params, encoder),
                           (parameter, own_query), (parameter, model_query), (linear_params, model_key),
                           (linear_params, model_value), (mlp_params, head));
};

/// Adv: see the file comment.
class transformer_adversary {
 public:
  /// Its inference members may be called from several threads at once while nothing trains
  /// it (`aida::concurrent_inference`): their scratch space is the calling thread's tape
  /// (`tape::local()`) and locals; they only read the parameters.
  static constexpr bool concurrent_inference = true;
  /// Questions are strings.
  using question_type = std::string;
  /// What `train_step` trains on.
  using target_type = adversary_target<std::string, encoder_states>;

  /// Validates `cfg` and initialises the parameters from `cfg.seed`.
  explicit transformer_adversary(transformer_adversary_config cfg = {})
      : cfg_((cfg.validate(), std::move(cfg))), vocab_(cfg_.charset) {
    sampler rng(cfg_.seed);
    const auto W = static_cast<Eigen::Index>(cfg_.width);
    const auto M = static_cast<Eigen::Index>(cfg_.model_output_size);
    params_.encoder =
        make_transformer_encoder(static_cast<Eigen::Index>(vocab_.size()), static_cast<Eigen::Index>(cfg_.max_question_length),
                                 W, static_cast<Eigen::Index>(cfg_.feed_forward), cfg_.layers, rng);
    params_.own_query = uniform_parameter(1, W, 0.5f, rng);
    params_.model_query = uniform_parameter(1, W, 0.5f, rng);
    params_.model_key = make_linear(M, W, rng);
    params_.model_value = make_linear(M, W, rng);
    params_.head = make_mlp(2 * W, static_cast<Eigen::Index>(cfg_.mlp_hidden), 1, rng);
    opt_ = adam(params_, adam_options{.learning_rate = cfg_.learning_rate, .clip_norm = cfg_.clip});
  }

  /// The configuration it was built with.
  [[nodiscard]] const transformer_adversary_config& config() const noexcept { return cfg_; }
  /// The reflected parameters (for checkpoints, counting, inspection).
  transformer_adversary_params& parameters() noexcept { return params_; }
  /// The parameters, read-only.
  [[nodiscard]] const transformer_adversary_params& parameters() const noexcept { return params_; }
  /// The Adam optimiser with its state (for checkpoints).
  adam& optimizer() noexcept { return opt_; }
  /// The optimiser, read-only.
  [[nodiscard]] const adam& optimizer() const noexcept { return opt_; }

  /// A copy of the parameters and the optimiser's state (`aida::Restorable`: `aida::train`
  /// takes one before each step's updates, to undo them if the step fails).
  using snapshot_type = learner_snapshot<transformer_adversary_params, adam>;
  /// Takes the snapshot described above.
  [[nodiscard]] snapshot_type snapshot() const { return {params_, opt_}; }
  /// Takes it into `s`, an earlier snapshot of this model, reusing its storage
  /// (`aida::SnapshotInto`: `aida::train` keeps one from step to step).
  void snapshot_into(snapshot_type& s) const { s.copy_from(params_, opt_); }
  /// Puts back the state of a snapshot of this model; moves only, so it cannot throw.
  void restore(snapshot_type&& s) noexcept { s.move_into(params_, opt_); }

  /// Adv(q, o): the predicted −L of ML on question `q`, whose output is `o`.
  double score(const std::string& q, const encoder_states& o) const {
    return score_batch(std::span<const std::string>(&q, 1), std::span<const encoder_states>(&o, 1))[0];
  }

  /// Scores of many (question, output) pairs in one batched pass.
  std::vector<double> score_batch(std::span<const std::string> qs, std::span<const encoder_states> os) const {
    if (qs.size() != os.size())
      throw shape_error("aida::nn::transformer_adversary::score_batch: " + std::to_string(qs.size()) +
                        " questions and " + std::to_string(os.size()) + " outputs");
    std::vector<double> out(qs.size());
    if (qs.empty()) return out;
    for (std::size_t i = 0; i < qs.size(); ++i) {
      check_question(qs[i]);
      check_output(os[i]);
    }
    tape& t = tape::local();
    tape_scope scope(t);
    const var s = forward(t, qs.size(), [&](std::size_t i) { return std::string_view(qs[i]); },
                          [&](std::size_t i) -> const tensor& { return os[i].value; }, false);
    for (std::size_t i = 0; i < qs.size(); ++i) out[i] = static_cast<double>(s.value()(static_cast<Eigen::Index>(i), 0));
    return out;
  }

  /// Records on `t` the loss `train_step` minimises: the mean over a non-empty `batch` of
  /// each target's error, `(score − target)²` or `|score − target|` by its `form` (spec §2).
  /// Throws before recording anything.
  var loss(tape& t, std::span<const target_type> batch) {
    if (batch.empty()) throw error("aida::nn::transformer_adversary::loss: the batch is empty");
    const adversary_regression r = order_by_loss_form(batch);
    for (const std::size_t i : r.order) {
      check_question(batch[i].query);
      check_output(batch[i].output);
    }
    const var s = forward(t, batch.size(), [&](std::size_t k) { return std::string_view(batch[r.order[k]].query); },
                          [&](std::size_t k) -> const tensor& { return batch[r.order[k]].output.value; }, true);
    return adversary_regression_loss(s, r);
  }

  /// One Adam step on the mean over `batch` of each target's error; returns
  /// that mean before the step (0 for an empty batch). Throws `vocabulary_error`,
  /// `shape_error` or `non_finite_error`, leaving parameters and optimiser state unchanged.
  double train_step(std::span<const target_type> batch) {
    if (batch.empty()) return 0;
    return guarded_step(params_, opt_, name, [&](tape& t) { return loss(t, batch); });
  }

  /// Data-parallel training (`aida::DataParallelModel`, docs/scaling.md): one Adam step on
  /// the mean loss over the union of every rank's `batch` (this rank's may be empty), the
  /// gradients summed over the ranks through `ex`; returns that mean, the same on every rank.
  /// Every rank must call it together. Errors as `train_step(batch)`'s, on every rank.
  double train_step(std::span<const target_type> batch, gradient_exchange& ex) {
    return exchanged_step(params_, opt_, name, ex, batch.size(), [&](tape& t) { return loss(t, batch); });
  }

  /// Makes the parameters and optimiser state those of rank `root` (every rank calls it
  /// together); throws `aida::error` on every rank when the ranks' configurations differ in size.
  void synchronize(gradient_exchange& ex, int root) { synchronize_state(params_, opt_, name, ex, root); }

 private:
  static constexpr const char* name = "aida::nn::transformer_adversary";

  [[nodiscard]] std::int32_t heads() const noexcept { return static_cast<std::int32_t>(cfg_.heads); }

  void check_question(std::string_view q) const {
    vocab_.check(q, name, "question");
    check_length(q, cfg_.max_question_length, name, "question", "transformer_adversary_config::max_question_length");
  }

  void check_output(const encoder_states& o) const {
    if (o.value.cols() != static_cast<Eigen::Index>(cfg_.model_output_size))
      throw shape_error("aida::nn::transformer_adversary: ML's output has rows of width " +
                        std::to_string(o.value.cols()) + ", the adversary was configured for " +
                        std::to_string(cfg_.model_output_size) + " (transformer_adversary_config::model_output_size)");
  }

  /// Scores [count, 1] of questions `q(i)` with ML states `o(i)`.
  template <class GetQ, class GetO>
  var forward(tape& t, std::size_t count, GetQ&& q, GetO&& o, bool train) const {
    const padded_batch batch = pad_strings(vocab_, count, q);
    const var own = transformer_encode(t, params_.encoder, batch, heads(), train);
    // One learned query per question, attending over its own states and over ML's.
    const std::vector<std::int32_t> zeros(count, 0);
    const var own_query = gather(bind(t, params_.own_query, train), zeros);
    const var own_pool = attention(own_query, own, own, heads(), batch.lengths, false);

    // ML's states enter as a constant, padded to the longest: the adversary never trains ML.
    Eigen::Index rows = 1;
    std::vector<std::int32_t> lengths(count);
    for (std::size_t i = 0; i < count; ++i) {
      lengths[i] = static_cast<std::int32_t>(o(i).rows());
      rows = std::max(rows, o(i).rows());
    }
    const auto M = static_cast<Eigen::Index>(cfg_.model_output_size);
    node n = t.make_node(static_cast<Eigen::Index>(count) * rows, M, false);
    auto states = n.value_map();
    states.setZero();
    for (std::size_t i = 0; i < count; ++i)
      states.middleRows(static_cast<Eigen::Index>(i) * rows, o(i).rows()) = o(i);
    const var model_states = t.push(n);
    const var model_query = gather(bind(t, params_.model_query, train), zeros);
    const var model_pool = attention(model_query, linear(t, params_.model_key, model_states, train),
                                     linear(t, params_.model_value, model_states, train), heads(), lengths, false);
    return scale(mlp(t, params_.head, concat(own_pool, model_pool), train), cfg_.output_scale);
  }

  transformer_adversary_config cfg_;
  vocabulary vocab_;
  transformer_adversary_params params_;
  adam opt_;
};

static_assert(TrainableAdversary<transformer_adversary, std::string, encoder_states>);
static_assert(Restorable<transformer_adversary>);

}  // namespace aida::nn
