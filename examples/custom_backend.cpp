// Plugging a backend of one's own into aida.
//
// Everything in this file is user code: a model, an adversary and an overseer written
// outside include/aida, which aida's procedures accept because they satisfy its concepts
// (docs/concepts.md). The task: the sum of a string of digits. The overseer splits a
// question into its two halves and adds the two subanswers. The model and the adversary are
// lookup tables with learning rules of their own. A short training loop runs amplification
// with the primed overseer H′ (spec §2, §4) and distillation (spec §3), and trains both on the
// episodes' targets.
//
// It checks its result and exits non-zero unless, after training, the model's greedy answer
// is right for every question of the distribution, and H′ needed at most half the overseer
// calls per episode at the end that it needed at the start. (A lookup table cannot
// generalise to questions it never met, so the evaluation is on the whole, small,
// distribution; the point is that the answers were learned from the overseer's
// decompositions, never from labels.) Usage: custom_backend [--seed N]

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "aida/aida.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// The model: a table of counts per question (satisfies aida::TrainableModel).

/// What the model outputs for a question (its "embedding"): the question's row of counts.
struct table_row {
  std::map<std::string, int> counts;  // how often each answer was a training target
  int total = 0;
};

/// ML as a lookup table. Each question is assumed to have at most `answer_slots` distinct
/// answers; with add-one smoothing over them, an answer seen c times out of n has probability
/// (c + 1) / (n + slots). The probability of the answers not seen yet is drawn as "?", the
/// model's "don't know", which the overseer treats as no answer.
class table_model {
 public:
  static constexpr int answer_slots = 8;
  static constexpr const char* unknown = "?";

  table_row predict(const std::string& q) const {
    const auto it = rows_.find(q);
    return it == rows_.end() ? table_row{} : it->second;
  }

  double log_prob(const table_row& row, const std::string& a) const {
    const auto it = row.counts.find(a);
    const int c = it == row.counts.end() ? 0 : it->second;
    return std::log((c + 1.0) / (row.total + answer_slots));
  }

  std::string sample(const table_row& row, aida::sampler& rng) const {
    double u = rng.uniform() * (row.total + answer_slots);
    for (const auto& [a, c] : row.counts) {
      u -= c + 1.0;
      if (u < 0) return a;
    }
    return unknown;  // the mass of the answers never seen
  }

  std::string greedy(const table_row& row) const {
    std::string best = unknown;
    int best_count = 0;
    for (const auto& [a, c] : row.counts)
      if (c > best_count) best = a, best_count = c;
    return best;
  }

  /// The learning rule: count each target. Returns the mean −log-likelihood before the step.
  /// A "?" target is the model's own "don't know" and teaches nothing: it is skipped.
  double train_step(std::span<const aida::model_target<std::string, std::string>> batch) {
    if (batch.empty()) return 0;
    double loss = 0;
    for (const auto& t : batch) loss -= log_prob(predict(t.query), t.target);
    for (const auto& t : batch) {
      if (t.target == unknown) continue;
      table_row& row = rows_[t.query];
      ++row.counts[t.target];
      ++row.total;
    }
    return loss / static_cast<double>(batch.size());
  }

 private:
  std::map<std::string, table_row> rows_;
};

// ---------------------------------------------------------------------------------------
// The adversary: a running mean of −L per question (satisfies aida::TrainableAdversary).

/// Adv predicts −L, the negated loss of ML on a question (spec §2): higher is better. It
/// starts pessimistic (a loss of 3 nats, worse than an untrained table's log 8 ≈ 2.1) and
/// moves halfway towards each observed −L.
class running_mean_adversary {
 public:
  static constexpr double prior = -3.0;
  static constexpr double rate = 0.5;

  double score(const std::string& q, const table_row&) const {
    const auto it = mean_.find(q);
    return it == mean_.end() ? prior : it->second;
  }

  /// Returns the mean squared error before the step.
  double train_step(std::span<const aida::adversary_target<std::string, table_row>> batch) {
    if (batch.empty()) return 0;
    double error = 0;
    for (const auto& t : batch) {
      const double e = score(t.query, t.output) - t.target;
      error += e * e;
    }
    for (const auto& t : batch) {
      const auto [it, fresh] = mean_.try_emplace(t.query, prior);
      it->second += rate * (t.target - it->second);
    }
    return error / static_cast<double>(batch.size());
  }

 private:
  std::map<std::string, double> mean_;
};

// ---------------------------------------------------------------------------------------
// The overseer (satisfies aida::Overseer): it can add two numbers, and split a question.

using move = aida::Move<std::string, std::string>;
using subanswer = aida::Subanswer<std::string, std::string>;

struct digit_sum_overseer {
  static bool is_number(const std::string& a) {
    return !a.empty() && a.size() < 6 && std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  /// H: answers a question outright (used only at the depth and round limits, spec §8).
  std::string answer(const std::string& q) const {
    int sum = 0;
    for (char c : q) sum += c - '0';
    return std::to_string(sum);
  }
  /// H_fan_out: one digit is its own sum; longer strings are split in halves.
  move fan_out(const std::string& q) const {
    if (q.size() == 1) return move::answer(q);
    return move::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  /// H_fan_in: adds the two subanswers. A subanswer that is not a number ("?") is no answer:
  /// the overseer asks the same two subquestions again, a new round (spec §2 step 5).
  move fan_in(const std::string&, const subanswer& a, const subanswer& b) const {
    if (!is_number(a.answer) || !is_number(b.answer)) return move::split(a.question, b.question);
    return move::answer(std::to_string(std::stoi(a.answer) + std::stoi(b.answer)));
  }
};

/// Counts the calls that reach the overseer, to show what H′ saves.
struct counting_overseer : digit_sum_overseer {
  std::size_t calls = 0;
  std::string answer(const std::string& q) { return ++calls, digit_sum_overseer::answer(q); }
  move fan_out(const std::string& q) { return ++calls, digit_sum_overseer::fan_out(q); }
  move fan_in(const std::string& q, const subanswer& a, const subanswer& b) {
    return ++calls, digit_sum_overseer::fan_in(q, a, b);
  }
};

static_assert(aida::TrainableModel<table_model, std::string, std::string>);
static_assert(aida::TrainableAdversary<running_mean_adversary, std::string, table_row>);
static_assert(aida::Overseer<counting_overseer, std::string, std::string>);

// ---------------------------------------------------------------------------------------
// Questions and evaluation.

/// The training distribution: strings of four digits from 1 to 3 (81 questions).
struct four_digits {
  std::string next(aida::sampler& rng) const {
    std::string q(4, '1');
    for (char& c : q) c = static_cast<char>('1' + rng.below(3));
    return q;
  }
};

/// Every question of the distribution, for the evaluation.
std::vector<std::string> all_questions() {
  std::vector<std::string> qs;
  for (int i = 0; i < 81; ++i) {
    std::string q;
    for (int k = 0, v = i; k < 4; ++k, v /= 3) q += static_cast<char>('1' + v % 3);
    qs.push_back(q);
  }
  return qs;
}

/// Fraction of `questions` whose greedy answer matches the ground truth. The ground truth is
/// an aida::label: it is compared with, never trained on (spec §9).
double accuracy(const table_model& ml, const std::vector<std::string>& questions) {
  const digit_sum_overseer truth;
  int right = 0;
  for (const auto& q : questions) {
    const aida::label<std::string> expected(truth.answer(q));
    right += expected.matches(ml.greedy(ml.predict(q)));
  }
  return static_cast<double>(right) / static_cast<double>(questions.size());
}

std::uint64_t parse_seed(int argc, char** argv) {
  std::uint64_t seed = 2026;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::cerr << "usage: custom_backend [--seed N]\n";
      std::exit(2);
    }
  }
  return seed;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t seed = parse_seed(argc, argv);
  std::cout << "custom_backend: seed " << seed << "\n";

  counting_overseer h;
  table_model ml;
  running_mean_adversary adv;
  const aida::string_codec codec;
  aida::sampler rng(seed);

  // H′ (spec §4): consults H where Adv + ε < c, i.e. where the adversary predicts a loss
  // above 0.4 nats (ML's probability of the target below about 2/3); ε has scale 0.1.
  auto primed = aida::prime(h, ml, adv, codec, /*c=*/-0.4, /*noise=*/0.1);
  const aida::gumbel_argmin policy{.temperature = 0.5};  // the post's policy (spec §2 step 4)
  const four_digits source;
  const std::vector<std::string> questions = all_questions();

  std::cout << "before training: accuracy " << accuracy(ml, questions) << "\n";

  constexpr int epochs = 8, episodes_per_epoch = 150;
  std::vector<double> calls_per_episode;
  aida::episode_for<aida::string_codec, table_model> ep;  // reused: no allocation per episode
  for (int epoch = 0; epoch < epochs; ++epoch) {
    const std::size_t calls_before = h.calls;
    double ml_loss = 0;
    for (int i = 0; i < episodes_per_epoch; ++i) {
      // Amplification with H′, then training on the episode's targets.
      aida::amplify_into(ep, source.next(rng), primed, ml, adv, codec, policy, rng);
      ml_loss += ml.train_step(ep.model_targets);
      adv.train_step(ep.adversary_targets);
      // Distillation: more training without calls to H (spec §3).
      aida::distill_into(ep, source.next(rng), ml, adv, codec, rng, {.greedy = true});
      ml.train_step(ep.model_targets);
      adv.train_step(ep.adversary_targets);
    }
    calls_per_episode.push_back(static_cast<double>(h.calls - calls_before) / episodes_per_epoch);
    std::cout << "epoch " << epoch << ": overseer calls per episode " << calls_per_episode.back()
              << ", mean ML loss " << ml_loss / episodes_per_epoch << ", accuracy "
              << accuracy(ml, questions) << "\n";
  }

  const double final_accuracy = accuracy(ml, questions);
  const bool fewer_calls = calls_per_episode.back() < calls_per_episode.front() / 2;
  std::cout << "result: accuracy " << final_accuracy << " on all " << questions.size()
            << " questions; overseer calls per episode " << calls_per_episode.front() << " -> "
            << calls_per_episode.back() << "\n";
  if (final_accuracy < 1.0 || !fewer_calls) {
    std::cout << "FAILED: expected accuracy 1 and at most half the overseer calls at the end\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
