#pragma once
/// \file
/// The four tasks of aida (after Christiano, Shlegeris & Amodei 2018, spec §10), with one
/// interface (see `common.hpp` and docs/tasks.md), and a way to pick one by name.

#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "aida/core/error.hpp"
#include "aida/tasks/assignments.hpp"
#include "aida/tasks/common.hpp"
#include "aida/tasks/permutation.hpp"
#include "aida/tasks/sum.hpp"
#include "aida/tasks/wildcard.hpp"

namespace aida::tasks {

/// Every task type, in the order of `task_names`.
using all_tasks = std::tuple<sum_task, wildcard_task, assignments_task, permutation_task>;

/// The names of the tasks, as `name()` returns them.
inline constexpr std::array<std::string_view, 4> task_names = {
    sum_task::name(), wildcard_task::name(), assignments_task::name(), permutation_task::name()};

/// Calls `f(task)` with the task called `name` (for a command line's `--task`); every task
/// must give `f` a result of the same type. Throws `invalid_options` naming `name` and the
/// tasks there are when no task is called so.
template <class F>
decltype(auto) with_task(std::string_view name, F&& f) {
  if (name == sum_task::name()) return std::forward<F>(f)(sum_task{});
  if (name == wildcard_task::name()) return std::forward<F>(f)(wildcard_task{});
  if (name == assignments_task::name()) return std::forward<F>(f)(assignments_task{});
  if (name == permutation_task::name()) return std::forward<F>(f)(permutation_task{});
  std::string known;
  for (auto n : task_names) known += (known.empty() ? "" : ", ") + std::string(n);
  throw invalid_options("aida::tasks: no task is called \"" + std::string(name) + "\" (the tasks are " + known + ")");
}

}  // namespace aida::tasks
