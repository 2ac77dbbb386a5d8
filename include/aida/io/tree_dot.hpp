#pragma once
/// \file
/// Export of a tree (an `aida::episode`, or ML's unfolded tree `aida::unfolded`) as a
/// Graphviz DOT graph, coloured so that what an auditor looks for stands out.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "aida/core/episode.hpp"
#include "aida/io/detail/tree.hpp"
#include "aida/io/text.hpp"

namespace aida::io {

/// Options of the DOT export. They own their data (a title built in a temporary cannot
/// dangle).
struct dot_options {
  /// Characters of a question or answer shown in a label before it is cut with `…`.
  std::size_t max_label_chars = 60;
  /// A node to mark as the fault (for example `audit_result::faulty`); `no_node` for none.
  std::size_t highlight = no_node;
  /// Nodes to number in the order they were checked (for example `audit_result::checked`).
  std::vector<std::size_t> checked = {};
  /// Draw subanswers that were drawn from ML without recursion as dashed leaves.
  bool show_model_subanswers = true;
  /// The graph's title; the legend follows it.
  std::string title = "aida tree";
};

namespace detail {

inline void append_fixed(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "none";
    return;
  }
  char buf[48];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, 3);
  out.append(buf, r.ec == std::errc{} ? r.ptr : buf);
}

/// Fill colour for a score: red for the lowest score of the tree, fading to white for the
/// highest (Adv predicts −loss, so red is where it expects ML to be wrong); grey if none.
inline std::string score_fill(double s, double lo, double hi) {
  if (std::isnan(s)) return "#e8e8e8";
  const double t = hi > lo ? std::clamp((s - lo) / (hi - lo), 0.0, 1.0) : 1.0;
  const auto gb = static_cast<unsigned>(std::lround(110 + 145 * t));
  std::string c = "#ff";
  append_hex_byte(c, static_cast<unsigned char>(gb));
  append_hex_byte(c, static_cast<unsigned char>(gb));
  return c;
}

}  // namespace detail

/// Appends the DOT graph of `tree` to `out`.
///
/// One box per node: its number and depth, question, answer, who answered it, how it
/// ended, the adversary's score and its fan-out; one edge per unfolded subquestion,
/// labelled with its fan-in round. Colours: the fill goes from white (high score) to red
/// (the lowest score of the tree); a node where the overseer was called (answer, fan-out or
/// a fan-in move) has a thick blue border; `options.highlight` gets a thick dark-red
/// border. Subanswers drawn from ML without recursion are dashed leaves. Every string is
/// escaped (`append_dot_escaped`), so any question text gives a valid graph.
template <Tree T, class F = to_text>
void append_dot(std::string& out, const T& tree, const dot_options& options = {}, const F& fmt = {}) {
  using Q = typename T::question_type;
  using A = typename T::answer_type;
  static_assert(Formatter<F, Q>,
                "aida::io: the formatter cannot turn the question type into text (give the type an "
                "operator<<, or pass a formatter: a callable from the question to std::string)");
  static_assert(Formatter<F, A>,
                "aida::io: the formatter cannot turn the answer type into text (give the type an "
                "operator<<, or pass a formatter: a callable from the answer to std::string)");
  const std::vector<double> scores = detail::node_scores(tree);
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  auto widen = [&](double s) {
    if (std::isfinite(s)) lo = std::min(lo, s), hi = std::max(hi, s);
  };
  for (double s : scores) widen(s);
  for (const auto& r : tree.rounds)
    for (std::size_t i = 0; i < r.questions.size(); ++i) widen(r.scores[i]);

  const std::size_t cut = options.max_label_chars;
  auto text = [&](const auto& v) { append_dot_escaped(out, std::string(fmt(v)), cut); };
  auto line_end = [&] { out += "\\l"; };  // a left-justified line break in a label

  out += "digraph aida_tree {\n  graph [fontname=\"Helvetica\", fontsize=10, labelloc=t, label=\"";
  append_dot_escaped(out, options.title, 200);
  // The fill is relative to this tree's scores: the legend states their range, so a tree
  // whose scores are all near 0 is not read as alarming.
  out += "\\nfill: adversary score, red = ";
  detail::append_fixed(out, lo <= hi ? lo : std::numeric_limits<double>::quiet_NaN());
  out += " (lowest of this tree) to white = ";
  detail::append_fixed(out, lo <= hi ? hi : std::numeric_limits<double>::quiet_NaN());
  out += "; blue border: overseer call, dark red: fault, dashed: subanswer drawn from ML\"];\n"
         "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=9];\n"
         "  edge [fontname=\"Helvetica\", fontsize=8];\n";

  std::vector<std::size_t> order(tree.nodes.size(), 0);  // 1-based check order, 0 = unchecked
  for (std::size_t k = 0; k < options.checked.size(); ++k)
    if (options.checked[k] < order.size() && order[options.checked[k]] == 0) order[options.checked[k]] = k + 1;

  for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
    const auto& node = tree.nodes[n];
    bool overseer = node.answered_by == producer::overseer ||
                    (node.fan_out && node.fan_out_by == producer::overseer);
    tree.for_each_round(n, [&](const fan_in_round<Q, A>& r) {
      if (r.move && r.move_by == producer::overseer) overseer = true;
    });
    out += "  n";
    append_json_number(out, n);
    out += " [label=\"#";
    append_json_number(out, n);
    out += "  depth ";
    append_json_number(out, node.depth);
    if (order[n] != 0) {
      out += "  check ";
      append_json_number(out, order[n]);
    }
    if (n == options.highlight) out += "  FAULT";
    line_end();
    out += "Q: ";
    text(node.question);
    line_end();
    out += "A: ";
    if (node.answer) text(*node.answer);
    else out += "(none)";
    line_end();
    out += "by ";
    out += name(node.answered_by);
    out += ", ";
    out += name(node.end);
    out += ", score ";
    detail::append_fixed(out, scores[n]);
    line_end();
    if (node.fan_out) {
      out += "fan-out (";
      out += name(node.fan_out_by);
      out += "): ";
      if (node.fan_out->is_answer()) {
        out += "answer";
      } else {
        out += "split, ";
        append_json_number(out, node.round_count);
        out += node.round_count == 1 ? " round" : " rounds";
      }
      line_end();
    }
    out += "\", fillcolor=\"";
    out += detail::score_fill(scores[n], lo, hi);
    out += '"';
    if (n == options.highlight) out += ", color=\"#8b0000\", penwidth=4";
    else if (overseer) out += ", color=\"#1f4fd8\", penwidth=3";
    out += "];\n";

    std::size_t ri = 0;
    tree.for_each_round(n, [&](const fan_in_round<Q, A>& r) {
      ++ri;
      for (std::size_t i = 0; i < r.questions.size(); ++i) {
        if (r.child[i] != no_node) {
          out += "  n";
          append_json_number(out, n);
          out += " -> n";
          append_json_number(out, r.child[i]);
          out += " [label=\"r";
          append_json_number(out, ri);
          out += "\"];\n";
        } else if (options.show_model_subanswers) {
          std::string id = "m";
          append_json_number(id, n);
          id += '_';
          append_json_number(id, ri);
          id += '_';
          append_json_number(id, i);
          out += "  " + id + " [style=\"dashed,filled\", label=\"Q: ";
          text(r.questions[i]);
          line_end();
          out += "A: ";
          text(r.answers[i]);
          line_end();
          out += "by ";
          out += name(r.answered_by[i]);
          out += ", score ";
          detail::append_fixed(out, r.scores[i]);
          line_end();
          out += "\", fillcolor=\"";
          out += detail::score_fill(r.scores[i], lo, hi);
          out += "\"];\n  n";
          append_json_number(out, n);
          out += " -> " + id + " [style=dashed, label=\"r";
          append_json_number(out, ri);
          out += "\"];\n";
        }
      }
    });
  }
  out += "}\n";
}

/// The DOT graph of `tree` (see `append_dot`).
template <Tree T, class F = to_text>
[[nodiscard]] std::string to_dot(const T& tree, const dot_options& options = {}, const F& fmt = {}) {
  std::string out;
  append_dot(out, tree, options, fmt);
  return out;
}

/// Writes the DOT graph of `tree` to `os` (see `append_dot`).
template <Tree T, class F = to_text>
void write_dot(std::ostream& os, const T& tree, const dot_options& options = {}, const F& fmt = {}) {
  const std::string s = to_dot(tree, options, fmt);
  os.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace aida::io
