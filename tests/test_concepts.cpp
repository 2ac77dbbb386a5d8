// The concepts, shown with archetypes (tests/support/doubles.hpp): a minimal model of each
// concept satisfies it and instantiates every procedure (amplify, amplify_into, distill,
// distill_into, the primed overseer, adversarial_source); deliberately broken types do not
// satisfy the concepts.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test::archetype;
using aida::Codec;
using aida::Model;
using aida::Overseer;
using aida::Sampler;
using aida::Subanswer;
using aida::TrainableAdversary;
using aida::TrainableModel;
using mv = aida::Move<question, reply>;

// ---- the archetypes model their concepts ----------------------------------------------
static_assert(Sampler<rng>);
static_assert(Codec<codec>);
static_assert(Overseer<overseer, question, reply>);
static_assert(Model<model, question, reply, rng>);
static_assert(TrainableModel<trainable_model, question, reply, rng>);
static_assert(aida::Adversary<adversary, question, output>);
static_assert(TrainableAdversary<trainable_adversary, question, output>);
static_assert(aida::RecursionPolicy<policy, rng>);
static_assert(aida::QuestionSource<source, question, rng>);
// Refinement is strict: the plain archetypes are not the trainable ones.
static_assert(!TrainableModel<model, question, reply, rng>);
static_assert(!TrainableAdversary<adversary, question, output>);

// ---- the library's own types model theirs ---------------------------------------------
static_assert(Sampler<aida::sampler>);
static_assert(Codec<aida::string_codec>);
static_assert(aida::RecursionPolicy<aida::gumbel_argmin>);
static_assert(aida::RecursionPolicy<aida::bernoulli_coins<>>);
static_assert(aida::RecursionPolicy<aida::gumbel_threshold<aida::linear_schedule>>);
static_assert(aida::RecursionPolicy<aida::uniform_one>);
static_assert(aida::RecursionPolicy<aida::recurse_all>);
static_assert(aida::RecursionPolicy<aida::recurse_none>);
using primed_t = aida::primed_overseer<overseer, model, adversary, codec, rng>;
static_assert(Overseer<primed_t, question, reply>, "H′ must be usable wherever H is (spec §4)");
using adv_source_t = aida::adversarial_source<source, model, adversary>;
static_assert(aida::QuestionSource<adv_source_t, question, rng>);

// ---- broken types are rejected --------------------------------------------------------
// Each differs from a working archetype in one respect, named by the type.

struct model_without_log_prob {
  output predict(const question& q) { return output(q.id); }
  reply sample(const output&, rng&) { return {}; }
  reply greedy(const output&) { return {}; }
};
struct model_log_prob_returns_string : model_without_log_prob {
  std::string log_prob(const output&, const reply&) { return "-1"; }
};
struct model_with_noncopyable_output {
  std::unique_ptr<int> predict(const question&) { return nullptr; }
  double log_prob(const std::unique_ptr<int>&, const reply&) { return -1; }
  reply sample(const std::unique_ptr<int>&, rng&) { return {}; }
  reply greedy(const std::unique_ptr<int>&) { return {}; }
};
struct model_without_predict {
  double log_prob(const output&, const reply&) { return -1; }
  reply sample(const output&, rng&) { return {}; }
  reply greedy(const output&) { return {}; }
};
struct model_sample_without_sampler {
  output predict(const question& q) { return output(q.id); }
  double log_prob(const output&, const reply&) { return -1; }
  reply sample(const output&) { return {}; }
  reply greedy(const output&) { return {}; }
};
struct model_without_greedy {
  output predict(const question& q) { return output(q.id); }
  double log_prob(const output&, const reply&) { return -1; }
  reply sample(const output&, rng&) { return {}; }
};
struct model_sample_returns_question : model {
  question sample(const output&, rng&) { return {}; }
};
struct trainable_model_wrong_batch : model {  // a vector, not a span: procedures hand spans
  double train_step(const std::vector<aida::model_target<question, reply>>&) { return 0; }
};
struct trainable_model_returns_void : model {
  void train_step(std::span<const aida::model_target<question, reply>>) {}
};
static_assert(!Model<model_without_log_prob, question, reply, rng>);
static_assert(!Model<model_log_prob_returns_string, question, reply, rng>);
static_assert(!Model<model_with_noncopyable_output, question, reply, rng>);
static_assert(!Model<model_without_predict, question, reply, rng>);
static_assert(!Model<model_sample_without_sampler, question, reply, rng>);
static_assert(!Model<model_without_greedy, question, reply, rng>);
static_assert(!Model<model_sample_returns_question, question, reply, rng>);
static_assert(!TrainableModel<trainable_model_wrong_batch, question, reply, rng>);
static_assert(!TrainableModel<trainable_model_returns_void, question, reply, rng>);
// A model's sample must accept the sampler the procedure uses.
static_assert(!Model<model, question, reply, aida::sampler>);

struct overseer_without_fan_in {
  reply answer(const question&) { return {}; }
  mv fan_out(const question&) { return mv::answer({}); }
};
struct overseer_without_answer {
  mv fan_out(const question&) { return mv::answer({}); }
  mv fan_in(const question&, const Subanswer<question, reply>&, const Subanswer<question, reply>&) {
    return mv::answer({});
  }
};
struct overseer_fan_out_returns_answer : overseer_without_answer {
  reply answer(const question&) { return {}; }
  reply fan_out(const question&) { return {}; }  // an answer where a move is due
};
struct overseer_answer_returns_question : overseer_without_answer {
  question answer(const question&) { return {}; }
};
struct overseer_fan_in_one_subanswer : overseer_without_fan_in {
  mv fan_in(const question&, const Subanswer<question, reply>&) { return mv::answer({}); }
};
static_assert(!Overseer<overseer_without_fan_in, question, reply>);
static_assert(!Overseer<overseer_without_answer, question, reply>);
static_assert(!Overseer<overseer_fan_out_returns_answer, question, reply>);
static_assert(!Overseer<overseer_answer_returns_question, question, reply>);
static_assert(!Overseer<overseer_fan_in_one_subanswer, question, reply>);

struct adversary_score_returns_void {
  void score(const question&, const output&) {}
};
struct adversary_score_without_output {
  double score(const question&) { return 0; }
};
struct adversary_score_returns_string {
  std::string score(const question&, const output&) { return "0"; }
};
static_assert(!aida::Adversary<adversary_score_returns_void, question, output>);
static_assert(!aida::Adversary<adversary_score_without_output, question, output>);
static_assert(!aida::Adversary<adversary_score_returns_string, question, output>);
struct trainable_adversary_wrong_target : adversary {  // model targets are not adversary targets
  double train_step(std::span<const aida::model_target<question, reply>>) { return 0; }
};
static_assert(!TrainableAdversary<trainable_adversary_wrong_target, question, output>);

struct codec_without_answer_type {
  using question_type = question;
  question fan_out_question(const question& q) const { return q; }
};
struct codec_decode_returns_answer : codec {
  reply decode(const reply& a) const { return a; }  // must say "malformed" somehow: optional
};
struct codec_without_encode {
  using question_type = question;
  using answer_type = reply;
  question fan_out_question(const question& q) const { return q; }
  question fan_in_question(const question& q, const Subanswer<question, reply>&,
                           const Subanswer<question, reply>&) const {
    return q;
  }
  std::optional<mv> decode(const reply&) const { return std::nullopt; }
};
struct unordered_question {  // no ==: repeating splits could not be detected (spec §8)
  int id = 0;
};
struct codec_question_not_comparable {
  using question_type = unordered_question;
  using answer_type = reply;
  using M = aida::Move<unordered_question, reply>;
  using S = Subanswer<unordered_question, reply>;
  unordered_question fan_out_question(const unordered_question& q) const { return q; }
  unordered_question fan_in_question(const unordered_question& q, const S&, const S&) const { return q; }
  reply encode(const M&) const { return {}; }
  std::optional<M> decode(const reply&) const { return std::nullopt; }
};
static_assert(!Codec<codec_without_answer_type>);
static_assert(!Codec<codec_decode_returns_answer>);
static_assert(!Codec<codec_without_encode>);
static_assert(!Codec<codec_question_not_comparable>);

struct sampler_without_split {
  std::uint64_t next() { return 0; }
  double uniform() { return 0; }
  double gumbel() { return 0; }
};
struct sampler_next_returns_int : sampler_without_split {
  int next() { return 0; }
  sampler_next_returns_int split() { return {}; }
};
struct sampler_noncopyable : rng {
  sampler_noncopyable() = default;
  sampler_noncopyable(const sampler_noncopyable&) = delete;
  sampler_noncopyable split() { return {}; }
};
struct sampler_split_returns_other : rng {};  // split() returns the base `rng`
static_assert(!Sampler<sampler_without_split>);
static_assert(!Sampler<sampler_next_returns_int>);
static_assert(!Sampler<sampler_noncopyable>);
static_assert(!Sampler<sampler_split_returns_other>);

struct policy_returns_bool {
  bool select(double, double, rng&) const { return true; }
};
struct policy_select_not_const {
  aida::selection select(double, double, rng&) { return {}; }
};
struct policy_returns_index {
  int select(double, double, rng&) const { return 0; }
};
static_assert(!aida::RecursionPolicy<policy_returns_bool, rng>);
static_assert(!aida::RecursionPolicy<policy_select_not_const, rng>);
static_assert(!aida::RecursionPolicy<policy_returns_index, rng>);

struct source_without_next {
  question draw(rng&) { return {}; }
};
struct source_returns_answer {
  reply next(rng&) { return {}; }
};
static_assert(!aida::QuestionSource<source_without_next, question, rng>);
static_assert(!aida::QuestionSource<source_returns_answer, question, rng>);

// ---- every procedure instantiates (and runs) with the archetypes ----------------------

// Question 4 splits into 3 and 2, and so on: with recursion on one side only, the tree has a
// path of fan-outs down to 0 or 1, so each procedure exercises rounds and recursion.
constexpr question root{4};

TEST(Archetypes, AmplifyAndAmplifyInto) {
  overseer h;
  trainable_model ml;
  trainable_adversary adv;
  rng r{aida_test::seed()};
  const auto ep = aida::amplify(root, h, ml, adv, codec{}, policy{}, r);
  ASSERT_TRUE(ep.answer.has_value());
  EXPECT_GT(ep.counts.rounds, 0u);
  EXPECT_GT(ep.counts.overseer.fan_in, 0u);
  // The targets the trainable archetypes accept are the ones the procedure produces.
  EXPECT_EQ(ml.train_step(ep.model_targets), 1.0);
  EXPECT_EQ(adv.train_step(ep.adversary_targets), 1.0);

  aida::episode_for<codec, trainable_model> reused;
  aida::amplify_into(reused, root, h, ml, adv, codec{}, aida::recurse_all{}, r);
  // The full tree of "n → n−1, n−2" from 4 has 9 nodes, 4 of them with a round.
  EXPECT_EQ(reused.counts.nodes, 9u);
  EXPECT_EQ(reused.counts.rounds, 4u);
  // Fibonacci-like: leaves 0 and 1 answer 1, so the root's answer is F(5) = 5.
  EXPECT_EQ(reused.answer->value, 5);
}

TEST(Archetypes, DistillAndDistillInto) {
  trainable_model ml;
  adversary adv;
  rng r{aida_test::seed()};
  const auto ep = aida::distill(root, ml, adv, codec{}, r);
  ASSERT_TRUE(ep.answer.has_value());
  EXPECT_EQ(ep.counts.overseer.total(), 0u);
  aida::episode_for<codec, trainable_model> reused;
  aida::distill_into(reused, root, ml, adv, codec{}, r, {.max_rounds = 2});
  ASSERT_TRUE(reused.answer.has_value());
  EXPECT_EQ(reused.model_targets.size(), 1u);  // spec §3 step 5: one L_ML target
}

TEST(Archetypes, PrimedOverseerAndAdversarialSource) {
  overseer h;
  model ml;
  adversary adv;
  // Threshold above every score (scores are 0, −1, −2) and no noise: H′ always consults H.
  auto primed = aida::prime<rng>(h, ml, adv, codec{}, 1.0, 0.0, rng{aida_test::seed()});
  rng r{aida_test::seed()};
  const auto ep = aida::amplify(root, primed, ml, adv, codec{}, policy{}, r);
  ASSERT_TRUE(ep.answer.has_value());
  EXPECT_GT(ep.counts.overseer.total(), 0u);
  EXPECT_EQ(primed.answer(question{1}).value, 1);  // a plain call reaches H
  EXPECT_EQ(primed.usage().overseer.answer, 1u);

  source src;
  aida::adversarial_source<source, model, adversary> adversarial(src, ml, adv, 3, 0.0);
  const question q = adversarial.next(r);
  EXPECT_LE(q.id, 4);
  EXPECT_EQ(adversarial.model_calls(), 3u);
  EXPECT_EQ(adversarial.adversary_calls(), 3u);
}

}  // namespace
