#pragma once
/// \file
/// `aida::cached_overseer`: an overseer H behind a cache of its earlier decisions, so that a
/// question H has answered (or split, or combined) once is not asked of H again — across
/// episodes, and across runs when the store is a file (`aida::sqlite_cache` in
/// `aida/ext/sqlite_cache.hpp`). `aida::memory_cache` is the store that lives in memory.
///
/// Cache H itself, never the primed overseer H′: H′'s deferrals are draws from ML, which
/// change as ML trains. Wrap the cache in H′ instead (`aida::prime(cached, ml, adv, ...)`).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "aida/algorithm/detail/record.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"
#include "aida/core/move.hpp"
#include "aida/overseers/text.hpp"

namespace aida {

/// A cache of overseer decisions cannot be used: a stored value that is not the text of a
/// decision, or (`aida::sqlite_cache`) a file that is not an aida cache or is of another
/// schema version. The message names the store (the file's path) and what was wrong.
struct cache_error : error {
  using error::error;
};

/// \concept CacheStore
/// Where `aida::cached_overseer` keeps decisions: a map from key text to value text.
///
/// **Minimal complete definition:** `s.find(key) -> std::optional<std::string>` (the value
/// stored under `key`, if any); `s.insert(key, value) -> std::string`, which stores `value`
/// under `key` unless a value is already there, and returns the value the store now holds
/// (the first one stored wins).
///
/// **Optional:** `s.where() -> std::string`, what error messages call the store (a file's
/// path); `s.erase(key) -> bool`, which removes the value under `key` and says whether there
/// was one (`cached_overseer`'s `forget_*` members need it).
///
/// **Models:** `aida::memory_cache`, `aida::sqlite_cache`.
template <class S>
concept CacheStore = requires(S& s, const std::string& key) {
  { s.find(key) } -> std::convertible_to<std::optional<std::string>>;
  { s.insert(key, key) } -> std::convertible_to<std::string>;
};

/// A `CacheStore` that can also remove a value: `s.erase(key) -> bool` (whether there was
/// one). `cached_overseer`'s `forget_*` members need it.
template <class S>
concept ErasableStore = CacheStore<S> && requires(S& s, const std::string& key) {
  { s.erase(key) } -> std::convertible_to<bool>;
};

/// A `CacheStore` in memory (an `std::unordered_map`): for one process, gone at its end.
class memory_cache {
 public:
  /// The value stored under `key`, if any.
  [[nodiscard]] std::optional<std::string> find(const std::string& key) const {
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  /// Stores `value` under `key` unless a value is there already; returns the value kept.
  std::string insert(const std::string& key, const std::string& value) {
    return map_.try_emplace(key, value).first->second;
  }
  /// Removes the value under `key`; whether there was one.
  bool erase(const std::string& key) { return map_.erase(key) == 1; }
  /// The number of stored entries.
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  /// What error messages call it.
  [[nodiscard]] std::string where() const { return "a memory_cache"; }

 private:
  std::unordered_map<std::string, std::string> map_;
};

/// The counts of a `cached_overseer`, over every call made through it (with or without a
/// context), by kind of decision.
struct cache_usage {
  overseer_calls hits;    ///< decisions returned from the store; H was not asked
  overseer_calls misses;  ///< decisions H made, then stored
  /// Decisions the wrapped overseer left to a model (it set `ctx.by = producer::model`, as
  /// H′ does when it defers): returned, not stored.
  overseer_calls passed;
  /// Misses whose key the store already held with another value when H's decision was
  /// stored (another process answered in between, or H is not deterministic). The first
  /// value is kept and returned, so that every user of the store sees the same decision.
  std::size_t conflicts = 0;
  /// Equal when every count is.
  friend bool operator==(const cache_usage&, const cache_usage&) = default;
};

namespace detail::cache {

/// The kind of decision a key is for; its letter starts the key.
enum class kind : char { answer = 'A', fan_out = 'O', fan_in = 'I' };

inline const char* kind_name(kind k) noexcept {
  switch (k) {
    case kind::answer: return "answer";
    case kind::fan_out: return "fan-out move";
    case kind::fan_in: return "fan-in move";
  }
  return "decision";
}

/// Appends `field` length-prefixed (`<decimal length>:<bytes>`): no text can be mistaken
/// for the end of a field or the start of the next.
inline void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

/// Reads one length-prefixed field off the front of `rest`; nullopt when there is none.
inline std::optional<std::string_view> take(std::string_view& rest) {
  std::size_t i = 0, n = 0;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i < 12) n = n * 10 + static_cast<std::size_t>(rest[i++] - '0');
  if (i == 0 || i >= rest.size() || rest[i] != ':' || (i > 1 && rest[0] == '0')) return std::nullopt;
  ++i;
  if (rest.size() - i < n) return std::nullopt;
  const std::string_view field = rest.substr(i, n);
  rest.remove_prefix(i + n);
  return field;
}

template <class T>
struct is_move : std::false_type {};
template <class Q, class A>
struct is_move<Move<Q, A>> : std::true_type {};

}  // namespace detail::cache

/// An overseer that answers from a `CacheStore` what its overseer `H` has decided before, and
/// asks `H` (then stores the decision) otherwise.
///
/// A decision is stored under a key made of its kind (answer, fan-out, fan-in), the question
/// and, for a fan-in, both subquestions and subanswers in the order given; each part written
/// by the `TextForm` `Text` and length-prefixed, so no two different calls share a key. The
/// value is the answer, or the move (an answer or a split), as text. Questions and answers
/// of types other than strings and numbers need a `Text` of the user's own.
///
/// Called by a procedure (the context-taking members), a hit sets `ctx.from_cache = true`, so
/// the procedure counts it in `episode_counts::cached`: not an overseer call, and not against
/// `max_overseer_calls`. A miss goes to H through H's own context-taking member when it has
/// one; if H leaves the decision to a model (`ctx.by = producer::model`) it is returned and not
/// stored. Every call, with or without a context, is counted in `usage()`.
///
/// Cache H, never the primed overseer H′ (its deferrals are ML's draws, which change as ML
/// trains); wrap the cache in H′ instead. H and the store are held by reference and must
/// outlive the cache. A stored value that does not read back throws `cache_error` naming the
/// store and the question. Exceptions of H and of the store propagate, and a call that throws
/// stores nothing and counts nothing. Not thread-safe (neither are the stores).
template <class H, CacheStore Store, class Text = plain_text>
class cached_overseer {
  // The types of H's decisions (declared first: the members' return types use them).
  using kind = detail::cache::kind;
  template <class Q>
  using answer_of = std::remove_cvref_t<decltype(std::declval<H&>().answer(std::declval<const Q&>()))>;
  template <class Q>
  using fan_out_of = std::remove_cvref_t<decltype(std::declval<H&>().fan_out(std::declval<const Q&>()))>;
  template <class Q, class A>
  using fan_in_of = std::remove_cvref_t<decltype(detail::plain_fan_in(
      std::declval<H&>(), std::declval<const Q&>(), std::declval<std::span<const Subanswer<Q, A>>>()))>;

 public:
  /// Caches the decisions of `h` in `store`, written as text by `text`.
  cached_overseer(H& h, Store& store, Text text = Text{}) : h_(h), store_(store), text_(std::move(text)) {}

  /// `H(q)`, from the store when it is there.
  template <class Q>
  auto answer(const Q& q) -> answer_of<Q> {
    return decide<answer_of<Q>>(key(kind::answer, q), q, &overseer_calls::answer,
                                [&] { return answer_of<Q>(h_.answer(q)); }, [] { return true; }, [] {});
  }
  /// `H_fan_out(q)`, from the store when it is there.
  template <class Q>
  auto fan_out(const Q& q) -> fan_out_of<Q> {
    return decide<fan_out_of<Q>>(key(kind::fan_out, q), q, &overseer_calls::fan_out,
                                 [&] { return fan_out_of<Q>(h_.fan_out(q)); }, [] { return true; }, [] {});
  }
  /// `H_fan_in(q, subs)`, from the store when it is there.
  template <class Q, class A>
  auto fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs) -> fan_in_of<Q, A> {
    return decide<fan_in_of<Q, A>>(key(kind::fan_in, q, subs), q, &overseer_calls::fan_in,
                                   [&] { return fan_in_of<Q, A>(detail::plain_fan_in(h_, q, subs)); },
                                   [] { return true; }, [] {});
  }
  /// `H_fan_in(q, s1, s2)` of a split of two, from the store when it is there.
  template <class Q, class A>
  auto fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2) -> fan_in_of<Q, A> {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return fan_in(q, std::span<const Subanswer<Q, A>>(both, 2));
  }

  /// `H(q)` within a procedure's episode: a hit sets `ctx.from_cache`.
  template <class Q, Sampler R>
  auto answer(const Q& q, overseer_context<R>& ctx) -> answer_of<Q> {
    return decide<answer_of<Q>>(
        key(kind::answer, q), q, &overseer_calls::answer,
        [&] { return answer_of<Q>(detail::call_answer(h_, q, ctx)); },
        [&] { return ctx.by == producer::overseer; }, [&] { ctx.from_cache = true; });
  }
  /// `H_fan_out(q)` within a procedure's episode: a hit sets `ctx.from_cache`.
  template <class Q, Sampler R>
  auto fan_out(const Q& q, overseer_context<R>& ctx) -> fan_out_of<Q> {
    return decide<fan_out_of<Q>>(
        key(kind::fan_out, q), q, &overseer_calls::fan_out,
        [&] { return fan_out_of<Q>(detail::call_fan_out(h_, q, ctx)); },
        [&] { return ctx.by == producer::overseer; }, [&] { ctx.from_cache = true; });
  }
  /// `H_fan_in(q, subs)` within a procedure's episode: a hit sets `ctx.from_cache`.
  template <class Q, class A, Sampler R>
  auto fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs, overseer_context<R>& ctx) -> fan_in_of<Q, A> {
    return decide<fan_in_of<Q, A>>(
        key(kind::fan_in, q, subs), q, &overseer_calls::fan_in,
        [&] { return fan_in_of<Q, A>(detail::call_fan_in(h_, q, subs, ctx)); },
        [&] { return ctx.by == producer::overseer; }, [&] { ctx.from_cache = true; });
  }

  /// Removes the stored answer `H(q)`, so that the next call asks H again (a decision found
  /// wrong, by an audit, say: an erring H is otherwise repeated for as long as the store
  /// lives). Whether one was stored. Needs a store with `erase(key)`.
  template <class Q>
    requires ErasableStore<Store>
  bool forget_answer(const Q& q) {
    return static_cast<bool>(store_.erase(key(kind::answer, q)));
  }
  /// Removes the stored `H_fan_out(q)`; whether one was stored.
  template <class Q>
    requires ErasableStore<Store>
  bool forget_fan_out(const Q& q) {
    return static_cast<bool>(store_.erase(key(kind::fan_out, q)));
  }
  /// Removes the stored `H_fan_in(q, subs)` (the subanswers in the order they were given);
  /// whether one was stored.
  template <class Q, class A>
    requires ErasableStore<Store>
  bool forget_fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs) {
    return static_cast<bool>(store_.erase(key(kind::fan_in, q, subs)));
  }
  /// Removes the stored `H_fan_in(q, s1, s2)` of a split of two; whether one was stored.
  template <class Q, class A>
    requires ErasableStore<Store>
  bool forget_fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2) {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return forget_fan_in(q, std::span<const Subanswer<Q, A>>(both, 2));
  }

  /// H's `well_formed(q)`, when H has it (the primed overseer asks it of a model's split).
  template <class Q>
    requires requires(H& h, const Q& q) { { h.well_formed(q) } -> std::convertible_to<bool>; }
  [[nodiscard]] bool well_formed(const Q& q) const {
    return static_cast<bool>(h_.well_formed(q));
  }

  /// Hits, misses, pass-throughs and conflicts of every call so far.
  [[nodiscard]] const cache_usage& usage() const noexcept { return usage_; }
  /// The store.
  [[nodiscard]] Store& store() const noexcept { return store_; }

 private:
  template <class T>
  std::string text_of(const T& t) const {
    static_assert(TextForm<Text, T>,
                  "aida: cached_overseer's Text cannot write and read this question or answer type "
                  "(aida::plain_text does strings and numbers; pass a TextForm of your own)");
    return std::string(text_.write(t));
  }
  template <class T>
  T read_text(std::string_view s) const {
    static_assert(TextForm<Text, T>,
                  "aida: cached_overseer's Text cannot write and read this question or answer type "
                  "(aida::plain_text does strings and numbers; pass a TextForm of your own)");
    return T(text_.read(s, std::type_identity<T>{}));
  }

  template <class Q>
  std::string key(kind k, const Q& q) const {
    std::string out(1, static_cast<char>(k));
    detail::cache::put(out, text_of(q));
    return out;
  }
  /// The key of a fan-in: the question, then each subanswer's question and answer in the
  /// order given (a split of two keeps the key it had when splits held two).
  template <class Q, class A>
  std::string key(kind k, const Q& q, std::span<const Subanswer<Q, A>> subs) const {
    std::string out = key(k, q);
    for (const auto& s : subs) {
      detail::cache::put(out, text_of(s.question));
      detail::cache::put(out, text_of(s.answer));
    }
    return out;
  }

  /// The value of a decision: `a<answer>`, or `s<sq_1>...<sq_k>` for a split (each field
  /// length-prefixed).
  template <class R>
  std::string value_of(const R& r) const {
    std::string out;
    if constexpr (detail::cache::is_move<R>::value) {
      if (r.is_answer()) {
        out = "a";
        detail::cache::put(out, text_of(r.get_answer()));
      } else {
        out = "s";
        for (const auto& sq : r.get_split()) detail::cache::put(out, text_of(sq));
      }
    } else {
      out = "a";
      detail::cache::put(out, text_of(r));
    }
    return out;
  }

  /// The decision stored as `value`; throws `cache_error` naming the store and `q` when it
  /// is not the text of one.
  template <class R, class Q>
  R read_value(kind k, const Q& q, const std::string& value) const {
    const auto corrupt = [&](const std::string& why) {
      return cache_error("aida: " + where() + " holds a corrupt " + detail::cache::kind_name(k) +
                         " for question " + detail::describe(q) + ": " + why + " (stored value: '" +
                         shorten(value) + "')");
    };
    std::string_view rest(value);
    const char tag = rest.empty() ? '\0' : rest.front();
    if (tag != 'a' && tag != 's') throw corrupt("it does not start with 'a' (answer) or 's' (split)");
    rest.remove_prefix(1);
    bounded_vector<std::string_view, max_subquestions> fields;
    do {
      const std::optional<std::string_view> f = detail::cache::take(rest);
      if (!f) throw corrupt("a field is not '<length>:<text>'");
      if (fields.size() == (tag == 'a' ? 1 : max_subquestions)) throw corrupt("there is text after the last field");
      fields.push_back(*f);
    } while (!rest.empty() && tag == 's');
    if (!rest.empty()) throw corrupt("there is text after the last field");
    if (tag == 's' && fields.size() < 2) throw corrupt("a split has fewer than two subquestions");
    try {
      if constexpr (detail::cache::is_move<R>::value) {
        using MQ = typename R::question_type;
        using MA = typename R::answer_type;
        if (tag == 'a') return R::answer(read_text<MA>(fields[0]));
        Split<MQ> split;
        for (std::string_view f : fields) split.push_back(read_text<MQ>(f));
        return R::split(std::move(split));
      } else {
        if (tag == 's') throw corrupt("it is a split, where an answer was stored");
        return read_text<R>(fields[0]);
      }
    } catch (const cache_error&) {
      throw;
    } catch (const error& e) {
      throw corrupt(e.what());
    }
  }

  std::string where() const {
    if constexpr (requires { { store_.where() } -> std::convertible_to<std::string>; })
      return std::string(store_.where());
    else
      return "the cache";
  }
  static std::string shorten(const std::string& s) {
    return s.size() <= 200 ? s : s.substr(0, 200) + "...";
  }

  /// A hit returns the stored decision (and calls `on_hit`); a miss asks H through `call_h`,
  /// stores its decision when `by_h()` says H made it, and returns the decision kept.
  template <class R, class Q, class CallH, class ByH, class OnHit>
  R decide(const std::string& k, const Q& q, std::size_t overseer_calls::*slot, CallH&& call_h, ByH&& by_h,
           OnHit&& on_hit) {
    const kind what = static_cast<kind>(k.front());
    if (std::optional<std::string> stored = store_.find(k)) {
      R r = read_value<R>(what, q, *stored);
      on_hit();
      ++(usage_.hits.*slot);
      return r;
    }
    R r = call_h();
    if (!by_h()) {
      ++(usage_.passed.*slot);
      return r;
    }
    const std::string mine = value_of(r);
    const std::string kept = store_.insert(k, mine);
    if (kept != mine) {
      r = read_value<R>(what, q, kept);
      ++usage_.conflicts;
    }
    ++(usage_.misses.*slot);
    return r;
  }

  H& h_;
  Store& store_;
  Text text_;
  cache_usage usage_;
};

}  // namespace aida
