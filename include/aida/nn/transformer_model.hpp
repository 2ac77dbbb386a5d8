#pragma once
/// \file
/// `aida::nn::transformer_model`: ML of spec §1 for string questions and answers, as an
/// encoder–decoder Transformer over characters (pre-layer-norm, multi-head attention).
///
/// The encoder reads the question into one state per character; those states are the
/// model's output O (`encoder_states`), from which the answer distribution is read by a
/// decoder with causal self-attention and cross-attention to O:
///
///     p(answer | O) = Π_k p(answer[k] | answer[0..k), O) · p(end | answer, O)
///
/// over the charset plus an end token. Unlike the GRU model (`char_model`), which must
/// squeeze a question into one vector before it knows what is asked, every position stays
/// readable: lookup tasks (`wildcard`, `assignments`, `permutation`) need that.
///
/// `log_prob` evaluates by teacher forcing; `sample` (Gumbel-max per character at a
/// temperature) and `greedy` decode one character at a time with a key/value cache, so a
/// step costs one row per layer rather than the whole prefix; `train_step` is one Adam step
/// on the mean −log-likelihood of a batch, padded and masked.
///
/// Limits: a question longer than `max_question_length` or an answer longer than
/// `max_answer_length` has no positions and is rejected with `vocabulary_error` naming it
/// and the limit (before anything changes); `sample` and `greedy` stop after
/// `max_answer_length` characters.
///
/// Satisfies `aida::TrainableModel<transformer_model, std::string, std::string>`, with the
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
#include "aida/nn/optim.hpp"
#include "aida/nn/transformer_layers.hpp"

namespace aida::nn {

/// Configuration of `transformer_model`; `validate()` (called by the constructor) throws
/// `config_error` naming the field.
struct transformer_config {
  std::string charset = printable_ascii();  ///< characters of questions and answers
  std::size_t width = 64;                   ///< d_model: embedding and state width
  std::size_t heads = 4;                    ///< attention heads (must divide `width`)
  std::size_t encoder_layers = 2;           ///< layers of the encoder
  std::size_t decoder_layers = 2;           ///< layers of the decoder
  std::size_t feed_forward = 256;           ///< hidden width of the feed-forward blocks
  std::size_t max_question_length = 256;    ///< positions of the encoder
  std::size_t max_answer_length = 32;       ///< positions of the decoder (and the decoding limit)
  float learning_rate = 1e-3f;              ///< Adam's step size
  float clip = 1.0f;                        ///< gradient-norm clipping threshold (0: none)
  float temperature = 1.0f;                 ///< temperature of `sample`
  std::uint64_t seed = 0;                   ///< initialisation of the parameters

  /// Throws `config_error` naming the field when the configuration cannot work.
  void validate() const {
    auto fail = [](const std::string& what) { throw config_error("aida::nn::transformer_config: " + what); };
    (void)vocabulary(charset);
    if (charset.size() > 4096) fail("charset has " + std::to_string(charset.size()) + " characters (at most 4096)");
    auto check_size = [&](const char* field, std::size_t v, std::size_t lo, std::size_t hi) {
      if (v < lo || v > hi)
        fail(std::string(field) + " = " + std::to_string(v) + " (must be in " + std::to_string(lo) + ".." +
             std::to_string(hi) + ")");
    };
    check_size("width", width, 1, 8192);
    check_size("heads", heads, 1, width);
    if (width % heads != 0)
      fail("heads = " + std::to_string(heads) + " does not divide width = " + std::to_string(width));
    check_size("encoder_layers", encoder_layers, 1, 64);
    check_size("decoder_layers", decoder_layers, 1, 64);
    check_size("feed_forward", feed_forward, 1, 65536);
    check_size("max_question_length", max_question_length, 1, 1 << 20);
    check_size("max_answer_length", max_answer_length, 1, 1 << 20);
    if (!(std::isfinite(learning_rate) && learning_rate > 0))
      fail("learning_rate = " + std::to_string(learning_rate) + " (must be finite and > 0)");
    if (!(std::isfinite(clip) && clip >= 0)) fail("clip = " + std::to_string(clip) + " (must be finite and >= 0)");
    if (!(std::isfinite(temperature) && temperature > 0))
      fail("temperature = " + std::to_string(temperature) + " (must be finite and > 0)");
  }
};

/// ML's output for one question: the encoder's final states, one row per character
/// ([length, width]).
struct encoder_states {
  tensor value;  ///< the states, [length, width]

  /// Equal when the shapes and all the values are.
  friend bool operator==(const encoder_states& a, const encoder_states& b) {
    return a.value.rows() == b.value.rows() && a.value.cols() == b.value.cols() && a.value == b.value;
  }
};

/// The decoder: token (charset + start) and position embeddings, the layers, a final
/// normalisation and the output layer (charset + end).
struct transformer_decoder_params {
  BOOST_HANA_DEFINE_STRUCT(transformer_decoder_params, (embedding_params, tokens), (embedding_params, positions),
                           (std::vector<decoder_layer_params>, layers), (layer_norm_params, norm),
                           (linear_params, output));
};

/// All parameters of `transformer_model`, in checkpoint order.
struct transformer_params {
  BOOST_HANA_DEFINE_STRUCT(transformer_params, (transformer_encoder_params, encoder),
                           (transformer_decoder_params, decoder));
};

/// ML: see the file comment.
class transformer_model {
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
  using output_type = encoder_states;
  /// What `train_step` trains on.
  using target_type = model_target<std::string, std::string>;

  /// Validates `cfg` and initialises the parameters from `cfg.seed`.
  explicit transformer_model(transformer_config cfg = {})
      : cfg_((cfg.validate(), std::move(cfg))), vocab_(cfg_.charset) {
    sampler rng(cfg_.seed);
    const auto V = static_cast<Eigen::Index>(vocab_.size());
    const auto D = static_cast<Eigen::Index>(cfg_.width);
    const auto F = static_cast<Eigen::Index>(cfg_.feed_forward);
    params_.encoder = make_transformer_encoder(V, static_cast<Eigen::Index>(cfg_.max_question_length), D, F,
                                               cfg_.encoder_layers, rng);
    auto& d = params_.decoder;
    d.tokens = {uniform_parameter(V + 1, D, 0.5f, rng)};  // + start
    d.positions = {uniform_parameter(static_cast<Eigen::Index>(cfg_.max_answer_length) + 1, D, 0.5f, rng)};
    for (std::size_t i = 0; i < cfg_.decoder_layers; ++i) d.layers.push_back(make_decoder_layer(D, F, rng));
    d.norm = make_layer_norm(D);
    d.output = make_linear(D, V + 1, rng);  // + end
    opt_ = adam(params_, adam_options{.learning_rate = cfg_.learning_rate, .clip_norm = cfg_.clip});
  }

  /// The configuration it was built with.
  [[nodiscard]] const transformer_config& config() const noexcept { return cfg_; }
  /// The vocabulary of `config().charset`.
  [[nodiscard]] const vocabulary& vocab() const noexcept { return vocab_; }
  /// The width of the rows of the states `predict` returns.
  [[nodiscard]] std::size_t output_size() const noexcept { return cfg_.width; }

  /// The reflected parameters (for checkpoints, counting, inspection).
  transformer_params& parameters() noexcept { return params_; }
  /// The parameters, read-only.
  [[nodiscard]] const transformer_params& parameters() const noexcept { return params_; }
  /// The Adam optimiser with its state (for checkpoints).
  adam& optimizer() noexcept { return opt_; }
  /// The optimiser, read-only.
  [[nodiscard]] const adam& optimizer() const noexcept { return opt_; }

  /// A copy of the parameters and the optimiser's state (`aida::Restorable`: `aida::train`
  /// takes one before each step's updates, to undo them if the step fails).
  using snapshot_type = learner_snapshot<transformer_params, adam>;
  /// Takes the snapshot described above.
  [[nodiscard]] snapshot_type snapshot() const { return {params_, opt_}; }
  /// Takes it into `s`, an earlier snapshot of this model, reusing its storage
  /// (`aida::SnapshotInto`: `aida::train` keeps one from step to step).
  void snapshot_into(snapshot_type& s) const { s.copy_from(params_, opt_); }
  /// Puts back the state of a snapshot of this model; moves only, so it cannot throw.
  void restore(snapshot_type&& s) noexcept { s.move_into(params_, opt_); }

  /// ML(q): the encoder's states for `q`. Throws `vocabulary_error` (a character outside
  /// the charset, or a question longer than `max_question_length`).
  encoder_states predict(const std::string& q) const { return std::move(predict_batch(std::span<const std::string>(&q, 1))[0]); }

  /// The states of many questions at once (one batched encoder pass).
  std::vector<encoder_states> predict_batch(std::span<const std::string> qs) const {
    for (const auto& q : qs) check_question(q);
    std::vector<encoder_states> out(qs.size());
    if (qs.empty()) return out;
    tape& t = tape::local();
    tape_scope scope(t);
    const padded_batch batch = pad_strings(vocab_, qs.size(), [&](std::size_t i) { return std::string_view(qs[i]); });
    const var states = transformer_encode(t, params_.encoder, batch, heads(), false);
    const auto sv = states.value();
    for (std::size_t i = 0; i < qs.size(); ++i)
      out[i].value = sv.middleRows(static_cast<Eigen::Index>(i) * batch.width, batch.lengths[i]);
    return out;
  }

  /// log ML(a | o): teacher-forced log-probability of answer `a` and the end token.
  double log_prob(const encoder_states& o, const std::string& a) const {
    check_output(o);
    check_answer(a);
    tape& t = tape::local();
    tape_scope scope(t);
    const std::int32_t length = static_cast<std::int32_t>(o.value.rows());
    const var memory = memory_of(t, o);
    const var nll = decoder_nll(t, memory, std::span<const std::int32_t>(&length, 1), 1,
                                [&](std::size_t) { return std::string_view(a); }, false);
    return -static_cast<double>(nll.item());
  }

  /// A draw from ML(· | o) at the configured temperature (Gumbel-max per character).
  template <Sampler S>
  std::string sample(const encoder_states& o, S& rng) const {
    return sample(o, rng, cfg_.temperature);
  }

  /// A draw at temperature `temperature` (> 0): each character is
  /// `argmax_k (logit_k / temperature + g_k)` with `g_k` standard Gumbel draws from `rng`.
  template <Sampler S>
  std::string sample(const encoder_states& o, S& rng, float temperature) const {
    check_temperature(temperature, name);
    return decode(o, [&](const auto& logits) { return gumbel_max_token(logits, temperature, rng); });
  }

  /// The answer built from the most likely character at each step (key/value cached).
  std::string greedy(const encoder_states& o) const {
    return decode(o, [](const auto& logits) { return argmax_token(logits); });
  }

  /// `greedy` without the key/value cache: each step runs the decoder over the whole
  /// prefix, as teacher forcing does. Quadratic in the answer's length; for tests that the
  /// cache changes nothing.
  std::string greedy_uncached(const encoder_states& o) {
    check_output(o);
    tape& t = tape::local();
    tape_scope scope(t);
    const std::int32_t length = static_cast<std::int32_t>(o.value.rows());
    const var memory = memory_of(t, o);
    std::string out;
    while (out.size() < cfg_.max_answer_length) {
      tape_scope step(t);
      const var logits = decoder_logits(t, memory, std::span<const std::int32_t>(&length, 1), 1,
                                        [&](std::size_t) { return std::string_view(out); }, false);
      const auto k = static_cast<std::int32_t>(argmax_token(logits.value().bottomRows(1)));
      if (k == end_token()) break;
      out += vocab_.at(static_cast<std::size_t>(k));
    }
    return out;
  }

  /// Records on `t` the loss `train_step` minimises, the mean over a non-empty `batch` of
  /// −log ML(target | query), with gradients flowing to the parameters. Throws
  /// `vocabulary_error` before recording anything.
  var loss(tape& t, std::span<const target_type> batch) {
    if (batch.empty()) throw error("aida::nn::transformer_model::loss: the batch is empty");
    for (const auto& x : batch) {
      check_question(x.query);
      check_answer(x.target);
    }
    const padded_batch questions =
        pad_strings(vocab_, batch.size(), [&](std::size_t i) { return std::string_view(batch[i].query); });
    const var memory = transformer_encode(t, params_.encoder, questions, heads(), true);
    return decoder_nll(t, memory, questions.lengths, batch.size(),
                       [&](std::size_t i) { return std::string_view(batch[i].target); }, true);
  }

  /// One Adam step on the mean over `batch` of −log ML(target | query); returns that mean
  /// before the step (0 for an empty batch, which changes nothing). Throws
  /// `vocabulary_error` (a character outside the charset, a string longer than the model's
  /// positions) and `non_finite_error`; either way parameters and optimiser state are
  /// unchanged.
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
  static constexpr const char* name = "aida::nn::transformer_model";

  [[nodiscard]] std::int32_t heads() const noexcept { return static_cast<std::int32_t>(cfg_.heads); }
  [[nodiscard]] std::int32_t start_token() const noexcept { return static_cast<std::int32_t>(vocab_.size()); }
  [[nodiscard]] std::int32_t end_token() const noexcept { return static_cast<std::int32_t>(vocab_.size()); }

  void check_question(std::string_view q) const {
    vocab_.check(q, name, "question");
    check_length(q, cfg_.max_question_length, name, "question", "transformer_config::max_question_length");
  }
  void check_answer(std::string_view a) const {
    vocab_.check(a, name, "answer");
    check_length(a, cfg_.max_answer_length, name, "answer", "transformer_config::max_answer_length");
  }

  void check_output(const encoder_states& o) const {
    if (o.value.cols() != static_cast<Eigen::Index>(cfg_.width) ||
        o.value.rows() > static_cast<Eigen::Index>(cfg_.max_question_length))
      throw shape_error("aida::nn::transformer_model: an output of " + std::to_string(o.value.rows()) + "x" +
                        std::to_string(o.value.cols()) + " is not the states of a question for this model (at most " +
                        std::to_string(cfg_.max_question_length) + "x" + std::to_string(cfg_.width) + ")");
  }

  /// The states of one question as the decoder's memory: a view, or one zero row with
  /// length 0 for an empty question (so that no tensor has zero rows).
  var memory_of(tape& t, const encoder_states& o) const {
    if (o.value.rows() > 0) return t.view(o.value);
    return t.constant(tensor::Zero(1, static_cast<Eigen::Index>(cfg_.width)));
  }

  /// The decoder's logits [count · steps, V + 1] over teacher-forced inputs (start, then
  /// the answer's characters), with the layout of `teacher_forcing`.
  struct teacher_forcing {
    std::vector<std::int32_t> inputs, positions, targets, lengths;
    std::vector<float> weights;
    std::size_t steps = 0;
  };

  template <class Get>
  teacher_forcing lay_out(std::size_t count, Get&& get) const {
    teacher_forcing f;
    std::size_t longest = 0;
    for (std::size_t b = 0; b < count; ++b) longest = std::max(longest, std::string_view(get(b)).size());
    f.steps = longest + 1;  // the characters, then the end token
    const std::size_t n = f.steps * count;
    f.inputs.assign(n, start_token());
    f.positions.resize(n);
    f.targets.assign(n, 0);
    f.weights.assign(n, 0.0f);
    f.lengths.resize(count);
    const float w = 1.0f / static_cast<float>(count);
    for (std::size_t b = 0; b < count; ++b) {
      const std::string_view a = get(b);
      f.lengths[b] = static_cast<std::int32_t>(a.size() + 1);
      for (std::size_t k = 0; k < f.steps; ++k) {
        const std::size_t row = b * f.steps + k;
        f.positions[row] = static_cast<std::int32_t>(k);
        if (k > a.size()) continue;  // padding: weight 0, never attended to by real positions
        if (k > 0) f.inputs[row] = vocab_.index(a[k - 1]);
        f.targets[row] = k < a.size() ? vocab_.index(a[k]) : end_token();
        f.weights[row] = w;
      }
    }
    return f;
  }

  var decoder_forward(tape& t, var memory, std::span<const std::int32_t> memory_lengths, const teacher_forcing& f,
                      bool train) const {
    auto& d = params_.decoder;
    var x = add(embedding(t, d.tokens, f.inputs, train), embedding(t, d.positions, f.positions, train));
    for (auto& layer : d.layers) {
      const var a = layer_norm(t, layer.norm1, x, train);
      x = add(x, multi_head_attention(t, layer.self, a, a, heads(), f.lengths, true, train));
      x = add(x, multi_head_attention(t, layer.cross, layer_norm(t, layer.norm2, x, train), memory, heads(),
                                      memory_lengths, false, train));
      x = add(x, feed_forward(t, layer.ff, layer_norm(t, layer.norm3, x, train), train));
    }
    return linear(t, d.output, layer_norm(t, d.norm, x, train), train);
  }

  template <class Get>
  var decoder_logits(tape& t, var memory, std::span<const std::int32_t> memory_lengths, std::size_t count, Get&& get,
                     bool train) const {
    return decoder_forward(t, memory, memory_lengths, lay_out(count, get), train);
  }

  /// Σ_b −log p(answer_b | memory_b) / count, teacher-forced.
  template <class Get>
  var decoder_nll(tape& t, var memory, std::span<const std::int32_t> memory_lengths, std::size_t count, Get&& get,
                  bool train) const {
    const teacher_forcing f = lay_out(count, get);
    return softmax_nll(decoder_forward(t, memory, memory_lengths, f, train), f.targets, f.weights);
  }

  /// Decodes one answer from `o`, choosing each token with `choose(logits [1, V+1])`. The
  /// keys and values of earlier positions are kept per layer (self-attention) and the
  /// cross-attention's keys and values of `o` are projected once.
  template <class Choose>
  std::string decode(const encoder_states& o, Choose&& choose) const {
    check_output(o);
    tape& t = tape::local();
    tape_scope scope(t);
    auto& d = params_.decoder;
    const auto D = static_cast<Eigen::Index>(cfg_.width);
    const std::int32_t memory_length = static_cast<std::int32_t>(o.value.rows());
    const var memory = memory_of(t, o);
    const std::size_t L = d.layers.size();
    const std::size_t positions = cfg_.max_answer_length;
    // Arena storage for the caches: cross keys/values per layer, self keys/values per layer.
    std::vector<var> cross_k(L), cross_v(L);
    std::vector<float*> self_k(L), self_v(L);
    for (std::size_t l = 0; l < L; ++l) {
      cross_k[l] = linear(t, d.layers[l].cross.key, memory, false);
      cross_v[l] = linear(t, d.layers[l].cross.value, memory, false);
      self_k[l] = t.allocate<float>(positions * static_cast<std::size_t>(D));
      self_v[l] = t.allocate<float>(positions * static_cast<std::size_t>(D));
    }
    std::string out;
    std::int32_t prev = start_token();
    for (std::int32_t pos = 0; out.size() < positions; ++pos) {
      tape_scope step(t);
      var x = add(embedding(t, d.tokens, std::span<const std::int32_t>(&prev, 1), false),
                  embedding(t, d.positions, std::span<const std::int32_t>(&pos, 1), false));
      const std::int32_t seen = pos + 1;
      for (std::size_t l = 0; l < L; ++l) {
        auto& layer = d.layers[l];
        const var a = layer_norm(t, layer.norm1, x, false);
        const var q = linear(t, layer.self.query, a, false);
        tensor_map(self_k[l] + pos * D, 1, D) = linear(t, layer.self.key, a, false).value();
        tensor_map(self_v[l] + pos * D, 1, D) = linear(t, layer.self.value, a, false).value();
        const var keys = view_rows(t, self_k[l], seen, D), values = view_rows(t, self_v[l], seen, D);
        x = add(x, linear(t, layer.self.output,
                          attention(q, keys, values, heads(), std::span<const std::int32_t>(&seen, 1), false), false));
        const var c = linear(t, layer.cross.query, layer_norm(t, layer.norm2, x, false), false);
        x = add(x, linear(t, layer.cross.output,
                          attention(c, cross_k[l], cross_v[l], heads(),
                                    std::span<const std::int32_t>(&memory_length, 1), false),
                          false));
        x = add(x, feed_forward(t, layer.ff, layer_norm(t, layer.norm3, x, false), false));
      }
      const var logits = linear(t, d.output, layer_norm(t, d.norm, x, false), false);
      const auto k = static_cast<std::int32_t>(choose(logits.value()));
      if (k == end_token()) break;
      out += vocab_.at(static_cast<std::size_t>(k));
      prev = k;
    }
    return out;
  }

  transformer_config cfg_;
  vocabulary vocab_;
  transformer_params params_;
  adam opt_;
};

static_assert(TrainableModel<transformer_model, std::string, std::string>);
static_assert(Restorable<transformer_model>);

}  // namespace aida::nn
