// Fault injection (aida/overseers/faulty.hpp): each fault occurs at its stated rate (binomial,
// 4 standard deviations, at the fixed seed) and only where it applies; wrong answers, wrong
// and unreadable questions have the forms documented; at rate 0 an episode is bit for bit the
// one of H alone, and the wrapper never draws from the episode's sampler; the context goes on
// to H unchanged; options are checked, naming the option; injected throws come out of
// amplify as overseer_error; what amplify does with wrong and unreadable splits of `sum`.
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/overseers/faulty.hpp"
#include "aida/tasks/sum.hpp"
#include "support/doubles.hpp"
#include "support/episodes.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using aida::faulty_options;
using aida::faulty_overseer;
using aida::tasks::sum_overseer;

faulty_options rates(double wrong_answer, double wrong_split, double unreadable, double thrown,
                     std::uint64_t seed = aida_test::seed()) {
  faulty_options o;
  o.p_wrong_answer = wrong_answer;
  o.p_wrong_split = wrong_split;
  o.p_unreadable_split = unreadable;
  o.p_throw = thrown;
  o.seed = seed;
  return o;
}

/// |observed − p| within 4 binomial standard deviations of n trials.
void expect_rate(std::size_t hits, std::size_t n, double p, const char* what) {
  const double observed = static_cast<double>(hits) / static_cast<double>(n);
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(observed, p, 4 * sd) << what << ": " << hits << " of " << n;
}

/// The digit sum of a digit string, in decimal.
std::string truth(const std::string& q) {
  int s = 0;
  for (char c : q) s += c - '0';
  return std::to_string(s);
}

/// Positions where two strings of equal length differ.
std::size_t differences(const std::string& a, const std::string& b) {
  std::size_t d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += a[i] != b[i] ? 1 : 0;
  return d;
}

// ---- options ----------------------------------------------------------------------------

TEST(FaultyOptions, EachRateOutsideZeroToOneIsRefusedByName) {
  const char* names[] = {"p_wrong_answer", "p_wrong_split", "p_unreadable_split", "p_throw"};
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    for (int i = 0; i < 4; ++i) {
      faulty_options o;
      (i == 0 ? o.p_wrong_answer : i == 1 ? o.p_wrong_split : i == 2 ? o.p_unreadable_split : o.p_throw) = bad;
      try {
        faulty_overseer<sum_overseer> f(sum_overseer{}, o);
        ADD_FAILURE() << names[i] << " = " << bad << " was accepted";
      } catch (const aida::invalid_options& e) {
        EXPECT_NE(std::string(e.what()).find(std::string("aida::faulty_options::") + names[i] + " = "), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("is not a probability in [0, 1]"), std::string::npos) << e.what();
      }
    }
  }
}

TEST(FaultyOptions, ASumAboveOneIsRefusedAndOneIsAccepted) {
  try {
    faulty_overseer<sum_overseer> f(sum_overseer{}, rates(0.5, 0.3, 0.2, 0.1));
    ADD_FAILURE() << "a sum of 1.1 was accepted";
  } catch (const aida::invalid_options& e) {
    EXPECT_NE(std::string(e.what()).find("p_wrong_answer + p_wrong_split + p_unreadable_split + p_throw = 1.1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(faulty_overseer<sum_overseer>(sum_overseer{}, rates(0.25, 0.25, 0.25, 0.25)));
  EXPECT_NO_THROW(faulty_overseer<sum_overseer>(sum_overseer{}, rates(0.1, 0.2, 0.7, 0)));  // 1 up to rounding
  EXPECT_NO_THROW(faulty_overseer<sum_overseer>(sum_overseer{}, rates(1, 0, 0, 0)));
}

// ---- rates and forms ----------------------------------------------------------------------

// Every fault at once: throws at p_throw per call; of the answers and splits H gave, the
// fractions p / (1 − p_throw). Each wrong answer is a number one digit off the truth, without a
// leading zero; each wrong split has one subquestion one digit off its half, which H reads;
// each unreadable one has one subquestion H rejects. The counts are the faults observed.
TEST(FaultyOverseer, EachFaultOccursAtItsRateAndHasItsForm) {
  const double pa = 0.2, ps = 0.15, pu = 0.1, pt = 0.1;
  faulty_overseer<sum_overseer> f(sum_overseer{}, rates(pa, ps, pu, pt));
  const sum_overseer h;
  const std::size_t n = 20000;
  std::size_t thrown = 0, answers = 0, wrong_answers = 0, splits = 0, wrong_splits = 0, unreadable = 0;
  aida::sampler questions(aida_test::seed() + 1);
  for (std::size_t i = 0; i < n; ++i) {
    std::string q(4 + aida::draw_below(questions, 6), '0');
    for (char& c : q) c = static_cast<char>('0' + aida::draw_below(questions, 10));
    try {
      if (i % 2 == 0) {  // answer calls: always an answer
        const std::string a = f.answer(q);
        ++answers;
        if (a != truth(q)) {
          ++wrong_answers;
          ASSERT_EQ(a.size(), truth(q).size()) << q << " -> " << a;
          EXPECT_EQ(differences(a, truth(q)), 1u) << q << " -> " << a;
          EXPECT_TRUE(a.size() == 1 || a[0] != '0') << q << " -> " << a;
        }
      } else {  // fan-out of 4 to 9 digits: always a split into the halves
        const auto m = f.fan_out(q);
        ASSERT_TRUE(m.is_split());
        ++splits;
        const auto halves = h.fan_out(q).get_split();
        const auto& s = m.get_split();
        if (s == halves) continue;
        const bool first = s.first() != halves.first();
        const std::string& changed = first ? s.first() : s.second();
        const std::string& half = first ? halves.first() : halves.second();
        EXPECT_EQ(first ? s.second() : s.first(), first ? halves.second() : halves.first()) << "both subquestions changed";
        if (h.well_formed(changed)) {
          ++wrong_splits;
          ASSERT_EQ(changed.size(), half.size());
          EXPECT_EQ(differences(changed, half), 1u) << half << " -> " << changed;
        } else {
          ++unreadable;
          EXPECT_EQ(changed.size(), half.size() + 1) << half << " -> " << changed;
        }
      }
    } catch (const aida::overseer_error& e) {
      ++thrown;
      EXPECT_NE(std::string(e.what()).find("injected failure of the"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find('"' + q + '"'), std::string::npos) << e.what();
    }
  }
  expect_rate(thrown, n, pt, "throws per call");
  expect_rate(wrong_answers, answers, pa / (1 - pt), "wrong answers per answer");
  expect_rate(wrong_splits, splits, ps / (1 - pt), "wrong splits per split");
  expect_rate(unreadable, splits, pu / (1 - pt), "unreadable splits per split");
  EXPECT_EQ(f.faults().throws, thrown);
  EXPECT_EQ(f.faults().wrong_answers, wrong_answers);
  EXPECT_EQ(f.faults().wrong_splits, wrong_splits);
  EXPECT_EQ(f.faults().unreadable_splits, unreadable);
  EXPECT_EQ(f.faults().total(), thrown + wrong_answers + wrong_splits + unreadable);
}

// A fault applies to its kind only: split faults leave answers alone (an answer call, or a
// fan-out of one digit, which H answers); the wrong-answer fault leaves splits alone. In
// fan-out and fan-in moves that are answers, the wrong-answer fault applies.
TEST(FaultyOverseer, AFaultAppliesOnlyToAMoveOfItsKind) {
  faulty_overseer<sum_overseer> splits_only(sum_overseer{}, rates(0, 0.5, 0.5, 0));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(splits_only.answer(std::string("31415")), "14");
    EXPECT_EQ(splits_only.fan_out(std::string("7")), move_t::answer("7"));
  }
  EXPECT_EQ(splits_only.faults().total(), 0u);

  faulty_overseer<sum_overseer> answers_only(sum_overseer{}, rates(1, 0, 0, 0));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(answers_only.fan_out(std::string("3141")), move_t::split("31", "41"));
    const auto leaf = answers_only.fan_out(std::string("7"));
    ASSERT_TRUE(leaf.is_answer());
    EXPECT_NE(leaf.get_answer(), "7");
    const auto in = answers_only.fan_in(std::string("3141"), sub_t{"31", "4"}, sub_t{"41", "5"});
    ASSERT_TRUE(in.is_answer());
    EXPECT_NE(in.get_answer(), "9");
  }
  EXPECT_EQ(answers_only.faults().wrong_answers, 400u);
}

// A value with no corrupted form of the kind declines the fault, uncounted: the answer "?"
// (H's "I don't know") has no digit or letter.
TEST(FaultyOverseer, AnAnswerWithoutDigitsOrLettersIsNotCorrupted) {
  faulty_overseer<sum_overseer> f(sum_overseer{}, rates(1, 0, 0, 0));
  const auto m = f.fan_in(std::string("3141"), sub_t{"31", "x"}, sub_t{"41", "5"});  // an unusable subanswer
  EXPECT_EQ(m, move_t::answer("?"));
  EXPECT_EQ(f.faults().total(), 0u);
}

// The same seed injects the same faults; another seed others.
TEST(FaultyOverseer, TheSeedDecidesTheFaults) {
  auto run = [](std::uint64_t seed) {
    faulty_overseer<sum_overseer> f(sum_overseer{}, rates(0.3, 0.3, 0, 0, seed));
    std::vector<std::string> out;
    for (int i = 0; i < 50; ++i) {
      out.push_back(f.answer(std::string("98765")));
      const auto m = f.fan_out(std::string("98765"));
      out.push_back(m.get_split().first() + "|" + m.get_split().second());
    }
    return out;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

// ---- the context, and the episode's sampler ------------------------------------------------

/// An overseer with context-taking members that records the context it is given and, when
/// told to, reports its decision as a deferral or a cache hit.
struct context_overseer {
  const void* seen = nullptr;
  aida::producer report_by = aida::producer::overseer;
  bool report_cached = false;
  std::string answer(const std::string&) { return "plain"; }
  move_t fan_out(const std::string&) { return move_t::answer("plain"); }
  move_t fan_in(const std::string&, const sub_t&, const sub_t&) { return move_t::answer("plain"); }
  template <class S>
  std::string answer(const std::string&, aida::overseer_context<S>& ctx) {
    note(ctx);
    return "12";
  }
  template <class S>
  move_t fan_out(const std::string&, aida::overseer_context<S>& ctx) {
    note(ctx);
    return move_t::split("123", "456");
  }
  template <class S>
  move_t fan_in(const std::string&, const sub_t&, const sub_t&, aida::overseer_context<S>& ctx) {
    note(ctx);
    return move_t::answer("34");
  }
  template <class S>
  void note(aida::overseer_context<S>& ctx) {
    seen = &ctx;
    ctx.by = report_by;
    ctx.from_cache = report_cached;
  }
};

// The context goes on to H (the same object), ctx.by and ctx.from_cache stay as H set them, a
// decision that is not H's own (a deferral, a cache hit) is not corrupted, and the episode's
// sampler is never drawn from.
TEST(FaultyOverseer, PassesTheContextOnAndNeverDrawsFromTheEpisodesSampler) {
  faulty_overseer<context_overseer> f(context_overseer{}, rates(0.5, 0.5, 0, 0));
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  aida::episode_counts counts;
  std::size_t changed = 0;
  for (int i = 0; i < 100; ++i) {
    aida::overseer_context<aida::sampler> ctx{rng, counts};
    const std::string a = f.answer(std::string("q"), ctx);
    EXPECT_EQ(f.inner().seen, &ctx);
    EXPECT_EQ(ctx.by, aida::producer::overseer);
    const auto m = f.fan_out(std::string("q"), ctx);
    const sub_t subs[2] = {sub_t{"123", "6"}, sub_t{"456", "15"}};
    const auto in = f.fan_in(std::string("q"), std::span<const sub_t>(subs), ctx);
    changed += (a != "12") + (m != move_t::split("123", "456")) + (in != move_t::answer("34"));
  }
  EXPECT_GT(changed, 0u);
  EXPECT_EQ(changed, f.faults().total());
  EXPECT_EQ(rng, before);

  for (auto [by, cached] : {std::pair{aida::producer::model, false}, std::pair{aida::producer::overseer, true}}) {
    faulty_overseer<context_overseer> g(context_overseer{nullptr, by, cached}, rates(0.5, 0.5, 0, 0));
    for (int i = 0; i < 50; ++i) {
      aida::overseer_context<aida::sampler> ctx{rng, counts};
      EXPECT_EQ(g.answer(std::string("q"), ctx), "12");
      EXPECT_EQ(g.fan_out(std::string("q"), ctx), move_t::split("123", "456"));
      EXPECT_EQ(ctx.by, by);
      EXPECT_EQ(ctx.from_cache, cached);
    }
    EXPECT_EQ(g.faults().total(), 0u);
  }
}

// At rate 0 an episode through the wrapper is bit for bit the one of H alone, with H and
// through H′ (which wraps the faulty H); the episode's sampler ends in the same state. The
// depth limit makes answer calls too, so that every kind of call is compared. At rate 0.5 the
// episodes differ (so the comparison can fail).
TEST(FaultyOverseer, AtRateZeroEpisodesAreBitIdenticalToTheUnwrappedOverseer) {
  random_model ml;
  hash_adversary adv;
  const aida::string_codec codec;
  const aida::gumbel_argmin policy{.temperature = 1.0};
  const std::string question = "9876543210123";
  aida::amplify_options opt;
  opt.max_depth = 3;
  for (bool primed : {false, true}) {
    SCOPED_TRACE(primed ? "through H'" : "with H");
    auto episode = [&](auto& h, aida::sampler& rng) {
      if (!primed) return aida::amplify(question, h, ml, adv, codec, policy, rng, opt);
      // Without noise, H′ consults H where Adv < -0.2 (most questions) and defers elsewhere.
      auto hp = aida::prime(h, ml, adv, codec, /*c=*/-0.2, /*noise=*/0.0);
      return aida::amplify(question, hp, ml, adv, codec, policy, rng, opt);
    };
    sum_overseer plain;
    faulty_overseer<sum_overseer> clean(sum_overseer{}, rates(0, 0, 0, 0));
    aida::sampler r1(aida_test::seed()), r2(aida_test::seed());
    const auto e1 = episode(plain, r1);
    const auto e2 = episode(clean, r2);
    expect_identical(e1, e2);
    EXPECT_EQ(r1, r2);
    EXPECT_GT(e1.nodes.size(), 3u);
    if (!primed) {  // through H′, whether H is asked depends on the stream
      for (auto kind : {&aida::overseer_calls::answer, &aida::overseer_calls::fan_out, &aida::overseer_calls::fan_in})
        EXPECT_GT(e1.counts.overseer.*kind, 0u);
    }

    // A tree of about 7 calls gets no fault with probability about 2^-7 (each call's fault
    // applies to its kind half of the time): three fault seeds, one of which must differ.
    bool differs = false;
    for (std::uint64_t k = 1; k <= 3 && !differs; ++k) {
      faulty_overseer<sum_overseer> erring(sum_overseer{}, rates(0.5, 0.5, 0, 0, aida_test::seed() + k));
      aida::sampler r3(aida_test::seed());
      const auto e3 = episode(erring, r3);
      differs = e3.nodes.size() != e1.nodes.size() || e3.rounds.size() != e1.rounds.size();
      for (std::size_t i = 0; !differs && i < e1.nodes.size(); ++i)
        differs = e1.nodes[i].fan_out != e3.nodes[i].fan_out || e1.nodes[i].answer != e3.nodes[i].answer;
      EXPECT_EQ(differs, erring.faults().total() > 0);
    }
    EXPECT_TRUE(differs);
  }
}

// ---- what amplify does with the faults ------------------------------------------------------

// An injected throw comes out of amplify as overseer_error naming the question, and amplify's
// guarantee holds: the sampler is as it was.
TEST(FaultyOverseer, AnInjectedThrowComesOutOfAmplifyAsOverseerError) {
  faulty_overseer<sum_overseer> f(sum_overseer{}, rates(0, 0, 0, 1));
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  try {
    (void)aida::amplify(std::string("1234"), f, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
    ADD_FAILURE() << "no exception";
  } catch (const aida::overseer_error& e) {
    EXPECT_NE(std::string(e.what()).find("injected failure of the fan-out call on \"1234\""), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(rng, before);
  EXPECT_EQ(f.faults().throws, 1u);
}

// Training survives wrong splits of `sum`: H, given subquestions other than the halves at
// fan-in, asks the halves in a new round; when every split is wrong the round limit answers
// each node with H(Q), which (an answer call) the split faults leave right.
TEST(FaultyOverseer, AmplifySurvivesWrongSplitsOfSum) {
  faulty_overseer<sum_overseer> f(sum_overseer{}, rates(0, 1, 0, 0));
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  aida::amplify_options opt;
  opt.max_rounds = 3;
  const auto ep = aida::amplify(std::string("31415926"), f, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng, opt);
  EXPECT_EQ(ep.answer, std::optional<std::string>("31"));
  EXPECT_GT(f.faults().wrong_splits, 0u);
  EXPECT_GT(ep.counts.fallbacks.round_limit, 0u);
}

// An unreadable subquestion that the policy recurses on reaches H's fan-out, which throws
// malformed_question naming it, out of amplify (and so out of train): the experiment's mix
// leaves this fault out.
TEST(FaultyOverseer, AnUnreadableSplitRecursedOnEndsTheEpisode) {
  faulty_overseer<sum_overseer> f(sum_overseer{}, rates(0, 0, 1, 0));
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(std::string("3141"), f, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
    ADD_FAILURE() << "no exception";
  } catch (const aida::tasks::malformed_question& e) {
    EXPECT_NE(std::string(e.what()).find("'#' is not a digit"), std::string::npos) << e.what();
  }
  EXPECT_GE(f.faults().unreadable_splits, 1u);
}

// ---- other types --------------------------------------------------------------------------

/// A corruption for the archetype's integer questions and replies.
struct archetype_corruption {
  std::optional<archetype::reply> wrong_answer(const archetype::question&, const archetype::reply& a,
                                               aida::sampler&) const {
    return archetype::reply{a.value + 1000};
  }
  std::optional<archetype::question> wrong_question(const archetype::question&, const archetype::question& sq,
                                                    aida::sampler&) const {
    return archetype::question{sq.id + 1};
  }
  std::optional<archetype::question> unreadable_question(const archetype::question&, const archetype::question&,
                                                         aida::sampler&) const {
    return archetype::question{-1};
  }
};

// A corruption of the user's own for other types; an overseer without well_formed has the
// corruption's word taken; the wrapper is an Overseer and runs in amplify.
TEST(FaultyOverseer, TakesACorruptionForOtherTypes) {
  using Qa = archetype::question;
  using Ra = archetype::reply;
  faulty_overseer<archetype::overseer, archetype_corruption> f(archetype::overseer{}, rates(0.5, 0.5, 0, 0));
  static_assert(aida::Overseer<decltype(f), Qa, Ra>);
  std::size_t wrong_answers = 0, wrong_splits = 0;
  for (int i = 0; i < 100; ++i) {
    wrong_answers += f.answer(Qa{7}).value == 1007 ? 1 : 0;
    const auto m = f.fan_out(Qa{7});
    wrong_splits += m.get_split().first().id == 7 || m.get_split().second().id == 6 ? 1 : 0;
  }
  EXPECT_EQ(f.faults().wrong_answers, wrong_answers);
  EXPECT_EQ(f.faults().wrong_splits, wrong_splits);
  EXPECT_GT(wrong_answers, 0u);
  EXPECT_GT(wrong_splits, 0u);

  archetype::model ml;
  archetype::adversary adv;
  archetype::rng rng;
  const auto ep = aida::amplify(Qa{5}, f, ml, adv, archetype::codec{}, archetype::policy{}, rng);
  EXPECT_TRUE(ep.answer.has_value());
}

}  // namespace
