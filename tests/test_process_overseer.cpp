// aida::process_overseer against a real Python process, examples/overseers/sum_overseer.py:
// the protocol round trip (every kind, move for move against aida::tasks::sum_overseer), each
// failure's error, no zombies and no SIGPIPE, and aida::train through the process giving the
// same run as through the C++ overseer, all or nothing when the process fails mid-step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <optional>
#include <signal.h>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aida/aida.hpp"
#include "aida/ext/process_overseer.hpp"
#include "aida/overseers/pool.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using S = std::string;
using move_t = aida::Move<S, S>;
using sub_t = aida::Subanswer<S, S>;
using ::testing::HasSubstr;

#ifdef AIDA_TEST_PYTHON
constexpr bool have_python = true;
const char* const python = AIDA_TEST_PYTHON;
const char* const script = AIDA_TEST_SUM_OVERSEER;
#else
constexpr bool have_python = false;
const char* const python = "python3";
const char* const script = "sum_overseer.py";
#endif

#define REQUIRE_PYTHON() \
  if (!have_python) GTEST_SKIP() << "no python3 was found at configure time"

aida::process_overseer_options sum_options(std::vector<S> flags = {},
                                           std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  aida::process_overseer_options o;
  o.argv = {python, script};
  for (auto& f : flags) o.argv.push_back(std::move(f));
  o.timeout = timeout;
  return o;
}

// The message of the overseer_error `f` throws ("" and a test failure if it throws none).
template <class F>
S error_of(F&& f) {
  try {
    f();
  } catch (const aida::overseer_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no aida::overseer_error was thrown";
  return {};
}

// True when `pid` is no child of ours any more: it was reaped (no zombie left).
bool reaped(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

std::vector<S> test_questions() {
  aida::sampler rng(aida_test::seed());
  std::vector<S> qs{"0", "7", "10", "99", "123", S(32, '9'), "00000000"};
  for (int n = 0; n < 60; ++n) {
    S q(static_cast<std::size_t>(1 + aida::draw_below(rng, 20)), '0');
    for (char& c : q) c = static_cast<char>('0' + aida::draw_below(rng, 10));
    qs.push_back(q);
  }
  return qs;
}

// ---------------------------------------------------------------------------------------
// The round trip.

// Every kind of request, on many questions and many kinds of subanswers (the halves, in
// either order, with right, wrong, unusable answers; other subquestions; a repeated one):
// the process makes exactly the C++ overseer's moves.
TEST(ProcessOverseer, EveryKindMakesTheMovesOfSumOverseer) {
  REQUIRE_PYTHON();
  aida::process_overseer h(sum_options());
  const aida::tasks::sum_overseer ref;
  std::size_t compared = 0;
  for (const S& q : test_questions()) {
    EXPECT_EQ(h.answer(q), ref.answer(q)) << q;
    EXPECT_EQ(h.fan_out(q), ref.fan_out(q)) << q;
    const S left = q.substr(0, q.size() / 2), right = q.substr(q.size() / 2);
    const S sl = ref.answer(left.empty() ? "0" : left), sr = ref.answer(right);
    const std::vector<std::pair<sub_t, sub_t>> cases{
        {{left, sl}, {right, sr}},            // the halves, right answers
        {{right, sr}, {left, sl}},            // swapped
        {{left, "?"}, {right, sr}},           // an unknown subanswer
        {{left, "012"}, {right, sr}},         // a leading zero
        {{left, sl}, {right, "999999"}},      // out of range for the half
        {{left, ""}, {right, "1"}},           // empty
        {{left, "\xd9\xa3"}, {right, "1"}},   // a non-ASCII digit (Arabic-Indic three)
        {{left, sl}, {left, sr}},             // the left half twice
        {{q, "1"}, {right, sr}},              // not the halves
        {{"1", "1"}, {"2", "2"}},             // not the halves
    };
    for (const auto& [a, b] : cases) {
      EXPECT_EQ(h.fan_in(q, a, b), ref.fan_in(q, a, b))
          << q << " with " << a.question << "=" << a.answer << ", " << b.question << "=" << b.answer;
      ++compared;
    }
  }
  EXPECT_GT(compared, 600u);
  EXPECT_FALSE(h.failed());
}

// With --parts 3 the process splits as sum_overseer(3) does, and fans in the three
// subanswers of a round (any order, a wrong one, one repeated) as it does.
TEST(ProcessOverseer, SplitsOfThreeTravelBothWays) {
  REQUIRE_PYTHON();
  aida::process_overseer h(sum_options({"--parts=3"}));
  const aida::tasks::sum_overseer ref(3);
  std::size_t three = 0;
  for (const S& q : test_questions()) {
    EXPECT_EQ(h.answer(q), ref.answer(q)) << q;
    const auto m = ref.fan_out(q);
    EXPECT_EQ(h.fan_out(q), m) << q;
    if (!m.is_split()) continue;
    std::vector<sub_t> subs;
    for (const S& sq : m.get_split()) subs.push_back({sq, ref.answer(sq)});
    three += subs.size() == 3 ? 1 : 0;
    std::vector<std::vector<sub_t>> cases{subs};
    cases.push_back({subs.rbegin(), subs.rend()});
    cases.push_back(subs);
    cases.back().front().answer = "?";
    cases.push_back(subs);
    cases.back().back() = cases.back().front();
    for (const auto& c : cases)
      EXPECT_EQ(h.fan_in(q, std::span<const sub_t>(c)), ref.fan_in(q, std::span<const sub_t>(c))) << q;
  }
  EXPECT_GT(three, 10u);
  EXPECT_FALSE(h.failed());
}

// A question the process cannot read gets its error reply as an overseer_error naming the
// request, where sum_overseer throws malformed_question; the conversation goes on.
TEST(ProcessOverseer, AnErrorReplyIsAnErrorAndTheObjectStaysUsable) {
  REQUIRE_PYTHON();
  aida::process_overseer h(sum_options());
  const aida::tasks::sum_overseer ref;
  for (const S& q : std::vector<S>{"", "12a", S(33, '1'), "-1"}) {
    EXPECT_THROW((void)ref.fan_out(q), aida::tasks::malformed_question);
    const S m = error_of([&] { (void)h.fan_out(q); });
    EXPECT_THAT(m, HasSubstr("the process reported an error: sum: malformed question")) << m;
    EXPECT_THAT(m, HasSubstr("\"kind\":\"fan_out\"")) << m;
  }
  EXPECT_THAT(error_of([&] { (void)h.answer("3x"); }), HasSubstr("'x' is not a digit"));
  EXPECT_FALSE(h.failed());
  EXPECT_EQ(h.answer("99"), "18");
}

// Every line of a real conversation (aida's hello and requests of each kind, the program's
// hello, answers, a split and an error reply), recorded by a proxy between the two, matches
// docs/overseer-protocol.schema.json in its direction; the checker also makes sure the schema
// refuses lines that break the protocol (tests/support/check_protocol.py).
TEST(ProcessOverseer, ARealConversationMatchesTheProtocolsJsonSchema) {
  REQUIRE_PYTHON();
#ifdef AIDA_TEST_PROTOCOL_SCHEMA
  const aida_test::temp_dir dir;
  const S log = (dir.path / "conversation.log").string();
  {
    aida::process_overseer_options o;
    o.argv = {python, AIDA_TEST_RECORD_OVERSEER, log, python, script};
    o.timeout = std::chrono::seconds(30);
    aida::process_overseer h(o);
    EXPECT_EQ(h.answer("99"), "18");
    EXPECT_EQ(h.fan_out("1234"), move_t::split("12", "34"));
    EXPECT_EQ(h.fan_in("1234", sub_t{"12", "3"}, sub_t{"34", "7"}), move_t::answer("10"));
    EXPECT_THAT(error_of([&] { (void)h.fan_out("12a"); }), HasSubstr("malformed question"));
  }
  const S command = S(AIDA_TEST_SCHEMA_PYTHON) + " " + AIDA_TEST_CHECK_PROTOCOL + " --require-all " + AIDA_TEST_PROTOCOL_SCHEMA + " " + log;
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << command;
  EXPECT_EQ(WEXITSTATUS(status), 0) << command << " (2: python3-jsonschema is missing)";
#else
  GTEST_SKIP() << "no Python with the jsonschema package (python3-jsonschema) was found at configure time";
#endif
}

// A type of the user's converts through to_json/from_json found by ADL.
struct digits {
  S text;
  friend bool operator==(const digits&, const digits&) = default;
};
void to_json(nlohmann::json& j, const digits& d) { j = d.text; }
void from_json(const nlohmann::json& j, digits& d) { d.text = j.get<S>(); }

TEST(ProcessOverseer, UserTypesConvertThroughAdl) {
  REQUIRE_PYTHON();
  aida::process_overseer<digits, digits> h(sum_options());
  EXPECT_EQ(h.fan_out({"1234"}), (aida::Move<digits, digits>::split({"12"}, {"34"})));
  const aida::Subanswer<digits, digits> right{{"34"}, {"7"}}, left{{"12"}, {"3"}};
  EXPECT_EQ(h.fan_in(digits{"1234"}, right, left), (aida::Move<digits, digits>::answer(digits{"10"})));
  EXPECT_EQ(h.answer({"555"}).text, "15");
}

// ---------------------------------------------------------------------------------------
// Failures.

// Each misbehaviour after two good requests: the third request's error names the request,
// what was wrong and the reply; the object then refuses further calls, naming the failure,
// and the process is gone (reaped).
struct misbehaviour {
  const char* flag;
  std::vector<const char*> expected;  // substrings of the error message
};

TEST(ProcessOverseer, EachFailureHasItsOwnClearError) {
  REQUIRE_PYTHON();
  const std::vector<misbehaviour> cases{
      {"crash",
       {"request 3 (fan_out) failed: it closed its standard output before replying; the process exited with status 3",
        "reply: (none)", "crashing as asked on request 3"}},
      {"exit", {"request 3 (fan_out) failed", "exiting as asked, without reading request 3"}},
      {"garbage", {"the reply is not JSON", "reply: this is not JSON"}},
      {"wrong-id", {"the reply is to id 4, not to this request's id 3", "reply: {\"id\": 4, \"answer\": \"0\"}"}},
      {"nine-way", {"the reply splits into 9 subquestions; a split has 2 to 8 (aida::max_subquestions)"}},
      {"no-newline",
       {"it closed its standard output in the middle of a reply line", "reply: {\"id\": 3, \"answer\": \"1"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flag);
    aida::process_overseer h(sum_options({S("--misbehave=") + c.flag, "--after=2"}));
    const pid_t pid = h.pid();
    ASSERT_GT(pid, 0);
    EXPECT_EQ(h.fan_out("12"), move_t::split("1", "2"));
    EXPECT_EQ(h.fan_out("3"), move_t::answer("3"));
    const S m = error_of([&] { (void)h.fan_out("4567"); });
    for (const char* e : c.expected) EXPECT_THAT(m, HasSubstr(e)) << m;
    EXPECT_THAT(m, HasSubstr("request: {\"id\":3,\"kind\":\"fan_out\",\"question\":\"4567\"}")) << m;
    EXPECT_THAT(m, HasSubstr(script)) << m;  // names the process
    EXPECT_TRUE(h.failed());
    EXPECT_EQ(h.failure(), m);
    EXPECT_EQ(h.pid(), -1);
    EXPECT_TRUE(reaped(pid));
    const S refused = error_of([&] { (void)h.fan_out("12"); });
    EXPECT_THAT(refused, HasSubstr("refusing the request: the process was stopped after an earlier failure: " + m));
  }
}

// A split in reply to an `answer` request is the wrong shape.
TEST(ProcessOverseer, ASplitInReplyToAnswerIsTheWrongShape) {
  REQUIRE_PYTHON();
  aida::process_overseer h(sum_options({"--misbehave=split-answer", "--after=0"}));
  const S m = error_of([&] { (void)h.answer("12"); });
  EXPECT_THAT(m, HasSubstr("request 1 (answer) failed: the reply is a split, but an \"answer\" request must be answered"));
  EXPECT_THAT(m, HasSubstr("reply: {\"id\": 1, \"split\": [\"1\", \"2\"]}"));
  EXPECT_TRUE(h.failed());
}

// An answer that does not convert to A (here a number from a string) is the wrong shape.
TEST(ProcessOverseer, AnAnswerOfTheWrongTypeIsTheWrongShape) {
  REQUIRE_PYTHON();
  aida::process_overseer<S, int> h(sum_options());
  const S m = error_of([&] { (void)h.answer("12"); });
  EXPECT_THAT(m, HasSubstr("the reply's answer does not convert to the overseer's answer type")) << m;
  EXPECT_TRUE(h.failed());
}

// A hung process is killed after the timeout; its stderr is in the message.
TEST(ProcessOverseer, AHungProcessIsKilledAfterTheTimeout) {
  REQUIRE_PYTHON();
  // The timeout covers the hello too, and so Python's start: 1.5 s was too short for it on a
  // loaded 2-core machine under AddressSanitizer (a pyenv shim in front of python3).
  aida::process_overseer h(sum_options({"--misbehave=hang", "--after=1"}, std::chrono::milliseconds(5000)));
  const pid_t pid = h.pid();
  EXPECT_EQ(h.fan_out("12"), move_t::split("1", "2"));
  const S m = error_of([&] { (void)h.fan_out("12"); });
  EXPECT_THAT(m, HasSubstr("request 2 (fan_out) failed: it did not reply within options.timeout (5000 ms); it was killed"));
  EXPECT_THAT(m, HasSubstr("hanging as asked on request 2"));
  EXPECT_TRUE(reaped(pid));
}

// The hello: a process that speaks another version is refused, naming both versions.
TEST(ProcessOverseer, AProtocolVersionMismatchIsAClearError) {
  REQUIRE_PYTHON();
  const S m = error_of([&] { aida::process_overseer h(sum_options({"--version=2"})); });
  EXPECT_THAT(m, HasSubstr("the hello failed: the process speaks protocol version 2, but aida speaks version 1")) << m;
  EXPECT_THAT(m, HasSubstr("request: {\"protocol\":\"aida-overseer\",\"version\":1}")) << m;
}

TEST(ProcessOverseer, AProgramThatCannotStartIsNamed) {
  auto o = sum_options();
  o.argv = {"aida-no-such-program-here"};
  EXPECT_THAT(error_of([&] { aida::process_overseer h(o); }),
              HasSubstr("cannot start \"aida-no-such-program-here\": not found on PATH"));
  o.argv = {"/nonexistent/aida-program"};
  EXPECT_THAT(error_of([&] { aida::process_overseer h(o); }),
              HasSubstr("cannot start \"/nonexistent/aida-program\": execve(\"/nonexistent/aida-program\"): No such file"));
  REQUIRE_PYTHON();
  o = sum_options();
  o.working_directory = "/nonexistent-aida-dir";
  EXPECT_THAT(error_of([&] { aida::process_overseer h(o); }),
              HasSubstr("chdir(\"/nonexistent-aida-dir\"): No such file"));
}

TEST(ProcessOverseer, UnusableOptionsAreNamed) {
  aida::process_overseer_options o;
  try {
    aida::process_overseer h(o);
    ADD_FAILURE() << "an empty argv was accepted";
  } catch (const aida::invalid_options& e) {
    EXPECT_THAT(e.what(), HasSubstr("options.argv is empty"));
  }
  o = sum_options({}, std::chrono::milliseconds(0));
  try {
    aida::process_overseer h(o);
    ADD_FAILURE() << "a zero timeout was accepted";
  } catch (const aida::invalid_options& e) {
    EXPECT_THAT(e.what(), HasSubstr("options.timeout is 0 ms; it must be positive"));
  }
}

// A string that is not UTF-8 cannot be written as JSON: nothing is sent and the object stays
// usable.
TEST(ProcessOverseer, AQuestionThatIsNotUtf8IsRefusedBeforeSending) {
  REQUIRE_PYTHON();
  aida::process_overseer h(sum_options());
  const S m = error_of([&] { (void)h.fan_out("\xff\xfe"); });
  EXPECT_THAT(m, HasSubstr("request 1 (fan_out) cannot be written as JSON, so it was not sent")) << m;
  EXPECT_FALSE(h.failed());
  EXPECT_EQ(h.fan_out("42"), move_t::split("4", "2"));
}

// Only the last options.stderr_tail bytes of stderr are kept and shown.
TEST(ProcessOverseer, TheStderrTailIsBounded) {
  REQUIRE_PYTHON();
  auto o = sum_options({"--misbehave=crash", "--after=3", "--stderr-noise=100000"});
  o.stderr_tail = 200;
  aida::process_overseer h(o);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.fan_out("5"), move_t::answer("5"));
  const S m = error_of([&] { (void)h.fan_out("5"); });
  const auto at = m.find("stderr (last 200 bytes): ");
  ASSERT_NE(at, S::npos) << m;
  const S tail = m.substr(at + S("stderr (last 200 bytes): ").size());
  EXPECT_EQ(tail.size(), 200u);
  EXPECT_THAT(tail, HasSubstr("crashing as asked on request 4"));
}

// A process that has gone away while a large request is being written: EPIPE, reported as an
// error, never a SIGPIPE that would end this test program.
TEST(ProcessOverseer, WritingToAProcessThatHasGoneAwayIsAnErrorNotASignal) {
  REQUIRE_PYTHON();
  // The host's SIGPIPE disposition is the default one (which would end the program).
  struct sigaction old{};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &old), 0);
  ASSERT_EQ(old.sa_handler, SIG_DFL);
  aida::process_overseer h(sum_options({"--misbehave=exit", "--after=0"}));
  const S big(std::size_t{8} << 20, '1');  // far more than a socket buffer holds
  const S m = error_of([&] { (void)h.fan_out(big); });
  EXPECT_THAT(m, HasSubstr("request 1 (fan_out) failed: it closed its standard input before reading the request")) << m;
  EXPECT_THAT(m, HasSubstr("exiting as asked"));
  EXPECT_TRUE(h.failed());
}

// The destructor closes stdin; a process that exits then is reaped, one that does not is
// killed after the grace period and reaped: no zombie either way.
TEST(ProcessOverseer, TheDestructorLeavesNoZombie) {
  REQUIRE_PYTHON();
  pid_t polite = -1, stubborn = -1;
  {
    aida::process_overseer h(sum_options());
    polite = h.pid();
    EXPECT_EQ(h.fan_out("7"), move_t::answer("7"));
  }
  EXPECT_TRUE(reaped(polite));
  {
    // A process that ignores the end of its input (sleeps instead of reading): killed after
    // the grace period.
    aida::process_overseer_options o;
    o.argv = {"/bin/sh", "-c",
              "read hello; echo '{\"protocol\":\"aida-overseer\",\"version\":1}'; exec sleep 600"};
    o.shutdown_grace = std::chrono::milliseconds(100);
    aida::process_overseer h(o);
    stubborn = h.pid();
    ASSERT_GT(stubborn, 0);
  }
  EXPECT_TRUE(reaped(stubborn));
}

// Moving hands the process over; the moved-from object refuses calls.
TEST(ProcessOverseer, MovingHandsTheProcessOver) {
  REQUIRE_PYTHON();
  aida::process_overseer a(sum_options());
  const pid_t pid = a.pid();
  aida::process_overseer b(std::move(a));
  EXPECT_EQ(b.pid(), pid);
  EXPECT_EQ(b.fan_out("98"), move_t::split("9", "8"));
  EXPECT_THAT(error_of([&] { (void)a.fan_out("98"); }), HasSubstr("used after it was moved from"));  // NOLINT
}

// ---------------------------------------------------------------------------------------
// End to end: aida::train through the process.

// random_model (draws from the sampler) that records every target it is trained on, with a
// snapshot: its state is what it has seen.
struct recording_model : aida_test::random_model {
  std::vector<S> seen;
  using state = std::vector<S>;
  double train_step(std::span<const aida::model_target<S, S>> batch) {
    for (const auto& t : batch)
      seen.push_back(std::to_string(static_cast<int>(t.kind)) + "|" + t.query + "|" + t.target + "|" +
                     std::to_string(t.loss));
    return batch.empty() ? 0.0 : 0.5;
  }
  [[nodiscard]] state snapshot() const { return seen; }
  void restore(state&& s) noexcept { seen = std::move(s); }
};

struct recording_adversary : aida_test::hash_adversary {
  std::vector<S> seen;
  using state = std::vector<S>;
  double train_step(std::span<const aida::adversary_target<S, S>> batch) {
    for (const auto& t : batch) seen.push_back(t.query + "|" + std::to_string(t.target));
    return batch.empty() ? 0.0 : 0.25;
  }
  [[nodiscard]] state snapshot() const { return seen; }
  void restore(state&& s) noexcept { seen = std::move(s); }
};
static_assert(aida::Restorable<recording_model> && aida::Restorable<recording_adversary>);

struct run_record {
  aida::train_state state;
  std::vector<S> model_targets, adversary_targets;
  std::vector<std::size_t> calls_after_step;   // cumulative overseer calls after each step
  std::vector<std::vector<S>> model_after_step;  // ML's state after each completed step
  std::vector<std::vector<S>> adversary_after_step;  // the adversary's
  std::optional<S> error;
};

struct step_recorder {
  run_record* r;
  const recording_model* ml;
  const recording_adversary* adv;
  void on_step(aida::train_state& s) {
    r->calls_after_step.push_back(s.overseer.total());
    r->model_after_step.push_back(ml->seen);
    r->adversary_after_step.push_back(adv->seen);
  }
};

aida::train_options e2e_options() {
  aida::train_options opt;
  opt.steps = 6;
  opt.episodes_per_step = 4;
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 3;
  opt.iterate = true;
  opt.threshold = [](std::size_t) { return -1.0; };  // H′ defers where Adv scores above −1
  return opt;
}

// A recording_model that, asked to fan out, splits into a question the sum task cannot read
// ("2x") one time in four: H′ must count that as malformed rather than send it to H. (Under
// hash_adversary, H′ consults H on "2x" rather than deferring: its score is below −1.)
struct splitting_model : recording_model {
  template <aida::Sampler Sm>
  S sample(const S& o, Sm& rng) {
    if (!o.empty() && o[0] == '^' && rng.next() % 4 == 0) return aida::string_codec{}.encode(move_t::split("2x", "2"));
    return recording_model::sample(o, rng);
  }
};

template <class M = recording_model, class H>
run_record run_training(H& h, std::size_t threads = 1) {
  const aida::tasks::sum_task task;
  auto src = task.generator(5);
  aida::sampler qrng(7);
  const auto ev = task.evaluator(aida::tasks::draw_questions(src, 10, qrng));
  M ml;
  recording_adversary adv;
  aida::sampler rng(aida_test::seed());
  run_record r;
  try {
    aida::train_options opt = e2e_options();
    opt.threads = threads;
    r.state = aida::train(src, h, ml, adv, task.codec(), aida::gumbel_argmin{}, ev, rng, opt,
                          step_recorder{&r, &ml, &adv});
  } catch (const aida::overseer_error& e) {
    r.error = e.what();
  }
  r.model_targets = ml.seen;
  r.adversary_targets = adv.seen;
  return r;
}

// The same seed gives the same run: every target, every count, through the process as
// through the C++ overseer.
TEST(ProcessOverseerTraining, TrainingThroughTheProcessIsTheSameRun) {
  REQUIRE_PYTHON();
  aida::tasks::sum_overseer ref;
  const run_record a = run_training(ref);
  aida::process_overseer h(sum_options());
  const run_record b = run_training(h);
  ASSERT_FALSE(a.error) << *a.error;
  ASSERT_FALSE(b.error) << *b.error;
  EXPECT_EQ(a.state.step, 6u);
  EXPECT_GT(a.state.overseer.fan_in, 0u);
  EXPECT_GT(a.state.deferred.total(), 0u);  // H′ did defer: both paths were taken
  EXPECT_GT(a.model_targets.size(), 100u);
  EXPECT_EQ(a.model_targets, b.model_targets);
  EXPECT_EQ(a.adversary_targets, b.adversary_targets);
  EXPECT_EQ(a.state.overseer, b.state.overseer);
  EXPECT_EQ(a.state.deferred, b.state.deferred);
  EXPECT_EQ(a.state.episodes, b.state.episodes);
  EXPECT_EQ(a.state.distill_episodes, b.state.distill_episodes);
  EXPECT_EQ(a.state.model_calls, b.state.model_calls);
  EXPECT_EQ(a.state.adversary_calls, b.state.adversary_calls);
  EXPECT_EQ(a.state.targets, b.state.targets);
  EXPECT_EQ(a.state.fallbacks.malformed_moves, b.state.fallbacks.malformed_moves);
  EXPECT_EQ(a.state.accuracy, b.state.accuracy);
  EXPECT_EQ(a.calls_after_step, b.calls_after_step);
}

// Two processes in an aida::overseer_pool, called from two threads at once: the same run as
// the C++ overseer on one thread.
TEST(ProcessOverseerTraining, APoolOfTwoProcessesOnTwoThreadsIsTheSameRun) {
  REQUIRE_PYTHON();
  aida::tasks::sum_overseer ref;
  const run_record a = run_training(ref);
  aida::overseer_pool<aida::process_overseer<>> pool(2, [] { return aida::process_overseer<>(sum_options()); });
  const run_record b = run_training(pool, 2);
  ASSERT_FALSE(b.error) << *b.error;
  EXPECT_EQ(a.model_targets, b.model_targets);
  EXPECT_EQ(a.adversary_targets, b.adversary_targets);
  EXPECT_EQ(a.state.overseer, b.state.overseer);
  EXPECT_EQ(a.state.deferred, b.state.deferred);
  EXPECT_EQ(a.calls_after_step, b.calls_after_step);
}

// A model's split into a question H cannot read: with the well_formed predicate H′ counts it
// as malformed, as with the C++ overseer (the same run again); without it the question reaches
// the process, whose error reply throws out of the step.
TEST(ProcessOverseerTraining, AWellFormedPredicateKeepsUnreadableSplitsFromTheProcess) {
  REQUIRE_PYTHON();
  aida::tasks::sum_overseer ref;
  const run_record a = run_training<splitting_model>(ref);
  ASSERT_FALSE(a.error) << *a.error;
  EXPECT_GT(a.state.fallbacks.malformed_moves, 0u);
  aida::process_overseer h(sum_options(), [](const S& q) { return aida::tasks::sum_overseer{}.well_formed(q); });
  EXPECT_TRUE(h.well_formed("12"));
  EXPECT_FALSE(h.well_formed("2x"));
  const run_record b = run_training<splitting_model>(h);
  ASSERT_FALSE(b.error) << *b.error;
  EXPECT_EQ(a.model_targets, b.model_targets);
  EXPECT_EQ(a.adversary_targets, b.adversary_targets);
  EXPECT_EQ(a.state.overseer, b.state.overseer);
  EXPECT_EQ(a.state.deferred, b.state.deferred);
  EXPECT_EQ(a.state.fallbacks.malformed_moves, b.state.fallbacks.malformed_moves);
  aida::process_overseer without(sum_options());
  EXPECT_TRUE(without.well_formed("2x"));
  const run_record c = run_training<splitting_model>(without);
  ASSERT_TRUE(c.error) << "train did not throw";
  EXPECT_THAT(*c.error, HasSubstr("the process reported an error: sum: malformed question \"2x\"")) << *c.error;
}

// The process crashes in the middle of step 3: train throws the overseer_error, and ML and the
// adversary are as they were after step 2.
TEST(ProcessOverseerTraining, AFailureMidStepLeavesTheLearnersAsBeforeTheStep) {
  REQUIRE_PYTHON();
  aida::tasks::sum_overseer ref;
  const run_record a = run_training(ref);
  ASSERT_GE(a.calls_after_step.size(), 3u);
  const std::size_t after = a.calls_after_step[1] + 5;  // the 6th call of step 3 fails
  ASSERT_LT(after, a.calls_after_step[2]);
  aida::process_overseer h(sum_options({"--misbehave=crash", "--after=" + std::to_string(after)}));
  const run_record b = run_training(h);
  ASSERT_TRUE(b.error) << "train did not throw";
  EXPECT_THAT(*b.error, HasSubstr("request " + std::to_string(after + 1) + " ("));
  EXPECT_THAT(*b.error, HasSubstr("the process exited with status 3"));
  ASSERT_EQ(b.model_after_step.size(), 2u);
  EXPECT_EQ(b.model_after_step, std::vector<std::vector<S>>(a.model_after_step.begin(), a.model_after_step.begin() + 2));
  EXPECT_EQ(b.model_targets, a.model_after_step[1]);  // ML as after step 2, bit for bit
  EXPECT_FALSE(b.model_targets.empty());
  EXPECT_EQ(b.adversary_targets, a.adversary_after_step[1]);
  EXPECT_FALSE(b.adversary_targets.empty());
}

}  // namespace
