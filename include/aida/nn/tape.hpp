#pragma once
/// \file
/// Reverse-mode automatic differentiation on a flat tape (style.md, practice 7).
///
/// A `tape` records the nodes of a computation in a vector, in the order they were
/// created, which is a topological order; `backward` sweeps that vector once in reverse.
/// There is no recursion (depth is unlimited) and no heap object per node: node values,
/// gradients and saved temporaries live in an arena of large blocks that is rolled back to
/// a mark (or reset) between steps and keeps its memory, so that a training loop in steady
/// state allocates nothing.
///
/// One tape per thread: `tape::local()` is a `thread_local` instance, and every operation
/// takes its tape from its arguments (`var::owner`), so two threads train two models at
/// once without sharing mutable state.
///
///     auto& t = aida::nn::tape::local();
///     aida::nn::tape_scope scope(t);                 // rolled back when the scope ends
///     var w = t.param(weights);                      // leaf bound to a parameter
///     var y = aida::nn::tanh(aida::nn::matmul(t.constant(x), w));
///     t.backward(aida::nn::sum(y));                  // adds dy/dw into weights.grad

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "aida/core/error.hpp"
#include "aida/nn/parameter.hpp"

namespace aida::nn {

class tape;
struct node;

/// A mutable view of a tensor stored elsewhere (in the arena or in a parameter).
using tensor_map = Eigen::Map<tensor>;
/// A read-only view of a tensor stored elsewhere.
using const_tensor_map = Eigen::Map<const tensor>;

/// A handle to a node of a tape: a value (and, when it needs one, a gradient). Cheap to
/// copy; valid until the tape is rolled back past it.
class var {
 public:
  var() = default;
  /// The handle of node `id` of tape `t` (`tape::push` makes them).
  var(tape* t, std::int32_t id) noexcept : tape_(t), id_(id) {}

  /// The tape the node is on; precondition `valid()`.
  [[nodiscard]] tape& owner() const noexcept { return *tape_; }
  /// The node's index on its tape.
  [[nodiscard]] std::int32_t id() const noexcept { return id_; }
  /// False for a default-constructed handle, which refers to no node.
  [[nodiscard]] bool valid() const noexcept { return tape_ != nullptr; }

  /// The node itself.
  [[nodiscard]] const node& get() const noexcept;
  /// Rows of the value.
  [[nodiscard]] Eigen::Index rows() const noexcept;
  /// Columns of the value.
  [[nodiscard]] Eigen::Index cols() const noexcept;
  /// The value (a view into the tape's arena or into a parameter).
  [[nodiscard]] tensor_map value() const noexcept;
  /// The gradient accumulated by `tape::backward`; precondition `needs_grad()`.
  [[nodiscard]] tensor_map grad() const noexcept;
  /// True when a gradient flows to this node.
  [[nodiscard]] bool needs_grad() const noexcept;
  /// The value of a 1×1 node.
  [[nodiscard]] float item() const noexcept;

 private:
  tape* tape_ = nullptr;
  std::int32_t id_ = -1;
};

/// The backward function of an operation: adds the node's gradient, pulled back through
/// the operation, into the gradients of its inputs that need one.
using backward_fn = void (*)(tape&, const node&);

/// One recorded operation. Plain data: no owning members, so that the node vector can be
/// cleared without running destructors and reused without allocating.
struct node {
  float* value = nullptr;         ///< the value, `rows` × `cols` row-major floats
  float* grad = nullptr;          ///< null when no gradient flows to this node
  ///@{
  /// The shape of the value (and of the gradient).
  std::int32_t rows = 0, cols = 0;
  ///@}
  backward_fn backward = nullptr; ///< null for leaves
  std::int32_t in[4] = {-1, -1, -1, -1};  ///< input node ids
  float* aux = nullptr;           ///< temporaries saved by the forward pass, in the arena
  const std::int32_t* index = nullptr;  ///< integer data (gather rows, target classes), in the arena
  const float* weight = nullptr;  ///< per-row weights or masks, in the arena
  std::int64_t extra[2] = {0, 0}; ///< operation-specific integers (steps, offsets)
  float scalar = 0;               ///< operation-specific float

  /// The value as a tensor view.
  [[nodiscard]] tensor_map value_map() const noexcept { return {value, rows, cols}; }
  /// The gradient as a tensor view; precondition `needs_grad()`.
  [[nodiscard]] tensor_map grad_map() const noexcept { return {grad, rows, cols}; }
  /// True when a gradient flows to this node.
  [[nodiscard]] bool needs_grad() const noexcept { return grad != nullptr; }
};

/// A tape: the node list and its arena. Not copyable (it owns its arena); movable.
class tape {
 public:
  /// A position to roll back to: everything recorded after it is discarded.
  struct mark_type {
    std::size_t nodes = 0;   ///< nodes recorded
    std::size_t block = 0;   ///< the arena's current block
    std::size_t offset = 0;  ///< bytes used in that block
  };

  tape() = default;
  tape(const tape&) = delete;
  tape& operator=(const tape&) = delete;
  tape(tape&&) noexcept = default;                 ///< takes the other tape's nodes and arena
  tape& operator=(tape&&) noexcept = default;      ///< takes the other tape's nodes and arena

  /// This thread's tape. Models use it for their scratch work; each thread has its own.
  static tape& local() {
    thread_local tape t;
    return t;
  }

  /// The current position, for `rollback`.
  [[nodiscard]] mark_type mark() const noexcept { return {nodes_.size(), block_, offset_}; }

  /// Discards every node recorded after `m` and releases their arena memory for reuse.
  void rollback(const mark_type& m) noexcept {
    assert(m.nodes <= nodes_.size());
    nodes_.resize(m.nodes);
    swept_ = std::min(swept_, m.nodes);
    block_ = m.block;
    offset_ = m.offset;
  }

  /// Discards every node; keeps the memory.
  void reset() noexcept { rollback({}); }

  /// Number of recorded nodes.
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  /// Bytes of arena memory held (in use or free for reuse).
  [[nodiscard]] std::size_t capacity_bytes() const noexcept {
    std::size_t n = 0;
    for (const auto& b : blocks_) n += b.size;
    return n;
  }

  /// Uninitialised arena storage for `n` objects of trivial type `T`, 64-byte aligned.
  template <class T>
  T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= alignment);
    const std::size_t bytes = round_up(std::max<std::size_t>(n * sizeof(T), 1));
    while (block_ < blocks_.size() && offset_ + bytes > blocks_[block_].size) {
      ++block_;
      offset_ = 0;
    }
    if (block_ == blocks_.size()) {
      blocks_.push_back(block(std::max(bytes, default_block_bytes)));
      offset_ = 0;
    }
    std::byte* p = blocks_[block_].data.get() + offset_;
    offset_ += bytes;
    return reinterpret_cast<T*>(p);
  }

  /// Zeroed arena storage for `n` floats.
  float* allocate_zero(std::size_t n) {
    float* p = allocate<float>(n);
    std::memset(p, 0, n * sizeof(float));
    return p;
  }

  /// A copy of `data` in the arena.
  template <class T>
  const T* copy(std::span<const T> data) {
    T* p = allocate<T>(data.size());
    if (!data.empty()) std::memcpy(p, data.data(), data.size() * sizeof(T));
    return p;
  }

  /// A leaf bound to parameter `p`: its value is `p.value` and the backward pass adds
  /// into `p.grad` (which must have `p.value`'s shape).
  var param(parameter& p) {
    if (p.grad.rows() != p.value.rows() || p.grad.cols() != p.value.cols())
      p.grad = tensor::Zero(p.value.rows(), p.value.cols());
    node n;
    n.value = p.value.data();
    n.grad = p.grad.data();
    n.rows = static_cast<std::int32_t>(p.value.rows());
    n.cols = static_cast<std::int32_t>(p.value.cols());
    return push(n);
  }

  /// A leaf bound to a parameter through which no gradient flows (inference).
  var param_no_grad(const parameter& p) { return view(p.value); }

  /// A leaf holding a copy of `x`; no gradient flows to it.
  var constant(const Eigen::Ref<const tensor>& x) {
    node n = make_node(x.rows(), x.cols(), false);
    tensor_map(n.value, n.rows, n.cols) = x;
    return push(n);
  }

  /// A leaf that views `x` without copying; `x` must outlive the node. No gradient.
  var view(const tensor& x) {
    node n;
    n.value = const_cast<float*>(x.data());  // never written: the node has no backward
    n.rows = static_cast<std::int32_t>(x.rows());
    n.cols = static_cast<std::int32_t>(x.cols());
    return push(n);
  }

  /// A leaf with a gradient: a trainable input that is not a parameter (used by gradient
  /// checks and by callers that want d loss / d input).
  var input(const Eigen::Ref<const tensor>& x) {
    node n = make_node(x.rows(), x.cols(), true);
    tensor_map(n.value, n.rows, n.cols) = x;
    return push(n);
  }

  /// A node of the given shape with uninitialised value and, if `needs_grad`, a zeroed
  /// gradient; the caller fills in the rest and `push`es it. Used by operations.
  node make_node(Eigen::Index rows, Eigen::Index cols, bool needs_grad) {
    node n;
    const std::size_t count = static_cast<std::size_t>(rows * cols);
    n.rows = static_cast<std::int32_t>(rows);
    n.cols = static_cast<std::int32_t>(cols);
    n.value = allocate<float>(count);
    if (needs_grad) n.grad = allocate_zero(count);
    return n;
  }

  /// Records a node; returns its handle.
  var push(const node& n) {
    nodes_.push_back(n);
    return {this, static_cast<std::int32_t>(nodes_.size() - 1)};
  }

  /// Node `id`; precondition: recorded and not rolled back.
  [[nodiscard]] const node& at(std::int32_t id) const noexcept { return nodes_[static_cast<std::size_t>(id)]; }
  /// Node `id`, mutable.
  [[nodiscard]] node& at(std::int32_t id) noexcept { return nodes_[static_cast<std::size_t>(id)]; }

  /// Reverse sweep from `loss` (a 1×1 node): sets d loss / d loss = 1 and calls each
  /// recorded node's backward function, newest first. Gradients of parameters (and of
  /// `input` leaves) are added into their `grad` tensors (zero them first for a fresh
  /// gradient); each call adds d loss / d parameter once, also when an earlier call swept
  /// some of the same nodes (their intermediate gradients are cleared first).
  void backward(var loss) {
    if (&loss.owner() != this) throw error("aida::nn::tape::backward: the loss belongs to another tape");
    const node& l = at(loss.id());
    if (l.rows != 1 || l.cols != 1)
      throw error("aida::nn::tape::backward: the loss must be 1x1, it is " + std::to_string(l.rows) + "x" +
                  std::to_string(l.cols));
    if (!l.needs_grad()) return;  // nothing trainable contributed
    for (std::size_t i = 0; i < std::min(swept_, nodes_.size()); ++i) {
      const node& n = nodes_[i];
      if (n.backward != nullptr && n.grad != nullptr) std::memset(n.grad, 0, sizeof(float) * std::size_t(n.rows) * std::size_t(n.cols));
    }
    swept_ = static_cast<std::size_t>(loss.id()) + 1;
    l.grad[0] += 1.0f;
    for (std::int32_t i = loss.id(); i >= 0; --i) {
      const node& n = nodes_[static_cast<std::size_t>(i)];
      if (n.backward != nullptr && n.grad != nullptr) n.backward(*this, n);
    }
  }

 private:
  static constexpr std::size_t alignment = 64;
  static constexpr std::size_t default_block_bytes = std::size_t{1} << 22;  // 4 MiB

  static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + alignment - 1) / alignment * alignment; }

  struct aligned_delete {
    void operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t(alignment)); }
  };
  struct block {
    explicit block(std::size_t bytes)
        : data(static_cast<std::byte*>(::operator new[](bytes, std::align_val_t(alignment)))), size(bytes) {}
    std::unique_ptr<std::byte[], aligned_delete> data;
    std::size_t size;
  };

  std::vector<node> nodes_;
  std::vector<block> blocks_;
  std::size_t block_ = 0;   // current block
  std::size_t offset_ = 0;  // bytes used in the current block
  std::size_t swept_ = 0;   // nodes [0, swept_) may hold gradients of an earlier sweep
};

/// Marks a tape on construction and rolls it back on destruction, so that a step leaves
/// the tape as it found it (also when it throws).
class tape_scope {
 public:
  /// Marks `t`.
  explicit tape_scope(tape& t) noexcept : t_(t), m_(t.mark()) {}
  tape_scope(const tape_scope&) = delete;
  tape_scope& operator=(const tape_scope&) = delete;
  ~tape_scope() { t_.rollback(m_); }

 private:
  tape& t_;
  tape::mark_type m_;
};

inline const node& var::get() const noexcept { return tape_->at(id_); }
inline Eigen::Index var::rows() const noexcept { return get().rows; }
inline Eigen::Index var::cols() const noexcept { return get().cols; }
inline tensor_map var::value() const noexcept { return get().value_map(); }
inline tensor_map var::grad() const noexcept { return get().grad_map(); }
inline bool var::needs_grad() const noexcept { return get().needs_grad(); }
inline float var::item() const noexcept { return get().value[0]; }

}  // namespace aida::nn
