/// \file
/// The backend's matrix product (`aida::nn::matmul` on the tape) against Eigen's own GEMM
/// on the same row-major float matrices: the machine's limit for this build (the same
/// compiler, flags and vector instructions). Square sizes 64 to 1024 and the two shapes of
/// the reference model's training step. Forward only (one product) and forward + backward
/// (three products: C = AB, dA = dC·Bᵀ, dB = Aᵀ·dC). Target (README): aida at least 80% of
/// Eigen's FLOP/s at 512.
///
/// The FLOP/s counter counts 2·m·k·n per product.

#include <benchmark/benchmark.h>

#include <cstdint>

#include <Eigen/Core>

#include "aida/nn/ops.hpp"
#include "aida/nn/tape.hpp"
#include "support/alloc_counter.hpp"

namespace {

namespace nn = aida::nn;

struct shape {
  Eigen::Index m, k, n;
};

shape shape_of(const benchmark::State& state) {
  if (state.range(1) == 0) return {state.range(0), state.range(0), state.range(0)};
  return {state.range(0), state.range(1), state.range(2)};
}

void report_flops(benchmark::State& state, shape s, int products) {
  state.counters["FLOP/s"] = benchmark::Counter(
      2.0 * static_cast<double>(s.m) * static_cast<double>(s.k) * static_cast<double>(s.n) * products,
      benchmark::Counter::kIsIterationInvariantRate);
  state.counters["m"] = static_cast<double>(s.m);
  state.counters["k"] = static_cast<double>(s.k);
  state.counters["n"] = static_cast<double>(s.n);
}

/// Eigen alone: `C.noalias() = A * B` into a preallocated C.
void BM_eigen_gemm(benchmark::State& state) {
  const shape s = shape_of(state);
  const nn::tensor a = nn::tensor::Random(s.m, s.k), b = nn::tensor::Random(s.k, s.n);
  nn::tensor c(s.m, s.n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, s, 1);
}

/// aida: `matmul` of two leaves that view the inputs (no copy), recorded on the tape and
/// rolled back each iteration.
void BM_aida_matmul(benchmark::State& state) {
  const shape s = shape_of(state);
  const nn::tensor a = nn::tensor::Random(s.m, s.k), b = nn::tensor::Random(s.k, s.n);
  auto& t = nn::tape::local();
  auto run = [&] {
    nn::tape_scope scope(t);
    nn::var c = nn::matmul(t.view(a), t.view(b));
    benchmark::DoNotOptimize(c.value().data());
  };
  run();
  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  state.counters["allocs"] = static_cast<double>(aida_bench::allocations() - before) /
                             static_cast<double>(state.iterations());
  report_flops(state, s, 1);
}

/// Eigen alone, forward and backward: C = AB, dA += dC·Bᵀ, dB += Aᵀ·dC.
void BM_eigen_gemm_backward(benchmark::State& state) {
  const shape s = shape_of(state);
  const nn::tensor a = nn::tensor::Random(s.m, s.k), b = nn::tensor::Random(s.k, s.n);
  const nn::tensor dc = nn::tensor::Ones(s.m, s.n);
  nn::tensor c(s.m, s.n), da = nn::tensor::Zero(s.m, s.k), db = nn::tensor::Zero(s.k, s.n);
  for (auto _ : state) {
    c.noalias() = a * b;
    da.noalias() += dc * b.transpose();
    db.noalias() += a.transpose() * dc;
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(da.data());
    benchmark::DoNotOptimize(db.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, s, 3);
}

/// aida, forward and backward: two parameters, `matmul`, and the backward sweep seeded
/// with dC = 1 (`sum` of the product, whose own backward is a fill, O(mn)).
void BM_aida_matmul_backward(benchmark::State& state) {
  const shape s = shape_of(state);
  nn::parameter a(s.m, s.k), b(s.k, s.n);
  a.value = nn::tensor::Random(s.m, s.k);
  b.value = nn::tensor::Random(s.k, s.n);
  auto& t = nn::tape::local();
  auto run = [&] {
    nn::tape_scope scope(t);
    nn::var c = nn::matmul(t.param(a), t.param(b));
    t.backward(nn::sum(c));
  };
  run();
  const auto before = aida_bench::allocations();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(a.grad.data());
    benchmark::DoNotOptimize(b.grad.data());
    benchmark::ClobberMemory();
  }
  state.counters["allocs"] = static_cast<double>(aida_bench::allocations() - before) /
                             static_cast<double>(state.iterations());
  report_flops(state, s, 3);
}

/// Square sizes (one argument, the others 0) and the training step's shapes (m, k, n):
/// a recurrent step [B=32, H=128]·[H, 3H] and the input projection of all steps
/// [T·B=768, E=64]·[E, 3H].
void shapes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {64, 128, 256, 512, 1024}) b->Args({n, 0, 0});
  b->Args({32, 128, 384});
  b->Args({768, 64, 384});
  b->ArgNames({"m", "k", "n"});
}

BENCHMARK(BM_eigen_gemm)->Apply(shapes);
BENCHMARK(BM_aida_matmul)->Apply(shapes);
BENCHMARK(BM_eigen_gemm_backward)->Apply(shapes);
BENCHMARK(BM_aida_matmul_backward)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
