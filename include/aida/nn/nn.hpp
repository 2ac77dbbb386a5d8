#pragma once
/// \file
/// The reference backend in one include: tensors and parameters, the tape, operations,
/// the fused GRU, layers, optimisers, gradient checking, and the models ML
/// (`char_model`) and Adv (`adversary_model`). Checkpoints are in `checkpoint.hpp`.

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
