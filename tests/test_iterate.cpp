// The primed overseer H′ (spec §4) and the adversarial question source (spec §6): H′
// consults H exactly when Adv + ε < c, counts only those calls as overseer calls, runs in
// amplify unchanged, and leaves nothing half-updated when a call throws.
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using strings = std::vector<std::string>;
using primed_t = aida::primed_overseer<scripted_overseer, scripted_model, scripted_adversary, aida::string_codec>;

// ---- the decision, without noise --------------------------------------------------------

// noise_scale 0: H is consulted iff Adv(Q, ML(Q)) < c (strictly).
TEST(PrimedOverseer, WithoutNoiseConsultsHExactlyBelowTheThreshold) {
  scripted_world w;
  w.adv.scores = {{"low", -1.0}, {"high", 1.0}, {"equal", 0.5}};
  primed_t primed(w.h, w.ml, w.adv, w.codec, /*c=*/0.5, /*noise=*/0.0);

  EXPECT_EQ(primed.answer("low"), "h:low");
  EXPECT_EQ(w.log.calls, (strings{"ML(low)", "Adv(low)", "H(low)"}));
  w.log.calls.clear();
  EXPECT_EQ(primed.answer("high"), "ml:high");
  EXPECT_EQ(w.log.calls, (strings{"ML(high)", "Adv(high)", "sample(high)"}));
  w.log.calls.clear();
  EXPECT_EQ(primed.answer("equal"), "ml:equal");  // not below c: ML answers
  EXPECT_EQ(w.log.overseer_calls(), 0u);

  // Only the call that reached H is an overseer call; every call asked ML and Adv once.
  EXPECT_EQ(primed.usage().overseer, (aida::overseer_calls{.answer = 1, .fan_out = 0, .fan_in = 0}));
  EXPECT_EQ(primed.usage().model_calls, 3u);
  EXPECT_EQ(primed.usage().adversary_calls, 3u);
}

// H′_fan_out and H′_fan_in go through the codec: Adv_fan_out(Q, ML_fan_out(Q)) decides, and
// a deferral is ML's decoded move.
TEST(PrimedOverseer, FanOutAndFanInGoThroughTheCodec) {
  scripted_world w;
  const std::string fan_in_q = w.codec.fan_in_question("q", {"a", "1"}, {"b", "2"});
  w.adv.scores = {{"^q", 3.0}, {"^r", -3.0}, {fan_in_q, 3.0}};
  w.ml.draws = {{"^q", {"/x|y"}}, {fan_in_q, {"=3"}}};
  w.h.fan_outs["r"] = move_t::split("r1", "r2");
  primed_t primed(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);

  EXPECT_EQ(primed.fan_out("q"), move_t::split("x", "y"));  // ML's move, decoded
  EXPECT_EQ(primed.fan_out("r"), move_t::split("r1", "r2"));  // H's
  EXPECT_EQ(primed.fan_in("q", {"a", "1"}, {"b", "2"}), move_t::answer("3"));
  EXPECT_EQ(w.log.calls, (strings{"ML(^q)", "Adv(^q)", "sample(^q)",  //
                                  "ML(^r)", "Adv(^r)", "H_fan_out(r)",  //
                                  "ML(" + fan_in_q + ")", "Adv(" + fan_in_q + ")", "sample(" + fan_in_q + ")"}));
  EXPECT_EQ(primed.usage().overseer, (aida::overseer_calls{.answer = 0, .fan_out = 1, .fan_in = 0}));
}

// A deferred move that does not decode is counted as malformed, and H is asked after all
// (and that call is an overseer call).
TEST(PrimedOverseer, MalformedDeferredMoveAsksH) {
  scripted_world w;
  w.adv.default_score = 10;  // confident everywhere: always defers
  w.ml.draws = {{"^q", {"not a move"}}};
  primed_t primed(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);
  EXPECT_EQ(primed.fan_out("q"), move_t::answer("h:q"));
  EXPECT_EQ(w.log.calls, (strings{"ML(^q)", "Adv(^q)", "sample(^q)", "H_fan_out(q)"}));
  EXPECT_EQ(primed.usage().fallbacks.malformed_moves, 1u);
  EXPECT_EQ(primed.usage().overseer.fan_out, 1u);
}

// ---- the decision, with noise ---------------------------------------------------------

// noise_scale σ: H is consulted iff Adv + σ·ε < c, with ε the next Gumbel draw of H′'s own
// sampler. A copy of that sampler predicts every decision (the scripted model's sample()
// draws nothing, so the copy stays in step).
TEST(PrimedOverseer, WithNoiseConsultsHExactlyWhenAdvPlusGumbelIsBelowTheThreshold) {
  for (const double sigma : {1.0, 0.3}) {
    scripted_world w;
    const std::vector<std::string> qs = {"a", "b", "c", "d"};
    w.adv.scores = {{"a", -1.0}, {"b", 0.0}, {"c", 0.4}, {"d", 1.5}};
    const double c = 0.5;
    const aida::sampler own(aida_test::seed());
    aida::sampler copy = own;
    primed_t primed(w.h, w.ml, w.adv, w.codec, c, sigma, own);

    std::size_t expected_h = 0, deferred = 0;
    for (int i = 0; i < 400; ++i) {
      const std::string& q = qs[static_cast<std::size_t>(i) % qs.size()];
      const bool consult = w.adv.scores[q] + sigma * copy.gumbel() < c;
      w.log.calls.clear();
      const std::string a = primed.answer(q);
      ASSERT_EQ(a, consult ? "h:" + q : "ml:" + q) << "call " << i << ", σ = " << sigma;
      ASSERT_EQ(w.log.overseer_calls(), consult ? 1u : 0u);
      expected_h += consult;
      deferred += !consult;
    }
    EXPECT_EQ(primed.usage().overseer.answer, expected_h);
    EXPECT_EQ(primed.usage().overseer.total(), expected_h);
    EXPECT_EQ(primed.usage().adversary_calls, 400u);
    // Both outcomes occurred, so the comparison above tested something.
    EXPECT_GT(expected_h, 20u);
    EXPECT_GT(deferred, 20u);
  }
}

// ---- H′ inside amplify ----------------------------------------------------------------

// amplify runs with H′ unchanged; the episode counts as overseer calls exactly the calls
// that reached H (by kind), and H′'s model and adversary calls go into the episode's counts.
TEST(PrimedOverseer, InAmplifyOnlyCallsThatReachHCount) {
  scripted_world w;
  w.h.fan_outs["q"] = move_t::split("a", "b");
  // Not confident about q's fan-out and fan-in (H decides), confident about a's fan-out (ML's
  // move "=ma" is used) and about b's (ML's move is malformed: H is asked after all).
  const std::string fan_in_q = w.codec.fan_in_question("q", {"a", "ma"}, {"b", "h:b"});
  w.adv.scores = {{"^q", -5.0}, {"^a", 5.0}, {"^b", 5.0}, {fan_in_q, -5.0}};
  w.ml.draws = {{"^a", {"=ma"}}, {"^b", {"garbage"}}};
  auto primed = aida::prime(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), primed, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);

  EXPECT_EQ(w.log.starting_with("H"), (strings{"H_fan_out(q)", "H_fan_out(b)", "H_fan_in(q|a=ma|b=h:b)"}));
  EXPECT_EQ(ep.counts.overseer, (aida::overseer_calls{.answer = 0, .fan_out = 2, .fan_in = 1}));
  EXPECT_EQ(ep.counts.overseer.total(), w.log.overseer_calls());
  // H′ left one decision to ML (a's fan-out); b's malformed move went to H and is not a deferral.
  EXPECT_EQ(ep.counts.deferred, (aida::overseer_calls{.answer = 0, .fan_out = 1, .fan_in = 0}));
  EXPECT_EQ(*ep.answer, "ma+h:b");
  EXPECT_EQ(ep.nodes[1].question, "a");
  EXPECT_EQ(ep.nodes[1].fan_out_by, aida::producer::model);
  EXPECT_EQ(ep.nodes[2].fan_out_by, aida::producer::overseer);
  EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 1u);
  // Every predict and score, H′'s included, is in the episode's counts; none in usage().
  EXPECT_EQ(ep.counts.model_calls, w.log.starting_with("ML(").size());
  EXPECT_EQ(ep.counts.adversary_calls, w.log.starting_with("Adv(").size());
  EXPECT_EQ(primed.usage(), aida::episode_counts{});
}

// A deferred move of ML that repeats the question is ML's malformed move, not an overseer
// error: it is counted, ML answers the node, and the repeating split is not made a target.
TEST(PrimedOverseer, InAmplifyAModelSplitRepeatingTheQuestionIsMalformed) {
  scripted_world w;
  w.adv.scores = {{"^q", 5.0}};  // confident: H′ defers to ML's fan-out move
  w.ml.draws = {{"^q", {"/q|x"}}};
  auto primed = aida::prime(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(Q("q"), primed, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
  EXPECT_EQ(*ep.answer, "ml:q");
  EXPECT_EQ(ep.nodes[0].end, aida::node_end::malformed_move);
  EXPECT_EQ(ep.counts.fallbacks.malformed_moves, 1u);
  EXPECT_EQ(ep.counts.overseer.total(), 0u);
  EXPECT_EQ(w.log.overseer_calls(), 0u);
  for (const auto& t : ep.model_targets) EXPECT_NE(t.target, "/q|x");
}

// With noise inside amplify, ε comes from the episode's sampler, so the same seed gives
// the same episode, and H′'s own sampler is not used.
TEST(PrimedOverseer, InAmplifyDrawsFromTheEpisodesSampler) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  auto p1 = aida::prime(h, ml, adv, codec, -1.0, 1.0, aida::sampler(1));
  auto p2 = aida::prime(h, ml, adv, codec, -1.0, 1.0, aida::sampler(2));  // another own sampler
  aida::sampler r1(aida_test::seed()), r2(aida_test::seed());
  std::size_t consulted = 0, deferred = 0;
  for (const char* q : {"12345678", "8765", "99887766", "1029", "5647382910"}) {
    const auto e1 = aida::amplify(Q(q), p1, ml, adv, codec, aida::recurse_all{}, r1);
    const auto e2 = aida::amplify(Q(q), p2, ml, adv, codec, aida::recurse_all{}, r2);
    EXPECT_EQ(e1.answer, e2.answer);
    EXPECT_EQ(e1.counts, e2.counts);
    EXPECT_EQ(r1, r2);
    consulted += e1.counts.overseer.total();
    for (const auto& node : e1.nodes) deferred += node.fan_out_by == aida::producer::model;
  }
  // The threshold sits inside the scores' range: some calls reached H, some deferred.
  EXPECT_GT(consulted, 0u);
  EXPECT_GT(deferred, 0u);
  EXPECT_EQ(p1.usage(), aida::episode_counts{});
}

// The episode's counts of H′'s deferrals (and of H's calls), by kind, equal what a walk of
// the tree finds: fan-outs and fan-in moves made by ML, and depth-limit answers H′ left to ML.
TEST(PrimedOverseer, DeferralCountsEqualAWalkOfTheTree) {
  digit_sum_overseer h;
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  auto primed = aida::prime(h, ml, adv, codec, -1.0, 1.0);
  aida::sampler rng(aida_test::seed());
  aida::amplify_options opt;
  opt.max_depth = 2;  // depth-limit answers H(Q), which H′ may leave to ML too
  aida::overseer_calls total_deferred;
  for (const char* q : {"12345678", "8765", "99887766", "1029", "5647382910", "31415926", "2718"}) {
    const auto ep = aida::amplify(Q(q), primed, ml, adv, codec, aida::recurse_all{}, rng, opt);
    aida::overseer_calls by_h, by_ml;
    auto tally = [&](aida::producer p) -> aida::overseer_calls& { return p == aida::producer::model ? by_ml : by_h; };
    for (const auto& node : ep.nodes) {
      if (node.fan_out) tally(node.fan_out_by).fan_out += 1;
      if (node.end == aida::node_end::depth_limit || node.end == aida::node_end::round_limit)
        tally(node.answered_by).answer += 1;
    }
    for (const auto& round : ep.rounds)
      if (round.move) tally(round.move_by).fan_in += 1;
    EXPECT_EQ(ep.counts.deferred, by_ml) << q;
    EXPECT_EQ(ep.counts.overseer, by_h) << q;
    total_deferred += ep.counts.deferred;
  }
  // The threshold sits inside the scores' range: every kind was deferred somewhere.
  EXPECT_GT(total_deferred.answer, 0u);
  EXPECT_GT(total_deferred.fan_out, 0u);
  EXPECT_GT(total_deferred.fan_in, 0u);
}

// A kind that may not be deferred goes to H without asking ML or the adversary, while the
// other kinds still defer where the adversary is confident.
TEST(PrimedOverseer, AKindThatMayNotBeDeferredGoesToHWithoutAskingMlOrAdv) {
  scripted_world w;
  const std::string fan_in_q = w.codec.fan_in_question("q", {"a", "1"}, {"b", "2"});
  // Confident everywhere (scores far above c): every decision would be deferred.
  w.adv.scores = {{"q", 9.0}, {"^q", 9.0}, {fan_in_q, 9.0}};
  w.ml.draws = {{"^q", {"/x|y"}}, {fan_in_q, {"=3"}}};
  w.h.fan_outs["q"] = move_t::split("h1", "h2");
  primed_t primed(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);
  primed.deferrable.fan_out = false;

  EXPECT_EQ(primed.fan_out("q"), move_t::split("h1", "h2"));
  EXPECT_EQ(w.log.calls, (strings{"H_fan_out(q)"}));
  w.log.calls.clear();
  EXPECT_EQ(primed.answer("q"), "ml:q");
  EXPECT_EQ(primed.fan_in("q", {"a", "1"}, {"b", "2"}), move_t::answer("3"));
  EXPECT_EQ(w.log.overseer_calls(), 0u);

  primed.deferrable = {.answer = false, .fan_out = true, .fan_in = false};
  w.log.calls.clear();
  EXPECT_EQ(primed.answer("q"), "h:q");
  EXPECT_EQ(primed.fan_in("q", {"a", "1"}, {"b", "2"}), move_t::answer("1+2"));
  EXPECT_EQ(primed.fan_out("q"), move_t::split("x", "y"));
  EXPECT_EQ(w.log.starting_with("ML("), (strings{"ML(^q)"}));
  EXPECT_EQ(w.log.starting_with("Adv("), (strings{"Adv(^q)"}));
  EXPECT_EQ(primed.usage().overseer, (aida::overseer_calls{.answer = 1, .fan_out = 1, .fan_in = 1}));
}

// In amplify, over trees where every kind is deferred somewhere (the test above): turning one
// kind off leaves no deferral of that kind, and the others still happen.
TEST(PrimedOverseer, InAmplifyAKindThatMayNotBeDeferredIsNeverDeferred) {
  for (int off = 0; off < 3; ++off) {
    digit_sum_overseer h;
    random_model ml;
    hash_adversary adv;
    aida::string_codec codec;
    auto primed = aida::prime(h, ml, adv, codec, -1.0, 1.0);
    primed.deferrable = {.answer = off != 0, .fan_out = off != 1, .fan_in = off != 2};
    aida::sampler rng(aida_test::seed());
    aida::amplify_options opt;
    opt.max_depth = 2;
    aida::overseer_calls deferred;
    for (const char* q : {"12345678", "8765", "99887766", "1029", "5647382910", "31415926", "2718", "55", "918273"})
      deferred += aida::amplify(Q(q), primed, ml, adv, codec, aida::recurse_all{}, rng, opt).counts.deferred;
    const std::size_t by_kind[3] = {deferred.answer, deferred.fan_out, deferred.fan_in};
    for (int k = 0; k < 3; ++k) {
      if (k == off) EXPECT_EQ(by_kind[k], 0u) << "kind " << k << " off";
      else EXPECT_GT(by_kind[k], 0u) << "kind " << k << " with kind " << off << " off";
    }
  }
}

// ---- failures -------------------------------------------------------------------------

// A plain call that throws (in H, ML or Adv) propagates the exception and leaves usage()
// and H′'s own sampler as they were: the next calls decide exactly as those of a fresh H′.
class PrimedThrows : public ::testing::TestWithParam<int> {};

TEST_P(PrimedThrows, PlainCallLeavesCountsAndSamplerUnchanged) {
  scripted_world w, fresh_w;
  for (auto* x : {&w, &fresh_w}) x->adv.scores = {{"boom", -100.0}, {"x", 0.0}};
  switch (GetParam()) {  // each failure comes after H′ drew its ε
    case 0: w.h.throw_on = "boom"; break;
    case 1:  // ML is trusted on "boom" and fails when drawing the answer
      w.adv.scores["boom"] = 100.0;
      w.ml.throw_on_sample = "boom";
      break;
    case 2: w.adv.throw_on = "boom"; break;
  }
  primed_t primed(w.h, w.ml, w.adv, w.codec, 0.0, 1.0, aida::sampler(aida_test::seed()));
  primed_t fresh(fresh_w.h, fresh_w.ml, fresh_w.adv, fresh_w.codec, 0.0, 1.0, aida::sampler(aida_test::seed()));
  (void)primed.answer("x");
  (void)fresh.answer("x");
  const aida::episode_counts before = primed.usage();

  EXPECT_THROW((void)primed.answer("boom"), user_failure);
  EXPECT_EQ(primed.usage(), before);

  // Score 0 against c = 0 with Gumbel noise: each decision is a fair-ish coin, so 64 equal
  // decisions would be a coincidence of probability ~2^-64 if the stream had moved.
  w.log.calls.clear();
  fresh_w.log.calls.clear();
  for (int i = 0; i < 64; ++i) {
    (void)primed.answer("x");
    (void)fresh.answer("x");
  }
  EXPECT_EQ(w.log.calls, fresh_w.log.calls);
  EXPECT_EQ(primed.usage(), fresh.usage());
}

std::string thrower_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == 0 ? "overseer" : info.param == 1 ? "model" : "adversary";
}
INSTANTIATE_TEST_SUITE_P(OverseerModelAdversary, PrimedThrows, ::testing::Values(0, 1, 2), thrower_name);

TEST(PrimedOverseer, NonFiniteScoreIsAnErrorNamingTheQuestion) {
  scripted_world w;
  w.adv.scores = {{"q", std::numeric_limits<double>::quiet_NaN()}};
  primed_t primed(w.h, w.ml, w.adv, w.codec, 0.0, 0.0);
  try {
    (void)primed.answer("q");
    FAIL() << "no aida::error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("question \"q\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(primed.usage(), aida::episode_counts{});
}

// ---- the adversarial question source (spec §6) ----------------------------------------

/// Hands out its questions in order, drawing one number from the sampler per question (so
/// that a restored sampler is observable).
struct list_source {
  std::vector<std::string> questions;
  std::size_t i = 0;
  template <aida::Sampler S>
  std::string next(S& rng) {
    (void)rng.next();
    return questions[i++ % questions.size()];
  }
};
static_assert(aida::QuestionSource<list_source, std::string>);

TEST(AdversarialSource, ReturnsTheCandidateWithTheLowestScore) {
  scripted_world w;
  w.adv.scores = {{"q1", 0.0}, {"q2", -2.0}, {"q3", -1.0}, {"q4", -3.0}};
  list_source src{{"q1", "q2", "q3", "q4"}};
  aida::adversarial_source adversarial(src, w.ml, w.adv, 3, 0.0);
  static_assert(aida::QuestionSource<decltype(adversarial), std::string>);
  aida::sampler rng(aida_test::seed());
  EXPECT_EQ(adversarial.next(rng), "q2");  // among q1, q2, q3
  EXPECT_EQ(w.log.calls, (strings{"ML(q1)", "Adv(q1)", "ML(q2)", "Adv(q2)", "ML(q3)", "Adv(q3)"}));
  EXPECT_EQ(adversarial.next(rng), "q4");  // among q4, q1, q2
  EXPECT_EQ(adversarial.model_calls(), 6u);
  EXPECT_EQ(adversarial.adversary_calls(), 6u);
}

TEST(AdversarialSource, WithOneCandidateIsTheSourceItself) {
  scripted_world w;
  list_source src{{"q1", "q2"}};
  aida::adversarial_source adversarial(src, w.ml, w.adv, 1);
  aida::sampler rng(aida_test::seed());
  EXPECT_EQ(adversarial.next(rng), "q1");
  EXPECT_EQ(adversarial.next(rng), "q2");
  EXPECT_TRUE(w.log.calls.empty());
}

// With temperature τ the choice between two candidates follows softmax(−S/τ): scores −1 and
// 0 at τ = 1 choose the first with probability e/(1+e) ≈ 0.731 (4000 draws, 5 binomial
// standard errors: ±0.035).
TEST(AdversarialSource, WithTemperatureChoosesBySoftmax) {
  scripted_world w;
  w.adv.scores = {{"hard", -1.0}, {"easy", 0.0}};
  list_source src{{"hard", "easy"}};
  aida::adversarial_source adversarial(src, w.ml, w.adv, 2, 1.0);
  aida::sampler rng(aida_test::seed());
  int hard = 0;
  constexpr int n = 4000;
  for (int i = 0; i < n; ++i) hard += adversarial.next(rng) == "hard";
  const double p = std::exp(1.0) / (1 + std::exp(1.0));
  EXPECT_NEAR(static_cast<double>(hard) / n, p, 5 * std::sqrt(p * (1 - p) / n));
}

// With k = 4 candidates the choice is still softmax(−S/τ) (spec §1's Boltzmann exploration):
// 20000 draws, chi-square with 3 degrees of freedom below 16.27, its 0.999 quantile. (Adding
// rather than subtracting the Gumbel noise would give about (0.52, 0.14, 0.06, 0.29) against
// softmax's (0.46, 0.17, 0.10, 0.28) here, a chi-square in the hundreds.)
TEST(AdversarialSource, WithFourCandidatesChoosesBySoftmax) {
  struct plain_model {
    std::string predict(const std::string& q) { return q; }
    double log_prob(const std::string&, const std::string&) { return -1; }
    std::string sample(const std::string& o, aida::sampler&) { return o; }
    std::string greedy(const std::string& o) { return o; }
  };
  struct table_adversary {
    double score(const std::string& q, const std::string&) { return q == "w" ? -1.0 : q == "x" ? 0.0 : q == "y" ? 0.5 : -0.5; }
  };
  plain_model ml;
  table_adversary adv;
  list_source src{{"w", "x", "y", "z"}};
  for (const double tau : {1.0, 0.5}) {
    aida::adversarial_source adversarial(src, ml, adv, 4, tau);
    aida::sampler rng(aida_test::seed());
    std::map<std::string, int> chosen;
    constexpr int n = 20000;
    for (int i = 0; i < n; ++i) ++chosen[adversarial.next(rng)];
    const std::vector<std::pair<std::string, double>> scores = {{"w", -1.0}, {"x", 0.0}, {"y", 0.5}, {"z", -0.5}};
    double z = 0;
    for (const auto& [q, s] : scores) z += std::exp(-s / tau);
    double chi2 = 0;
    for (const auto& [q, s] : scores) {
      const double expected = n * std::exp(-s / tau) / z;
      chi2 += (chosen[q] - expected) * (chosen[q] - expected) / expected;
    }
    EXPECT_LT(chi2, 16.27) << "τ = " << tau << ": w " << chosen["w"] << ", x " << chosen["x"] << ", y "
                           << chosen["y"] << ", z " << chosen["z"];
  }
}

TEST(AdversarialSource, ZeroCandidatesIsInvalidAndAThrowRestoresTheSampler) {
  scripted_world w;
  list_source src{{"q1", "q2", "boom"}};
  EXPECT_THROW((void)aida::adversarial_source(src, w.ml, w.adv, 0), aida::invalid_options);

  w.adv.throw_on = "boom";
  aida::adversarial_source adversarial(src, w.ml, w.adv, 3, 1.0);
  aida::sampler rng(aida_test::seed());
  const aida::sampler at_entry = rng;
  EXPECT_THROW((void)adversarial.next(rng), user_failure);
  EXPECT_EQ(rng, at_entry);
  EXPECT_EQ(adversarial.model_calls(), 0u);
  EXPECT_EQ(adversarial.adversary_calls(), 0u);
}

}  // namespace
