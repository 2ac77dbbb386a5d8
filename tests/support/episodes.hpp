#pragma once
// expect_identical(x, y): two episodes compared field by field, every double bit for bit (NaN
// scores included): the nodes, the rounds, the model and adversary targets and the losses.
// For the reproducibility tests (same seed, same episode) of amplify and its wrappers.
#include <bit>
#include <cstdint>

#include <gtest/gtest.h>

namespace aida_test {

inline std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

/// Field-by-field comparison of two episodes, doubles bit for bit (NaN scores included).
template <class Ep>
void expect_identical(const Ep& x, const Ep& y) {
  EXPECT_EQ(x.answer, y.answer);
  EXPECT_EQ(x.counts, y.counts);
  ASSERT_EQ(x.nodes.size(), y.nodes.size());
  for (std::size_t i = 0; i < x.nodes.size(); ++i) {
    const auto &a = x.nodes[i], &b = y.nodes[i];
    EXPECT_EQ(a.question, b.question);
    EXPECT_EQ(a.depth, b.depth);
    EXPECT_EQ(a.parent, b.parent);
    EXPECT_EQ(a.fan_out, b.fan_out);
    EXPECT_EQ(a.fan_out_by, b.fan_out_by);
    EXPECT_EQ(a.first_round, b.first_round);
    EXPECT_EQ(a.round_count, b.round_count);
    EXPECT_EQ(a.answer, b.answer);
    EXPECT_EQ(a.answered_by, b.answered_by);
    EXPECT_EQ(a.end, b.end);
  }
  ASSERT_EQ(x.rounds.size(), y.rounds.size());
  for (std::size_t i = 0; i < x.rounds.size(); ++i) {
    const auto &a = x.rounds[i], &b = y.rounds[i];
    EXPECT_EQ(a.questions, b.questions);
    EXPECT_EQ(a.move, b.move);
    EXPECT_EQ(a.move_by, b.move_by);
    EXPECT_EQ(a.next_round, b.next_round);
    for (int k = 0; k < 2; ++k) {
      EXPECT_EQ(a.answers[k], b.answers[k]);
      EXPECT_EQ(a.answered_by[k], b.answered_by[k]);
      EXPECT_EQ(bits(a.scores[k]), bits(b.scores[k]));
      EXPECT_EQ(a.recursed[k], b.recursed[k]);
      EXPECT_EQ(a.child[k], b.child[k]);
    }
  }
  ASSERT_EQ(x.model_targets.size(), y.model_targets.size());
  for (std::size_t i = 0; i < x.model_targets.size(); ++i) {
    EXPECT_EQ(x.model_targets[i].query, y.model_targets[i].query);
    EXPECT_EQ(x.model_targets[i].target, y.model_targets[i].target);
    EXPECT_EQ(x.model_targets[i].kind, y.model_targets[i].kind);
    EXPECT_EQ(bits(x.model_targets[i].loss), bits(y.model_targets[i].loss));
  }
  ASSERT_EQ(x.adversary_targets.size(), y.adversary_targets.size());
  for (std::size_t i = 0; i < x.adversary_targets.size(); ++i) {
    EXPECT_EQ(x.adversary_targets[i].query, y.adversary_targets[i].query);
    EXPECT_EQ(x.adversary_targets[i].output, y.adversary_targets[i].output);
    EXPECT_EQ(bits(x.adversary_targets[i].target), bits(y.adversary_targets[i].target));
    EXPECT_EQ(bits(x.adversary_targets[i].prediction), bits(y.adversary_targets[i].prediction));
    EXPECT_EQ(x.adversary_targets[i].kind, y.adversary_targets[i].kind);
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(bits(x.losses.ml[k]), bits(y.losses.ml[k]));
    EXPECT_EQ(bits(x.losses.adv[k]), bits(y.losses.adv[k]));
    EXPECT_EQ(x.losses.count[k], y.losses.count[k]);
  }
}

}  // namespace aida_test
