// aida::amplify (spec §2, §8) with scripted doubles: the exact call sequence, the tree it
// records, the loss values against hand-computed numbers, the budgets and failures of §8,
// exception safety, and bit-for-bit reproducibility.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/episodes.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using strings = std::vector<std::string>;

// ---- the call sequence of spec §2 -------------------------------------------------------

// H_fan_out(q) splits q into a and b; the adversary scores S1 = Adv(a) < S2 = Adv(b); with
// τ = 0 amplify recurses on a only (the subquestion ML is predicted to answer worst) and draws
// b's answer from ML. Every target is recorded as ML(query), Adv(query) right after the move,
// except where step 3 one level up already computed them.
TEST(AmplifyCalls, RecursesOnTheLowerScoreAndDrawsTheOtherFromML) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.adv.scores = {{"a", -2.0}, {"b", -1.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);

  const strings expected = {
      "H_fan_out(q)",                         // step 2
      "ML(^q)", "Adv(^q)",                    // fan-out target of q
      "ML(a)", "ML(b)", "Adv(a)", "Adv(b)",   // step 3: O_i, S_i
      "H_fan_out(a)",                         // step 4: recursion on a (S1 < S2) ...
      "ML(^a)", "Adv(^a)",                    //   its fan-out target
                                              //   its answer target (step 6 at a) reuses
                                              //   step 3's O_1 and S_1: no second ML(a), Adv(a)
      "sample(b)",                            // ... and A2 drawn from ML(b)'s output
      "H_fan_in(q|a=h:a|b=ml:b)",             // step 5
      "ML(&q|a=h:a|b=ml:b)", "Adv(&q|a=h:a|b=ml:b)",  // fan-in target
      "ML(q)", "Adv(q)",                      // answer target of q
  };
  EXPECT_EQ(w.log.calls, expected);
  ASSERT_TRUE(ep.answer);
  EXPECT_EQ(*ep.answer, "h:a+ml:b");

  // The tree: root and one child; one round that recursed on a only.
  ASSERT_EQ(ep.nodes.size(), 2u);
  ASSERT_EQ(ep.rounds.size(), 1u);
  const auto& round = ep.rounds[0];
  EXPECT_EQ(round.questions, (aida::Split<Q>{"a", "b"}));
  EXPECT_EQ(round.scores[0], -2.0);
  EXPECT_EQ(round.scores[1], -1.0);
  EXPECT_TRUE(round.recursed[0]);
  EXPECT_FALSE(round.recursed[1]);
  EXPECT_EQ(round.answered_by[0], aida::producer::recursion);
  EXPECT_EQ(round.answered_by[1], aida::producer::model);
  EXPECT_EQ(round.child[0], 1u);
  EXPECT_EQ(round.child[1], aida::no_node);
  EXPECT_EQ(round.answers[0], "h:a");
  EXPECT_EQ(round.answers[1], "ml:b");
  EXPECT_EQ(ep.nodes[1].question, "a");
  EXPECT_EQ(ep.nodes[1].depth, 1u);
  EXPECT_EQ(ep.nodes[1].parent, 0u);
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::fan_in_answer);
  EXPECT_EQ(ep.nodes[1].end, aida::node_end::fan_out_answer);

  // Counts: 3 overseer calls by kind; predict and score calls as in the log.
  EXPECT_EQ(ep.counts.overseer, (aida::overseer_calls{.answer = 0, .fan_out = 2, .fan_in = 1}));
  EXPECT_EQ(ep.counts.model_calls, w.log.starting_with("ML(").size());
  EXPECT_EQ(ep.counts.adversary_calls, w.log.starting_with("Adv(").size());
  EXPECT_EQ(ep.counts.depth_reached, 1u);
  EXPECT_EQ(ep.counts.nodes, 2u);
  EXPECT_EQ(ep.counts.rounds, 1u);
  EXPECT_EQ(ep.counts.fallbacks, aida::fallback_counts{});
}

// The mirror image: S2 < S1 recurses on b only.
TEST(AmplifyCalls, RecursesOnTheSecondWhenItsScoreIsLower) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.adv.scores = {{"a", 0.5}, {"b", -0.5}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);
  EXPECT_EQ(w.log.starting_with("H_fan_out"), (strings{"H_fan_out(q)", "H_fan_out(b)"}));
  EXPECT_EQ(w.log.starting_with("sample"), (strings{"sample(a)"}));
  EXPECT_EQ(*ep.answer, "ml:a+h:b");
}

// Greedy decoding of the subanswers that are not recursed on is an option.
TEST(AmplifyCalls, GreedySubanswersDecodeInsteadOfDrawing) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.adv.scores = {{"a", -2.0}, {"b", -1.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng,
                                {.greedy_subanswers = true});
  EXPECT_TRUE(w.log.starting_with("sample").empty());
  EXPECT_EQ(w.log.starting_with("greedy"), (strings{"greedy(b)"}));
  EXPECT_EQ(*ep.answer, "h:a+greedy:b");
}

// Step 5: a fan-in that returns a split starts a new round at the same node, with the new
// subquestions; the node's rounds are chained in order.
TEST(AmplifyCalls, FanInSplitStartsANewRoundAtTheSameNode) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.h.fan_ins["q"] = {move_t::split("c", "d"), move_t::answer("done")};
  w.adv.scores = {{"a", -2.0}, {"b", -1.0}, {"c", 3.0}, {"d", 1.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);

  EXPECT_EQ(w.log.starting_with("H"),
            (strings{"H_fan_out(q)", "H_fan_out(a)", "H_fan_in(q|a=h:a|b=ml:b)", "H_fan_out(d)",
                     "H_fan_in(q|c=ml:c|d=h:d)"}));
  EXPECT_EQ(*ep.answer, "done");
  ASSERT_EQ(ep.nodes[0].round_count, 2u);
  strings subquestions;
  ep.for_each_round(0, [&](const aida::fan_in_round<Q, A>& r) {
    subquestions.push_back(r.questions.first() + r.questions.second());
  });
  EXPECT_EQ(subquestions, (strings{"ab", "cd"}));
  EXPECT_EQ(ep.counts.rounds, 2u);
  EXPECT_EQ(ep.nodes.size(), 3u);  // q, a (round 1), d (round 2)
  // Both children of q are at depth 1 and have q as parent.
  EXPECT_EQ(ep.nodes[2].question, "d");
  EXPECT_EQ(ep.nodes[2].parent, 0u);
  // Each round's fan-in move is recorded, and contributes a fan-in target.
  EXPECT_EQ(ep.losses.count[static_cast<int>(aida::target_kind::fan_in)], 2u);
  EXPECT_EQ(ep.rounds[0].move, move_t::split("c", "d"));
  EXPECT_EQ(ep.rounds[1].move, move_t::answer("done"));
}

// The recursion really recurses: a subquestion that is split again gets its own rounds.
TEST(AmplifyCalls, RecursionBuildsADeeperTree) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.h.fan_outs["a"] = move_t::split("a1", "a2");
  w.adv.scores = {{"a", -2.0}, {"b", -1.0}, {"a1", 0.0}, {"a2", -1.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);
  EXPECT_EQ(*ep.answer, "ml:a1+h:a2+ml:b");
  EXPECT_EQ(ep.counts.depth_reached, 2u);
  EXPECT_EQ(ep.counts.nodes, 3u);
  EXPECT_EQ(ep.nodes[2].question, "a2");
  EXPECT_EQ(ep.nodes[2].parent, 1u);
}

// recurse_all and recurse_none do not ask the adversary in step 3 (they ignore its scores),
// and ML is asked for a subquestion only when its answer is drawn.
TEST(AmplifyCalls, PoliciesThatIgnoreScoresDoNotAskTheAdversary) {
  {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::split("a", "b");
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
    EXPECT_EQ(*ep.answer, "h:a+h:b");
    EXPECT_TRUE(w.log.starting_with("sample").empty());
    EXPECT_TRUE(w.log.starting_with("Adv(a)").size() == 1);  // only a's answer target
    EXPECT_TRUE(std::isnan(ep.rounds[0].scores[0]));
  }
  {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::split("a", "b");
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_none{}, rng);
    EXPECT_EQ(*ep.answer, "ml:a+ml:b");
    EXPECT_EQ(w.log.starting_with("H"), (strings{"H_fan_out(q)", "H_fan_in(q|a=ml:a|b=ml:b)"}));
    EXPECT_TRUE(w.log.starting_with("Adv(a)").empty());
  }
}

// The optional predict_batch member is used, when present, for the two subquestions of a
// round; a batch of the wrong size is an error, not a silent misreading.
struct batched_model : scripted_model {
  std::size_t batch_size_returned = 2;
  std::vector<scripted_output> predict_batch(std::span<const Q> qs) {
    std::string call = "ML_batch(";
    std::vector<scripted_output> out;
    for (const auto& q : qs) call += q + (&q == &qs.back() ? ")" : ","), out.push_back({q});
    log->add(call);
    out.resize(batch_size_returned, scripted_output{"?"});
    return out;
  }
};

TEST(AmplifyCalls, UsesPredictBatchWhenTheModelHasIt) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  batched_model ml{w.ml};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);
  EXPECT_EQ(w.log.starting_with("ML_batch"), (strings{"ML_batch(a,b)"}));
  EXPECT_TRUE(w.log.starting_with("ML(b)").empty());  // b's output came from the batch
  EXPECT_EQ(ep.counts.model_calls, w.log.starting_with("ML(").size() + 2);

  ml.batch_size_returned = 1;
  EXPECT_THROW((void)aida::amplify(Q("q"), w.h, ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng), aida::error);
}

// ---- losses against hand-computed numbers ---------------------------------------------

// One node answered at fan-out: two targets. Chosen numbers:
//   fan-out target  (^q, "=x"): log ML = −2,    Adv = −0.5 → L = 2,    L_Adv = (−0.5 + 2)²  = 2.25
//   answer target   (q,  "x") : log ML = −0.25, Adv = −3   → L = 0.25, L_Adv = (−3 + 0.25)² = 7.5625
TEST(AmplifyLosses, MatchHandComputedValues) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::answer("x");
  w.ml.log_probs = {{{"^q", "=x"}, -2.0}, {{"q", "x"}, -0.25}};
  w.adv.scores = {{"^q", -0.5}, {"q", -3.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng);

  constexpr auto answer = static_cast<int>(aida::target_kind::answer);
  constexpr auto fan_out = static_cast<int>(aida::target_kind::fan_out);
  constexpr auto fan_in = static_cast<int>(aida::target_kind::fan_in);
  EXPECT_DOUBLE_EQ(ep.losses.ml[fan_out], 2.0);
  EXPECT_DOUBLE_EQ(ep.losses.adv[fan_out], 2.25);
  EXPECT_DOUBLE_EQ(ep.losses.ml[answer], 0.25);
  EXPECT_DOUBLE_EQ(ep.losses.adv[answer], 7.5625);
  EXPECT_EQ(ep.losses.ml[fan_in], 0.0);
  EXPECT_EQ(ep.losses.count[answer], 1u);
  EXPECT_EQ(ep.losses.count[fan_out], 1u);
  EXPECT_EQ(ep.losses.count[fan_in], 0u);
  EXPECT_DOUBLE_EQ(ep.losses.ml_total(), 2.25);
  EXPECT_DOUBLE_EQ(ep.losses.adv_total(), 9.8125);
  EXPECT_EQ(ep.losses.targets(), 2u);

  // Targets: model targets (query, target, kind, L); adversary targets with target −L
  // (Adv predicts the negated loss) and the score it gave.
  ASSERT_EQ(ep.model_targets.size(), 2u);
  EXPECT_EQ(ep.model_targets[0].query, "^q");
  EXPECT_EQ(ep.model_targets[0].target, "=x");
  EXPECT_EQ(ep.model_targets[0].kind, aida::target_kind::fan_out);
  EXPECT_DOUBLE_EQ(ep.model_targets[0].loss, 2.0);
  EXPECT_EQ(ep.model_targets[1].query, "q");
  EXPECT_EQ(ep.model_targets[1].target, "x");
  ASSERT_EQ(ep.adversary_targets.size(), 2u);
  EXPECT_EQ(ep.adversary_targets[0].query, "^q");
  EXPECT_EQ(ep.adversary_targets[0].output, scripted_output{"^q"});
  EXPECT_DOUBLE_EQ(ep.adversary_targets[0].target, -2.0);
  EXPECT_DOUBLE_EQ(ep.adversary_targets[0].prediction, -0.5);
  EXPECT_EQ(ep.adversary_targets[0].kind, aida::target_kind::fan_out);
  EXPECT_DOUBLE_EQ(ep.adversary_targets[1].target, -0.25);
  EXPECT_DOUBLE_EQ(ep.adversary_targets[1].prediction, -3.0);
}

// The absolute form: |−0.5 + 2| = 1.5 and |−3 + 0.25| = 2.75.
TEST(AmplifyLosses, AbsoluteAdversaryLoss) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::answer("x");
  w.ml.log_probs = {{{"^q", "=x"}, -2.0}, {{"q", "x"}, -0.25}};
  w.adv.scores = {{"^q", -0.5}, {"q", -3.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng,
                                {.adversary_loss_form = aida::adversary_loss::absolute});
  EXPECT_DOUBLE_EQ(ep.losses.adv[static_cast<int>(aida::target_kind::fan_out)], 1.5);
  EXPECT_DOUBLE_EQ(ep.losses.adv[static_cast<int>(aida::target_kind::answer)], 2.75);
  // The form reaches training: every adversary target carries it.
  ASSERT_FALSE(ep.adversary_targets.empty());
  for (const auto& t : ep.adversary_targets) EXPECT_EQ(t.form, aida::adversary_loss::absolute);
  aida::sampler rng2(aida_test::seed());
  const auto sq = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng2);
  for (const auto& t : sq.adversary_targets) EXPECT_EQ(t.form, aida::adversary_loss::squared);
}

// The sign convention (spec §2): Adv predicts −L, so an adversary whose score equals ML's
// log-probability of the target is perfect and has zero loss; the opposite sign is not.
TEST(AmplifyLosses, PerfectAdversaryScoresTheLogProbAndHasZeroLoss) {
  for (const double lp : {-0.25, -1.0, -3.5}) {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::answer("x");
    w.ml.log_probs = {{{"^q", "=x"}, lp}, {{"q", "x"}, lp}};
    w.adv.scores = {{"^q", lp}, {"q", lp}};  // score == log_prob == −L
    aida::sampler rng(aida_test::seed());
    const auto perfect = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng);
    EXPECT_EQ(perfect.losses.adv_total(), 0.0) << "log_prob " << lp;

    w.adv.scores = {{"^q", -lp}, {"q", -lp}};  // predicting +L is wrong by 2L: (2L)² each
    const auto wrong = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng);
    EXPECT_DOUBLE_EQ(wrong.losses.adv_total(), 2 * (2 * lp) * (2 * lp)) << "log_prob " << lp;
  }
}

// Losses sum per kind over every node and round: a root with one round, recursing on a.
// Targets (default log ML = log ½, so L = log 2 each; default score 0, so L_Adv = (log 2)²):
// fan-out ^q, ^a; fan-in &q|...; answers a, q.
TEST(AmplifyLosses, SumPerTargetKindOverTheTree) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.adv.scores = {{"a", -1.0}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 0}, rng);
  const double l = std::log(2.0);
  constexpr auto answer = static_cast<int>(aida::target_kind::answer);
  constexpr auto fan_out = static_cast<int>(aida::target_kind::fan_out);
  constexpr auto fan_in = static_cast<int>(aida::target_kind::fan_in);
  EXPECT_EQ(ep.losses.count[fan_out], 2u);
  EXPECT_EQ(ep.losses.count[fan_in], 1u);
  EXPECT_EQ(ep.losses.count[answer], 2u);
  EXPECT_DOUBLE_EQ(ep.losses.ml[fan_out], 2 * l);
  EXPECT_DOUBLE_EQ(ep.losses.ml[fan_in], l);
  EXPECT_DOUBLE_EQ(ep.losses.ml[answer], 2 * l);
  // The answer target of a is scored −1 by the adversary: (−1 + log 2)²; q's: (0 + log 2)².
  EXPECT_DOUBLE_EQ(ep.losses.adv[answer], (l - 1) * (l - 1) + l * l);
  EXPECT_DOUBLE_EQ(ep.losses.adv[fan_out], 2 * l * l);
  // Every model target has its adversary target, with target −L.
  ASSERT_EQ(ep.model_targets.size(), ep.adversary_targets.size());
  for (std::size_t i = 0; i < ep.model_targets.size(); ++i) {
    EXPECT_EQ(ep.adversary_targets[i].query, ep.model_targets[i].query);
    EXPECT_DOUBLE_EQ(ep.adversary_targets[i].target, -ep.model_targets[i].loss);
  }
}

// ---- bad input ----------------------------------------------------------------------

TEST(AmplifyErrors, SplitRepeatingItsOwnQuestionNamesIt) {
  scripted_world w;
  w.h.fan_outs["loop"] = move_t::split("loop", "x");
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(Q("loop"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
    FAIL() << "no overseer_error";
  } catch (const aida::overseer_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"loop\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("itself"), std::string::npos) << e.what();
  }
}

TEST(AmplifyErrors, SplitRepeatingAnAncestorNamesBoth) {
  scripted_world w;
  w.h.fan_outs["top"] = move_t::split("mid", "x");
  w.h.fan_outs["mid"] = move_t::split("y", "top");
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(Q("top"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
    FAIL() << "no overseer_error";
  } catch (const aida::overseer_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"mid\""), std::string::npos) << what;
    EXPECT_NE(what.find("ancestor \"top\""), std::string::npos) << what;
  }
}

/// The scripted overseer, reporting its fan-out moves on the listed questions as a model's
/// (as the primed overseer H′ does when it defers to ML).
struct deferring_overseer {
  scripted_overseer* h;
  std::vector<Q> by_model;
  A answer(const Q& q) { return h->answer(q); }
  move_t fan_out(const Q& q) { return h->fan_out(q); }
  move_t fan_in(const Q& q, const sub_t& a, const sub_t& b) { return h->fan_in(q, a, b); }
  template <aida::Sampler R>
  A answer(const Q& q, aida::overseer_context<R>&) { return h->answer(q); }
  template <aida::Sampler R>
  move_t fan_out(const Q& q, aida::overseer_context<R>& ctx) {
    if (std::find(by_model.begin(), by_model.end(), q) != by_model.end()) ctx.by = aida::producer::model;
    return h->fan_out(q);
  }
  template <aida::Sampler R>
  move_t fan_in(const Q& q, const sub_t& a, const sub_t& b, aida::overseer_context<R>&) { return h->fan_in(q, a, b); }
};

// H′ accepted ML's split of "top" into "mid"; H decomposes "mid" back into "top". The cycle is
// the model's doing: a malformed move, answered by ML, not an overseer error. (Seen in
// training on permutation: ML split σ^0(x) into σ^3(x), whose companion question is σ^0(x).)
TEST(AmplifyErrors, OverseerSplitBackIntoAModelsSplitIsTheModelsMalformedMove) {
  scripted_world w;
  w.h.fan_outs["top"] = move_t::split("mid", "x");
  w.h.fan_outs["mid"] = move_t::split("y", "top");
  deferring_overseer h{&w.h, {"top"}};
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("top"), h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
  EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 1u);
  const auto mid = std::find_if(ep.nodes.begin(), ep.nodes.end(), [](const auto& n) { return n.question == "mid"; });
  ASSERT_NE(mid, ep.nodes.end());
  EXPECT_EQ(mid->end, aida::node_end::malformed_move);
  // The repeating split never became a training target.
  for (const auto& t : ep.model_targets) EXPECT_NE(t.target, w.codec.encode(move_t::split("y", "top"))) << t.query;
}

// Below a model's split, a cycle made by H alone is still H's error.
TEST(AmplifyErrors, CycleOfTheOverseersOwnBelowAModelsSplitThrows) {
  scripted_world w;
  w.h.fan_outs["top"] = move_t::split("mid", "x");
  w.h.fan_outs["mid"] = move_t::split("low", "x");
  w.h.fan_outs["low"] = move_t::split("y", "mid");
  deferring_overseer h{&w.h, {"top"}};
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(Q("top"), h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
    FAIL() << "no overseer_error";
  } catch (const aida::overseer_error& e) {
    EXPECT_NE(std::string(e.what()).find("ancestor \"mid\""), std::string::npos) << e.what();
  }
}

// A fan-in split that repeats the question is caught the same way.
TEST(AmplifyErrors, FanInSplitRepeatingTheQuestionThrows) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.h.fan_ins["q"] = {move_t::split("q", "c")};
  aida::sampler rng(aida_test::seed());
  EXPECT_THROW((void)aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_none{}, rng),
               aida::overseer_error);
}

TEST(AmplifyErrors, InvalidOptionsThrow) {
  scripted_world w;
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng, {.max_rounds = 0});
    FAIL() << "no invalid_options";
  } catch (const aida::invalid_options& e) {
    EXPECT_NE(std::string(e.what()).find("max_rounds"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(w.log.calls.empty());  // checked before anything is called
}

TEST(AmplifyErrors, NaNLogProbIsAnErrorNamingTheQuestion) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::answer("x");
  w.ml.log_probs = {{{"q", "x"}, std::numeric_limits<double>::quiet_NaN()}};
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
    FAIL() << "no aida::error";
  } catch (const aida::overseer_error&) {
    FAIL() << "a model failure is not an overseer error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("question \"q\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nan"), std::string::npos) << e.what();
  }
}

TEST(AmplifyErrors, PositiveLogProbAndNonFiniteScoreAreErrors) {
  {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::answer("x");
    w.ml.log_probs = {{{"^q", "=x"}, 0.5}};
    aida::sampler rng(aida_test::seed());
    EXPECT_THROW((void)aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng), aida::error);
  }
  {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::split("a", "b");
    w.adv.scores = {{"b", std::numeric_limits<double>::infinity()}};
    aida::sampler rng(aida_test::seed());
    try {
      (void)aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::gumbel_argmin{.temperature = 1.0}, rng);
      FAIL() << "no aida::error";
    } catch (const aida::error& e) {
      EXPECT_NE(std::string(e.what()).find("question \"b\""), std::string::npos) << e.what();
    }
  }
}

// ---- budgets (spec §8) ----------------------------------------------------------------

TEST(AmplifyBudgets, AtMaxDepthTheNodeIsAnsweredByHOnce) {
  {
    scripted_world w;
    w.h.fan_outs["q"] = move_t::split("a", "b");
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng, {.max_depth = 0});
    EXPECT_EQ(w.log.starting_with("H"), (strings{"H(q)"}));
    EXPECT_EQ(*ep.answer, "h:q");
    EXPECT_EQ(ep.counts.fallbacks.depth_limit, 1u);
    EXPECT_EQ(ep.counts.overseer, (aida::overseer_calls{.answer = 1, .fan_out = 0, .fan_in = 0}));
    EXPECT_EQ(ep.nodes[0].end, aida::node_end::depth_limit);
    EXPECT_EQ(ep.model_targets.size(), 1u);  // H's answer is a target like any other
  }
  {  // depth 1: both children of the root are at the limit
    scripted_world w;
    w.h.fan_outs = {{"q", move_t::split("a", "b")}, {"a", move_t::split("a1", "a2")}};
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng, {.max_depth = 1});
    EXPECT_EQ(w.log.starting_with("H"), (strings{"H_fan_out(q)", "H(a)", "H(b)", "H_fan_in(q|a=h:a|b=h:b)"}));
    EXPECT_EQ(ep.counts.fallbacks.depth_limit, 2u);
    EXPECT_EQ(ep.counts.depth_reached, 1u);
  }
}

TEST(AmplifyBudgets, PastMaxRoundsTheNodeIsAnsweredByH) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  w.h.fan_ins["q"] = {move_t::split("c", "d")};  // keeps asking
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_none{}, rng, {.max_rounds = 2});
  EXPECT_EQ(w.log.starting_with("H"), (strings{"H_fan_out(q)", "H_fan_in(q|a=ml:a|b=ml:b)",
                                               "H_fan_in(q|c=ml:c|d=ml:d)", "H(q)"}));
  EXPECT_EQ(*ep.answer, "h:q");
  EXPECT_EQ(ep.counts.rounds, 2u);
  EXPECT_EQ(ep.counts.fallbacks.round_limit, 1u);
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::round_limit);
  EXPECT_EQ(ep.counts.overseer.answer, 1u);
}

// Past max_overseer_calls ML answers; the overseer is never called past the budget, and
// every node that fell back is counted.
TEST(AmplifyBudgets, PastTheOverseerBudgetMLAnswers) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng,
                                {.max_overseer_calls = 1});
  EXPECT_EQ(w.log.starting_with("H"), (strings{"H_fan_out(q)"}));
  EXPECT_EQ(ep.counts.overseer.total(), 1u);
  // a and b (recursed on, then over budget) and the root's fan-in all fall back to ML.
  EXPECT_EQ(ep.counts.fallbacks.overseer_budget, 3u);
  EXPECT_EQ(*ep.answer, "ml:q");
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::overseer_budget);
  EXPECT_EQ(ep.nodes[0].answered_by, aida::producer::model);
  EXPECT_EQ(ep.nodes[1].end, aida::node_end::overseer_budget);
}

// The budget holds on a real tree for every budget from 0 to beyond what the tree needs.
TEST(AmplifyBudgets, TheOverseerIsNeverCalledPastTheBudget) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  std::size_t unlimited = 0;
  {
    aida::sampler rng(aida_test::seed());
    unlimited = aida::amplify(Q("31415926"), h, ml, adv, codec, aida::recurse_all{}, rng).counts.overseer.total();
  }
  ASSERT_EQ(unlimited, 15u + 7u);  // 8 digits: 15 nodes fan out, 7 rounds fan in
  for (std::size_t budget = 0; budget <= unlimited + 2; ++budget) {
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(Q("31415926"), h, ml, adv, codec, aida::recurse_all{}, rng,
                                  {.max_overseer_calls = budget});
    EXPECT_EQ(ep.counts.overseer.total(), std::min(budget, unlimited)) << "budget " << budget;
    EXPECT_EQ(ep.counts.fallbacks.overseer_budget > 0, budget < unlimited) << "budget " << budget;
  }
}

// ---- exceptions from user code --------------------------------------------------------

// The overseer, the model or the adversary throws deep in the tree (after the sampler has
// been used): the exception comes out unchanged, the sampler is as it was at entry, and
// amplify_into's episode is left empty (not half-filled).
class AmplifyThrows : public ::testing::TestWithParam<int> {};

TEST_P(AmplifyThrows, PropagatesAndRestoresTheCallersState) {
  scripted_world w;
  w.h.fan_outs = {{"q", move_t::split("a", "b")}, {"a", move_t::split("a1", "a2")}};
  w.ml.consume_sampler = true;
  switch (GetParam()) {
    case 0: w.h.throw_on = "a2"; break;
    case 1: w.ml.throw_on = "a2"; break;
    case 2: w.adv.throw_on = "a2"; break;
  }
  aida::sampler rng(aida_test::seed());
  (void)rng.next();
  const aida::sampler at_entry = rng;

  // Pre-fill the episode with a previous, successful episode.
  aida::episode_for<aida::string_codec, scripted_model> out;
  {
    scripted_world other;
    aida::sampler r2(1);
    aida::amplify_into(out, Q("z"), other.h, other.ml, other.adv, other.codec, aida::recurse_all{}, r2);
    ASSERT_FALSE(out.nodes.empty());
  }
  // Coins that always come up "recurse": both subquestions are visited, and each round
  // draws two uniforms from the sampler before the failure at a2.
  const aida::bernoulli_coins always{[](double) { return 1.0; }};
  EXPECT_THROW(aida::amplify_into(out, Q("q"), w.h, w.ml, w.adv, w.codec, always, rng), user_failure);
  EXPECT_EQ(w.log.starting_with("H_fan_out(a)").size(), 1u) << "the failure should come after a round";
  EXPECT_EQ(rng, at_entry);
  EXPECT_FALSE(out.answer);
  EXPECT_TRUE(out.nodes.empty());
  EXPECT_TRUE(out.rounds.empty());
  EXPECT_TRUE(out.model_targets.empty());
  EXPECT_TRUE(out.adversary_targets.empty());
  EXPECT_EQ(out.counts, aida::episode_counts{});
  EXPECT_EQ(out.losses.targets(), 0u);
}

std::string thrower_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == 0 ? "overseer" : info.param == 1 ? "model" : "adversary";
}
INSTANTIATE_TEST_SUITE_P(OverseerModelAdversary, AmplifyThrows, ::testing::Values(0, 1, 2), thrower_name);

// ---- reproducibility ----------------------------------------------------------------

TEST(AmplifyReproducible, SameSeedGivesTheSameEpisodeBitForBit) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  const aida::gumbel_argmin policy{.temperature = 1.0};  // the sampler decides the tree
  const Q question = "9876543210123";
  aida::sampler r1(aida_test::seed()), r2(aida_test::seed());
  const auto e1 = aida::amplify(question, h, ml, adv, codec, policy, r1);
  aida::episode_for<aida::string_codec, random_model> e2;
  aida::amplify_into(e2, question, h, ml, adv, codec, policy, r2);
  expect_identical(e1, e2);
  EXPECT_EQ(r1, r2);
  EXPECT_GT(e1.nodes.size(), 3u);

  // The comparison can fail: another seed gives another episode (with 12 rounds choosing
  // between two subquestions, and draws from 19 answers, a collision is negligible).
  aida::sampler r3(aida_test::seed() + 1);
  const auto e3 = aida::amplify(question, h, ml, adv, codec, policy, r3);
  bool differs = e3.nodes.size() != e1.nodes.size() || e3.answer != e1.answer;
  for (std::size_t i = 0; !differs && i < e1.rounds.size(); ++i)
    differs = e1.rounds[i].answers[0] != e3.rounds[i].answers[0] ||
              e1.rounds[i].answers[1] != e3.rounds[i].answers[1] ||
              e1.rounds[i].recursed[0] != e3.rounds[i].recursed[0];
  EXPECT_TRUE(differs);
}

// amplify_into reuses the episode: a second episode into the same record equals a fresh one.
TEST(AmplifyReproducible, AmplifyIntoAReusedEpisodeEqualsAFreshOne) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  aida::episode_for<aida::string_codec, random_model> reused;
  aida::sampler r0(7);
  aida::amplify_into(reused, Q("55555555"), h, ml, adv, codec, aida::recurse_all{}, r0);
  aida::sampler r1(aida_test::seed()), r2(aida_test::seed());
  aida::amplify_into(reused, Q("1234"), h, ml, adv, codec, aida::uniform_one{}, r1);
  const auto fresh = aida::amplify(Q("1234"), h, ml, adv, codec, aida::uniform_one{}, r2);
  expect_identical(reused, fresh);
}

}  // namespace
