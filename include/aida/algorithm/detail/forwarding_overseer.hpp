#pragma once
/// \file
/// The overseer members forwarded to an overseer that a wrapper chooses per call: under a
/// mutex (`aida::train`'s guarded overseer), a copy leased from a pool (`aida::overseer_pool`).

namespace aida::detail {

/// Forwards `answer`, `fan_out`, `fan_in` (each form of it that `H` has: the span of
/// subanswers or two of them, with the context argument only when `H` takes one)
/// and `well_formed` (only when `H` has it) to `Derived::with(f)`, which calls `f(H&)` on the
/// overseer it chooses, holding whatever that takes for the length of the call.
template <class Derived, class H>
class forwarding_overseer {
 public:
  template <class Q>
  auto answer(const Q& q) {
    return self().with([&](H& h) { return h.answer(q); });
  }
  template <class Q, class Ctx>
    requires requires(H& h, const Q& q, Ctx& ctx) { h.answer(q, ctx); }
  auto answer(const Q& q, Ctx& ctx) {
    return self().with([&](H& h) { return h.answer(q, ctx); });
  }
  template <class Q>
  auto fan_out(const Q& q) {
    return self().with([&](H& h) { return h.fan_out(q); });
  }
  template <class Q, class Ctx>
    requires requires(H& h, const Q& q, Ctx& ctx) { h.fan_out(q, ctx); }
  auto fan_out(const Q& q, Ctx& ctx) {
    return self().with([&](H& h) { return h.fan_out(q, ctx); });
  }
  template <class Q, class Subs>
    requires requires(H& h, const Q& q, const Subs& subs) { h.fan_in(q, subs); }
  auto fan_in(const Q& q, const Subs& subs) {
    return self().with([&](H& h) { return h.fan_in(q, subs); });
  }
  template <class Q, class Sa>
    requires requires(H& h, const Q& q, const Sa& s) { h.fan_in(q, s, s); }
  auto fan_in(const Q& q, const Sa& s1, const Sa& s2) {
    return self().with([&](H& h) { return h.fan_in(q, s1, s2); });
  }
  template <class Q, class Subs, class Ctx>
    requires requires(H& h, const Q& q, const Subs& subs, Ctx& ctx) { h.fan_in(q, subs, ctx); }
  auto fan_in(const Q& q, const Subs& subs, Ctx& ctx) {
    return self().with([&](H& h) { return h.fan_in(q, subs, ctx); });
  }
  template <class Q, class Sa, class Ctx>
    requires requires(H& h, const Q& q, const Sa& s, Ctx& ctx) { h.fan_in(q, s, s, ctx); }
  auto fan_in(const Q& q, const Sa& s1, const Sa& s2, Ctx& ctx) {
    return self().with([&](H& h) { return h.fan_in(q, s1, s2, ctx); });
  }
  template <class Q>
    requires requires(H& h, const Q& q) { h.well_formed(q); }
  bool well_formed(const Q& q) {
    return self().with([&](H& h) { return static_cast<bool>(h.well_formed(q)); });
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace aida::detail
