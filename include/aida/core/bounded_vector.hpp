#pragma once
/// \file
/// `aida::bounded_vector<T, N>`: a vector of at most N elements stored inline, and
/// `aida::max_subquestions`, the bound on the subquestions of one split.

#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "aida/core/error.hpp"

/// The largest number of subquestions a split may have (8 unless defined before the first aida
/// header; it must be the same in every translation unit of a program, and at least 2).
#ifndef AIDA_MAX_SUBQUESTIONS
#define AIDA_MAX_SUBQUESTIONS 8
#endif

namespace aida {

/// The largest number of subquestions one split may have (`AIDA_MAX_SUBQUESTIONS`, 8 by
/// default). Splits, fan-in rounds and selections hold their subquestions inline, up to this
/// bound, so that a split allocates nothing of its own.
inline constexpr std::size_t max_subquestions = AIDA_MAX_SUBQUESTIONS;
static_assert(max_subquestions >= 2, "aida: AIDA_MAX_SUBQUESTIONS must be at least 2");

/// A sequence of at most N elements of T in inline storage: no allocation of its own (the
/// elements may allocate theirs). Only the elements that exist are constructed, copied and
/// destroyed, so a `bounded_vector<std::string, 8>` holding two strings costs what two strings
/// cost. Growing past N throws `aida::error` and leaves the vector unchanged.
template <class T, std::size_t N>
class bounded_vector {
 public:
  using value_type = T;              ///< the element type
  using size_type = std::size_t;     ///< sizes and indices
  using iterator = T*;               ///< contiguous
  using const_iterator = const T*;   ///< contiguous

  bounded_vector() noexcept = default;
  /// The elements of `init`, in order; `aida::error` if there are more than N.
  bounded_vector(std::initializer_list<T> init) { assign(init.begin(), init.end()); }
  /// A copy of `other`'s elements.
  bounded_vector(const bounded_vector& other) { assign(other.begin(), other.end()); }
  /// Moves `other`'s elements (`other` keeps its size, with moved-from elements).
  bounded_vector(bounded_vector&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    for (T& x : other) emplace_unchecked(std::move(x));
  }
  /// Copy assignment; on an exception `*this` is empty.
  bounded_vector& operator=(const bounded_vector& other) {
    if (this != &other) {
      clear();
      assign(other.begin(), other.end());
    }
    return *this;
  }
  /// Move assignment.
  bounded_vector& operator=(bounded_vector&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      clear();
      for (T& x : other) emplace_unchecked(std::move(x));
    }
    return *this;
  }
  ~bounded_vector() { clear(); }

  /// The bound N.
  [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
  /// The number of elements.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True without elements.
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Element i; precondition i < size().
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  /// Element i; precondition i < size().
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  /// The elements.
  T* data() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }
  /// The elements.
  const T* data() const noexcept { return std::launder(reinterpret_cast<const T*>(storage_)); }
  T* begin() noexcept { return data(); }                                 ///< first element
  T* end() noexcept { return data() + size_; }                           ///< past the last
  const T* begin() const noexcept { return data(); }                     ///< first element
  const T* end() const noexcept { return data() + size_; }               ///< past the last

  /// Appends a T made from `args`; `aida::error` (nothing changed) when the vector is full.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == N)
      throw error("aida: more than " + std::to_string(N) +
                  " elements in a bounded_vector (a split has at most aida::max_subquestions = " +
                  std::to_string(max_subquestions) + " subquestions; define AIDA_MAX_SUBQUESTIONS to raise it)");
    return emplace_unchecked(std::forward<Args>(args)...);
  }
  /// Appends `x`; see `emplace_back`.
  void push_back(const T& x) { emplace_back(x); }
  /// Appends `x`; see `emplace_back`.
  void push_back(T&& x) { emplace_back(std::move(x)); }

  /// `n` elements: the first min(n, size()) kept, the rest value-initialised; `aida::error`
  /// (nothing changed) for n > N.
  void resize(std::size_t n) {
    if (n > N) throw error("aida: a bounded_vector of at most " + std::to_string(N) + " elements resized to " + std::to_string(n));
    while (size_ > n) pop_back();
    while (size_ < n) emplace_unchecked();
  }
  /// Removes the last element; precondition !empty().
  void pop_back() noexcept { std::destroy_at(data() + --size_); }
  /// Removes every element.
  void clear() noexcept {
    while (size_ > 0) pop_back();
  }

  /// Element-wise equality, sizes included.
  friend bool operator==(const bounded_vector& a, const bounded_vector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  template <class It>
  void assign(It first, It last) {
    try {
      for (; first != last; ++first) emplace_back(*first);
    } catch (...) {
      clear();
      throw;
    }
  }
  template <class... Args>
  T& emplace_unchecked(Args&&... args) {
    T* p = std::construct_at(data() + size_, std::forward<Args>(args)...);
    ++size_;
    return *p;
  }

  alignas(T) std::byte storage_[N * sizeof(T)];
  std::size_t size_ = 0;
};

namespace detail {

/// An array of N copies of `value` (for per-subquestion members whose default is not zero).
template <class T, std::size_t N = max_subquestions>
constexpr std::array<T, N> filled(T value) noexcept {
  std::array<T, N> a{};
  a.fill(value);
  return a;
}

}  // namespace detail

}  // namespace aida
