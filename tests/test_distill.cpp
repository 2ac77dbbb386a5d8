// aida::distill (spec §3): ML's own ML-consulting tree, no overseer calls; the call
// sequence, the targets and losses, malformed moves and the round limit, exception safety.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using strings = std::vector<std::string>;

// Spec §3: m ← ML_fan_out(Q) (a draw, decoded); both subquestions are answered by draws from
// ML (no recursion); m ← ML_fan_in(...); the answer's targets. Nothing else is called.
TEST(Distill, CallSequenceAndNoOverseer) {
  scripted_world w;
  w.ml.draws = {{"^q", {"/a|b"}}, {"&q|a=ml:a|b=ml:b", {"=ans"}}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng);
  const strings expected = {
      "ML(^q)", "sample(^q)",                                  // step 2
      "ML(a)", "sample(a)", "ML(b)", "sample(b)",              // step 3
      "ML(&q|a=ml:a|b=ml:b)", "sample(&q|a=ml:a|b=ml:b)",      // step 4
      "ML(q)", "Adv(q)",                                       // step 5: the targets
  };
  EXPECT_EQ(w.log.calls, expected);
  EXPECT_EQ(*ep.answer, "ans");
  // Distillation makes no overseer call (the procedure takes no overseer; the record agrees).
  EXPECT_EQ(ep.counts.overseer, aida::overseer_calls{});
  EXPECT_EQ(ep.counts.model_calls, 5u);
  EXPECT_EQ(ep.counts.adversary_calls, 1u);
  // The tree is one node whose moves are ML's, with one round.
  ASSERT_EQ(ep.nodes.size(), 1u);
  EXPECT_EQ(ep.nodes[0].fan_out_by, aida::producer::model);
  EXPECT_EQ(ep.nodes[0].answered_by, aida::producer::model);
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::fan_in_answer);
  ASSERT_EQ(ep.rounds.size(), 1u);
  EXPECT_EQ(ep.rounds[0].answers[0], "ml:a");
  EXPECT_EQ(ep.rounds[0].answers[1], "ml:b");
  EXPECT_EQ(ep.rounds[0].move_by, aida::producer::model);
  EXPECT_EQ(ep.counts.fallbacks, aida::fallback_counts{});
}

// Step 5 losses: L_ML = −log ML(A | Q), L_Adv = (Adv(Q, ML(Q)) + L_ML)². Chosen numbers:
// log ML(ans | q) = −1.5, Adv(q) = −0.5: L = 1.5, L_Adv = 1, absolute 1.
// log ML(ans | q) = −0.5, Adv(q) = −2:   L = 0.5, L_Adv = 2.25, absolute 1.5.
TEST(Distill, LossesAndTargetsMatchHandComputedValues) {
  struct scenario {
    double log_prob, score, squared, absolute;
  };
  for (const scenario sc : {scenario{-1.5, -0.5, 1.0, 1.0}, scenario{-0.5, -2.0, 2.25, 1.5}}) {
    scripted_world w;
    w.ml.draws = {{"^q", {"=ans"}}};
    w.ml.log_probs = {{{"q", "ans"}, sc.log_prob}};
    w.adv.scores = {{"q", sc.score}};
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng);
    const auto answer = static_cast<int>(aida::target_kind::answer);
    EXPECT_DOUBLE_EQ(ep.losses.ml[answer], -sc.log_prob);
    EXPECT_DOUBLE_EQ(ep.losses.adv[answer], sc.squared);
    EXPECT_EQ(ep.losses.targets(), 1u);
    ASSERT_EQ(ep.model_targets.size(), 1u);
    EXPECT_EQ(ep.model_targets[0].query, "q");
    EXPECT_EQ(ep.model_targets[0].target, "ans");
    ASSERT_EQ(ep.adversary_targets.size(), 1u);
    EXPECT_DOUBLE_EQ(ep.adversary_targets[0].target, sc.log_prob);  // −L
    EXPECT_DOUBLE_EQ(ep.adversary_targets[0].prediction, sc.score);
    EXPECT_EQ(ep.nodes[0].end, aida::node_end::fan_out_answer);
    EXPECT_TRUE(ep.rounds.empty());

    aida::sampler rng2(aida_test::seed());
    const auto abs_ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng2,
                                      {.adversary_loss_form = aida::adversary_loss::absolute});
    EXPECT_DOUBLE_EQ(abs_ep.losses.adv[answer], sc.absolute);
    ASSERT_EQ(abs_ep.adversary_targets.size(), 1u);
    EXPECT_EQ(abs_ep.adversary_targets[0].form, aida::adversary_loss::absolute);
    EXPECT_EQ(ep.adversary_targets[0].form, aida::adversary_loss::squared);
  }
}

// An undecodable fan-out or fan-in draw, or a split that repeats the question, is counted as
// malformed and the answer is a draw from ML(Q).
TEST(Distill, MalformedMovesFallBackToMLsAnswer) {
  struct scenario {
    const char* name;
    std::map<Q, std::vector<A>> draws;
    std::size_t rounds;
  };
  const std::vector<scenario> scenarios = {
      {"undecodable fan-out", {{"^q", {"garbage"}}}, 0},
      {"fan-out repeating the question", {{"^q", {"/q|z"}}}, 0},
      {"undecodable fan-in", {{"^q", {"/a|b"}}, {"&q|a=ml:a|b=ml:b", {"/"}}}, 1},
  };
  for (const auto& sc : scenarios) {
    scripted_world w;
    w.ml.draws = sc.draws;
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng);
    EXPECT_EQ(*ep.answer, "ml:q") << sc.name;
    EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 1u) << sc.name;
    EXPECT_EQ(ep.nodes[0].end, aida::node_end::malformed_move) << sc.name;
    EXPECT_EQ(ep.counts.rounds, sc.rounds) << sc.name;
    EXPECT_EQ(ep.model_targets.size(), 1u) << sc.name;
  }
}

TEST(Distill, PastMaxRoundsMLAnswersAndTheLimitIsCounted) {
  scripted_world w;
  w.ml.draws = {{"^q", {"/a|b"}}, {"&q|a=ml:a|b=ml:b", {"/a|b"}}};  // fan-in keeps splitting
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng, {.max_rounds = 3});
  EXPECT_EQ(ep.counts.rounds, 3u);
  EXPECT_EQ(ep.counts.fallbacks.round_limit, 1u);
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::round_limit);
  EXPECT_EQ(*ep.answer, "ml:q");
  EXPECT_EQ(w.log.starting_with("sample(&q"), (strings(3, "sample(&q|a=ml:a|b=ml:b)")));
}

TEST(Distill, GreedyDecodesEverything) {
  scripted_world w;
  w.ml.greedy_answers = {{"^q", "/a|b"}, {"&q|a=greedy:a|b=greedy:b", "=g"}};
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  const auto ep = aida::distill(Q("q"), w.ml, w.adv, w.codec, rng, {.greedy = true});
  EXPECT_EQ(*ep.answer, "g");
  EXPECT_TRUE(w.log.starting_with("sample").empty());
  EXPECT_EQ(rng, before);  // nothing drawn
}

TEST(Distill, BadInput) {
  scripted_world w;
  aida::sampler rng(aida_test::seed());
  EXPECT_THROW((void)aida::distill(Q("q"), w.ml, w.adv, w.codec, rng, {.max_rounds = 0}), aida::invalid_options);
  EXPECT_TRUE(w.log.calls.empty());

  w.ml.draws = {{"^q", {"=x"}}};
  w.ml.log_probs = {{{"q", "x"}, std::numeric_limits<double>::quiet_NaN()}};
  try {
    (void)aida::distill(Q("q"), w.ml, w.adv, w.codec, rng);
    FAIL() << "no aida::error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("question \"q\""), std::string::npos) << e.what();
  }
}

// A throwing model or adversary: the exception propagates, the sampler is restored and
// distill_into's episode is left empty.
TEST(Distill, ExceptionsPropagateAndRestoreTheCallersState) {
  for (int who = 0; who < 2; ++who) {
    scripted_world w;
    w.ml.draws = {{"^q", {"/a|b"}}};
    w.ml.consume_sampler = true;
    if (who == 0) w.ml.throw_on = "b";
    else w.adv.throw_on = "q";
    aida::sampler rng(aida_test::seed());
    const aida::sampler at_entry = rng;
    aida::episode_for<aida::string_codec, scripted_model> out;
    {
      scripted_world other;
      aida::sampler r2(3);
      aida::distill_into(out, Q("z"), other.ml, other.adv, other.codec, r2);
      ASSERT_TRUE(out.answer);
    }
    EXPECT_THROW(aida::distill_into(out, Q("q"), w.ml, w.adv, w.codec, rng), user_failure);
    EXPECT_EQ(rng, at_entry);
    EXPECT_FALSE(out.answer);
    EXPECT_TRUE(out.nodes.empty());
    EXPECT_TRUE(out.model_targets.empty());
    EXPECT_EQ(out.counts, aida::episode_counts{});
  }
}

TEST(Distill, SameSeedSameEpisode) {
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  aida::sampler r1(aida_test::seed()), r2(aida_test::seed());
  for (const char* q : {"123", "4567", "8"}) {
    const auto e1 = aida::distill(Q(q), ml, adv, codec, r1);
    const auto e2 = aida::distill(Q(q), ml, adv, codec, r2);
    EXPECT_EQ(e1.answer, e2.answer);
    EXPECT_EQ(e1.counts, e2.counts);
    ASSERT_EQ(e1.model_targets.size(), 1u);
    EXPECT_EQ(e1.model_targets[0].loss, e2.model_targets[0].loss);
  }
  EXPECT_EQ(r1, r2);
}

}  // namespace
