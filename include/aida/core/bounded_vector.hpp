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
/// header; it must be the same in every translation unit of a program, from 2 to 255).
#ifndef AIDA_MAX_SUBQUESTIONS
#define AIDA_MAX_SUBQUESTIONS 8
#endif

namespace aida {

/// The largest number of subquestions one split may have (`AIDA_MAX_SUBQUESTIONS`, 8 by
/// default). Splits, fan-in rounds and selections hold their subquestions inline, up to this
/// bound, so that a split allocates nothing of its own.
inline constexpr std::size_t max_subquestions = AIDA_MAX_SUBQUESTIONS;
static_assert(max_subquestions >= 2 && max_subquestions <= 255, "aida: AIDA_MAX_SUBQUESTIONS must be from 2 to 255");

namespace detail {

/// Throws the error of a `bounded_vector` of `n` slots asked to hold `wanted` elements. Out of
/// line, so that the members that may throw it stay small enough to inline.
[[noreturn]] [[gnu::noinline]] [[gnu::cold]] inline void bounded_overflow(std::size_t n, std::size_t wanted) {
  throw error("aida: " + std::to_string(wanted) + " elements in a bounded_vector of " + std::to_string(n) +
              " (a split has at most aida::max_subquestions = " + std::to_string(max_subquestions) +
              " subquestions; define AIDA_MAX_SUBQUESTIONS to raise it)");
}

/// How `bounded_storage` copies: element by element (the general case), or for a trivially
/// copyable T, assigning the slots in use (`trivial_loop`), or, when all N slots take at most
/// `block_copy_bytes`, as a block of fixed size, every slot included (`trivial_block`).
enum class storage_kind { general, trivial_loop, trivial_block };

/// The largest storage (N slots of T) that is copied whole rather than element by element: a
/// split of eight 8-byte questions (64 bytes) is copied in one or two vector moves, cheaper than
/// a loop over its two elements in use.
inline constexpr std::size_t block_copy_bytes = 128;

template <class T, std::size_t N>
constexpr storage_kind storage_kind_of() noexcept {
  if constexpr (!(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>))
    return storage_kind::general;
  else if constexpr (N * sizeof(T) <= block_copy_bytes)
    return storage_kind::trivial_block;
  else
    return storage_kind::trivial_loop;
}

/// The storage of `bounded_vector`: N slots and the number in use. Only the elements in use are
/// copied (but see `storage_kind`); for a trivially copyable T nothing is destroyed (a
/// `bounded_vector` of such elements, a split of integer questions say, is trivially
/// destructible) and the slots are assigned, not constructed.
template <class T, std::size_t N, storage_kind Kind = storage_kind_of<T, N>()>
struct bounded_storage {
  alignas(T) std::byte bytes[N * sizeof(T)];
  std::size_t size = 0;

  T* data() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  const T* data() const noexcept { return std::launder(reinterpret_cast<const T*>(bytes)); }
  void destroy_all() noexcept {
    while (size > 0) std::destroy_at(data() + --size);
  }

  bounded_storage() noexcept {}
  bounded_storage(const bounded_storage& other) { copy_from(other); }
  bounded_storage(bounded_storage&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    for (std::size_t i = 0; i < other.size; ++i) std::construct_at(data() + i, std::move(other.data()[i])), ++size;
  }
  bounded_storage& operator=(const bounded_storage& other) {
    if (this != &other) {
      destroy_all();
      copy_from(other);
    }
    return *this;
  }
  bounded_storage& operator=(bounded_storage&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      destroy_all();
      for (std::size_t i = 0; i < other.size; ++i) std::construct_at(data() + i, std::move(other.data()[i])), ++size;
    }
    return *this;
  }
  ~bounded_storage() { destroy_all(); }

 private:
  void copy_from(const bounded_storage& other) {
    try {
      for (std::size_t i = 0; i < other.size; ++i) std::construct_at(data() + i, other.data()[i]), ++size;
    } catch (...) {
      destroy_all();
      throw;
    }
  }
};

/// The slots of a trivially copyable T and the number in use: nothing to construct or destroy.
template <class T, std::size_t N>
struct trivial_slots {
  alignas(T) std::byte bytes[N * sizeof(T)];
  std::size_t size = 0;

  T* data() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  const T* data() const noexcept { return std::launder(reinterpret_cast<const T*>(bytes)); }
  void destroy_all() noexcept { size = 0; }
  trivial_slots() noexcept {}  // the slots are left as they are
};

// Trivially copyable: a copy is a block move of the whole storage, the slots not in use
// included (raw bytes, which may be copied whatever they hold). So a split of integer questions,
// and a move holding one, is trivially copyable too, and copies without a loop or a visit of the
// move's variant.
template <class T, std::size_t N>
struct bounded_storage<T, N, storage_kind::trivial_block> : trivial_slots<T, N> {};

// A copy copies the elements in use, not the N slots (two of eight, for a split of two).
template <class T, std::size_t N>
struct bounded_storage<T, N, storage_kind::trivial_loop> : trivial_slots<T, N> {
  bounded_storage() noexcept = default;
  bounded_storage(const bounded_storage& other) noexcept { assign(other); }
  bounded_storage& operator=(const bounded_storage& other) noexcept {
    assign(other);
    return *this;
  }
  ~bounded_storage() = default;

 private:
  void assign(const bounded_storage& other) noexcept {
    this->size = other.size;
    for (std::size_t i = 0; i < this->size; ++i) this->data()[i] = other.data()[i];
  }
};

}  // namespace detail

/// A sequence of at most N elements of T in inline storage: no allocation of its own (the
/// elements may allocate theirs). Only the elements that exist are constructed, copied and
/// destroyed, so a `bounded_vector<std::string, 8>` holding two strings costs what two strings
/// cost; for a trivially copyable T it is trivially destructible, and when its N slots take at
/// most 128 bytes (`detail::block_copy_bytes`: eight integer questions) trivially copyable as
/// well, copied as one block. Growing past N throws `aida::error` and leaves the vector unchanged.
template <class T, std::size_t N>
class bounded_vector {
 public:
  using value_type = T;              ///< the element type
  using size_type = std::size_t;     ///< sizes and indices
  using iterator = T*;               ///< contiguous
  using const_iterator = const T*;   ///< contiguous

  bounded_vector() noexcept = default;
  /// The elements of `init`, in order; `aida::error` if there are more than N.
  bounded_vector(std::initializer_list<T> init) {
    try {
      for (const T& x : init) emplace_back(x);
    } catch (...) {
      s_.destroy_all();
      throw;
    }
  }

  /// The bound N.
  [[nodiscard]] static constexpr std::size_t capacity() noexcept { return N; }
  /// The number of elements.
  [[nodiscard]] std::size_t size() const noexcept { return s_.size; }
  /// True without elements.
  [[nodiscard]] bool empty() const noexcept { return s_.size == 0; }

  /// Element i; precondition i < size().
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  /// Element i; precondition i < size().
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  /// The elements.
  T* data() noexcept { return s_.data(); }
  /// The elements.
  const T* data() const noexcept { return s_.data(); }
  T* begin() noexcept { return data(); }                                 ///< first element
  T* end() noexcept { return data() + s_.size; }                         ///< past the last
  const T* begin() const noexcept { return data(); }                     ///< first element
  const T* end() const noexcept { return data() + s_.size; }             ///< past the last

  /// Appends a T made from `args`; `aida::error` (nothing changed) when the vector is full.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (s_.size == N) [[unlikely]]
      detail::bounded_overflow(N, N + 1);
    T* p = std::construct_at(data() + s_.size, std::forward<Args>(args)...);
    ++s_.size;
    return *p;
  }
  /// Appends `x`; see `emplace_back`.
  void push_back(const T& x) { emplace_back(x); }
  /// Appends `x`; see `emplace_back`.
  void push_back(T&& x) { emplace_back(std::move(x)); }

  /// `n` elements: the first min(n, size()) kept, the rest value-initialised; `aida::error`
  /// (nothing changed) for n > N.
  void resize(std::size_t n) {
    if (n > N) [[unlikely]]
      detail::bounded_overflow(N, n);
    while (s_.size > n) pop_back();
    while (s_.size < n) emplace_back();
  }
  /// Removes the last element; precondition !empty().
  void pop_back() noexcept { std::destroy_at(data() + --s_.size); }
  /// Removes every element.
  void clear() noexcept { s_.destroy_all(); }

  /// Element-wise equality, sizes included.
  friend bool operator==(const bounded_vector& a, const bounded_vector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  detail::bounded_storage<T, N> s_;
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
