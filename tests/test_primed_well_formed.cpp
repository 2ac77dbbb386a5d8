// The primed overseer H′ and an overseer's optional `well_formed`: a model's split into a
// question H cannot read is a malformed move, and H is consulted instead (spec §4, §8).
#include <gtest/gtest.h>

#include <string>

#include "aida/aida.hpp"
#include "support/seed.hpp"

namespace {

using S = std::string;
using M = aida::Move<S, S>;

// Reads only strings of digits; splits in halves.
struct digits_overseer {
  int fan_outs = 0;
  bool well_formed(const S& q) const {
    return !q.empty() && q.find_first_not_of("0123456789") == S::npos;
  }
  S answer(const S& q) const { return q; }
  M fan_out(const S& q) {
    ++fan_outs;
    if (q.size() == 1) return M::answer(q);
    return M::split(q.substr(0, 1), q.substr(1));
  }
  M fan_in(const S&, const aida::Subanswer<S, S>& a, const aida::Subanswer<S, S>&) const { return M::answer(a.answer); }
};

// Proposes a fixed move for every coded question.
struct proposing_model {
  S move;
  int predict(const S&) const { return 0; }
  double log_prob(int, const S&) const { return -1; }
  template <class Sm>
  S sample(int, Sm&) const { return move; }
  S greedy(int) const { return move; }
};

struct confident_adversary {
  double score(const S&, int) const { return 0; }  // always confident: H′ defers
};

TEST(PrimedOverseer, ModelSplitIntoUnreadableQuestionIsMalformedAndHIsAsked) {
  std::cout << "seed " << aida_test::seed() << '\n';
  digits_overseer h;
  proposing_model ml{"/12|x?"};  // "x?" is not a list of digits
  confident_adversary adv;
  auto hp = aida::prime(h, ml, adv, aida::string_codec{}, /*c=*/-1.0, /*noise=*/0.0, aida::sampler(aida_test::seed()));
  const M m = hp.fan_out("123");
  EXPECT_EQ(h.fan_outs, 1);
  EXPECT_EQ(m, M::split("1", "23"));
  EXPECT_EQ(hp.usage().overseer.fan_out, 1u);
  EXPECT_EQ(hp.usage().fallbacks.malformed_moves, 1u);
}

TEST(PrimedOverseer, ModelSplitIntoReadableQuestionsIsUsed) {
  digits_overseer h;
  proposing_model ml{"/12|3"};
  confident_adversary adv;
  auto hp = aida::prime(h, ml, adv, aida::string_codec{}, -1.0, 0.0, aida::sampler(aida_test::seed()));
  const M m = hp.fan_out("123");
  EXPECT_EQ(h.fan_outs, 0);
  EXPECT_TRUE(m.get_split().same_pair({"12", "3"}));
  EXPECT_EQ(hp.usage().overseer.total(), 0u);
  EXPECT_EQ(hp.usage().fallbacks.malformed_moves, 0u);
}

}  // namespace
