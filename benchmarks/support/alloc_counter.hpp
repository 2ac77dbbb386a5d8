#pragma once
/// \file
/// Counts heap allocations in a benchmark binary by replacing the global `operator new`
/// and `operator delete` (every form the standard lets a program replace).
///
/// Include this header in exactly ONE translation unit of a benchmark executable (each
/// benchmarks/bench_*.cpp is its own executable, so: include it from the .cpp). The
/// replacements cannot be `inline` ([replacement.functions]), so a second inclusion in the
/// same binary is a multiple-definition link error, which is the behaviour we want.
///
/// Usage:
///   const auto before = aida_bench::allocations();
///   ... code under test ...
///   state.counters["allocs"] = double(aida_bench::allocations() - before);
///
/// The count is process-wide: read it around the measured loop only (Google Benchmark's own
/// bookkeeping allocates outside `for (auto _ : state)`).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace aida_bench {

namespace detail {
// Relaxed atomics: the benchmarks are single-threaded; atomics only keep a stray
// allocation on another thread (the benchmark library's) from being a data race.
inline std::atomic<std::uint64_t> allocation_count{0};
inline std::atomic<std::uint64_t> allocated_bytes{0};

[[gnu::noinline]] inline void* allocate(std::size_t size, std::size_t align) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (size == 0) size = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else {
    // aligned_alloc wants a size that is a multiple of the alignment.
    p = std::aligned_alloc(align, (size + align - 1) / align * align);
  }
  return p;
}
// Out of line so that GCC does not see `free` meet a pointer from `operator new` after
// inlining both into one caller (-Wmismatched-new-delete would fire on correct code).
[[gnu::noinline]] inline void release(void* p) noexcept { std::free(p); }
}  // namespace detail

/// Heap allocations made through `operator new` since the program started.
inline std::uint64_t allocations() noexcept {
  return detail::allocation_count.load(std::memory_order_relaxed);
}

/// Bytes requested through `operator new` since the program started.
inline std::uint64_t allocated_bytes() noexcept {
  return detail::allocated_bytes.load(std::memory_order_relaxed);
}

}  // namespace aida_bench

// ---- the replacements ----------------------------------------------------------------

void* operator new(std::size_t size) {
  if (void* p = aida_bench::detail::allocate(size, alignof(std::max_align_t))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = aida_bench::detail::allocate(size, alignof(std::max_align_t))) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = aida_bench::detail::allocate(size, static_cast<std::size_t>(align))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = aida_bench::detail::allocate(size, static_cast<std::size_t>(align))) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return aida_bench::detail::allocate(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return aida_bench::detail::allocate(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return aida_bench::detail::allocate(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return aida_bench::detail::allocate(size, static_cast<std::size_t>(align));
}

// Both malloc and aligned_alloc memory is released with free.
void operator delete(void* p) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p) noexcept { aida_bench::detail::release(p); }
void operator delete(void* p, std::size_t) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p, std::size_t) noexcept { aida_bench::detail::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { aida_bench::detail::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { aida_bench::detail::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { aida_bench::detail::release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { aida_bench::detail::release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { aida_bench::detail::release(p); }
