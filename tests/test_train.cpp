// aida::train and its callbacks, with small deterministic doubles: the loop's bookkeeping,
// schedules, early stops and metrics files.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "aida/aida.hpp"
#include "aida/algorithm/callbacks.hpp"
#include "aida/algorithm/train.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using S = std::string;
using aida::Move;
using aida::Subanswer;

// Overseer for "the length of a string of a's": split in halves, add at fan-in.
struct length_overseer {
  int calls = 0;
  S answer(const S& q) { return ++calls, std::to_string(q.size()); }
  Move<S, S> fan_out(const S& q) {
    ++calls;
    if (q.size() <= 1) return Move<S, S>::answer(std::to_string(q.size()));
    return Move<S, S>::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  Move<S, S> fan_in(const S&, const Subanswer<S, S>& a, const Subanswer<S, S>& b) {
    ++calls;
    return Move<S, S>::answer(std::to_string(number(a.answer) + number(b.answer)));
  }
  // Subanswers drawn from ML can be anything; a wrong one just makes a wrong sum.
  static int number(const S& s) {
    int n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return 0;
      n = 10 * n + (c - '0');
    }
    return n;
  }
};

// A "model" that is right about lengths up to `known` and learns one more each train step.
struct growing_model {
  std::size_t known = 1;
  std::size_t batches = 0;
  std::size_t targets = 0;
  static constexpr std::size_t coded = 1000;  // output for fan-out/fan-in questions
  std::size_t predict(const S& q) const { return q[0] == '^' || q[0] == '&' ? coded : q.size(); }
  double log_prob(std::size_t, const S&) const { return -0.5; }
  template <class Sm>
  S sample(std::size_t o, Sm&) const { return greedy(o); }
  S greedy(std::size_t o) const {
    if (o == coded) return "=0";  // a well-formed (if wrong) answer move
    return o <= known ? std::to_string(o) : "?";
  }
  std::vector<std::size_t> batch_sizes;
  double train_step(std::span<const aida::model_target<S, S>> b) {
    ++batches, targets += b.size(), ++known;
    batch_sizes.push_back(b.size());
    return 0.25;
  }
};

struct constant_adversary {
  double value = -1;
  std::size_t batches = 0;
  std::vector<std::size_t> batch_sizes;
  double score(const S&, std::size_t) const { return value; }
  double train_step(std::span<const aida::adversary_target<S, std::size_t>> b) {
    batch_sizes.push_back(b.size());
    return ++batches, 0.125;
  }
};

struct fixed_length_source {
  std::size_t length = 8;
  S next(aida::sampler&) const { return S(length, 'a'); }
};

// The evaluator holds its own labels; the trainer only gets the accuracy.
struct length_evaluator {
  std::vector<std::size_t> lengths{4, 8};
  double accuracy(const std::function<S(const S&)>& answer) const {
    int right = 0;
    for (auto n : lengths) right += answer(S(n, 'a')) == std::to_string(n);
    return static_cast<double>(right) / static_cast<double>(lengths.size());
  }
};

/// The doubles above, together: a training run on strings of a's with the string codec.
struct length_run {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng{aida_test::seed()};
  template <class P>
  aida::train_state train(const P& policy, const aida::train_options& opt) {
    return aida::train(src, h, ml, adv, aida::string_codec{}, policy, ev, rng, opt);
  }
};

struct recorder {
  std::vector<std::string>* log;
  void on_begin(aida::train_state&) { log->push_back("begin"); }
  void on_step(aida::train_state& s) { log->push_back("step" + std::to_string(s.step)); }
  void on_evaluate(aida::train_state& s) { log->push_back("eval" + std::to_string(s.step)); }
  void on_end(aida::train_state&) { log->push_back("end"); }
};

TEST(Train, CallsCallbacksInOrderAndCountsEverything) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng(aida_test::seed());
  aida::train_options opt;
  opt.steps = 4;
  opt.episodes_per_step = 2;
  opt.distill_episodes_per_step = 1;
  opt.eval_every = 2;
  opt.iterate = false;
  std::vector<std::string> log;
  const auto st = aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt,
                              recorder{&log});
  const std::vector<std::string> expected{"begin", "step1", "step2", "eval2", "step3", "step4", "eval4", "end"};
  EXPECT_EQ(log, expected);
  EXPECT_EQ(st.step, 4u);
  EXPECT_EQ(st.episodes, 8u);
  EXPECT_EQ(st.distill_episodes, 4u);
  EXPECT_EQ(ml.batches, 4u);
  EXPECT_EQ(adv.batches, 4u);
  EXPECT_EQ(st.targets, ml.targets);
  // Full tree on 8 a's: 15 nodes, 8 leaves (1 fan-out each), 7 inner (fan-out + fan-in).
  EXPECT_EQ(st.overseer.total(), 8u * 22u);
  EXPECT_EQ(static_cast<std::size_t>(h.calls), st.overseer.total());
  EXPECT_DOUBLE_EQ(st.model_loss, 0.25);
  EXPECT_DOUBLE_EQ(st.adversary_loss, 0.125);
  EXPECT_DOUBLE_EQ(st.accuracy, 0.5);  // knows lengths up to 5 after 4 steps: 4 right, 8 not
  EXPECT_EQ(st.evaluations, 2u);
}

TEST(Train, StopsAtTargetAccuracyAndAtOverseerBudget) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::train_options opt;
  opt.steps = 100;
  opt.eval_every = 1;
  opt.iterate = false;
  {
    aida::sampler rng(aida_test::seed());
    const auto st = aida::train(src, h, ml, adv, aida::string_codec{}, aida::uniform_one{}, ev, rng, opt,
                                aida::callbacks::stop_at_accuracy{1.0});
    EXPECT_TRUE(st.stop);
    EXPECT_EQ(st.step, 7u);  // length 8 is known after 7 steps
    EXPECT_DOUBLE_EQ(st.accuracy, 1.0);
  }
  {
    growing_model fresh;
    opt.episodes_per_step = 1;
    aida::sampler rng(aida_test::seed());
    const auto st = aida::train(src, h, fresh, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt,
                                aida::callbacks::stop_at_overseer_calls{50});
    EXPECT_EQ(st.step, 3u);  // one full-tree episode of 22 calls a step: 66 >= 50 after 3
    EXPECT_GE(st.overseer.total(), 50u);
    EXPECT_NE(st.stop_reason.find("budget"), std::string::npos);
  }
}

TEST(Train, SchedulesFollowTheStep) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;  // score -1
  fixed_length_source src;
  length_evaluator ev;
  aida::train_options opt;
  opt.steps = 6;
  opt.prime_noise = 0;  // H′ consults H iff -1 < c
  opt.threshold = aida::linear_schedule{0.0, -2.0, 4};  // c: 0, -0.5, -1, -1.5, -2, -2
  std::vector<double> thresholds;
  std::vector<std::size_t> calls;
  struct watch {
    std::vector<double>* t;
    std::vector<std::size_t>* c;
    void on_step(aida::train_state& s) { t->push_back(s.threshold), c->push_back(s.overseer.total()); }
  };
  aida::sampler rng(aida_test::seed());
  aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt, watch{&thresholds, &calls});
  const std::vector<double> expected{0.0, -0.5, -1.0, -1.5, -2.0, -2.0};
  EXPECT_EQ(thresholds, expected);
  // While c > -1 H′ consults H (8 episodes × 22 calls a step); from c <= -1 on it never does.
  EXPECT_EQ(calls[0], 8u * 22u);
  EXPECT_EQ(calls[1], 2u * 8u * 22u);
  for (std::size_t i = 2; i < calls.size(); ++i) EXPECT_EQ(calls[i], calls[1]) << "step " << i + 1;
}

TEST(Train, MetricsFilesHaveAHeaderAndARowPerEvaluation) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::train_options opt;
  opt.steps = 5;
  opt.eval_every = 2;
  opt.iterate = false;
  const aida_test::temp_dir tmp;
  const std::string csv = (tmp.path / "metrics.csv").string();
  const std::string jsonl = (tmp.path / "metrics.jsonl").string();
  aida::sampler rng(aida_test::seed());
  aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt,
              aida::callbacks::csv_metrics(csv, "run1"), aida::callbacks::json_lines_metrics(jsonl, "run\"1"));
  std::ifstream c(csv), j(jsonl);
  std::vector<std::string> rows, lines;
  for (std::string l; std::getline(c, l);) rows.push_back(l);
  for (std::string l; std::getline(j, l);) lines.push_back(l);
  ASSERT_EQ(rows.size(), 4u);  // header + evaluations at steps 2, 4 and the final one (5)
  EXPECT_EQ(rows[0].rfind("run,step,", 0), 0u);
  EXPECT_EQ(rows[1].rfind("run1,2,", 0), 0u);
  EXPECT_EQ(rows[3].rfind("run1,5,", 0), 0u);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("{\"run\":\"run\\\"1\",\"step\":2,", 0), 0u) << lines[0];
}

// In data-parallel training every rank may be given the same path: only rank 0 empties the
// file and writes it; another rank's metrics leave it as it is, even when made after rank 0
// started writing (on a shared file system the ranks start at different times).
TEST(Train, MetricsFilesAreWrittenByRankZeroAloneAndNotEmptiedByTheOthers) {
  const aida_test::temp_dir tmp;
  const std::string csv = (tmp.path / "metrics.csv").string();
  const std::string jsonl = (tmp.path / "metrics.jsonl").string();
  auto lines_of = [](const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
  };
  {  // an earlier run's file is emptied by rank 0's start, not before
    std::ofstream old(csv);
    old << "an earlier run\n";
  }
  aida::train_state zero, one;
  one.rank = 1;
  aida::callbacks::csv_metrics c0(csv, "r0");
  aida::callbacks::json_lines_metrics j0(jsonl, "r0");
  EXPECT_EQ(lines_of(csv), std::vector<std::string>{"an earlier run"});
  c0.on_begin(zero), j0.on_begin(zero);
  zero.step = 1;
  c0.on_evaluate(zero), j0.on_evaluate(zero);
  aida::callbacks::csv_metrics c1(csv, "r1");
  aida::callbacks::json_lines_metrics j1(jsonl, "r1");
  c1.on_begin(one), j1.on_begin(one);
  one.step = 1;
  c1.on_evaluate(one), j1.on_evaluate(one);
  zero.step = 2;
  c0.on_evaluate(zero), j0.on_evaluate(zero);
  const auto rows = lines_of(csv), objects = lines_of(jsonl);
  ASSERT_EQ(rows.size(), 3u);  // the header and rank 0's two rows
  EXPECT_EQ(rows[0].rfind("run,step,", 0), 0u);
  EXPECT_EQ(rows[1].rfind("r0,1,", 0), 0u);
  EXPECT_EQ(rows[2].rfind("r0,2,", 0), 0u);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[1].rfind("{\"run\":\"r0\",\"step\":2,", 0), 0u) << objects[1];
  // A path that cannot be written is refused when the metrics are made, before any training.
  const std::string nowhere = (tmp.path / "no-such-dir" / "m.csv").string();
  try {
    const aida::callbacks::csv_metrics bad(nowhere);
    ADD_FAILURE() << "csv_metrics accepted " << nowhere;
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open metrics file '" + nowhere + "'"), std::string::npos) << e.what();
  }
}

TEST(Train, ProgressLineIsQuietWhenNotATerminal) {
  std::ostringstream out;
  aida::callbacks::progress_line quiet(out, false, -1);  // fd -1 is no terminal
  aida::train_state s;
  s.steps = 10, s.step = 10, s.seconds = 2;
  quiet.on_step(s);
  quiet.on_end(s);
  EXPECT_TRUE(out.str().empty());
  aida::callbacks::progress_line forced(out, true);
  forced.on_step(s);
  EXPECT_NE(out.str().find("step 10/10"), std::string::npos);
  EXPECT_NE(out.str().find("5.0 steps/s"), std::string::npos);
  EXPECT_EQ(aida::callbacks::progress_line::format_duration(3725), "1h02m");
  EXPECT_EQ(aida::callbacks::progress_line::format_duration(65), "1m05s");
}

TEST(Train, ReplayMakesSeveralUpdatesFromTheMemoryAndTheAdversaryOneOnFreshTargets) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::train_options opt;
  opt.steps = 3;
  opt.episodes_per_step = 1;
  opt.iterate = false;
  opt.replay_capacity = 30;
  opt.updates_per_step = 3;
  opt.replay_batch = 5;
  aida::sampler rng(aida_test::seed());
  const auto st = aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt);
  EXPECT_EQ(ml.batches, 9u);
  EXPECT_EQ(ml.batch_sizes, std::vector<std::size_t>(9, 5));
  EXPECT_EQ(adv.batches, 3u);
  // New targets are counted once: a full tree of 8 has 15 answers, 15 fan-outs, 7 fan-ins.
  EXPECT_EQ(st.targets, 3u * 37u);
  EXPECT_DOUBLE_EQ(st.model_loss, 0.25);
}

// distill_adversary_targets = false: the adversary's batch is the amplification episodes'
// targets alone (those of a run without distillation: the full tree of this H does not depend
// on the draws), while ML's batch still holds the distillation episode's targets.
// Options of a short run with H (not H′), two amplification episodes a step and `distill`
// distillation episodes.
aida::train_options distilling(std::size_t steps, std::size_t distill) {
  aida::train_options opt;
  opt.steps = steps;
  opt.episodes_per_step = 2;
  opt.distill_episodes_per_step = distill;
  opt.iterate = false;
  return opt;
}

TEST(Train, WithoutDistillationAdversaryTargetsTheAdversaryTrainsOnAmplificationsOnly) {
  struct result {
    std::vector<std::size_t> ml, adv;
  };
  const auto run = [](std::size_t distill, bool adversary_targets) {
    aida::train_options opt = distilling(3, distill);
    opt.distill_adversary_targets = adversary_targets;
    length_run r;
    r.train(aida::recurse_all{}, opt);
    return result{r.ml.batch_sizes, r.adv.batch_sizes};
  };
  const result none = run(0, true), with = run(1, true), without = run(1, false);
  ASSERT_EQ(without.adv.size(), 3u);
  EXPECT_EQ(without.adv, none.adv);  // the amplification episodes' targets only
  EXPECT_EQ(without.ml, with.ml);    // ML trains on the distillation episode's targets either way
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_GT(with.adv[s], without.adv[s]) << "step " << s + 1;
    EXPECT_GT(with.ml[s], none.ml[s]) << "step " << s + 1;
  }
}

// distill_from_step: the steps before it run no distillation episode (ML's batches are those
// of a run without distillation); from it on, each step runs its distillation episodes.
TEST(Train, DistillationStartsAtDistillFromStep) {
  const auto run = [](std::size_t distill, std::size_t from) {
    aida::train_options opt = distilling(4, distill);
    opt.distill_from_step = from;
    length_run r;
    const aida::train_state st = r.train(aida::recurse_all{}, opt);
    return std::pair{st.distill_episodes, r.ml.batch_sizes};
  };
  const auto [none_count, none] = run(0, 0);
  const auto [late_count, late] = run(1, 2);
  const auto [all_count, all] = run(1, 0);
  EXPECT_EQ(none_count, 0u);
  EXPECT_EQ(late_count, 2u);  // steps 2 and 3 (counted from 0)
  EXPECT_EQ(all_count, 4u);
  ASSERT_EQ(late.size(), 4u);
  ASSERT_EQ(none.size(), 4u);
  for (std::size_t s = 0; s < 2; ++s) EXPECT_EQ(late[s], none[s]) << "step " << s;
  for (std::size_t s = 2; s < 4; ++s) EXPECT_GT(late[s], none[s]) << "step " << s;
  // A start past the last step: no distillation at all.
  EXPECT_EQ(run(1, 10).first, 0u);
}

// The replay memory keeps the most recent items and draws only those, each of them.
TEST(ReplayMemory, KeepsTheMostRecentAndDrawsUniformlyFromThem) {
  aida::replay_memory<int> memory(3);
  for (int i = 1; i <= 5; ++i) memory.add(i);
  EXPECT_EQ(memory.size(), 3u);
  aida::sampler rng(aida_test::seed());
  std::vector<int> out{42};
  memory.draw(out, 3000, rng);
  ASSERT_EQ(out.size(), 3000u);  // replaced, not appended to
  int seen[6] = {};
  for (int x : out) {
    ASSERT_GE(x, 3);
    ASSERT_LE(x, 5);
    ++seen[x];
  }
  for (int x = 3; x <= 5; ++x) EXPECT_NEAR(seen[x], 1000, 150) << x;  // about 6 sd of Binomial(3000, 1/3)
  // Nothing to draw from: no items, and a memory of capacity 0 holds nothing.
  aida::replay_memory<int> none(0);
  none.add(7);
  EXPECT_TRUE(none.empty());
  none.draw(out, 5, rng);
  EXPECT_TRUE(out.empty());
}

// ---- a step is all or nothing -------------------------------------------------------

// How a learner's `train_step` goes wrong on its `fail_at`-th call (counting from 1).
enum class failure {
  throws,       // throws non_finite_error before changing anything, as the concepts ask
  returns_nan,  // updates, then returns NaN: a user step that met NaN and carried on
};

// growing_model with a snapshot (aida::Restorable) and a failing call.
struct restorable_model : growing_model {
  std::size_t calls = 0, fail_at = 0;
  failure how = failure::throws;
  struct state {
    std::size_t known, batches, targets;
    std::vector<std::size_t> batch_sizes;
  };
  [[nodiscard]] state snapshot() const { return {known, batches, targets, batch_sizes}; }
  void restore(state&& s) noexcept {
    known = s.known, batches = s.batches, targets = s.targets, batch_sizes = std::move(s.batch_sizes);
  }
  double train_step(std::span<const aida::model_target<S, S>> b) {
    if (++calls == fail_at && how == failure::throws) throw aida::non_finite_error("ML: the loss is nan");
    const double loss = growing_model::train_step(b);
    return calls == fail_at ? std::numeric_limits<double>::quiet_NaN() : loss;
  }
};

// constant_adversary that counts its updates as its state, with an optional snapshot.
template <bool with_snapshot>
struct failing_adversary : constant_adversary {
  std::size_t calls = 0, fail_at = 0;
  failure how = failure::throws;
  [[nodiscard]] std::size_t snapshot() const
    requires with_snapshot
  {
    return batches;
  }
  void restore(std::size_t b) noexcept
    requires with_snapshot
  {
    batches = b;
  }
  double train_step(std::span<const aida::adversary_target<S, std::size_t>> b) {
    if (++calls == fail_at && how == failure::throws) throw aida::non_finite_error("Adv: the loss is nan");
    const double loss = constant_adversary::train_step(b);
    return calls == fail_at ? std::numeric_limits<double>::quiet_NaN() : loss;
  }
};

static_assert(aida::Restorable<restorable_model>);
static_assert(!aida::SnapshotInto<restorable_model>);  // a new snapshot each step
static_assert(aida::Restorable<failing_adversary<true>>);
static_assert(!aida::Restorable<failing_adversary<false>>);
static_assert(!aida::Restorable<growing_model>);

// What the learners and the sampler were after each completed step.
template <class M, class V>
struct after_each_step {
  const M* ml;
  const V* adv;
  const aida::sampler* rng;
  std::vector<std::size_t>* known;
  std::vector<std::size_t>* adv_batches;
  std::vector<aida::sampler>* rngs;
  void on_step(aida::train_state&) {
    known->push_back(ml->known), adv_batches->push_back(adv->batches), rngs->push_back(*rng);
  }
};

// Runs `train` until it throws, with a callback recording the state after each step; returns
// the message of the aida::non_finite_error it threw ("" if it threw none).
struct failing_run {
  std::vector<std::size_t> known, adv_batches;
  std::vector<aida::sampler> rngs;
  std::string message;

  template <class M, class V>
  failing_run(M& ml, V& adv, aida::sampler& rng, aida::train_options opt) {
    length_overseer h;
    fixed_length_source src;
    length_evaluator ev;
    opt.iterate = false;
    opt.episodes_per_step = 1;
    try {
      aida::train(src, h, ml, adv, aida::string_codec{}, aida::uniform_one{}, ev, rng, opt,
                  after_each_step<M, V>{&ml, &adv, &rng, &known, &adv_batches, &rngs});
    } catch (const aida::non_finite_error& e) {
      message = e.what();
    }
  }
};

// The adversary's update of step 3 fails after ML's has been made: ML, the adversary and the
// sampler are as they were after step 2, as if step 3 had not begun.
TEST(TrainAllOrNothing, AnAdversaryThatFailsLeavesMlAsBeforeTheStep) {
  for (const failure how : {failure::throws, failure::returns_nan}) {
    restorable_model ml;
    failing_adversary<true> adv;
    adv.fail_at = 3, adv.how = how;
    aida::sampler rng(aida_test::seed());
    aida::train_options opt;
    opt.steps = 10;
    const failing_run run(ml, adv, rng, opt);
    ASSERT_FALSE(run.message.empty()) << "train did not throw non_finite_error";
    ASSERT_EQ(run.known.size(), 2u);
    EXPECT_EQ(ml.known, run.known[1]);
    EXPECT_EQ(ml.batches, 2u);
    EXPECT_EQ(adv.batches, run.adv_batches[1]);
    EXPECT_EQ(rng, run.rngs[1]);
    if (how == failure::returns_nan) {
      EXPECT_NE(run.message.find("the adversary's train_step returned a loss of nan in step 3"), std::string::npos)
          << run.message;
      EXPECT_NE(run.message.find("put back"), std::string::npos) << run.message;
    }
  }
}

// With a replay memory ML makes 3 updates a step; its 5th (step 2, update 2) fails: the 4th,
// made in the same step, is undone too, and the adversary never trained in step 2.
TEST(TrainAllOrNothing, AFailingReplayUpdateUndoesTheEarlierUpdatesOfItsStep) {
  for (const failure how : {failure::throws, failure::returns_nan}) {
    restorable_model ml;
    ml.fail_at = 5, ml.how = how;
    failing_adversary<true> adv;
    aida::sampler rng(aida_test::seed());
    aida::train_options opt;
    opt.steps = 10;
    opt.replay_capacity = 100;
    opt.updates_per_step = 3;
    opt.replay_batch = 4;
    const failing_run run(ml, adv, rng, opt);
    ASSERT_FALSE(run.message.empty()) << "train did not throw non_finite_error";
    ASSERT_EQ(run.known.size(), 1u);
    EXPECT_EQ(ml.known, run.known[0]);
    EXPECT_EQ(ml.batches, 3u);
    EXPECT_EQ(ml.batch_sizes, std::vector<std::size_t>(3, 4));
    EXPECT_EQ(adv.batches, 1u);
    EXPECT_EQ(rng, run.rngs[0]);
    if (how == failure::returns_nan) {
      EXPECT_NE(run.message.find("ML's train_step returned a loss of nan in step 2 of 10"), std::string::npos)
          << run.message;
    }
  }
}

// A learner without snapshot()/restore() cannot be put back, but a NaN it returns still stops
// the run (it used to be averaged into model_loss and carried on), and the message says what
// was not undone. An adversary without them that fails as the concept asks (throwing before it
// changes anything) still gives an all-or-nothing step, since it trains last.
TEST(TrainAllOrNothing, ANonFiniteLossStopsTheRunAndSaysWhatWasNotUndone) {
  {
    growing_model ml;
    failing_adversary<false> adv;
    adv.fail_at = 2, adv.how = failure::returns_nan;
    aida::sampler rng(aida_test::seed());
    aida::train_options opt;
    opt.steps = 10;
    const failing_run run(ml, adv, rng, opt);
    ASSERT_FALSE(run.message.empty()) << "train carried on after a NaN loss";
    EXPECT_EQ(run.known.size(), 1u);
    EXPECT_NE(run.message.find("ML and the adversary have no snapshot()/restore()"), std::string::npos)
        << run.message;
    EXPECT_EQ(rng, run.rngs[0]);
  }
  {
    restorable_model ml;
    failing_adversary<false> adv;
    adv.fail_at = 2, adv.how = failure::throws;
    aida::sampler rng(aida_test::seed());
    aida::train_options opt;
    opt.steps = 10;
    const failing_run run(ml, adv, rng, opt);
    ASSERT_EQ(run.known.size(), 1u);
    EXPECT_EQ(ml.known, run.known[0]);
    EXPECT_EQ(adv.batches, 1u);
  }
}

// An overseer that throws in the middle of a step: the learners have not trained in it and the
// sampler is as it was after the previous step.
TEST(TrainAllOrNothing, AnOverseerThatThrowsLeavesTheSamplerAsBeforeTheStep) {
  // Fails when asked to split a root question (8 a's) for the 4th time: in step 2's second
  // episode, after the first has drawn from the sampler.
  struct flaky_overseer : length_overseer {
    int roots = 0;
    Move<S, S> fan_out(const S& q) {
      if (q.size() == 8 && ++roots == 4) throw std::runtime_error("H is tired");
      return length_overseer::fan_out(q);
    }
  };
  flaky_overseer h;
  restorable_model ml;
  failing_adversary<true> adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng(aida_test::seed());
  aida::train_options opt;
  opt.steps = 10;
  opt.episodes_per_step = 2;
  opt.iterate = false;
  std::vector<std::size_t> known, adv_batches;
  std::vector<aida::sampler> rngs;
  EXPECT_THROW(aida::train(src, h, ml, adv, aida::string_codec{}, aida::uniform_one{}, ev, rng, opt,
                           after_each_step<restorable_model, failing_adversary<true>>{&ml, &adv, &rng, &known,
                                                                                     &adv_batches, &rngs}),
               std::runtime_error);
  ASSERT_EQ(rngs.size(), 1u);
  EXPECT_EQ(rng, rngs[0]);
  EXPECT_EQ(ml.batches, 1u);
  EXPECT_EQ(adv.batches, 1u);
}

// The defaults are the settings the experiment found to work (examples/experiment.cpp,
// docs/results/): H′ consults H everywhere for 100 warm-up steps, then defers where Adv
// predicts a log-likelihood above c = −0.03, with noise 0.1.
TEST(Train, DefaultsAreTheExperimentsSettings) {
  const aida::train_options opt;
  EXPECT_TRUE(opt.iterate);
  EXPECT_EQ(opt.threshold(0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(opt.threshold(99), std::numeric_limits<double>::infinity());
  EXPECT_EQ(opt.threshold(100), -0.03);
  EXPECT_EQ(opt.threshold(100000), -0.03);
  EXPECT_EQ(opt.prime_noise, 0.1);
}

TEST(Train, BadOptionsAreNamed) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng(aida_test::seed());
  aida::train_options opt;
  opt.updates_per_step = 0;
  EXPECT_THROW(aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt),
               aida::invalid_options);
  opt.updates_per_step = 1;
  opt.episodes_per_step = 0;
  EXPECT_THROW(
      {
        try {
          aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt);
        } catch (const aida::invalid_options& e) {
          EXPECT_NE(std::string(e.what()).find("episodes_per_step"), std::string::npos);
          throw;
        }
      },
      aida::invalid_options);
  EXPECT_EQ(ml.batches, 0u);
}

// Values that used to act silently as something else: a NaN or negative noise scale as 0, a
// NaN threshold as "defer every decision to ML".
TEST(Train, NanAndNegativeScalesAndANanThresholdAreNamed) {
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng(aida_test::seed());
  const auto message = [&](const aida::train_options& opt) -> std::string {
    try {
      aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt);
    } catch (const aida::invalid_options& e) {
      return e.what();
    }
    return "";
  };
  aida::train_options opt;
  opt.steps = 5;
  opt.prime_noise = -0.1;
  EXPECT_NE(message(opt).find("prime_noise = -0.1"), std::string::npos);
  opt.prime_noise = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(opt).find("prime_noise = nan"), std::string::npos);
  opt.prime_noise = 0.1;
  opt.adversarial_temperature = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(opt).find("adversarial_temperature"), std::string::npos);
  opt.adversarial_temperature = 1;
  EXPECT_EQ(ml.batches, 0u);
  opt.threshold = [](std::size_t step) { return step < 2 ? 0.0 : std::numeric_limits<double>::quiet_NaN(); };
  EXPECT_NE(message(opt).find("threshold(2) returned NaN"), std::string::npos);
  EXPECT_EQ(ml.batches, 2u);  // steps 0 and 1 ran
}

// A callback's exception comes out of train unchanged; the step it follows is complete, and
// on_end is not called.
TEST(Train, ACallbacksExceptionPropagatesAfterACompleteStep) {
  struct throws_at {
    std::size_t step;
    bool* ended;
    void on_step(aida::train_state& s) {
      if (s.step == step) throw std::runtime_error("callback failed");
    }
    void on_end(aida::train_state&) { *ended = true; }
  };
  length_overseer h;
  growing_model ml;
  constant_adversary adv;
  fixed_length_source src;
  length_evaluator ev;
  aida::sampler rng(aida_test::seed());
  aida::train_options opt;
  opt.steps = 5;
  opt.iterate = false;
  bool ended = false;
  EXPECT_THROW(aida::train(src, h, ml, adv, aida::string_codec{}, aida::recurse_all{}, ev, rng, opt,
                           throws_at{2, &ended}),
               std::runtime_error);
  EXPECT_EQ(ml.batches, 2u);
  EXPECT_EQ(adv.batches, 2u);
  EXPECT_FALSE(ended);
}

}  // namespace
