#pragma once
/// \file
/// The questions on the path from the root to the node a procedure is working on, for the
/// check that a split repeats none of them (spec §8), shared by amplify and unfold.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "aida/core/episode.hpp"
#include "aida/core/move.hpp"

namespace aida::detail {

/// The frames of the path from the root to the node being worked on, kept in `storage` (an
/// episode's `scratch_path`). A frame's slot outlives its node: popping resets it (ML's
/// outputs are released) and the next push at that depth reuses it, so that walking a tree
/// costs no allocation once the storage has grown to the tree's depth, and each push or pop
/// is a few stores. Between walks `storage` holds only reset frames (no outputs), which the
/// next walk reuses as they are: a reused episode does not construct its frames again (a frame
/// holds an optional output per possible subquestion).
template <class Frame>
class frame_stack {
 public:
  explicit frame_stack(std::vector<Frame>& storage) : slots_(storage) {}
  /// Resets the frames still in use (after an exception), so that every slot is reset.
  ~frame_stack() {
    while (size_ > 0) slots_[--size_].reset();
  }
  frame_stack(const frame_stack&) = delete;
  frame_stack& operator=(const frame_stack&) = delete;

  /// A new frame on top, with its default values.
  Frame& push() {
    if (size_ == slots_.size()) slots_.emplace_back();
    return slots_[size_++];
  }
  /// Removes the top frame, resetting its slot (`Frame::reset`).
  void pop() noexcept { slots_[--size_].reset(); }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  Frame& operator[](std::size_t k) noexcept { return slots_[k]; }
  const Frame& operator[](std::size_t k) const noexcept { return slots_[k]; }
  Frame& top() noexcept { return slots_[size_ - 1]; }

 private:
  std::vector<Frame>& slots_;
  std::size_t size_ = 0;
};

/// Whether `std::hash` can hash questions of type Q.
template <class Q>
concept hashable_question = requires(const Q& q) {
  { std::hash<Q>{}(q) } -> std::convertible_to<std::size_t>;
};

/// Finds the node on the path whose question a split repeats. On a shallow path it walks the
/// parents (no allocation, as cheap as it gets for the depths training uses); once the path
/// is longer than `linear_limit` it keeps a hash map of the path's questions, so that each
/// check costs O(1) instead of O(depth) and a path 100,000 deep is not quadratic. Questions
/// without `std::hash` are always walked: O(depth) per split.
///
/// The questions on a path are distinct: every split is checked against the path before a
/// child is made from it, so no child repeats an ancestor.
template <class Q>
class path_questions {
 public:
  static constexpr std::size_t linear_limit = 64;

  /// Node n joins the path, which now holds `length` nodes (n the deepest).
  template <class Node>
  void push(const std::vector<Node>& nodes, std::size_t n, std::size_t length) {
    if constexpr (hashable_question<Q>) {
      if (indexed_) {
        index_.emplace(nodes[n].question, n);
      } else if (length > linear_limit) {
        for (std::size_t a = n; a != no_node; a = nodes[a].parent) index_.emplace(nodes[a].question, a);
        indexed_ = true;
      }
    }
  }

  /// Node n, the deepest on the path, leaves it.
  template <class Node>
  void pop(const std::vector<Node>& nodes, std::size_t n) {
    if constexpr (hashable_question<Q>) {
      if (indexed_) index_.erase(nodes[n].question);
    }
  }

  /// The nearest node from n (the deepest on the path) up to the root whose question is one
  /// of the split's, or `no_node`. `Pairs`: the caller knows the split has two questions.
  template <bool Pairs = false, class Node>
  [[nodiscard]] std::size_t repeated(const Split<Q>& s, std::size_t n, const std::vector<Node>& nodes) const {
    if constexpr (hashable_question<Q>) {
      if (indexed_) {
        // Deeper nodes were made later: the nearer of two matches has the larger index.
        std::size_t found = no_node;
        for (const Q& q : s)
          if (const auto it = index_.find(q); it != index_.end() && (found == no_node || it->second > found))
            found = it->second;
        return found;
      }
    }
    if (Pairs || s.size() == 2) {  // the common case, without the loop over the split
      for (std::size_t a = n; a != no_node; a = nodes[a].parent)
        if (s[0] == nodes[a].question || s[1] == nodes[a].question) return a;
      return no_node;
    }
    for (std::size_t a = n; a != no_node; a = nodes[a].parent)
      if (std::find(s.begin(), s.end(), nodes[a].question) != s.end()) return a;
    return no_node;
  }

 private:
  struct none {};
  [[no_unique_address]] std::conditional_t<hashable_question<Q>, std::unordered_map<Q, std::size_t>, none> index_;
  bool indexed_ = false;
};

}  // namespace aida::detail
