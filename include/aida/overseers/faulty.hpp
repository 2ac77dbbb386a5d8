#pragma once
/// \file
/// Fault injection: `aida::faulty_overseer` wraps an overseer H and, at seeded rates, makes
/// its answers wrong, its splits wrong or unreadable, or its calls throw, so that one can
/// measure how a procedure copes with an overseer that errs (a person does).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "aida/algorithm/detail/record.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/move.hpp"
#include "aida/core/sampler.hpp"

namespace aida {

/// The rates and the seed of `aida::faulty_overseer`. Each rate is in [0, 1] and their sum is
/// at most 1 (up to 1e-9 for rounding): one uniform draw per call picks at most one fault.
struct faulty_options {
  double p_wrong_answer = 0;      ///< an answer H gives is replaced by a wrong one
  double p_wrong_split = 0;       ///< a split H makes asks a wrong (readable) subquestion
  double p_unreadable_split = 0;  ///< a split H makes asks a subquestion H cannot read
  double p_throw = 0;             ///< the call throws `aida::overseer_error` instead of asking H
  std::uint64_t seed = 0;         ///< seed of the wrapper's own random streams

  /// Throws `invalid_options` naming the option for a rate that is not a number in [0, 1],
  /// and naming all four for a sum above 1.
  void validate() const {
    const std::pair<const char*, double> rates[] = {{"p_wrong_answer", p_wrong_answer},
                                                    {"p_wrong_split", p_wrong_split},
                                                    {"p_unreadable_split", p_unreadable_split},
                                                    {"p_throw", p_throw}};
    double sum = 0;
    for (const auto& [name, p] : rates) {
      if (!(p >= 0 && p <= 1))  // NaN fails both
        throw invalid_options(std::string("aida::faulty_options::") + name + " = " + std::to_string(p) +
                              " is not a probability in [0, 1]");
      sum += p;
    }
    if (sum > 1 + 1e-9)
      throw invalid_options("aida::faulty_options: p_wrong_answer + p_wrong_split + p_unreadable_split + p_throw = " +
                            std::to_string(sum) + " is above 1 (one draw per call picks at most one fault)");
  }
};

/// How many faults a `faulty_overseer` injected, by kind.
struct fault_counts {
  std::size_t wrong_answers = 0;      ///< answers replaced by wrong ones
  std::size_t wrong_splits = 0;       ///< splits with a wrong, readable subquestion
  std::size_t unreadable_splits = 0;  ///< splits with a subquestion H cannot read
  std::size_t throws = 0;             ///< calls that threw `overseer_error`

  /// All faults.
  [[nodiscard]] std::size_t total() const noexcept { return wrong_answers + wrong_splits + unreadable_splits + throws; }
  /// Member-wise equality.
  friend bool operator==(const fault_counts&, const fault_counts&) = default;
};

/// The default corruption of `faulty_overseer`, for `std::string` questions and answers.
/// Each member returns the corrupted value, or `std::nullopt` when the value has no corrupted
/// form of that kind (then no fault is injected, and none counted).
///
/// - `wrong_answer`: one character changed to another of its class: a digit to another digit,
///   never making a leading zero of a number of two or more digits (so a sum stays a plausible
///   number: `"31"` may become `"37"` or `"81"`, never `"01"`), else a letter to another letter
///   of the same case. An answer with neither (`"?"`, `""`) has no wrong form.
/// - `wrong_question`: one digit (else one letter) of the subquestion changed likewise,
///   leading zeros allowed (`"3141"` may become `"3041"`): for `sum`, a question H reads.
/// - `unreadable_question`: a `'#'` inserted at a random place: for the tasks of aida, which
///   never use `#`, a question H's `well_formed` rejects.
struct string_corruption {
  /// A wrong answer to `q` in place of `a`.
  template <Sampler S>
  [[nodiscard]] std::optional<std::string> wrong_answer(const std::string& /*q*/, const std::string& a, S& rng) const {
    return change_one(a, rng, true);
  }
  /// A question other than `sq` (a subquestion of a split of `q`) that H can read.
  template <Sampler S>
  [[nodiscard]] std::optional<std::string> wrong_question(const std::string& /*q*/, const std::string& sq, S& rng) const {
    return change_one(sq, rng, false);
  }
  /// A question made from `sq` that H cannot read.
  template <Sampler S>
  [[nodiscard]] std::optional<std::string> unreadable_question(const std::string& /*q*/, const std::string& sq,
                                                               S& rng) const {
    std::string out = sq;
    out.insert(static_cast<std::size_t>(draw_below(rng, sq.size() + 1)), 1, '#');
    return out;
  }

 private:
  static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
  static bool upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }

  /// One digit (or, without digits, one letter) of `s` changed to another of its class.
  template <Sampler S>
  static std::optional<std::string> change_one(const std::string& s, S& rng, bool no_leading_zero) {
    std::size_t digits = 0, letters = 0;
    for (char c : s) digits += digit(c), letters += lower(c) || upper(c);
    const bool by_digit = digits > 0;
    const std::size_t n = by_digit ? digits : letters;
    if (n == 0) return std::nullopt;
    std::size_t pick = static_cast<std::size_t>(draw_below(rng, n)), i = 0;
    for (;; ++i) {
      const bool eligible = by_digit ? digit(s[i]) : lower(s[i]) || upper(s[i]);
      if (eligible && pick-- == 0) break;
    }
    std::string out = s;
    const char c = s[i];
    if (by_digit) {
      // The first digit of a number of two or more digits is not made 0.
      const bool leads = no_leading_zero && (i == 0 || !digit(s[i - 1])) && i + 1 < s.size() && digit(s[i + 1]);
      const char lo = leads ? '1' : '0';
      const auto choices = static_cast<std::uint64_t>('9' - lo);  // every digit from lo but c
      char d = static_cast<char>(lo + static_cast<char>(draw_below(rng, choices)));
      if (d >= c) ++d;
      out[i] = d;
    } else {
      const char base = lower(c) ? 'a' : 'A';
      char d = static_cast<char>(base + static_cast<char>(draw_below(rng, 25)));
      if (d >= c) ++d;
      out[i] = d;
    }
    return out;
  }
};

/// An overseer that errs: wraps an overseer H (held by value; `H` may be a reference type,
/// `faulty_overseer<my_overseer&>`, to hold it by reference) and injects faults at the rates
/// of its `faulty_options`:
/// - **wrong answer** (`p_wrong_answer`): an answer H gives (to an `answer` call, or as the
///   move of a fan-out or fan-in) is replaced by `corrupt.wrong_answer(q, a, rng)`;
/// - **wrong split** (`p_wrong_split`): one of the two subquestions of a split H makes (chosen
///   at random) is replaced by `corrupt.wrong_question(q, sq, rng)`, a question H can read;
/// - **unreadable split** (`p_unreadable_split`): likewise with
///   `corrupt.unreadable_question(q, sq, rng)`, a question H cannot read;
/// - **throw** (`p_throw`): the call throws `aida::overseer_error` naming the question, without
///   asking H.
///
/// **The rates, precisely.** Every call draws one number u, uniform on [0, 1), from the
/// wrapper's own stream; consecutive intervals of lengths `p_wrong_answer`, `p_wrong_split`,
/// `p_unreadable_split`, `p_throw` pick the fault, and u beyond them picks none. A thrown call
/// does not ask H; every other call asks H, and its fault applies only to a result of its kind:
/// a wrong answer to an answer, a wrong or unreadable split to a split; otherwise the result
/// is H's, unchanged. So a fraction `p_throw` of all calls throw; of the answers H gives, a
/// fraction `p_wrong_answer / (1 − p_throw)` is made wrong; of the splits H makes, fractions
/// `p_wrong_split / (1 − p_throw)` and `p_unreadable_split / (1 − p_throw)` are made wrong and
/// unreadable (with `p_throw = 0`: exactly the rates). A corruption that declines
/// (`std::nullopt`; the default one for an answer with no digit or letter, such as `"?"`)
/// injects nothing.
///
/// **Checks.** When H has `well_formed(q)`, a wrong question must be one H reads and an
/// unreadable one must be one it rejects; a corrupted subquestion must also differ from the
/// question split and from the one it replaces. The corruption is asked up to 16 times for
/// such a question, and the fault declines when none comes (not counted). Without
/// `well_formed` the corruption's word is taken. A wrong split can still repeat an ancestor
/// of the question, which the procedures report as H's `overseer_error`; the default
/// corruption cannot for `sum`, whose subquestions are shorter than their question.
///
/// **Context.** Called by a procedure (the context-taking members), the wrapper passes the
/// context on to H (`aida::detail::call_answer` and the like) and leaves `ctx.by` and
/// `ctx.from_cache` as H set them; a decision that is not H's own (`ctx.by` not
/// `producer::overseer`, or `ctx.from_cache`: a deferral or a cache hit) is not corrupted,
/// though it drew its u. The wrapper never draws from `ctx.rng`: its two streams (which calls
/// err; how they err) are seeded from `faulty_options::seed`, so that with every rate 0 an
/// episode is bit for bit the one of H alone, and which calls err depends only on the seed
/// and the order of the calls.
///
/// **What a procedure does with the faults** (for `aida::tasks::sum_overseer`): a wrong answer
/// is used as the answer (and is wrong training signal); a wrong split's subquestions are
/// answered, and H at fan-in, seeing subquestions other than the halves, asks the halves in a
/// new round (a round limit answers with `H(Q)`); an unreadable subquestion that the policy
/// recurses on reaches H's `fan_out`, which throws `tasks::malformed_question`, out of
/// `amplify` and `train` (H′ may defer it to ML instead; one not recursed on is answered by ML
/// and dropped at fan-in). A thrown `overseer_error` likewise ends `amplify` and `train`.
///
/// `Corrupt` is a functor with `wrong_answer(q, a, rng) -> std::optional<A>`,
/// `wrong_question(q, sq, rng) -> std::optional<Q>` and
/// `unreadable_question(q, sq, rng) -> std::optional<Q>`, `rng` an `aida::sampler&`; the
/// default, `string_corruption`, is for `std::string` questions and answers. State: the two
/// streams and the counts (`faults()`); a fault is counted when injected, and a thrown call's
/// fault stays counted.
template <class H, class Corrupt = string_corruption>
class faulty_overseer {
 public:
  /// Wraps `h` with the rates and seed of `options` (validated first: `invalid_options`
  /// naming the option) and the corruption `corrupt`.
  explicit faulty_overseer(H h, faulty_options options = {}, Corrupt corrupt = {})
      : opt_(checked(options)), h_(std::forward<H>(h)), corrupt_(std::move(corrupt)),
        decide_(options.seed), how_(decide_.split()) {}

  /// `H(q)`, perhaps wrong.
  template <class Q>
  auto answer(const Q& q) {
    const fault f = draw(q, "answer");
    auto a = h_.answer(q);
    return corrupt_answer(f, q, std::move(a));
  }
  /// `H_fan_out(q)`, perhaps wrong.
  template <class Q>
  auto fan_out(const Q& q) {
    const fault f = draw(q, "fan-out");
    auto m = h_.fan_out(q);
    return corrupt_move(f, q, std::move(m));
  }
  /// `H_fan_in(q, subs)`, perhaps wrong.
  template <class Q, class A>
  auto fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs) {
    const fault f = draw(q, "fan-in");
    auto m = detail::plain_fan_in(h_, q, subs);
    return corrupt_move(f, q, std::move(m));
  }
  /// `H_fan_in(q, s1, s2)` of a split of two, perhaps wrong.
  template <class Q, class A>
  auto fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2) {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return fan_in(q, std::span<const Subanswer<Q, A>>(both, 2));
  }

  /// `H(q)` within a procedure's episode: the context goes on to H.
  template <class Q, Sampler R>
  auto answer(const Q& q, overseer_context<R>& ctx) {
    const fault f = draw(q, "answer");
    auto a = detail::call_answer(h_, q, ctx);
    return own(ctx) ? corrupt_answer(f, q, std::move(a)) : a;
  }
  /// `H_fan_out(q)` within a procedure's episode.
  template <class Q, Sampler R>
  auto fan_out(const Q& q, overseer_context<R>& ctx) {
    const fault f = draw(q, "fan-out");
    auto m = detail::call_fan_out(h_, q, ctx);
    return own(ctx) ? corrupt_move(f, q, std::move(m)) : m;
  }
  /// `H_fan_in(q, subs)` within a procedure's episode.
  template <class Q, class A, Sampler R>
  auto fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs, overseer_context<R>& ctx) {
    const fault f = draw(q, "fan-in");
    auto m = detail::call_fan_in(h_, q, subs, ctx);
    return own(ctx) ? corrupt_move(f, q, std::move(m)) : m;
  }

  /// H's `well_formed(q)`, for overseers that have it (the primed overseer asks it of ML's
  /// splits): the wrapper reads what H reads.
  template <class T>
    requires requires(const std::remove_reference_t<H>& h, const T& t) { h.well_formed(t); }
  [[nodiscard]] bool well_formed(const T& q) const {
    return static_cast<bool>(h_.well_formed(q));
  }

  /// The faults injected so far, by kind.
  [[nodiscard]] const fault_counts& faults() const noexcept { return counts_; }
  /// The options it was made with.
  [[nodiscard]] const faulty_options& options() const noexcept { return opt_; }
  /// The wrapped overseer.
  [[nodiscard]] std::remove_reference_t<H>& inner() noexcept { return h_; }
  /// The wrapped overseer.
  [[nodiscard]] const std::remove_reference_t<H>& inner() const noexcept { return h_; }

 private:
  enum class fault : std::uint8_t { none, wrong_answer, wrong_split, unreadable_split };
  static constexpr int attempts = 16;

  static const faulty_options& checked(const faulty_options& o) {
    o.validate();
    return o;
  }

  /// The call's fault: one draw; a throw is injected here, before H is asked.
  template <class Q>
  fault draw(const Q& q, const char* call) {
    const double u = decide_.uniform();
    double edge = opt_.p_wrong_answer;
    if (u < edge) return fault::wrong_answer;
    if (u < (edge += opt_.p_wrong_split)) return fault::wrong_split;
    if (u < (edge += opt_.p_unreadable_split)) return fault::unreadable_split;
    if (u < edge + opt_.p_throw) {
      ++counts_.throws;
      throw overseer_error("aida::faulty_overseer: injected failure of the " + std::string(call) + " call on " +
                           detail::describe(q) + " (p_throw = " + std::to_string(opt_.p_throw) + ")");
    }
    return fault::none;
  }

  template <Sampler R>
  static bool own(const overseer_context<R>& ctx) noexcept {
    return ctx.by == producer::overseer && !ctx.from_cache;
  }

  template <class Q, class A>
  A corrupt_answer(fault f, const Q& q, A a) {
    if (f != fault::wrong_answer) return a;
    static_assert(requires { corrupt_.wrong_answer(q, a, how_); },
                  "aida::faulty_overseer: the corruption has no wrong_answer(q, a, rng) for this question and answer "
                  "type; pass a Corrupt of your own (the default is for std::string)");
    std::optional<A> wrong = corrupt_.wrong_answer(q, a, how_);
    if (!wrong) return a;
    ++counts_.wrong_answers;
    return std::move(*wrong);
  }

  template <class Q, class QM, class A>
  Move<QM, A> corrupt_move(fault f, const Q& q, Move<QM, A> m) {
    if (m.is_answer()) {
      if (f != fault::wrong_answer) return m;
      return Move<QM, A>::answer(corrupt_answer(f, q, m.get_answer()));
    }
    if (f != fault::wrong_split && f != fault::unreadable_split) return m;
    const bool readable = f == fault::wrong_split;
    Split<QM> s = m.get_split();
    QM& target = s[static_cast<std::size_t>(draw_below(how_, s.size()))];
    for (int k = 0; k < attempts; ++k) {
      std::optional<QM> sq = make_question(readable, q, target);
      if (!sq) return m;
      if (*sq == target || *sq == q || !reads_as(*sq, readable)) continue;
      target = std::move(*sq);
      ++(readable ? counts_.wrong_splits : counts_.unreadable_splits);
      return Move<QM, A>::split(std::move(s));
    }
    return m;
  }

  template <class Q, class QM>
  std::optional<QM> make_question(bool readable, const Q& q, const QM& sq) {
    static_assert(requires { corrupt_.wrong_question(q, sq, how_); corrupt_.unreadable_question(q, sq, how_); },
                  "aida::faulty_overseer: the corruption has no wrong_question(q, sq, rng) and "
                  "unreadable_question(q, sq, rng) for this question type; pass a Corrupt of your own (the default "
                  "is for std::string)");
    if (readable) return corrupt_.wrong_question(q, sq, how_);
    return corrupt_.unreadable_question(q, sq, how_);
  }

  /// Whether H's `well_formed` agrees that `sq` is (`readable`) or is not readable; true when
  /// H has no `well_formed`.
  template <class QM>
  bool reads_as(const QM& sq, bool readable) const {
    if constexpr (requires { { h_.well_formed(sq) } -> std::convertible_to<bool>; })
      return static_cast<bool>(h_.well_formed(sq)) == readable;
    else
      return true;
  }

  faulty_options opt_;
  H h_;
  Corrupt corrupt_;
  sampler decide_;  ///< which calls err: one uniform draw per call
  sampler how_;     ///< how they err: the corruption's draws
  fault_counts counts_;
};

}  // namespace aida
