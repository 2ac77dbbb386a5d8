#pragma once
/// \file
/// The reference Transformer pair in one include: ML (`transformer_model`, an
/// encoder–decoder over characters) and Adv (`transformer_adversary`, which reads ML's
/// encoder states with attention), with their layers and operations (`attention.hpp`).
///
/// Separate from `nn.hpp` (the GRU pair), so that a program pays the compile time of the
/// model it uses. Checkpoints are in `checkpoint.hpp` and work for both.

#include "aida/nn/attention.hpp"
#include "aida/nn/transformer_adversary.hpp"
#include "aida/nn/transformer_layers.hpp"
#include "aida/nn/transformer_model.hpp"
