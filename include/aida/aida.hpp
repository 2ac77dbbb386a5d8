#pragma once
/// \file
/// The umbrella header: include it and you have the whole library, except `aida/ext/`
/// (adapters to other libraries) which is included on its own.

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
#include "aida/algorithm/distill.hpp"
#include "aida/algorithm/iterate.hpp"
#include "aida/algorithm/options.hpp"
#include "aida/algorithm/unfold.hpp"

#include "aida/io/text.hpp"
#include "aida/io/tree_dot.hpp"
#include "aida/io/tree_json.hpp"

#include "aida/tasks/tasks.hpp"
