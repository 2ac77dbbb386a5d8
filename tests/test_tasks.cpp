// The four tasks under one interface (typed tests): full HCH answers every question right at
// every difficulty; the depth-limit fallback H(Q) is right in one call; the charset covers
// every string of the runs; questions avoid the codec's reserved characters; generators are
// reproducible, draw the questions the recorded results were made with, and check their
// difficulty; malformed questions give errors naming them;
// the overseers' fan-in is symmetric and copes with unusable subanswers; the evaluator counts.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/algorithm/train.hpp"
#include "aida/tasks/tasks.hpp"
#include "support/hch_doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida::tasks;
using Move = aida::Move<std::string, std::string>;
using Sub = aida::Subanswer<std::string, std::string>;

using aida_test::indifferent_adversary;
using aida_test::unknowing_model;

using episode = aida::episode_for<aida::string_codec, unknowing_model>;

// A Sampler that is not aida::sampler (xorshift64*), to show generators take any Sampler.
struct xorshift_sampler {
  std::uint64_t s = 88172645463325252ULL;
  std::uint64_t next() {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double gumbel() { return -std::log(-std::log(uniform() + 0x1.0p-54)); }
  xorshift_sampler split() { return xorshift_sampler{next() | 1}; }
};
static_assert(aida::Sampler<xorshift_sampler>);

template <class T>
episode full_hch(const T& task, const std::string& q, aida::amplify_options opt = {}) {
  auto h = task.overseer();
  unknowing_model ml;
  indifferent_adversary adv;
  aida::sampler rng(aida_test::seed());
  return aida::amplify(q, h, ml, adv, task.codec(), aida::recurse_all{}, rng, opt);
}

// Questions per difficulty: enough to meet every shape of question at these sizes
// (e.g. fixed points of σ^a for the permutation task), few enough to stay fast.
constexpr std::size_t per_difficulty = 60;

template <class T>
std::vector<std::string> questions_at(const T& task, int d, std::size_t n = per_difficulty) {
  aida::sampler rng(aida_test::seed() + static_cast<std::uint64_t>(d));
  auto gen = task.generator(d);
  return draw_questions(gen, n, rng);
}

// Questions that are not of the task, with what makes each malformed.
template <class T> std::vector<std::string> malformed();
template <> std::vector<std::string> malformed<sum_task>() {
  return {"", "12a4", "-3", "1 2", std::string(33, '1'), "^12", "1|2"};
}
template <> std::vector<std::string> malformed<wildcard_task>() {
  return {"",
          "aab3bba1",               // no pattern
          "aab3:a*b:a",             // two ':'
          "aab3bba1:a*",            // entries longer than the pattern
          "aab3aab1:a*b",           // a key twice
          "aac3bba1:a*b",           // a key letter other than a, b
          "aab3bbax:a*b",           // no value digit
          ":a*b",                   // no entries
          "aab3:a?b",               // a pattern character other than a, b, *
          "aabbbb3:aabbbbb"};       // a pattern longer than 6
}
template <> std::vector<std::string> malformed<assignments_task>() {
  return {"",
          "012120201a1b2cab:z",   // the variable asked is not a to h
          "012120201a1b2cab:d",   // the variable asked is not defined
          "012120201a1b2cad:c",   // an argument used before its definition
          "012120201a1a2:a",      // a defined twice
          "01212020a1:a",         // a table of 8 digits
          "012120203a1:a",        // a table digit of 3
          "012120201a3:a",        // a constant of 3
          "012120201:a",          // no definitions
          "012120201a1,b2:a",     // a separator
          "012120201a1b2ca:c",    // a definition of 2 variables
          "012120201a1b2cabd:c",  // a trailing variable
          "012120201a1:ab",       // two variables asked
          "012120201a1"};         // no ':'
}
template <> std::vector<std::string> malformed<permutation_task>() {
  return {"",
          "31204576",        // no ':'
          "31204576:3",      // no ','
          "31204578:3,5",    // an 8 in a permutation of 8
          "31204536:3,5",    // a digit twice
          "31204576:8,5",    // x out of range
          "31204576:33,5",   // x of two digits
          "31204576:3,05",   // a leading zero
          "31204576:3,100",  // k above 99
          "31204576:3,",     // no k
          "3:0,1"};          // a permutation of one element
}

template <class T>
class TaskTest : public ::testing::Test {};
using all_task_types = ::testing::Types<sum_task, wildcard_task, assignments_task, permutation_task>;
TYPED_TEST_SUITE(TaskTest, all_task_types);

TYPED_TEST(TaskTest, InterfaceMeetsTheConcepts) {
  using T = TypeParam;
  using G = decltype(T{}.generator(T::default_difficulty));
  using H = decltype(T{}.overseer());
  static_assert(aida::QuestionSource<G, std::string, aida::sampler>);
  static_assert(aida::QuestionSource<G, std::string, xorshift_sampler>);
  static_assert(aida::Overseer<H, std::string, std::string>);
  static_assert(aida::Evaluator<evaluator, std::string, std::string>);
  static_assert(T::min_difficulty <= T::default_difficulty && T::default_difficulty <= T::max_difficulty);
  EXPECT_FALSE(T::name().empty());
}

TYPED_TEST(TaskTest, FullHchAnswersEveryQuestionCorrectlyAtEveryDifficulty) {
  const TypeParam task;
  for (int d = TypeParam::min_difficulty; d <= TypeParam::max_difficulty; ++d) {
    const auto qs = questions_at(task, d);
    const auto ev = task.evaluator(qs);
    std::vector<std::string> answers;
    for (const auto& q : qs) {
      const episode ep = full_hch(task, q);
      ASSERT_TRUE(ep.answer.has_value()) << q;
      answers.push_back(*ep.answer);
      // The whole tree is the overseer's: no fallback, no model answer, no H(Q) call.
      EXPECT_EQ(ep.counts.fallbacks, aida::fallback_counts{}) << q;
      EXPECT_EQ(ep.counts.overseer.answer, 0u) << q;
      EXPECT_EQ(ep.counts.overseer.fan_out, ep.counts.nodes) << q;
      EXPECT_EQ(ep.counts.overseer.fan_in, ep.counts.rounds) << q;
      for (const auto& node : ep.nodes) EXPECT_NE(node.answered_by, aida::producer::model) << q;
    }
    const auto e = ev.evaluate_answers(answers);
    EXPECT_EQ(e.correct, e.total) << TypeParam::name() << " at difficulty " << d;
    EXPECT_EQ(e.total, per_difficulty);
  }
}

TYPED_TEST(TaskTest, DepthLimitFallbackIsRightInOneCall) {
  // Spec §8: a node at max_depth is answered by H(Q) directly, one call, even when Q is
  // not primitive; the overseer's answer() runs its own recursion to be right.
  const TypeParam task;
  const auto qs = questions_at(task, TypeParam::max_difficulty, 20);
  const auto ev = task.evaluator(qs);
  aida::amplify_options root_only;
  root_only.max_depth = 0;
  aida::amplify_options one_level;
  one_level.max_depth = 1;
  std::vector<std::string> at_root, below_root;
  for (const auto& q : qs) {
    const episode a = full_hch(task, q, root_only);
    EXPECT_EQ(a.counts.overseer.total(), 1u) << q;
    EXPECT_EQ(a.counts.overseer.answer, 1u) << q;
    EXPECT_EQ(a.counts.fallbacks.depth_limit, 1u) << q;
    at_root.push_back(*a.answer);
    below_root.push_back(*full_hch(task, q, one_level).answer);
  }
  EXPECT_EQ(ev.evaluate_answers(at_root).correct, qs.size());
  EXPECT_EQ(ev.evaluate_answers(below_root).correct, qs.size());
}

TYPED_TEST(TaskTest, CharsetCoversEveryStringOfTheHchRuns) {
  const TypeParam task;
  const std::string cs = TypeParam::charset();
  EXPECT_TRUE(std::is_sorted(cs.begin(), cs.end()));
  EXPECT_EQ(std::set<char>(cs.begin(), cs.end()).size(), cs.size()) << "charset has duplicates";
  // Everything the task's codec writes (its markers, separators, escape, context separator).
  for (char c : task.codec().alphabet()) EXPECT_NE(cs.find(c), std::string::npos) << "'" << c << "' of the codec";
  auto check = [&](const std::string& s, const std::string& q) {
    for (char c : s)
      ASSERT_NE(cs.find(c), std::string::npos) << "'" << c << "' of \"" << s << "\" (episode of " << q << ")";
  };
  std::size_t strings = 0;
  for (int d = TypeParam::min_difficulty; d <= TypeParam::max_difficulty; ++d) {
    for (const auto& q : questions_at(task, d)) {
      const episode ep = full_hch(task, q);
      // The model targets are every string ML reads or writes: questions, answers,
      // fan-out and fan-in questions, encoded moves.
      for (const auto& t : ep.model_targets) {
        check(t.query, q);
        check(t.target, q);
        strings += 2;
      }
    }
  }
  EXPECT_GT(strings, 0u);
  // The "?" of an unusable subanswer, through the codec.
  EXPECT_NE(cs.find(unknown_answer[0]), std::string::npos);
  // Task strings never need escapes (see the next test), but answers drawn from a model may
  // contain any character of its vocabulary, `|` and `=` included, which the codec escapes in
  // fan-in questions: the vocabulary is closed under the codec.
  const auto codec = task.codec();
  const std::string q = questions_at(task, TypeParam::default_difficulty, 1).front();
  for (char c : cs) {
    const std::string drawn(3, c);
    check(codec.fan_in_question(q, Sub{q, drawn}, Sub{drawn, q}), q);
    check(codec.encode(Move::split(drawn, q)), q);
    check(codec.encode(Move::answer(drawn)), q);
  }
}

TYPED_TEST(TaskTest, QuestionsAndAnswersAvoidTheCodecsReservedCharacters) {
  const TypeParam task;
  const auto codec = task.codec();
  for (int d = TypeParam::min_difficulty; d <= TypeParam::max_difficulty; ++d) {
    for (const auto& q : questions_at(task, d)) {
      const episode ep = full_hch(task, q);
      for (const auto& node : ep.nodes) {
        for (const std::string* s : {&node.question, &*node.answer}) {
          EXPECT_EQ(s->find_first_of("|=\\"), std::string::npos) << *s;
          EXPECT_FALSE(s->empty());
        }
        EXPECT_NE(node.question.front(), '^') << node.question;
        EXPECT_NE(node.question.front(), '&') << node.question;
        // The codec's round trips hold on every move of the tree: in full form, and written
        // relative to the node's question (shorter where the task shares a context).
        const auto back = codec.decode(codec.encode(*node.fan_out));
        const auto relative = codec.encode(node.question, *node.fan_out);
        const auto back_relative = codec.decode(node.question, relative);
        ASSERT_TRUE(back.has_value()) << node.question;
        ASSERT_TRUE(back_relative.has_value()) << node.question << " " << relative;
        if (back->is_answer()) {
          EXPECT_EQ(*back, *node.fan_out);
          EXPECT_EQ(*back_relative, *node.fan_out);
        } else {
          EXPECT_TRUE(back->get_split().same_pair(node.fan_out->get_split()));
          EXPECT_TRUE(back_relative->get_split().same_pair(node.fan_out->get_split()));
          if (codec.context_separator() != '\0') {
            EXPECT_LT(relative.size(), codec.encode(*node.fan_out).size()) << node.question;
          }
        }
      }
    }
  }
}

TYPED_TEST(TaskTest, GeneratorsAreReproducibleForASeed) {
  const TypeParam task;
  for (int d = TypeParam::min_difficulty; d <= TypeParam::max_difficulty; ++d) {
    EXPECT_EQ(questions_at(task, d), questions_at(task, d));
    xorshift_sampler r1, r2;
    auto g = task.generator(d);
    EXPECT_EQ(draw_questions(g, 20, r1), draw_questions(g, 20, r2));
  }
  // Another seed gives another stream (20 questions at the default difficulty all equal by
  // chance is impossible in practice).
  auto g = task.generator(TypeParam::default_difficulty);
  aida::sampler a(aida_test::seed()), b(aida_test::seed() + 1);
  EXPECT_NE(draw_questions(g, 20, a), draw_questions(g, 20, b));
}

TYPED_TEST(TaskTest, DifficultyOutsideTheRangeIsRejected) {
  const TypeParam task;
  for (int d : {TypeParam::min_difficulty - 1, TypeParam::max_difficulty + 1}) {
    try {
      (void)task.generator(d);
      ADD_FAILURE() << "difficulty " << d << " was accepted";
    } catch (const aida::invalid_options& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(TypeParam::name())), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("difficulty " + std::to_string(d)), std::string::npos) << e.what();
    }
  }
}

TYPED_TEST(TaskTest, MalformedQuestionsGiveErrorsNamingThem) {
  const TypeParam task;
  auto h = task.overseer();
  for (const auto& q : malformed<TypeParam>()) {
    EXPECT_FALSE(h.well_formed(q)) << q;
    const std::string quoted = "\"" + q + "\"";
    auto expect_named = [&](auto&& call, const char* what) {
      try {
        call();
        ADD_FAILURE() << what << " accepted \"" << q << "\"";
      } catch (const malformed_question& e) {
        EXPECT_NE(std::string(e.what()).find(quoted), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(std::string(TypeParam::name())), std::string::npos) << e.what();
      }
    };
    expect_named([&] { (void)h.fan_out(q); }, "fan_out");
    expect_named([&] { (void)h.fan_in(q, Sub{"1", "1"}, Sub{"2", "2"}); }, "fan_in");
    expect_named([&] { (void)h.answer(q); }, "answer");
    expect_named([&] { (void)task.evaluator({q}); }, "evaluator");
  }
  for (const auto& q : questions_at(task, TypeParam::default_difficulty)) EXPECT_TRUE(h.well_formed(q)) << q;
}

TYPED_TEST(TaskTest, FanInIsSymmetricAndCopesWithUnusableSubanswers) {
  const TypeParam task;
  auto h = task.overseer();
  std::size_t rounds = 0;
  for (const auto& q : questions_at(task, TypeParam::max_difficulty, 20)) {
    const episode ep = full_hch(task, q);
    for (std::size_t n = 0; n < ep.nodes.size(); ++n) {
      ep.for_each_round(n, [&](const auto& r) {
        const std::string& nq = ep.nodes[n].question;
        const Sub s1{r.questions.first(), r.answers[0]}, s2{r.questions.second(), r.answers[1]};
        EXPECT_EQ(h.fan_in(nq, s1, s2), h.fan_in(nq, s2, s1)) << nq;
        EXPECT_EQ(h.fan_in(nq, s1, s2), *r.move) << nq;
        // What an untrained model says: "?", junk, a number out of range.
        for (const std::string junk : {"?", "x", "", "999", "01"}) {
          const Move m = h.fan_in(nq, Sub{s1.question, junk}, s2);
          const Move m2 = h.fan_in(nq, s1, Sub{s2.question, junk});
          // Either the subanswer was not needed (a companion question), or "?" comes back.
          for (const Move& x : {m, m2}) {
            if (x != *r.move) {
              EXPECT_EQ(x, Move::answer("?")) << nq << " with subanswer \"" << junk << "\"";
            }
          }
        }
        EXPECT_EQ(h.fan_in(nq, Sub{s1.question, "?"}, Sub{s2.question, "?"}), Move::answer("?")) << nq;
        ++rounds;
      });
    }
  }
  EXPECT_GT(rounds, 0u);
}

TYPED_TEST(TaskTest, ForeignSubquestionsAreReplacedByTheOverseersOwn) {
  // A model's split reaching H through H′ (spec §4) can ask anything; H then asks what it
  // would have asked, as a new round.
  const TypeParam task;
  auto h = task.overseer();
  const auto qs = questions_at(task, TypeParam::max_difficulty, 20);
  for (std::size_t i = 0; i + 1 < qs.size(); ++i) {
    const Move own = h.fan_out(qs[i]);
    ASSERT_TRUE(own.is_split()) << qs[i];
    const Move other = h.fan_out(qs[i + 1]);
    if (other.get_split().same_pair(own.get_split())) continue;
    const Sub s1{other.get_split().first(), "1"}, s2{other.get_split().second(), "1"};
    EXPECT_EQ(h.fan_in(qs[i], s1, s2), own) << qs[i];
  }
}

TYPED_TEST(TaskTest, EvaluatorCountsExactMatches) {
  const TypeParam task;
  auto h = task.overseer();
  const auto qs = questions_at(task, TypeParam::default_difficulty, 30);
  const auto ev = task.evaluator(qs);
  EXPECT_EQ(ev.questions(), qs);
  EXPECT_EQ(ev.task(), TypeParam::name());
  EXPECT_DOUBLE_EQ(ev.accuracy([&](const std::string& q) { return h.answer(q); }), 1.0);
  EXPECT_DOUBLE_EQ(ev.accuracy([](const std::string&) { return std::string("?"); }), 0.0);
  // Right on the first third only.
  std::size_t asked = 0;
  const auto e = ev.evaluate([&](const std::string& q) { return asked++ < 10 ? h.answer(q) : std::string("?"); });
  EXPECT_EQ(e.correct, 10u);
  EXPECT_EQ(e.total, 30u);
  // marks: right on the questions at odd positions only, marked there and nowhere else.
  std::size_t at = 0;
  const auto marked = ev.marks([&](const std::string& q) { return at++ % 2 == 1 ? h.answer(q) : std::string("?"); });
  ASSERT_EQ(marked.size(), qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i) EXPECT_EQ(marked[i], i % 2 == 1) << i;
  // Through the trainer's interface (std::function), as aida::train calls it.
  const std::function<std::string(const std::string&)> f = [&](const std::string& q) { return h.answer(q); };
  EXPECT_DOUBLE_EQ(ev.accuracy(f), 1.0);
  const std::vector<std::string> too_few(3, "0");
  EXPECT_THROW((void)ev.evaluate_answers(too_few), aida::error);
  // An index out of range is an aida::error naming it (it was std::out_of_range).
  EXPECT_TRUE(ev.label_of(29).matches(h.answer(qs[29])));
  try {
    (void)ev.label_of(30);
    ADD_FAILURE() << "label_of(30) of 30 questions returned";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("label_of(30) of 30 questions"), std::string::npos) << e.what();
  } catch (...) {
    ADD_FAILURE() << "label_of(30) threw something that is not an aida::error";
  }
}

// The experiment's three question sets: the validation and test sets are distinct questions,
// disjoint from each other, and the training source never gives one of them.
TYPED_TEST(TaskTest, HeldOutSetsAreDisjointAndTrainingExcludesThem) {
  const TypeParam task;
  const int d = TypeParam::default_difficulty;
  auto g = task.generator(d);
  aida::sampler rng(aida_test::seed());
  const std::size_t sizes[] = {150, 250};
  const auto sets = disjoint_question_sets(g, sizes, rng);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].size(), 150u);
  EXPECT_EQ(sets[1].size(), 250u);
  std::set<std::string> validation(sets[0].begin(), sets[0].end()), test(sets[1].begin(), sets[1].end());
  EXPECT_EQ(validation.size(), 150u) << "repeated questions in the validation set";
  EXPECT_EQ(test.size(), 250u) << "repeated questions in the test set";
  for (const auto& q : test) EXPECT_FALSE(validation.contains(q)) << q << " is in both sets";

  std::unordered_set<std::string> held(sets[0].begin(), sets[0].end());
  held.insert(sets[1].begin(), sets[1].end());
  excluding_source training(task.generator(d), held);
  aida::sampler train_rng(aida_test::seed() + 1);
  for (int i = 0; i < 2000; ++i) {
    const auto q = training.next(train_rng);
    ASSERT_FALSE(held.contains(q)) << "training drew the held-out question " << q;
  }
  EXPECT_GE(training.draws(), 2000u);
}

TEST(Tasks, HeldOutSetsLargerThanTheTaskAreAClearError) {
  // sum at difficulty 1 has ten questions ("0" to "9").
  auto g = sum_task{}.generator(1);
  aida::sampler rng(aida_test::seed());
  const std::size_t sizes[] = {6, 6};
  try {
    (void)disjoint_question_sets(g, sizes, rng, 10'000);
    ADD_FAILURE() << "12 distinct questions were drawn from a task that has 10";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("too few for set 1"), std::string::npos) << e.what();
  }
  std::unordered_set<std::string> all;
  for (char c = '0'; c <= '9'; ++c) all.insert(std::string(1, c));
  excluding_source everything_held(sum_task{}.generator(1), all, 100);
  EXPECT_THROW((void)everything_held.next(rng), aida::error);
}

TEST(Tasks, WithTaskPicksByName) {
  for (auto name : task_names) {
    const auto got = with_task(name, [](auto task) { return std::string(task.name()); });
    EXPECT_EQ(got, name);
  }
  try {
    with_task("sorting", [](auto) { return 0; });
    ADD_FAILURE() << "an unknown task was accepted";
  } catch (const aida::invalid_options& e) {
    EXPECT_NE(std::string(e.what()).find("\"sorting\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("permutation"), std::string::npos) << e.what();
  }
}

// permutation's kind of question is its power k: at difficulty d every question's kind is one
// of k = 2^(d-1) .. 2^d - 1, and each of them is drawn; a malformed question is refused.
TEST(Tasks, PermutationKindIsThePowerOfTheQuestion) {
  const permutation_task task;
  EXPECT_EQ(permutation_task::kind("61453270:4,3"), "k=3");
  EXPECT_EQ(permutation_task::kind("10:0,12"), "k=12");
  for (int d = 2; d <= 4; ++d) {
    std::set<std::string> seen;
    for (const auto& q : questions_at(task, d, 200)) seen.insert(permutation_task::kind(q));
    std::set<std::string> expected;
    for (int k = 1 << (d - 1); k < (1 << d); ++k) expected.insert("k=" + std::to_string(k));
    EXPECT_EQ(seen, expected) << "difficulty " << d;
  }
  EXPECT_THROW((void)permutation_task::kind("61453270;4,3"), malformed_question);
}

// The generators draw the questions the recorded results (docs/results/) were made with: a
// hash of the first 1000 questions at the default difficulty from aida::sampler(7), computed
// before the tasks' own bounded draw gave way to aida::draw_below (commit d3eb12f). A change
// of a generator's draws breaks this test; the recorded results would no longer replay.
TEST(Tasks, GeneratorsDrawTheQuestionsTheRecordedResultsWereMadeWith) {
  const auto hash_of_questions = [](const auto& task) {
    auto generator = task.generator();
    aida::sampler rng(7);
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the questions, each closed by 0xff
    for (int i = 0; i < 1000; ++i) {
      for (const unsigned char c : generator.next(rng)) h = (h ^ c) * 0x100000001b3ULL;
      h = (h ^ 0xffu) * 0x100000001b3ULL;
    }
    return h;
  };
  EXPECT_EQ(hash_of_questions(sum_task{}), 0xa4caeef125297f51ULL);
  EXPECT_EQ(hash_of_questions(wildcard_task{}), 0xd0dfaf6aedf869feULL);
  EXPECT_EQ(hash_of_questions(assignments_task{}), 0x9b98305f13b60f32ULL);
  EXPECT_EQ(hash_of_questions(permutation_task{}), 0xd3d0bf28162851b4ULL);
}

// The lengths a character model has to read and write, per task and difficulty (printed for
// docs/tasks.md); asserts the brief's aim that questions at the default difficulty are short.
TYPED_TEST(TaskTest, StringLengthsStayShort) {
  const TypeParam task;
  const auto codec = task.codec();
  for (int d = TypeParam::min_difficulty; d <= TypeParam::max_difficulty; ++d) {
    std::size_t q_sum = 0, q_max = 0, a_max = 0, fin_sum = 0, fin_n = 0, fin_max = 0, move_max = 0, calls = 0;
    const auto qs = questions_at(task, d);
    for (const auto& q : qs) {
      q_sum += q.size();
      q_max = std::max(q_max, q.size());
      const episode ep = full_hch(task, q);
      calls += ep.counts.overseer.total();
      for (const auto& t : ep.model_targets) {
        if (t.kind == aida::target_kind::answer) a_max = std::max(a_max, t.target.size());
        if (t.kind == aida::target_kind::fan_in) {
          fin_sum += t.query.size(), ++fin_n;
          fin_max = std::max(fin_max, t.query.size());
        }
        if (t.kind != aida::target_kind::answer) move_max = std::max(move_max, t.target.size());
      }
    }
    (void)codec;
    std::cout << TypeParam::name() << " d=" << d << ": question mean " << double(q_sum) / double(qs.size())
              << " max " << q_max << "; answer max " << a_max << "; fan-in question mean "
              << (fin_n ? double(fin_sum) / double(fin_n) : 0.0) << " max " << fin_max << "; move max " << move_max
              << "; full-HCH calls mean " << double(calls) / double(qs.size()) << "\n";
    if (d == TypeParam::default_difficulty) {
      EXPECT_LE(q_max, 30u) << "questions at the default difficulty should stay short";
      EXPECT_LE(a_max, 2u);
    }
  }
}

}  // namespace
