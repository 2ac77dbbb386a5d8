#pragma once
/// \file
/// Export of a tree (an `aida::episode`, or ML's unfolded tree `aida::unfolded`) as JSON,
/// in the format described by the JSON Schema `docs/tree-schema.json`.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/core/episode.hpp"
#include "aida/io/detail/tree.hpp"
#include "aida/io/text.hpp"

namespace aida::io {

namespace detail {

template <class F, class T>
void append_text_of(std::string& out, const F& fmt, const T& value) {
  append_json_text(out, std::string(fmt(value)));
}

template <class Q, class A, class F>
void append_move(std::string& out, const F& fmt, const Move<Q, A>& m) {
  if (m.is_answer()) {
    out += "{\"answer\":";
    append_text_of(out, fmt, m.get_answer());
    out += '}';
  } else {
    out += "{\"split\":[";
    for (std::size_t i = 0; i < m.get_split().size(); ++i) {
      if (i > 0) out += ',';
      append_text_of(out, fmt, m.get_split()[i]);
    }
    out += "]}";
  }
}

inline void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

inline void append_index(std::string& out, std::size_t i) {
  if (i == no_node) out += "null";
  else append_json_number(out, i);
}

}  // namespace detail

/// Appends the JSON document of `tree` to `out` (schema: `docs/tree-schema.json`).
///
/// Questions and answers are turned into text by `fmt` (default: the string itself, or
/// `operator<<`); any text, including quotes, control characters and bytes that are not
/// UTF-8, gives valid JSON and reads back exactly (see `append_json_text`). Nodes are
/// listed in the tree's order (the root first), one per line.
template <Tree T, class F = to_text>
void append_json(std::string& out, const T& tree, const F& fmt = {}) {
  using Q = typename T::question_type;
  using A = typename T::answer_type;
  static_assert(Formatter<F, Q>,
                "aida::io: the formatter cannot turn the question type into text (give the type an "
                "operator<<, or pass a formatter: a callable from the question to std::string)");
  static_assert(Formatter<F, A>,
                "aida::io: the formatter cannot turn the answer type into text (give the type an "
                "operator<<, or pass a formatter: a callable from the answer to std::string)");
  using detail::append_index;
  using detail::append_key;
  const std::vector<double> scores = detail::node_scores(tree);
  const episode_counts& c = tree.counts;

  out += "{\"format\":\"aida-tree\",\"version\":1,";
  append_key(out, "answer");
  if (tree.answer) detail::append_text_of(out, fmt, *tree.answer);
  else out += "null";
  out += ",\"counts\":{";
  const std::pair<std::string_view, std::size_t> counts[] = {
      {"nodes", c.nodes}, {"rounds", c.rounds}, {"depth_reached", c.depth_reached},
      {"model_calls", c.model_calls}, {"adversary_calls", c.adversary_calls}};
  for (const auto& [key, value] : counts) {
    append_key(out, key);
    append_json_number(out, value);
    out += ',';
  }
  out += "\"overseer_calls\":{\"answer\":";
  append_json_number(out, c.overseer.answer);
  out += ",\"fan_out\":";
  append_json_number(out, c.overseer.fan_out);
  out += ",\"fan_in\":";
  append_json_number(out, c.overseer.fan_in);
  out += "},\"fallbacks\":{\"depth_limit\":";
  append_json_number(out, c.fallbacks.depth_limit);
  out += ",\"round_limit\":";
  append_json_number(out, c.fallbacks.round_limit);
  out += ",\"overseer_budget\":";
  append_json_number(out, c.fallbacks.overseer_budget);
  out += ",\"malformed_moves\":";
  append_json_number(out, c.fallbacks.malformed_moves);
  out += "}},\n\"nodes\":[";

  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    const auto& node = tree.nodes[n];
    out += n == 0 ? "\n{" : ",\n{";
    append_key(out, "id");
    append_json_number(out, n);
    out += ',';
    append_key(out, "parent");
    append_index(out, node.parent);
    out += ',';
    append_key(out, "depth");
    append_json_number(out, node.depth);
    out += ',';
    append_key(out, "question");
    detail::append_text_of(out, fmt, node.question);
    out += ',';
    append_key(out, "answer");
    if (node.answer) detail::append_text_of(out, fmt, *node.answer);
    else out += "null";
    out += ",\"answered_by\":\"";
    out += name(node.answered_by);
    out += "\",\"end\":\"";
    out += name(node.end);
    out += "\",";
    append_key(out, "score");
    append_json_number(out, scores[n]);
    out += ",\"recursed\":";
    out += node.parent == no_node ? "false" : "true";
    out += ',';
    append_key(out, "fan_out");
    if (node.fan_out) detail::append_move(out, fmt, *node.fan_out);
    else out += "null";
    out += ",\"fan_out_by\":\"";
    out += name(node.fan_out_by);
    out += "\",\"rounds\":[";
    bool first_round = true;
    tree.for_each_round(n, [&](const fan_in_round<Q, A>& r) {
      out += first_round ? "{" : ",{";
      first_round = false;
      out += "\"subquestions\":[";
      for (std::size_t i = 0; i < r.questions.size(); ++i) {
        out += i == 0 ? "{" : ",{";
        append_key(out, "question");
        detail::append_text_of(out, fmt, r.questions[i]);
        out += ',';
        append_key(out, "answer");
        detail::append_text_of(out, fmt, r.answers[i]);
        out += ",\"answered_by\":\"";
        out += name(r.answered_by[i]);
        out += "\",";
        append_key(out, "score");
        append_json_number(out, r.scores[i]);
        out += ",\"recursed\":";
        out += r.recursed[i] ? "true" : "false";
        out += ',';
        append_key(out, "child");
        append_index(out, r.child[i]);
        out += '}';
      }
      out += "],";
      append_key(out, "move");
      if (r.move) detail::append_move(out, fmt, *r.move);
      else out += "null";
      out += ",\"move_by\":\"";
      out += name(r.move_by);
      out += "\"}";
    });
    out += "]}";
  }
  out += "\n]}\n";
}

/// The JSON document of `tree` (see `append_json`).
template <Tree T, class F = to_text>
[[nodiscard]] std::string to_json(const T& tree, const F& fmt = {}) {
  std::string out;
  append_json(out, tree, fmt);
  return out;
}

/// Writes the JSON document of `tree` to `os` (see `append_json`).
template <Tree T, class F = to_text>
void write_json(std::ostream& os, const T& tree, const F& fmt = {}) {
  const std::string s = to_json(tree, fmt);
  os.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace aida::io
