#pragma once
/// \file
/// `aida::nn::adversary_model`: Adv of spec §1–§2 for string questions.
///
/// Its own character encoder reads the question; the encoding is joined with ML's
/// embedding vector of the question (an input only: no gradient flows into ML) and an MLP
/// maps the pair to one scalar, the predicted −L (higher means ML answers better).
/// Trained against the recorded −L by each target's loss form (spec §2): squared error
/// `(Adv + L)²` by default, absolute error `|Adv + L|` for targets recorded with
/// `adversary_loss::absolute`.
///
/// Satisfies `aida::TrainableAdversary<adversary_model, std::string, embedding_vector>`.

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
#include "aida/nn/layers.hpp"
#include "aida/nn/optim.hpp"
#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// Configuration of `adversary_model`; `validate()` (called by the constructor) throws
/// `config_error` naming the field.
struct adversary_config {
  std::string charset = printable_ascii();  ///< characters of questions
  std::size_t embedding = 32;               ///< width of the character embeddings
  std::size_t hidden = 64;                  ///< width of the adversary's own question encoding
  std::size_t mlp_hidden = 64;              ///< hidden width of the MLP head
  std::size_t model_output_size = 128;      ///< width of ML's embedding vectors (`char_model::output_size()`)
  /// The MLP's output is multiplied by this, so that scores of the size of typical losses
  /// (tens of nats) are within a few Adam steps of the initial ones.
  float output_scale = 10.0f;
  float learning_rate = 1e-3f;  ///< Adam's step size
  float clip = 1.0f;            ///< gradient-norm clipping threshold (0: none)
  std::uint64_t seed = 0;       ///< initialisation of the parameters

  /// Throws `config_error` naming the field when the configuration cannot work.
  void validate() const {
    auto fail = [](const std::string& what) { throw config_error("aida::nn::adversary_config: " + what); };
    (void)vocabulary(charset);
    auto check_size = [&](const char* field, std::size_t v) {
      if (v == 0 || v > 65536) fail(std::string(field) + " = " + std::to_string(v) + " (must be in 1..65536)");
    };
    check_size("embedding", embedding);
    check_size("hidden", hidden);
    check_size("mlp_hidden", mlp_hidden);
    check_size("model_output_size", model_output_size);
    if (!(std::isfinite(output_scale) && output_scale > 0))
      fail("output_scale = " + std::to_string(output_scale) + " (must be finite and > 0)");
    if (!(std::isfinite(learning_rate) && learning_rate > 0))
      fail("learning_rate = " + std::to_string(learning_rate) + " (must be finite and > 0)");
    if (!(std::isfinite(clip) && clip >= 0)) fail("clip = " + std::to_string(clip) + " (must be finite and >= 0)");
  }
};

/// All parameters of `adversary_model`, in checkpoint order.
struct adversary_params {
  BOOST_HANA_DEFINE_STRUCT(adversary_params, (char_encoder_params, encoder), (mlp_params, head));
};

/// Adv: see the file comment.
class adversary_model {
 public:
  /// Its inference members may be called from several threads at once while nothing trains
  /// it (`aida::concurrent_inference`): their scratch space is the calling thread's tape
  /// (`tape::local()`) and locals; they only read the parameters.
  static constexpr bool concurrent_inference = true;
  /// Questions are strings.
  using question_type = std::string;
  /// What `train_step` trains on.
  using target_type = adversary_target<std::string, embedding_vector>;

  /// Validates `cfg` and initialises the parameters from `cfg.seed`.
  explicit adversary_model(adversary_config cfg = {}) : cfg_((cfg.validate(), std::move(cfg))), vocab_(cfg_.charset) {
    sampler rng(cfg_.seed);
    const auto H = static_cast<Eigen::Index>(cfg_.hidden);
    params_.encoder = make_char_encoder(static_cast<Eigen::Index>(vocab_.size()),
                                        static_cast<Eigen::Index>(cfg_.embedding), H, rng);
    params_.head = make_mlp(H + static_cast<Eigen::Index>(cfg_.model_output_size),
                            static_cast<Eigen::Index>(cfg_.mlp_hidden), 1, rng);
    opt_ = adam(params_, adam_options{.learning_rate = cfg_.learning_rate, .clip_norm = cfg_.clip});
  }

  /// The configuration it was built with.
  [[nodiscard]] const adversary_config& config() const noexcept { return cfg_; }
  /// The reflected parameters (for checkpoints, counting, inspection).
  adversary_params& parameters() noexcept { return params_; }
  /// The parameters, read-only.
  [[nodiscard]] const adversary_params& parameters() const noexcept { return params_; }
  /// The Adam optimiser with its state (for checkpoints).
  adam& optimizer() noexcept { return opt_; }
  /// The optimiser, read-only.
  [[nodiscard]] const adam& optimizer() const noexcept { return opt_; }

  /// A copy of the parameters and the optimiser's state (`aida::Restorable`: `aida::train`
  /// takes one before each step's updates, to undo them if the step fails).
  using snapshot_type = learner_snapshot<adversary_params, adam>;
  /// Takes the snapshot described above.
  [[nodiscard]] snapshot_type snapshot() const { return {params_, opt_}; }
  /// Takes it into `s`, an earlier snapshot of this model, reusing its storage
  /// (`aida::SnapshotInto`: `aida::train` keeps one from step to step).
  void snapshot_into(snapshot_type& s) const { s.copy_from(params_, opt_); }
  /// Puts back the state of a snapshot of this model; moves only, so it cannot throw.
  void restore(snapshot_type&& s) noexcept { s.move_into(params_, opt_); }

  /// Adv(q, o): the predicted −L of ML on question `q`, whose output is `o`.
  double score(const std::string& q, const embedding_vector& o) const {
    return score_batch(std::span<const std::string>(&q, 1), std::span<const embedding_vector>(&o, 1))[0];
  }

  /// Scores of many (question, output) pairs in one batched pass.
  std::vector<double> score_batch(std::span<const std::string> qs, std::span<const embedding_vector> os) const {
    if (qs.size() != os.size())
      throw shape_error("aida::nn::adversary_model::score_batch: " + std::to_string(qs.size()) + " questions and " +
                        std::to_string(os.size()) + " outputs");
    std::vector<double> out(qs.size());
    if (qs.empty()) return out;
    for (std::size_t i = 0; i < qs.size(); ++i) {
      vocab_.check(qs[i], name, "question");
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
  /// each target's error, `(score − target)²` or `|score − target|` by its `form`, with
  /// gradients flowing to the parameters. Throws `vocabulary_error` or `shape_error` before
  /// recording anything.
  var loss(tape& t, std::span<const target_type> batch) {
    if (batch.empty()) throw error("aida::nn::adversary_model::loss: the batch is empty");
    const adversary_regression r = order_by_loss_form(batch);
    for (const std::size_t i : r.order) {
      vocab_.check(batch[i].query, name, "question");
      check_output(batch[i].output);
    }
    const var s = forward(t, batch.size(), [&](std::size_t k) { return std::string_view(batch[r.order[k]].query); },
                          [&](std::size_t k) -> const tensor& { return batch[r.order[k]].output.value; }, true);
    return adversary_regression_loss(s, r);
  }

  /// One Adam step on the mean over `batch` of each target's error (`(Adv(query, output) −
  /// target)²`, or its absolute value for `adversary_loss::absolute` targets), the target
  /// being −L (spec §2); returns that mean before the step (0 for an empty batch). Throws
  /// `vocabulary_error`, `shape_error` (an output of the wrong width) or
  /// `non_finite_error`, leaving parameters and optimiser state unchanged.
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
  static constexpr const char* name = "aida::nn::adversary_model";

  void check_output(const embedding_vector& o) const {
    if (o.value.rows() != 1 || o.value.cols() != static_cast<Eigen::Index>(cfg_.model_output_size))
      throw shape_error("aida::nn::adversary_model: ML's output is " + std::to_string(o.value.rows()) + "x" +
                        std::to_string(o.value.cols()) + ", the adversary was configured for 1x" +
                        std::to_string(cfg_.model_output_size) + " (adversary_config::model_output_size)");
  }

  /// Scores [count, 1] of questions `q(i)` with ML outputs `o(i)`.
  template <class GetQ, class GetO>
  var forward(tape& t, std::size_t count, GetQ&& q, GetO&& o, bool train) const {
    const var enc = encode_strings(t, params_.encoder, vocab_, count, q, train);
    // ML's outputs enter as a constant: the adversary's loss never trains ML.
    node n = t.make_node(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(cfg_.model_output_size), false);
    for (std::size_t i = 0; i < count; ++i) n.value_map().row(static_cast<Eigen::Index>(i)) = o(i).row(0);
    const var outputs = t.push(n);
    return scale(mlp(t, params_.head, concat(enc, outputs), train), cfg_.output_scale);
  }

  adversary_config cfg_;
  vocabulary vocab_;
  adversary_params params_;
  adam opt_;
};

static_assert(TrainableAdversary<adversary_model, std::string, embedding_vector>);
static_assert(Restorable<adversary_model>);

}  // namespace aida::nn
