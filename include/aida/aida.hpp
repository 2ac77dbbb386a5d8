#pragma once
/// \file
/// The umbrella header: the concepts, the procedures, training, the audit, tree export and
/// the tasks, the overseer wrappers (cache, console, fault injection). Two parts are included on their own: the reference backend
/// (`aida/nn/nn.hpp`, and `aida/nn/checkpoint.hpp`), which brings Eigen and Boost.Hana into
/// every translation unit and so is left to those that use it, and `aida/ext/` (adapters
/// to other libraries, the process overseer, the SQLite cache: each with its dependency).

#include "aida/core/communicator.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"
#include "aida/core/label.hpp"
#include "aida/core/move.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/question_source.hpp"
#include "aida/core/sampler.hpp"
#include "aida/core/static_checks.hpp"
#include "aida/core/string_codec.hpp"

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/audit.hpp"
#include "aida/algorithm/callbacks.hpp"
#include "aida/algorithm/distill.hpp"
#include "aida/algorithm/iterate.hpp"
#include "aida/algorithm/options.hpp"
#include "aida/algorithm/train.hpp"
#include "aida/algorithm/unfold.hpp"

#include "aida/io/svg_plot.hpp"
#include "aida/io/text.hpp"
#include "aida/io/tree_dot.hpp"
#include "aida/io/tree_json.hpp"
#include "aida/overseers/cached.hpp"
#include "aida/overseers/console.hpp"
#include "aida/overseers/faulty.hpp"
#include "aida/overseers/pool.hpp"
#include "aida/overseers/text.hpp"

#include "aida/tasks/tasks.hpp"
