/// \file
/// The autodiff tape of the reference backend (aida/nn/tape.hpp, ops.hpp): the fixed cost
/// of recording an operation and sweeping it backward at tiny sizes (2×2, where the tape is
/// all there is), and element throughput at large sizes (where the kernels should be all
/// there is), each against the same arithmetic written directly in Eigen. Heap allocations
/// in the timed loop are counted (support/alloc_counter.hpp): the tape promises none once
/// its arena and node list have grown.

#include <benchmark/benchmark.h>

#include <cstdint>

#include <Eigen/Core>

#include "aida/nn/ops.hpp"
#include "aida/nn/tape.hpp"
#include "support/alloc_counter.hpp"

namespace {

namespace nn = aida::nn;

/// Operations per recorded chain: enough that the scope's mark and rollback are amortised.
constexpr int chain = 64;

/// A 2×2 rotation: products with it neither blow up nor underflow along a chain of 64.
nn::parameter rotation() {
  nn::parameter p(2, 2);
  p.value << 0.6f, -0.8f, 0.8f, 0.6f;
  return p;
}

enum class op { matmul, add, mul, scale, tanh, sigmoid, relu };

nn::var apply(op o, nn::var y, nn::var x) {
  switch (o) {
    case op::matmul: return nn::matmul(y, x);
    case op::add: return nn::add(y, x);
    case op::mul: return nn::mul(y, x);
    case op::scale: return nn::scale(y, 0.999f);
    case op::tanh: return nn::tanh(y);
    case op::sigmoid: return nn::sigmoid(y);
    case op::relu: return nn::relu(y);
  }
  return y;
}

void report_per_op(benchmark::State& state, std::int64_t ops_per_iteration, std::uint64_t allocs) {
  const double ops = static_cast<double>(ops_per_iteration) * static_cast<double>(state.iterations());
  state.counters["s_per_op"] =
      benchmark::Counter(ops, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["allocs_per_op"] = static_cast<double>(allocs) / ops;
}

/// Records a chain of 64 operations on 2×2 tensors (a parameter leaf with a gradient feeds
/// every step), then, if `backward`, sums and sweeps back; the scope rolls the tape back.
/// Time per operation: the tape's fixed cost (node, arena, dispatch) plus a trivial kernel.
void BM_tape_tiny(benchmark::State& state, op o, bool backward) {
  auto& t = nn::tape::local();
  nn::parameter w = rotation();
  auto run = [&] {
    nn::tape_scope scope(t);
    nn::var x = t.param(w);
    nn::var y = x;
    for (int i = 0; i < chain; ++i) y = apply(o, y, x);
    if (backward) {
      t.backward(nn::sum(y));
      benchmark::DoNotOptimize(w.grad.data());
    } else {
      benchmark::DoNotOptimize(y.value().data());
    }
  };
  run();  // warm-up: the arena and the node list grow once
  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  report_per_op(state, chain, aida_bench::allocations() - before);
  w.grad.setZero();
}
BENCHMARK_CAPTURE(BM_tape_tiny, matmul_forward, op::matmul, false);
BENCHMARK_CAPTURE(BM_tape_tiny, matmul_backward, op::matmul, true);
BENCHMARK_CAPTURE(BM_tape_tiny, add_forward, op::add, false);
BENCHMARK_CAPTURE(BM_tape_tiny, add_backward, op::add, true);
BENCHMARK_CAPTURE(BM_tape_tiny, mul_forward, op::mul, false);
BENCHMARK_CAPTURE(BM_tape_tiny, mul_backward, op::mul, true);
BENCHMARK_CAPTURE(BM_tape_tiny, scale_forward, op::scale, false);
BENCHMARK_CAPTURE(BM_tape_tiny, scale_backward, op::scale, true);
BENCHMARK_CAPTURE(BM_tape_tiny, tanh_forward, op::tanh, false);
BENCHMARK_CAPTURE(BM_tape_tiny, tanh_backward, op::tanh, true);
BENCHMARK_CAPTURE(BM_tape_tiny, sigmoid_forward, op::sigmoid, false);
BENCHMARK_CAPTURE(BM_tape_tiny, sigmoid_backward, op::sigmoid, true);
BENCHMARK_CAPTURE(BM_tape_tiny, relu_forward, op::relu, false);
BENCHMARK_CAPTURE(BM_tape_tiny, relu_backward, op::relu, true);

/// The floor under BM_tape_tiny/*_forward: the same 64 2×2 products in plain Eigen on
/// dynamic-size matrices (what the tape's kernels are), with no tape at all.
void BM_eigen_tiny_matmul(benchmark::State& state) {
  const nn::tensor x = rotation().value;
  nn::tensor y = x, z(2, 2);
  for (auto _ : state) {
    y = x;
    for (int i = 0; i < chain; ++i) {
      z.noalias() = y * x;
      y.swap(z);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  report_per_op(state, chain, 0);
}
BENCHMARK(BM_eigen_tiny_matmul);

// ---------------------------------------------------------------------------------------
// Throughput at large sizes: one element-wise operation on an n×n input with a gradient,
// forward and backward through the tape, against the same forward and backward formulas
// written directly in Eigen on preallocated buffers.

void report_elements(benchmark::State& state, std::int64_t n) {
  state.SetItemsProcessed(state.iterations() * n * n);
  state.SetBytesProcessed(state.iterations() * n * n * static_cast<std::int64_t>(sizeof(float)));
}

void BM_tape_large(benchmark::State& state, op o) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  auto& t = nn::tape::local();
  nn::parameter w(n, n);
  w.value = nn::tensor::Random(n, n) * 0.5f;
  auto run = [&] {
    nn::tape_scope scope(t);
    nn::var x = t.param(w);
    nn::var y = apply(o, x, x);
    t.backward(nn::sum(y));
  };
  run();
  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(w.grad.data());
    benchmark::ClobberMemory();
  }
  state.counters["allocs"] = static_cast<double>(aida_bench::allocations() - before) /
                             static_cast<double>(state.iterations());
  report_elements(state, n);
}
BENCHMARK_CAPTURE(BM_tape_large, tanh, op::tanh)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_tape_large, sigmoid, op::sigmoid)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_tape_large, mul, op::mul)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_tape_large, add, op::add)->Arg(256)->Arg(1024);

/// The same work without a tape, with the tape's memory traffic: y = f(x), s = Σ y, then
/// the backward pass of sum and of f: gy = 0 + 1 (the tape zeroes a node's gradient when
/// it records it), gx += gy ⊙ f'(x). Every buffer is preallocated.
void BM_eigen_large(benchmark::State& state, op o) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const Eigen::ArrayXXf x = Eigen::ArrayXXf::Random(n, n) * 0.5f;
  Eigen::ArrayXXf y(n, n), gy(n, n), gx = Eigen::ArrayXXf::Zero(n, n);
  for (auto _ : state) {
    switch (o) {
      case op::tanh: y = x.tanh(); break;
      case op::sigmoid: y = x.logistic(); break;
      case op::mul: y = x * x; break;
      default: y = x + x; break;
    }
    float s = y.sum();
    benchmark::DoNotOptimize(s);
    gy.setZero();
    gy += 1.0f;
    switch (o) {
      case op::tanh: gx += gy * (1.0f - y.square()); break;
      case op::sigmoid: gx += gy * y * (1.0f - y); break;
      case op::mul: gx += 2.0f * gy * x; break;
      default: gx += 2.0f * gy; break;
    }
    benchmark::DoNotOptimize(gx.data());
    benchmark::ClobberMemory();
  }
  report_elements(state, n);
}
BENCHMARK_CAPTURE(BM_eigen_large, tanh, op::tanh)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_eigen_large, sigmoid, op::sigmoid)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_eigen_large, mul, op::mul)->Arg(256)->Arg(1024);
BENCHMARK_CAPTURE(BM_eigen_large, add, op::add)->Arg(256)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
