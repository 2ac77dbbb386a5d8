// Each task on its own: worked examples of its decomposition (the ones in docs/tasks.md),
// generators that respect the difficulty, and full-HCH overseer call counts against counts
// derived independently of the overseer (closed forms, or a recursion over the question
// written here from the task's definition).
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/tasks/tasks.hpp"
#include "support/doubles.hpp"
#include "support/hch_doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida::tasks;
using Move = aida::Move<std::string, std::string>;
using Sub = aida::Subanswer<std::string, std::string>;

using aida_test::indifferent_adversary;
using aida_test::unknowing_model;
using episode = aida::episode_for<aida::string_codec, unknowing_model>;

template <class T>
episode full_hch(const T& task, const std::string& q) {
  auto h = task.overseer();
  unknowing_model ml;
  indifferent_adversary adv;
  aida::sampler rng(aida_test::seed());
  return aida::amplify(q, h, ml, adv, task.codec(), aida::recurse_all{}, rng);
}

template <class T>
std::vector<std::string> questions_at(const T& task, int d, std::size_t n = 60) {
  aida::sampler rng(aida_test::seed() + 100 + static_cast<std::uint64_t>(d));
  auto gen = task.generator(d);
  return draw_questions(gen, n, rng);
}

// ---------------------------------------------------------------------------------------
// sum

TEST(SumTask, Example) {
  auto h = sum_task{}.overseer();
  EXPECT_EQ(h.fan_out("7"), Move::answer("7"));
  EXPECT_EQ(h.fan_out("31415926"), Move::split("3141", "5926"));
  EXPECT_EQ(h.fan_out("314"), Move::split("3", "14"));  // odd: the first half is the shorter
  EXPECT_EQ(h.fan_in("31415926", Sub{"5926", "22"}, Sub{"3141", "9"}), Move::answer("31"));
  EXPECT_EQ(h.fan_in("31415926", Sub{"3141", "37"}, Sub{"5926", "22"}), Move::answer("?"));  // 37 > 4·9
  EXPECT_EQ(h.answer("31415926"), "31");
}

TEST(SumTask, GeneratorGivesDifficultyManyDigits) {
  for (int d = sum_task::min_difficulty; d <= sum_task::max_difficulty; ++d)
    for (const auto& q : questions_at(sum_task{}, d)) {
      EXPECT_EQ(q.size(), static_cast<std::size_t>(d)) << q;
      EXPECT_TRUE(std::all_of(q.begin(), q.end(), [](char c) { return c >= '0' && c <= '9'; })) << q;
    }
}

TEST(SumTask, FullHchCallsAreThreeNMinusTwo) {
  // A binary tree with n leaves has 2n − 1 nodes (one fan-out each) and n − 1 internal
  // nodes (one fan-in each): 3n − 2 calls, and depth ⌈log2 n⌉.
  for (int n = sum_task::min_difficulty; n <= sum_task::max_difficulty; ++n)
    for (const auto& q : questions_at(sum_task{}, n, 10)) {
      const auto c = full_hch(sum_task{}, q).counts;
      const auto un = static_cast<std::size_t>(n);
      EXPECT_EQ(c.overseer.fan_out, 2 * un - 1) << q;
      EXPECT_EQ(c.overseer.fan_in, un - 1) << q;
      EXPECT_EQ(c.overseer.total(), 3 * un - 2) << q;
      EXPECT_EQ(c.depth_reached, static_cast<std::size_t>(std::ceil(std::log2(n)))) << q;
    }
}

// ---------------------------------------------------------------------------------------
// wildcard

TEST(WildcardTask, Example) {
  auto h = wildcard_task{}.overseer();
  const std::string q = "aab3bba1abb7bab2:a*b";
  EXPECT_EQ(h.fan_out(q), Move::split("aab3bba1abb7bab2:aab", "aab3bba1abb7bab2:abb"));
  EXPECT_EQ(h.fan_out("aab3bba1abb7bab2:abb"), Move::answer("7"));
  EXPECT_EQ(h.fan_out("aab3bba1abb7bab2:aaa"), Move::answer("0"));  // no such key
  EXPECT_EQ(h.fan_out("aab3bba1abb7bab2:**b"), Move::split("aab3bba1abb7bab2:a*b", "aab3bba1abb7bab2:b*b"));
  EXPECT_EQ(h.fan_in(q, Sub{"aab3bba1abb7bab2:abb", "7"}, Sub{"aab3bba1abb7bab2:aab", "3"}), Move::answer("10"));
  EXPECT_EQ(h.answer("aab3bba1abb7bab2:***"), "13");
}

TEST(WildcardTask, GeneratorRespectsTheDifficulty) {
  for (int d = wildcard_task::min_difficulty; d <= wildcard_task::max_difficulty; ++d)
    for (const auto& q : questions_at(wildcard_task{}, d)) {
      const auto colon = q.find(':');
      ASSERT_NE(colon, std::string::npos) << q;
      EXPECT_EQ(q.size() - colon - 1, wildcard_task::key_length) << q;
      EXPECT_EQ(colon, wildcard_task::entries * (wildcard_task::key_length + 1)) << q;
      EXPECT_EQ(std::count(q.begin(), q.end(), '*'), d) << q;
    }
}

TEST(WildcardTask, FullHchCallsAreThreeTimesTwoToTheDMinusTwo) {
  // Each wildcard doubles the leaves: 2^d leaves, 3·2^d − 2 calls, depth d.
  for (int d = wildcard_task::min_difficulty; d <= wildcard_task::max_difficulty; ++d)
    for (const auto& q : questions_at(wildcard_task{}, d, 10)) {
      const auto c = full_hch(wildcard_task{}, q).counts;
      const std::size_t leaves = std::size_t{1} << d;
      EXPECT_EQ(c.overseer.fan_out, 2 * leaves - 1) << q;
      EXPECT_EQ(c.overseer.fan_in, leaves - 1) << q;
      EXPECT_EQ(c.overseer.total(), 3 * leaves - 2) << q;
      EXPECT_EQ(c.depth_reached, static_cast<std::size_t>(d)) << q;
    }
}

// The task's codec leaves out the entries that subquestions share with their question:
// amplify trains ML on the short relative moves, and distill reads them back.
TEST(WildcardTask, MovesAreWrittenRelativeToTheQuestionAndReadBack) {
  const wildcard_task task;
  const auto codec = task.codec();
  const std::string q = "ab1ba2aa4:*a";
  const auto ep = full_hch(task, q);
  const auto root = std::find_if(ep.model_targets.begin(), ep.model_targets.end(), [&](const auto& t) {
    return t.kind == aida::target_kind::fan_out && t.query == codec.fan_out_question(q);
  });
  ASSERT_NE(root, ep.model_targets.end());
  EXPECT_EQ(root->target, "/:aa|:ba");
  const auto fan_in = std::find_if(ep.model_targets.begin(), ep.model_targets.end(),
                                   [](const auto& t) { return t.kind == aida::target_kind::fan_in; });
  ASSERT_NE(fan_in, ep.model_targets.end());
  EXPECT_EQ(fan_in->query, "&ab1ba2aa4:*a|:aa=4|:ba=2");
  EXPECT_EQ(fan_in->target, "=6");

  // A model that makes exactly these moves: distill decodes the relative split with q's
  // entries and asks the full subquestions.
  aida_test::scripted_world w;
  w.ml.draws = {{codec.fan_out_question(q), {"/:aa|:ba"}},
                {"ab1ba2aa4:aa", {"4"}},
                {"ab1ba2aa4:ba", {"2"}},
                {"&ab1ba2aa4:*a|:aa=4|:ba=2", {"=6"}}};
  aida::sampler rng(aida_test::seed());
  const auto d = aida::distill(q, w.ml, w.adv, codec, rng);
  ASSERT_TRUE(d.nodes[0].fan_out.has_value());
  EXPECT_TRUE(d.nodes[0].fan_out->get_split().same_pair(aida::Split<std::string>{"ab1ba2aa4:aa", "ab1ba2aa4:ba"}));
  EXPECT_EQ(d.nodes[0].answer, std::optional<std::string>("6"));
  EXPECT_EQ(d.counts.fallbacks.malformed_moves, 0U);
}

// ---------------------------------------------------------------------------------------
// assignments

// The definitions of a question, read here independently of the task's parser:
// variable → its definition ("1" for a constant, "yz" for f(y, z)).
std::map<char, std::string> definitions_of(const std::string& q) {
  std::map<char, std::string> defs;
  const std::string body = q.substr(9, q.find(':') - 9);  // after the table
  for (std::size_t at = 0; at < body.size();) {
    const std::size_t len = body[at + 1] >= '0' && body[at + 1] <= '2' ? 2 : 3;
    defs[body[at]] = body.substr(at + 1, len - 1);
    at += len;
  }
  return defs;
}
std::size_t leaves(const std::map<char, std::string>& defs, char v) {
  const std::string& d = defs.at(v);
  return d.size() == 1 ? 1 : leaves(defs, d[0]) + leaves(defs, d[1]);
}
std::size_t depth(const std::map<char, std::string>& defs, char v) {
  const std::string& d = defs.at(v);
  return d.size() == 1 ? 0 : 1 + std::max(depth(defs, d[0]), depth(defs, d[1]));
}

TEST(AssignmentsTask, Example) {
  auto h = assignments_task{}.overseer();
  const std::string q = "012120201a1b2cabdca:d";
  EXPECT_EQ(h.fan_out(q), Move::split("012120201a1b2cabdca:c", "012120201a1b2cabdca:a"));
  EXPECT_EQ(h.fan_out("012120201a1b2cabdca:b"), Move::answer("2"));
  // c = f(a, b) = f(1, 2) = 0, the table's 6th digit; d = f(c, a) = f(0, 1) = 1.
  EXPECT_EQ(h.fan_in("012120201a1b2cabdca:c", Sub{"012120201a1b2cabdca:a", "1"},
                     Sub{"012120201a1b2cabdca:b", "2"}),
            Move::answer("0"));
  EXPECT_EQ(h.fan_in(q, Sub{"012120201a1b2cabdca:c", "0"}, Sub{"012120201a1b2cabdca:a", "1"}),
            Move::answer("1"));
  EXPECT_EQ(h.fan_in(q, Sub{"012120201a1b2cabdca:c", "3"}, Sub{"012120201a1b2cabdca:a", "1"}),
            Move::answer("?"));  // no value 3
  EXPECT_EQ(h.answer(q), "1");
}

TEST(AssignmentsTask, GeneratorRespectsTheDifficulty) {
  for (int d = assignments_task::min_difficulty; d <= assignments_task::max_difficulty; ++d)
    for (const auto& q : questions_at(assignments_task{}, d)) {
      const auto defs = definitions_of(q);
      EXPECT_EQ(defs.size(), static_cast<std::size_t>(2 + d)) << q;
      EXPECT_EQ(depth(defs, q.back()), static_cast<std::size_t>(d)) << q;
    }
}

TEST(AssignmentsTask, FullHchCallsFollowTheUnfoldedDefinitions) {
  // Full HCH unfolds the definitions into a binary tree with ℓ constant leaves: 3ℓ − 2
  // calls; a chain d deep has between d + 1 and 2^d leaves.
  for (int d = assignments_task::min_difficulty; d <= assignments_task::max_difficulty; ++d)
    for (const auto& q : questions_at(assignments_task{}, d, 20)) {
      const auto c = full_hch(assignments_task{}, q).counts;
      const std::size_t l = leaves(definitions_of(q), q.back());
      EXPECT_EQ(c.overseer.total(), 3 * l - 2) << q;
      EXPECT_EQ(c.overseer.fan_in, l - 1) << q;
      EXPECT_EQ(c.depth_reached, static_cast<std::size_t>(d)) << q;
      EXPECT_GE(l, static_cast<std::size_t>(d + 1)) << q;
      EXPECT_LE(l, std::size_t{1} << d) << q;
    }
}

// ---------------------------------------------------------------------------------------
// permutation

struct perm_question {
  std::string sigma;
  unsigned x, k;
};
perm_question read_perm(const std::string& q) {
  const auto colon = q.find(':'), comma = q.find(',');
  return {q.substr(0, colon), static_cast<unsigned>(q[colon + 1] - '0'),
          static_cast<unsigned>(std::stoul(q.substr(comma + 1)))};
}
unsigned apply(const std::string& sigma, unsigned t, unsigned e) {
  while (e-- > 0) t = static_cast<unsigned>(sigma[t] - '0');
  return t;
}
// Calls of full HCH on σ^k(t), from the decomposition as docs/tasks.md states it: primitives
// take one fan-out; otherwise one fan-out, round 1 (σ^a(t) and a primitive companion, a
// fan-in), and unless k is even and σ^a(t) = t, round 2 (σ^b(y) and a companion, a fan-in).
std::size_t perm_calls(const std::string& sigma, unsigned t, unsigned k) {
  if (k <= 1) return 1;
  const unsigned a = k / 2, b = k - a, y = apply(sigma, t, a);
  const std::size_t round1 = perm_calls(sigma, t, a) + 1 + 1;
  if (a == b && y == t) return 1 + round1;
  return 1 + round1 + perm_calls(sigma, y, b) + 1 + 1;
}

TEST(PermutationTask, Example) {
  auto h = permutation_task{}.overseer();
  // σ = 3 1 2 0 4 5 7 6: 0 ↔ 3 and 6 ↔ 7 are swapped; σ^5(3) = σ(3) = 0.
  const std::string q = "31204576:3,5";
  EXPECT_EQ(h.fan_out("31204576:3,1"), Move::answer("0"));
  EXPECT_EQ(h.fan_out("31204576:3,0"), Move::answer("3"));
  // Round 1: σ^2(3), with the companion σ^1(3).
  EXPECT_EQ(h.fan_out(q), Move::split("31204576:3,2", "31204576:3,1"));
  // Round 2 from y = σ^2(3) = 3: σ^3(3), with the companion σ^1(3).
  EXPECT_EQ(h.fan_in(q, Sub{"31204576:3,1", "0"}, Sub{"31204576:3,2", "3"}),
            Move::split("31204576:3,3", "31204576:3,1"));
  EXPECT_EQ(h.fan_in(q, Sub{"31204576:3,3", "0"}, Sub{"31204576:3,1", "0"}), Move::answer("0"));
  // k = 4, and 3 is a fixed point of σ^2: σ^4(3) = 3 after one round.
  EXPECT_EQ(h.fan_in("31204576:3,4", Sub{"31204576:3,2", "3"}, Sub{"31204576:3,1", "0"}), Move::answer("3"));
  // k = 2: the substantive question is primitive, the companion is σ^0.
  EXPECT_EQ(h.fan_out("31204576:6,2"), Move::split("31204576:6,1", "31204576:6,0"));
  EXPECT_EQ(h.answer(q), "0");
  EXPECT_EQ(h.answer("31204576:6,7"), "7");
}

TEST(PermutationTask, GeneratorRespectsTheDifficulty) {
  for (int d = permutation_task::min_difficulty; d <= permutation_task::max_difficulty; ++d)
    for (const auto& q : questions_at(permutation_task{}, d)) {
      const auto p = read_perm(q);
      EXPECT_EQ(p.sigma.size(), permutation_task::size) << q;
      std::string sorted = p.sigma;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(sorted, "01234567") << q;
      EXPECT_GE(p.k, 1U << (d - 1)) << q;
      EXPECT_LT(p.k, 1U << d) << q;
    }
}

TEST(PermutationTask, FullHchCallsAndRoundsFollowTheDecomposition) {
  std::size_t two_round_nodes = 0, one_round_nodes = 0;
  for (int d = permutation_task::min_difficulty; d <= permutation_task::max_difficulty; ++d)
    for (const auto& q : questions_at(permutation_task{}, d)) {
      const auto p = read_perm(q);
      const episode ep = full_hch(permutation_task{}, q);
      EXPECT_EQ(ep.counts.overseer.total(), perm_calls(p.sigma, p.x, p.k)) << q;
      for (const auto& node : ep.nodes) {
        const auto np = read_perm(node.question);
        // Primitives take no round; k ≥ 2 takes two, or one when σ^(k/2) fixes x (k even).
        const bool shortcut = np.k % 2 == 0 && apply(np.sigma, np.x, np.k / 2) == np.x;
        EXPECT_EQ(node.round_count, np.k <= 1 ? 0u : shortcut ? 1u : 2u) << node.question;
        if (node.round_count == 2) ++two_round_nodes;
        if (node.round_count == 1) ++one_round_nodes;
      }
      if (d >= 2) {
        // The root's rounds ask new subquestions: round 2 uses round 1's answer.
        EXPECT_GE(ep.nodes[0].round_count, 1u) << q;
      }
    }
  // Spec §2 step 5 is exercised: many nodes run a second fan-in round; the shortcut is met too.
  EXPECT_GT(two_round_nodes, 100u);
  EXPECT_GT(one_round_nodes, 0u);
}

}  // namespace
