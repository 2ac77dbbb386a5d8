// A person at a terminal (aida/overseers/console.hpp), played by scripted input: every kind of
// call through amplify on small `sum` questions (the context path: who produced each
// subanswer), the display (call numbers against the budget, subanswers and their producers),
// re-asking with the reason for every kind of unusable line, escapes in splits, text forms of
// other answer types, and the end of the input as an overseer_error naming the question.
#include <sstream>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "aida/overseers/console.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using namespace aida_test;
using console = aida::console_overseer<std::string, std::string>;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Every kind through amplify: the root's fan-out, two answer calls at the depth limit (where a
// split is refused with the reason), the root's fan-in showing both subanswers as the
// person's own recursion; calls numbered against the budget.
TEST(ConsoleOverseer, AnswersEveryKindOfCallThroughAmplify) {
  std::istringstream in("split 1 | 2\nsplit 3 | 4\n= 1\n= 2\n= 3\n");
  std::ostringstream out;
  console h(in, out, {.budget = 4, .prompt = "> "});
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  aida::amplify_options opt;
  opt.max_depth = 1;
  opt.max_overseer_calls = 4;
  const auto ep = aida::amplify(std::string("12"), h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng, opt);
  EXPECT_EQ(ep.answer, std::optional<std::string>("3"));
  EXPECT_EQ(ep.counts.overseer, (aida::overseer_calls{.answer = 2, .fan_out = 1, .fan_in = 1}));
  EXPECT_EQ(h.calls(), 4u);
  const std::string shown = out.str();
  EXPECT_TRUE(has(shown, "--- call 1 of 4 --- fan-out: 12\n  answer with \"= ANSWER\", or split with \"split Q1 | Q2\"\n> "))
      << shown;
  EXPECT_TRUE(has(shown, "--- call 2 of 4 --- answer: 1\n  answer with \"= ANSWER\" (this call cannot split)\n> ")) << shown;
  EXPECT_TRUE(has(shown, "cannot use that: this call needs an answer (\"= ANSWER\"): H(Q) cannot split\n> ")) << shown;
  EXPECT_TRUE(has(shown, "--- call 3 of 4 --- answer: 2\n")) << shown;
  EXPECT_TRUE(has(shown, "--- call 4 of 4 --- fan-in: 12\n"
                         "  subquestion 1: 1  answer: 1  (by H (recursion))\n"
                         "  subquestion 2: 2  answer: 2  (by H (recursion))\n"))
      << shown;
}

// A subquestion the policy leaves to ML is shown with its draw and "ML"; without a budget the
// calls are numbered alone.
TEST(ConsoleOverseer, ShowsWhichSubanswerCameFromTheModel) {
  std::istringstream in("split 1 | 2\n= 5\n= 6\n");
  std::ostringstream out;
  console h(in, out);
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(std::string("12"), h, ml, adv, aida::string_codec{}, aida::uniform_one{}, rng);
  EXPECT_EQ(ep.answer, std::optional<std::string>("6"));
  const std::string shown = out.str();
  EXPECT_TRUE(has(shown, "--- call 1 --- fan-out: 12\n")) << shown;
  EXPECT_TRUE(has(shown, "answer: 5  (by H (recursion))\n")) << shown;
  EXPECT_TRUE(has(shown, "(by ML)\n")) << shown;
  // The model's draw is shown as its answer.
  const auto& round = ep.rounds.front();
  const int by_ml = round.answered_by[0] == aida::producer::model ? 0 : 1;
  EXPECT_TRUE(has(shown, "subquestion " + std::to_string(by_ml + 1) + ": " + (by_ml == 0 ? "1" : "2") +
                             "  answer: " + round.answers[by_ml] + "  (by ML)\n"))
      << shown;
}

// Called directly (no procedure, no context), a fan-in does not claim to know who produced
// the subanswers.
TEST(ConsoleOverseer, AFanInWithoutContextShowsNoProducer) {
  std::istringstream in("= 7\n");
  std::ostringstream out;
  console h(in, out);
  EXPECT_EQ(h.fan_in("34", {"3", "3"}, {"4", "4"}), move_t::answer("7"));
  EXPECT_TRUE(has(out.str(), "  subquestion 1: 3  answer: 3\n  subquestion 2: 4  answer: 4\n")) << out.str();
  EXPECT_FALSE(has(out.str(), "(by")) << out.str();
}

// A split of three is read and shown as three subquestions (k-ary splits).
TEST(ConsoleOverseer, ReadsAndShowsSplitsOfMoreThanTwo) {
  std::istringstream in("split 12 | 34 | 5\n= 15\n");
  std::ostringstream out;
  console h(in, out);
  const auto m = h.fan_out("12345");
  ASSERT_TRUE(m.is_split());
  EXPECT_EQ(m.get_split(), (aida::Split<std::string>{"12", "34", "5"}));
  const aida_test::sub_t subs[3] = {{"12", "3"}, {"34", "7"}, {"5", "5"}};
  EXPECT_EQ(h.fan_in("12345", std::span<const aida_test::sub_t>(subs)), move_t::answer("15"));
  EXPECT_TRUE(has(out.str(), "  subquestion 3: 5  answer: 5\n")) << out.str();
}

// Each unusable line is refused with its reason, and the prompt comes again; the move after
// them is taken. Escapes: \| is a '|' and \\ a '\' in a subquestion.
TEST(ConsoleOverseer, ReasksWithTheReasonUntilALineIsAMove) {
  std::istringstream in(
      "\n"
      "hello\n"
      "splitting 1 | 2\n"
      "split 1 2\n"
      "split 1|2|3|4|5|6|7|8|9\n"
      "split  | 2\n"
      "split 12 | 1\n"
      "help\n"
      "  split a\\|b |  c\\\\d  \n");
  std::ostringstream out;
  console h(in, out, {.budget = std::nullopt, .prompt = "? "});
  EXPECT_EQ(h.fan_out("12"), move_t::split("a|b", "c\\d"));
  const std::string shown = out.str();
  for (const char* reason :
       {"cannot use that: the line is empty; a move starts with '=' (an answer) or 'split' (subquestions)\n? ",
        "cannot use that: 'hello' is not a move; a move starts with '=' (an answer) or 'split' (subquestions); "
        "'help' shows the syntax\n? ",
        "cannot use that: 'splitting 1 | 2' is not a move",
        "cannot use that: a split needs two or more subquestions separated by '|': split Q1 | Q2\n? ",
        "cannot use that: a split has at most 8 subquestions (aida::max_subquestions; write \\| for a '|' inside one)\n? ",
        "cannot use that: subquestion 1 is empty\n? ",
        "cannot use that: subquestion 1 is the question itself (it would never end)\n? ",
        "  \"= ANSWER\" answers (the rest of the line, as it is); \"split Q1 | Q2\" asks two subquestions\n"})
    EXPECT_TRUE(has(shown, reason)) << reason << "\nnot in\n" << shown;
  EXPECT_EQ(h.calls(), 1u);
}

// Other answer types go through the text form: an integer answer that does not read is
// refused with the text form's reason.
TEST(ConsoleOverseer, ReadsAnswersThroughTheTextForm) {
  std::istringstream in("= twelve\n=   12  \n");
  std::ostringstream out;
  aida::console_overseer<std::string, int> h(in, out);
  EXPECT_EQ(h.answer("3441"), 12);
  EXPECT_TRUE(has(out.str(), "cannot use that: the answer cannot be read: aida: 'twelve' is not an integer in range\n"))
      << out.str();
}

// The end of the input is an overseer_error naming the call and the question; through amplify
// it comes out unchanged.
TEST(ConsoleOverseer, TheEndOfTheInputIsAnOverseerErrorNamingTheQuestion) {
  std::istringstream in("split 1 | 2\n= 1\nhello\n");
  std::ostringstream out;
  console h(in, out);
  random_model ml;
  hash_adversary adv;
  aida::sampler rng(aida_test::seed());
  try {
    (void)aida::amplify(std::string("12"), h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
    ADD_FAILURE() << "no exception";
  } catch (const aida::overseer_error& e) {
    EXPECT_EQ(std::string(e.what()), "aida::console_overseer: the input ended while asking for the fan-out of \"2\"");
  }
  EXPECT_EQ(h.calls(), 2u);
}

}  // namespace
