#pragma once
/// \file
/// How the reference backend's operations are compiled.
///
/// By default aida is header-only: the operations of `ops.hpp`, `gru.hpp` and `attention.hpp`
/// are `inline` functions defined in `aida/nn/impl/*.ipp`, which those headers include, and
/// every translation unit that includes them compiles them (and the Eigen kernels behind them)
/// again.
///
/// With `AIDA_NN_SEPARATE_COMPILATION` defined, in every translation unit of the program, the
/// headers only declare them, and exactly one source file of the program includes
/// `aida/nn/impl/src.hpp`, which defines them once. A translation unit that includes
/// `aida/nn/nn.hpp` then compiles in about half the time (docs/backend.md has the figures).
/// Defining the macro in some translation units and not in others breaks the one-definition
/// rule: set it for the whole target (`target_compile_definitions(... PUBLIC
/// AIDA_NN_SEPARATE_COMPILATION)`).

#if defined(AIDA_NN_SEPARATE_COMPILATION)
#define AIDA_NN_DECL
#else
#define AIDA_NN_DECL inline
#endif
