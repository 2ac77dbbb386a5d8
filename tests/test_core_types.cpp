// The value types of core/: moves and splits, the episode record, counts, labels, errors.
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"

namespace {

using move_t = aida::Move<std::string, std::string>;

// With Q == A (both strings) an answer and a split stay distinct.
TEST(CoreMove, AnswersAndSplitsAreDistinctEvenWhenQuestionsAndAnswersShareAType) {
  const move_t a = move_t::answer("x");
  const move_t s = move_t::split("x", "y");
  EXPECT_TRUE(a.is_answer());
  EXPECT_FALSE(a.is_split());
  EXPECT_TRUE(s.is_split());
  EXPECT_EQ(a.get_answer(), "x");
  EXPECT_EQ(s.get_split().first(), "x");
  EXPECT_EQ(s.get_split().second(), "y");
  EXPECT_NE(a, move_t::answer("y"));
  EXPECT_NE(move_t::split("x", "x"), move_t::answer("x"));
  EXPECT_EQ(move_t::split(aida::Split<std::string>{"x", "y"}), s);
  EXPECT_THROW((void)a.get_split(), std::bad_variant_access);  // precondition violated: no UB
}

TEST(CoreMove, SamePairIgnoresOrderButEqualityDoesNot) {
  const aida::Split<std::string> ab{"a", "b"}, ba{"b", "a"}, ac{"a", "c"};
  EXPECT_TRUE(ab.same_pair(ba));
  EXPECT_NE(ab, ba);
  EXPECT_FALSE(ab.same_pair(ac));
  EXPECT_TRUE((aida::Split<std::string>{"a", "a"}.same_pair({"a", "a"})));
  EXPECT_FALSE((aida::Split<std::string>{"a", "a"}.same_pair({"a", "b"})));
}

TEST(CoreCounts, OverseerCallsAddAndTotal) {
  aida::overseer_calls c{.answer = 1, .fan_out = 2, .fan_in = 3};
  EXPECT_EQ(c.total(), 6u);
  c += aida::overseer_calls{.answer = 10, .fan_out = 20, .fan_in = 30};
  EXPECT_EQ(c, (aida::overseer_calls{.answer = 11, .fan_out = 22, .fan_in = 33}));
  aida::selection s;
  EXPECT_EQ(s.count(), 0);
  s.recurse[1] = true;
  EXPECT_EQ(s.count(), 1);
}

// clear() empties the record but keeps its storage, so a reused episode does not allocate.
TEST(CoreEpisode, ClearEmptiesButKeepsCapacity) {
  aida_test::digit_sum_overseer h;
  aida_test::random_model ml;
  aida_test::hash_adversary adv;
  aida::sampler rng(1);
  auto ep = aida::amplify(std::string("12345678"), h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
  ASSERT_EQ(ep.nodes.size(), 15u);
  const auto node_capacity = ep.nodes.capacity();
  const auto target_capacity = ep.model_targets.capacity();
  ep.clear();
  EXPECT_FALSE(ep.answer);
  EXPECT_TRUE(ep.nodes.empty() && ep.rounds.empty() && ep.model_targets.empty() && ep.adversary_targets.empty());
  EXPECT_EQ(ep.counts, aida::episode_counts{});
  EXPECT_EQ(ep.losses.targets(), 0u);
  EXPECT_EQ(ep.nodes.capacity(), node_capacity);
  EXPECT_EQ(ep.model_targets.capacity(), target_capacity);
}

// for_each_round visits a node's rounds in order, following the chain.
TEST(CoreEpisode, ForEachRoundFollowsTheChainOfANode) {
  aida_test::scripted_world w;
  w.h.fan_outs["q"] = aida_test::move_t::split("a", "b");
  w.h.fan_ins["q"] = {aida_test::move_t::split("c", "d"), aida_test::move_t::split("e", "f"),
                      aida_test::move_t::answer("z")};
  w.h.fan_outs["a"] = aida_test::move_t::split("a1", "a2");  // a's round sits between q's
  aida::sampler rng(1);
  const auto ep = aida::amplify(std::string("q"), w.h, w.ml, w.adv, w.codec, aida::recurse_all{}, rng);
  std::string order;
  ep.for_each_round(0, [&](const auto& r) { order += r.questions.first(); });
  EXPECT_EQ(order, "ace");
  EXPECT_EQ(ep.nodes[0].round_count, 3u);
  EXPECT_EQ(ep.rounds.size(), 4u);  // three of q's, one of a's, stored flat
}

TEST(CoreLabel, MatchesButConvertsToNothing) {
  const aida::label<std::string> truth("14");
  EXPECT_TRUE(truth.matches("14"));
  EXPECT_FALSE(truth.matches("41"));
  static_assert(!std::is_convertible_v<aida::label<std::string>, std::string>);
  static_assert(!std::is_convertible_v<aida::label<std::string>, aida::model_target<std::string, std::string>>);
  static_assert(!std::is_convertible_v<std::string, aida::label<std::string>>, "a label is made explicitly");
}

TEST(CoreErrors, HierarchyAndDescriptions) {
  static_assert(std::is_base_of_v<aida::error, aida::overseer_error>);
  static_assert(std::is_base_of_v<aida::error, aida::invalid_options>);
  static_assert(std::is_base_of_v<std::runtime_error, aida::error>);
  EXPECT_EQ(aida::detail::describe(std::string("q")), "\"q\"");
  EXPECT_EQ(aida::detail::describe(42), "42");
  struct opaque {};
  EXPECT_EQ(aida::detail::describe(opaque{}).rfind("<unprintable", 0), 0u);
}

}  // namespace
