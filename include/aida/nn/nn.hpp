#pragma once
/// \file
/// The reference backend in one include: tensors and parameters, the tape, operations,
/// the fused GRU, layers, optimisers, gradient checking, and the models ML
/// (`char_model`) and Adv (`adversary_model`). Checkpoints are in `checkpoint.hpp`.
///
/// Not part of `aida/aida.hpp`: the backend's Eigen kernels make a translation unit that
/// includes it several times slower to compile (g++ 12, -fsyntax-only: about 5x the
/// umbrella's own cost), and the procedures need none of it, so a program that brings its
/// own model does not pay for it. Include this header when you use the reference backend.

#include "aida/nn/adversary_model.hpp"
#include "aida/nn/char_encoder.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/gradcheck.hpp"
#include "aida/nn/gru.hpp"
#include "aida/nn/layers.hpp"
#include "aida/nn/ops.hpp"
#include "aida/nn/optim.hpp"
#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"
