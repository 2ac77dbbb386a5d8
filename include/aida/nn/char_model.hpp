#pragma once
/// \file
/// `aida::nn::char_model`: ML of spec §1 for string questions and answers.
///
/// A character encoder (embedding + GRU) maps a question to its embedding vector, the
/// model's output. A GRU language model conditioned on that vector (it starts from it, and
/// a projection of it is added to the decoder's input at every step) gives
///
///     p(answer | embedding) = Π_k p(answer[k] | answer[0..k), embedding) · p(end | answer, embedding)
///
/// over the charset plus an end token. `log_prob` evaluates it by teacher forcing;
/// `sample` draws character by character with the Gumbel-max trick at a temperature;
/// `greedy` takes the most likely character at each step; `train_step` is one Adam step on
/// the mean −log-likelihood of a batch of (question, answer) targets, padded and masked.
///
/// Satisfies `aida::TrainableModel<char_model, std::string, std::string>`, with the
/// optional `predict_batch`.

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "aida/core/concepts.hpp"
#include "aida/core/episode.hpp"
#include "aida/core/sampler.hpp"
#include "aida/nn/char_encoder.hpp"
#include "aida/nn/layers.hpp"
#include "aida/nn/optim.hpp"
#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// Configuration of `char_model`; `validate()` (called by the constructor) throws
/// `config_error` naming the field.
struct char_model_config {
  /// Characters of questions and answers, and every character the codec writes
  /// (`aida::string_codec::alphabet()`): e.g. the task's characters + `codec.alphabet()`.
  std::string charset = printable_ascii();
  std::size_t embedding = 64;               ///< width of the character embeddings
  std::size_t hidden = 128;                 ///< GRU state width = size of ML's embedding vector
  std::size_t max_answer_length = 64;       ///< `sample` and `greedy` stop after this many characters
  float learning_rate = 3e-3f;              ///< Adam's step size
  float clip = 1.0f;                        ///< gradient-norm clipping threshold (0: none)
  float temperature = 1.0f;                 ///< temperature of `sample`
  std::uint64_t seed = 0;                   ///< initialisation of the parameters

  /// Throws `config_error` naming the field when the configuration cannot work.
  void validate() const {
    auto fail = [](const std::string& what) { throw config_error("aida::nn::char_model_config: " + what); };
    (void)vocabulary(charset);  // empty or repeated characters
    if (charset.size() > 4096) fail("charset has " + std::to_string(charset.size()) + " characters (at most 4096)");
    if (embedding == 0 || embedding > 65536) fail("embedding = " + std::to_string(embedding) + " (must be in 1..65536)");
    if (hidden == 0 || hidden > 65536) fail("hidden = " + std::to_string(hidden) + " (must be in 1..65536)");
    if (max_answer_length == 0) fail("max_answer_length = 0 (must be at least 1)");
    if (!(std::isfinite(learning_rate) && learning_rate > 0))
      fail("learning_rate = " + std::to_string(learning_rate) + " (must be finite and > 0)");
    if (!(std::isfinite(clip) && clip >= 0)) fail("clip = " + std::to_string(clip) + " (must be finite and >= 0)");
    if (!(std::isfinite(temperature) && temperature > 0))
      fail("temperature = " + std::to_string(temperature) + " (must be finite and > 0)");
  }
};

/// The parameters of the conditioned decoder: input embeddings (charset + start), the
/// projection of the conditioning vector onto the GRU's gates, the GRU, and the output
/// layer (charset + end).
struct char_decoder_params {
  BOOST_HANA_DEFINE_STRUCT(char_decoder_params, (embedding_params, embed), (linear_params, condition),
                           (gru_params, gru), (linear_params, output));
};

/// All parameters of `char_model`, in checkpoint order.
struct char_model_params {
  BOOST_HANA_DEFINE_STRUCT(char_model_params, (char_encoder_params, encoder), (char_decoder_params, decoder));
};

/// ML: the character embedding model (spec §1). See the file comment.
class char_model {
 public:
  /// Its inference members may be called from several threads at once while nothing trains
  /// it (`aida::concurrent_inference`): their scratch space is the calling thread's tape
  /// (`tape::local()`) and locals; they only read the parameters.
  static constexpr bool concurrent_inference = true;
  /// Questions are strings.
  using question_type = std::string;
  /// So are answers.
  using answer_type = std::string;
  /// ML's output for a question (`predict`), which the adversary scores.
  using output_type = embedding_vector;
  /// What `train_step` trains on.
  using target_type = model_target<std::string, std::string>;

  /// Validates `cfg` and initialises the parameters from `cfg.seed`.
  explicit char_model(char_model_config cfg = {}) : cfg_((cfg.validate(), std::move(cfg))), vocab_(cfg_.charset) {
    sampler rng(cfg_.seed);
    const auto V = static_cast<Eigen::Index>(vocab_.size());
    const auto E = static_cast<Eigen::Index>(cfg_.embedding);
    const auto H = static_cast<Eigen::Index>(cfg_.hidden);
    params_.encoder = make_char_encoder(V, E, H, rng);
    params_.decoder.embed = make_embedding(V + 1, E, rng);  // + start
    params_.decoder.condition = make_linear(H, 3 * H, rng);
    params_.decoder.gru = make_gru(E, H, rng);
    params_.decoder.output = make_linear(H, V + 1, rng);  // + end
    opt_ = adam(params_, adam_options{.learning_rate = cfg_.learning_rate, .clip_norm = cfg_.clip});
  }

  /// The configuration it was built with.
  [[nodiscard]] const char_model_config& config() const noexcept { return cfg_; }
  /// The vocabulary of `config().charset`.
  [[nodiscard]] const vocabulary& vocab() const noexcept { return vocab_; }
  /// The width of the embedding vectors `predict` returns.
  [[nodiscard]] std::size_t output_size() const noexcept { return cfg_.hidden; }

  /// The reflected parameters (for checkpoints, counting, inspection).
  char_model_params& parameters() noexcept { return params_; }
  /// The parameters, read-only.
  [[nodiscard]] const char_model_params& parameters() const noexcept { return params_; }
  /// The Adam optimiser with its state (for checkpoints).
  adam& optimizer() noexcept { return opt_; }
  /// The optimiser, read-only.
  [[nodiscard]] const adam& optimizer() const noexcept { return opt_; }

  /// A copy of the parameters and the optimiser's state (`aida::Restorable`: `aida::train`
  /// takes one before each step's updates, to undo them if the step fails).
  using snapshot_type = learner_snapshot<char_model_params, adam>;
  /// Takes the snapshot described above.
  [[nodiscard]] snapshot_type snapshot() const { return {params_, opt_}; }
  /// Takes it into `s`, an earlier snapshot of this model, reusing its storage
  /// (`aida::SnapshotInto`: `aida::train` keeps one from step to step).
  void snapshot_into(snapshot_type& s) const { s.copy_from(params_, opt_); }
  /// Puts back the state of a snapshot of this model; moves only, so it cannot throw.
  void restore(snapshot_type&& s) noexcept { s.move_into(params_, opt_); }

  /// ML(q): the embedding vector of question `q`. Throws `vocabulary_error`.
  embedding_vector predict(const std::string& q) const { return std::move(predict_batch(std::span<const std::string>(&q, 1))[0]); }

  /// The embedding vectors of many questions at once (one batched encoder pass).
  std::vector<embedding_vector> predict_batch(std::span<const std::string> qs) const {
    for (const auto& q : qs) vocab_.check(q, name, "question");
    std::vector<embedding_vector> out(qs.size());
    if (qs.empty()) return out;
    tape& t = tape::local();
    tape_scope scope(t);
    const var e = encode_strings(t, params_.encoder, vocab_, qs.size(), [&](std::size_t i) { return std::string_view(qs[i]); }, false);
    const auto ev = e.value();
    for (std::size_t i = 0; i < qs.size(); ++i) out[i].value = ev.row(static_cast<Eigen::Index>(i));
    return out;
  }

  /// log ML(a | o): teacher-forced log-probability of answer `a` and the end token.
  double log_prob(const embedding_vector& o, const std::string& a) const {
    check_output(o);
    vocab_.check(a, name, "answer");
    tape& t = tape::local();
    tape_scope scope(t);
    const var nll = decoder_nll(t, t.view(o.value), 1, [&](std::size_t) { return std::string_view(a); }, false);
    return -static_cast<double>(nll.item());
  }

  /// A draw from ML(· | o) at the configured temperature (Gumbel-max per character).
  template <Sampler S>
  std::string sample(const embedding_vector& o, S& rng) const {
    return sample(o, rng, cfg_.temperature);
  }

  /// A draw at temperature `temperature` (> 0): each character is
  /// `argmax_k (logit_k / temperature + g_k)` with `g_k` standard Gumbel draws from `rng`.
  template <Sampler S>
  std::string sample(const embedding_vector& o, S& rng, float temperature) const {
    check_temperature(temperature, name);
    return decode(o, [&](const auto& logits) { return gumbel_max_token(logits, temperature, rng); });
  }

  /// The answer built from the most likely character at each step.
  std::string greedy(const embedding_vector& o) const {
    return decode(o, [](const auto& logits) { return argmax_token(logits); });
  }

  /// Records on `t` the loss `train_step` minimises, the mean over a non-empty `batch` of
  /// −log ML(target | query), with gradients flowing to the parameters (after
  /// `t.backward`, into their `grad`s). For gradient checks and custom training loops.
  /// Throws `vocabulary_error` before recording anything.
  var loss(tape& t, std::span<const target_type> batch) {
    if (batch.empty()) throw error("aida::nn::char_model::loss: the batch is empty");
    for (const auto& x : batch) {
      vocab_.check(x.query, name, "question");
      vocab_.check(x.target, name, "answer");
    }
    const var e = encode_strings(t, params_.encoder, vocab_, batch.size(),
                                 [&](std::size_t i) { return std::string_view(batch[i].query); }, true);
    return decoder_nll(t, e, batch.size(), [&](std::size_t i) { return std::string_view(batch[i].target); }, true);
  }

  /// One Adam step on the mean over `batch` of −log ML(target | query); returns that mean
  /// before the step (0 for an empty batch, which changes nothing). Throws
  /// `vocabulary_error` for a character outside the charset, and `non_finite_error` for a
  /// non-finite loss or gradient; either way parameters and optimiser state are unchanged.
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
  static constexpr const char* name = "aida::nn::char_model";

  [[nodiscard]] std::int32_t start_token() const noexcept { return static_cast<std::int32_t>(vocab_.size()); }
  [[nodiscard]] std::int32_t end_token() const noexcept { return static_cast<std::int32_t>(vocab_.size()); }

  void check_output(const embedding_vector& o) const {
    if (o.value.rows() != 1 || o.value.cols() != static_cast<Eigen::Index>(cfg_.hidden))
      throw shape_error("aida::nn::char_model: an output of " + std::to_string(o.value.rows()) + "x" +
                        std::to_string(o.value.cols()) + " is not an embedding vector of this model (1x" +
                        std::to_string(cfg_.hidden) + ")");
  }

  /// Σ_b −log p(answer_b | e_b) / count, teacher-forced, for `count` answers `get(b)`
  /// (checked) conditioned on the rows of `e` [count, H].
  template <class Get>
  var decoder_nll(tape& t, var e, std::size_t count, Get&& get, bool train) const {
    std::size_t longest = 0;
    for (std::size_t b = 0; b < count; ++b) longest = std::max(longest, std::string_view(get(b)).size());
    const std::size_t steps = longest + 1;  // the characters, then the end token
    std::vector<std::int32_t> inputs(steps * count, start_token());
    std::vector<std::int32_t> targets(steps * count, 0);
    std::vector<float> weights(steps * count, 0.0f);
    const float w = 1.0f / static_cast<float>(count);
    for (std::size_t b = 0; b < count; ++b) {
      const std::string_view a = get(b);
      for (std::size_t k = 0; k <= a.size(); ++k) {
        const std::size_t row = k * count + b;
        if (k > 0) inputs[row] = vocab_.index(a[k - 1]);
        targets[row] = k < a.size() ? vocab_.index(a[k]) : end_token();
        weights[row] = w;
      }
    }
    auto& d = params_.decoder;
    const var cond = matmul(e, bind(t, d.condition.weight, train));
    const var extra = add_broadcast(cond, bind(t, d.condition.bias, train));
    // Steps after a sequence's end token carry weight 0, so no mask is needed: they cannot
    // influence the earlier steps that the loss reads.
    const var states = gru_over_symbols(t, d.embed, d.gru, inputs, e, {}, train, extra);
    const var logits = linear(t, d.output, states, train);
    return softmax_nll(logits, targets, weights);
  }

  /// Decodes one answer from `o`, choosing each token with `choose(logits [1, V+1])`.
  template <class Choose>
  std::string decode(const embedding_vector& o, Choose&& choose) const {
    check_output(o);
    tape& t = tape::local();
    tape_scope scope(t);
    auto& d = params_.decoder;
    // The per-answer part of the input projection: o W_c + b_c + b_ih, computed once.
    tensor extra = o.value * d.condition.weight.value;
    extra += d.condition.bias.value;
    extra += d.gru.b_ih.value;
    tensor h = o.value;
    std::string out;
    std::int32_t prev = start_token();
    const var w_ih = t.view(d.gru.w_ih.value), w_hh = t.view(d.gru.w_hh.value), b_hh = t.view(d.gru.b_hh.value);
    const var table = t.view(d.embed.table.value), extra_v = t.view(extra);
    while (out.size() < cfg_.max_answer_length) {
      tape_scope step(t);
      const var xproj = add(matmul(gather(table, std::span<const std::int32_t>(&prev, 1)), w_ih), extra_v);
      const var hn = gru_cell(xproj, t.view(h), w_hh, b_hh);
      const var logits = linear(t, d.output, hn, false);
      h = hn.value();
      const auto k = static_cast<std::int32_t>(choose(logits.value()));
      if (k == end_token()) break;
      out += vocab_.at(static_cast<std::size_t>(k));
      prev = k;
    }
    return out;
  }

  char_model_config cfg_;
  vocabulary vocab_;
  char_model_params params_;
  adam opt_;
};

static_assert(TrainableModel<char_model, std::string, std::string>);
static_assert(Restorable<char_model>);

}  // namespace aida::nn
