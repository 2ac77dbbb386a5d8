#pragma once
/// \file
/// `aida::distill`: one distillation episode (spec §3): ML's own ML-consulting tree, no
/// overseer calls.

#include <algorithm>
#include <cstddef>
#include <span>
#include <optional>
#include <utility>

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/detail/record.hpp"
#include "aida/algorithm/detail/rollback.hpp"
#include "aida/algorithm/options.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

/// Runs one distillation episode (spec §3) on `question` into `out`, reusing its storage.
///
/// `m ← ML_fan_out(Q)`; while `m` is a split, its k subquestions are answered by draws from
/// ML (no recursion) and `m ← ML_fan_in(...)`. A move that does not decode, or a split that
/// repeats the question, is counted as malformed and the answer is a draw from `ML(Q)`;
/// past `max_rounds` likewise (counted as a round-limit fallback). The episode's targets
/// are `(Q, A)` for L_ML and `(Q, ML(Q), −L)` for L_Adv; the tree is recorded as one node.
/// `out` is an `episode_for<C, M>`; `question` converts to the codec's question type. (The
/// parameters are unconstrained so that a misplaced argument is named, as in `amplify_into`.)
///
/// Exceptions of the model or adversary propagate; `rng` is then restored and `out` left empty.
template <class Out, class M, class V, class C, class S, class Question = checks::question_argument_t<C>>
void distill_into(Out& out, const Question& question_argument, M& ml, V& adv, const C& codec, S& rng,
                  const distill_options& options = {}) {
  if constexpr (checks::model_procedure_arguments<episode_for, Out, Question, M, V, C, S>()) {
    using Q = codec_question_t<C>;
    using A = codec_answer_t<C>;
    const Q& question = question_argument;
    options.validate();
    detail::fill_or_roll_back(rng, out, [&] {
      auto ask = [&](const Q& q) -> A {  // a draw (or the greedy answer) from ML(q)
        auto o = ml.predict(q);
        ++out.counts.model_calls;
        return options.greedy ? A(ml.greedy(o)) : A(ml.sample(o, rng));
      };
      auto ask_move = [&](const Q& q) -> std::optional<Move<Q, A>> {
        auto m = decode_move(codec, question, ask(q));
        if (m && m->is_split()) {
          const Split<Q>& s = m->get_split();
          // a split that repeats the question would never terminate; a codec written for
          // splits of two cannot ask a fan-in question of more
          if (std::find(s.begin(), s.end(), question) != s.end() || s.size() < 2 || !detail::codec_takes<C>(s.size()))
            m.reset();
        }
        if (!m) ++out.counts.fallbacks.malformed_moves;
        return m;
      };

      tree_node<Q, A> node;
      node.question = question;
      out.nodes.push_back(std::move(node));
      out.counts.nodes = 1;

      std::optional<A> answer;
      node_end end = node_end::fan_out_answer;
      std::optional<Move<Q, A>> m = ask_move(codec.fan_out_question(question));  // step 2
      if (m) {
        out.nodes[0].fan_out = *m;
        out.nodes[0].fan_out_by = producer::model;
      } else {
        end = node_end::malformed_move;
      }
      std::size_t prev = no_node;
      std::size_t rounds = 0;
      while (m && m->is_split()) {
        if (rounds == options.max_rounds) {
          ++out.counts.fallbacks.round_limit;
          end = node_end::round_limit;
          m.reset();
          break;
        }
        ++rounds;
        const Split<Q> s = m->get_split();
        fan_in_round<Q, A> round;
        round.questions = s;
        bounded_vector<Subanswer<Q, A>, max_subquestions> subs;
        for (const Q& sq : s) {
          round.answers.push_back(ask(sq));  // step 3: no recursion
          subs.push_back(Subanswer<Q, A>{sq, round.answers[round.answers.size() - 1]});
        }
        m = ask_move(fan_in_question_of(codec, question, std::span<const Subanswer<Q, A>>(subs.data(), subs.size())));  // step 4
        round.move = m;
        round.move_by = producer::model;
        const std::size_t r = out.rounds.size();
        out.rounds.push_back(std::move(round));
        (prev == no_node ? out.nodes[0].first_round : out.rounds[prev].next_round) = r;
        prev = r;
        ++out.nodes[0].round_count;
        ++out.counts.rounds;
        end = m ? node_end::fan_in_answer : node_end::malformed_move;
      }
      if (m) answer = m->get_answer();
      else answer = ask(question);  // malformed or past the round limit: ML's own answer

      detail::record_target(out, ml, adv, question, *answer, target_kind::answer,
                            options.adversary_loss_form);  // step 5
      out.nodes[0].answer = answer;
      out.nodes[0].answered_by = producer::model;
      out.nodes[0].end = end;
      out.answer = std::move(answer);
    });
  }
}

/// Runs one distillation episode (spec §3) and returns its record, an `episode_for<C, M>`.
/// See `distill_into`.
template <class M, class V, class C, class S, class Question = checks::question_argument_t<C>>
auto distill(const Question& question, M& ml, V& adv, const C& codec, S& rng, const distill_options& options = {}) {
  if constexpr (checks::model_procedure_arguments<episode_for, void, Question, M, V, C, S>()) {
    episode_for<C, M> out;
    distill_into(out, question, ml, adv, codec, rng, options);
    return out;
  }
}

}  // namespace aida
