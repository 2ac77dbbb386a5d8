// The audit of spec §7 with the reference backend: train ML and Adv briefly by adversarial
// IDA (or load them), unfold ML's own tree for a question, search it for a wrong step with
// the overseer checking one local step at a time, and write the tree as Graphviz DOT and
// JSON with the fault marked. Then a small study: on trees whose root answer is wrong, the
// mean number of checks of each strategy against the size of the tree.
//
//   audit [--task sum] [--steps 300] [--seed 1] [--sizes 2,4,8,16] [--trials 40]
//         [--load PREFIX | --save PREFIX] [--out DIR] [--hidden 96]
//
// Writes DIR/audit.dot, DIR/audit.json (one audited tree), DIR/audit_study.csv and
// DIR/audit_study.svg (log-log: checks against tree size), and prints the table.
// Ground truth is used only to pick trees whose root answer is wrong and to score the
// "oracle" row (a perfect adversary on the same trees), never for training.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <type_traits>
#include <string>
#include <vector>

#include "aida/aida.hpp"
#include "aida/algorithm/train.hpp"
#include "aida/io/svg_plot.hpp"
#include "aida/nn/checkpoint.hpp"
#include "aida/nn/nn.hpp"
#include "aida/tasks/tasks.hpp"

namespace {

struct settings {
  std::string task = "sum";
  std::uint64_t seed = 1;
  std::size_t steps = 300;
  std::vector<int> sizes{2, 4, 8, 16};
  std::size_t trials = 40;  // audited trees (with a wrong root answer) per size
  std::size_t hidden = 96;
  std::string load, save;
  std::string out = "audit-out";
};

const char* usage =
    "usage: audit [options]\n"
    "  --task NAME      sum | wildcard | assignments | permutation (default sum)\n"
    "  --steps N        training steps (after --load: more training; 0: none; default 300)\n"
    "  --seed N         seed of everything (default 1)\n"
    "  --sizes LIST     difficulties of the study, comma-separated (default 2,4,8,16)\n"
    "  --trials N       trees with a wrong root answer audited per size (default 40)\n"
    "  --hidden N       width of ML's embedding (default 96)\n"
    "  --load PREFIX    start from PREFIX.ml and PREFIX.adv\n"
    "  --save PREFIX    save the trained models to PREFIX.ml and PREFIX.adv\n"
    "  --out DIR        output directory (default audit-out)\n";

settings parse_args(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw aida::invalid_options("audit: " + a + " needs a value\n" + usage);
      return argv[++i];
    };
    auto number = [&]() -> std::size_t {
      const std::string v = value();
      char* end = nullptr;
      const auto n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') throw aida::invalid_options("audit: " + a + " needs a number, not \"" + v + "\"");
      return static_cast<std::size_t>(n);
    };
    if (a == "--task") s.task = value();
    else if (a == "--steps") s.steps = number();
    else if (a == "--seed") s.seed = number();
    else if (a == "--trials") s.trials = number();
    else if (a == "--hidden") s.hidden = number();
    else if (a == "--load") s.load = value();
    else if (a == "--save") s.save = value();
    else if (a == "--out") s.out = value();
    else if (a == "--sizes") {
      s.sizes.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) s.sizes.push_back(std::stoi(item));
    } else if (a == "--help" || a == "-h") {
      std::cout << usage;
      std::exit(0);
    } else {
      throw aida::invalid_options("audit: unknown option " + a + "\n" + usage);
    }
  }
  return s;
}

/// Questions of several difficulties, so that ML meets every size it will be audited on.
template <class Gen>
struct mixed_source {
  std::vector<Gen> generators;
  std::string next(aida::sampler& rng) { return generators[rng.below(generators.size())].next(rng); }
};

const aida::audit_strategy strategies[] = {aida::audit_strategy::adversary_guided,
                                           aida::audit_strategy::breadth_first, aida::audit_strategy::random};
const char* strategy_names[] = {"guided", "breadth-first", "random", "oracle-guided"};

struct size_row {
  int size = 0;
  std::size_t audited = 0, skipped = 0, drawn = 0;
  double nodes = 0;
  double checks[4] = {0, 0, 0, 0};  // the three strategies, then the perfect adversary
  std::size_t found[4] = {0, 0, 0, 0};
  std::size_t root_faults = 0;  // audits whose first check (the root) was already the fault
  double fault_depth = 0;       // mean depth of the fault the guided audit found
  std::size_t descending = 0;   // audits of wrong subtrees whose root's step is right
  double desc_nodes = 0;        // their mean size
  double desc_checks[4] = {0, 0, 0, 0};
  std::vector<double> wrong_scores, right_scores;  // Adv(Q, ML(Q)) of the audited trees' nodes
  /// How well the trained adversary ranks: the probability that a wrong node scores below
  /// a right one (ties count half); 0.5 is chance, 1 is what the guided audit needs.
  [[nodiscard]] double auc() const {
    if (wrong_scores.empty() || right_scores.empty()) return std::numeric_limits<double>::quiet_NaN();
    double wins = 0;
    for (double w : wrong_scores)
      for (double r : right_scores) wins += w < r ? 1.0 : (w == r ? 0.5 : 0.0);
    return wins / (double(wrong_scores.size()) * double(right_scores.size()));
  }
};

template <class Task>
int run(const Task& task, const settings& cfg) {
  namespace fs = std::filesystem;
  fs::create_directories(cfg.out);
  auto overseer = task.overseer();
  const auto codec = task.codec();
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.hidden = cfg.hidden;
  mc.max_answer_length = 40;
  mc.seed = cfg.seed;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.seed = cfg.seed + 1000;
  aida::nn::adversary_model adv(ac);
  aida::sampler rng(cfg.seed);

  std::vector<int> sizes;
  for (int d : cfg.sizes)
    if (d >= Task::min_difficulty && d <= Task::max_difficulty) sizes.push_back(d);
    else std::cout << "size " << d << " is outside " << task.name() << "'s difficulties; skipped\n";
  if (sizes.empty()) throw aida::invalid_options("audit: no usable --sizes for task " + std::string(task.name()));

  if (!cfg.load.empty()) {
    aida::nn::load_checkpoint(cfg.load + ".ml", ml);
    aida::nn::load_checkpoint(cfg.load + ".adv", adv);
    std::cout << "loaded " << cfg.load << ".ml and " << cfg.load << ".adv\n";
  }
  if (cfg.steps > 0) {
    mixed_source<decltype(task.generator(sizes.front()))> source;
    for (int d : sizes) source.generators.push_back(task.generator(d));
    aida::sampler held(0x5eedULL);
    auto evaluator = task.evaluator(aida::tasks::draw_questions(source, 100, held));
    aida::train_options opt;
    opt.steps = cfg.steps;
    opt.eval_every = std::max<std::size_t>(1, cfg.steps / 4);
    opt.amplify.max_depth = 8;
    opt.amplify.max_rounds = 4;
    opt.iterate = false;  // H at every step: the audit needs a trained adversary, not savings
    const auto st = aida::train(source, overseer, ml, adv, codec, aida::gumbel_argmin{0.3}, evaluator, rng, opt);
    std::cout << "trained " << st.step << " steps, " << st.overseer.total() << " overseer calls, held-out accuracy "
              << std::fixed << std::setprecision(3) << st.accuracy << "\n";
  }
  if (!cfg.save.empty()) {
    aida::nn::save_checkpoint(cfg.save + ".ml", ml);
    aida::nn::save_checkpoint(cfg.save + ".adv", adv);
  }

  aida::overseer_checker checker(overseer, codec);
  aida::unfold_options uo;
  uo.max_rounds = 2;      // ML's fan-in may keep splitting; bound the tree
  uo.max_nodes = 4096;
  auto depth_for = [](int size) { return static_cast<std::size_t>(std::ceil(std::log2(std::max(size, 1)))) + 2; };

  // One audited tree, drawn: the first question of the largest size whose answer is wrong.
  bool drawn = false;
  std::vector<size_row> rows;
  for (int size : sizes) {
    size_row row;
    row.size = size;
    auto gen = task.generator(size);
    while (row.audited < cfg.trials && row.drawn < 50 * cfg.trials) {
      ++row.drawn;
      const std::string q = gen.next(rng);
      aida::unfolded_for<std::remove_cvref_t<decltype(codec)>, aida::nn::char_model> tree;
      try {
        aida::unfold_into(tree, q, ml, adv, codec, depth_for(size), rng, uo);
      } catch (const aida::error&) {  // a tree past max_nodes: ML's splits ran away
        ++row.skipped;
        continue;
      }
      std::vector<std::string> qs{q};
      if (task.evaluator(qs).label_of(0).matches(*tree.answer)) continue;  // the audit starts from a wrong root
      ++row.audited;
      row.nodes += double(tree.nodes.size());
      for (int s = 0; s < 3; ++s) {
        const auto r = aida::audit(tree, checker, strategies[s], rng);
        row.checks[s] += double(r.checks);
        row.found[s] += r.found();
        if (s == 0 && r.found()) {
          row.root_faults += r.faulty == 0;
          row.fault_depth += double(tree.nodes[r.faulty].depth);
        }
        if (s == 0 && !drawn && size == sizes.back()) {
          drawn = true;
          aida::io::dot_options dot;
          dot.highlight = r.faulty;
          dot.checked = r.checked;
          const std::string title = "ML's tree for " + q + " (" + std::string(task.name()) + "): guided audit, " +
                                    std::to_string(r.checks) + " checks";
          dot.title = title;
          std::ofstream(fs::path(cfg.out) / "audit.dot") << aida::io::to_dot(tree, dot);
          std::ofstream(fs::path(cfg.out) / "audit.json") << aida::io::to_json(tree);
          std::cout << "audited \"" << q << "\": ML answers " << *tree.answer << ", " << tree.nodes.size()
                    << " nodes; the guided audit found "
                    << (r.found() ? "node #" + std::to_string(r.faulty) + " (" + tree.nodes[r.faulty].question + ")"
                                  : std::string("no wrong step"))
                    << " in " << r.checks << " checks; wrote " << (fs::path(cfg.out) / "audit.dot").string() << "\n";
        }
      }
      // Ground truth of every node (evaluation only): a question that is not of the task
      // has no right answer.
      std::vector<bool> right(tree.nodes.size(), false);
      std::vector<double> subtree(tree.nodes.size(), 1);
      for (std::size_t n = tree.nodes.size(); n-- > 0;) {
        try {
          std::vector<std::string> nq{tree.nodes[n].question};
          right[n] = task.evaluator(nq).label_of(0).matches(*tree.nodes[n].answer);
        } catch (const aida::error&) {
        }
        if (tree.nodes[n].parent != aida::no_node) subtree[tree.nodes[n].parent] += subtree[n];
        (right[n] ? row.right_scores : row.wrong_scores).push_back(tree.scores[n]);
      }
      // Descending instances: a wrong node below the root whose own step is right, so
      // that the fault is strictly below it and the audit of its subtree must descend.
      std::vector<std::size_t> starts;
      for (std::size_t v = 1; v < tree.nodes.size(); ++v) {
        if (right[v]) continue;
        aida::audit_result r;
        try {
          r = aida::audit(tree, checker, aida::audit_strategy::adversary_guided, rng, v);
        } catch (const aida::error&) {  // v's question is none of the task's: H cannot check it
          continue;
        }
        if (!r.found() || r.faulty == v) continue;
        starts.push_back(v);
        row.desc_nodes += subtree[v];
        row.desc_checks[0] += double(r.checks);
        for (int s = 1; s < 3; ++s)
          row.desc_checks[s] += double(aida::audit(tree, checker, strategies[s], rng, v).checks);
      }
      row.descending += starts.size();
      // The same trees with a perfect adversary: −1 where a node's answer is wrong.
      for (auto& round : tree.rounds)
        for (int i = 0; i < 2; ++i) round.scores[i] = right[round.child[i]] ? 0.0 : -1.0;
      const auto oracle = aida::audit(tree, checker, aida::audit_strategy::adversary_guided, rng);
      row.checks[3] += double(oracle.checks);
      row.found[3] += oracle.found();
      for (std::size_t v : starts)
        row.desc_checks[3] += double(aida::audit(tree, checker, aida::audit_strategy::adversary_guided, rng, v).checks);
    }
    if (row.audited > 0) {
      row.nodes /= double(row.audited);
      for (double& c : row.checks) c /= double(row.audited);
      if (row.found[0] > 0) row.fault_depth /= double(row.found[0]);
    }
    if (row.descending > 0) {
      row.desc_nodes /= double(row.descending);
      for (double& c : row.desc_checks) c /= double(row.descending);
    }
    rows.push_back(row);
  }

  // The table, the CSV and the log-log plot.
  std::ofstream csv(fs::path(cfg.out) / "audit_study.csv");
  csv << "size,audited,mean_nodes,guided,breadth_first,random,oracle_guided,found_guided,found_breadth_first,"
         "found_random,found_oracle,root_faults,mean_fault_depth,descending,desc_mean_nodes,desc_guided,desc_breadth_first,"
         "desc_random,desc_oracle_guided,adversary_auc\n";
  std::cout << "\n  size  audited  mean nodes   guided  breadth-first   random  oracle-guided   (mean checks)\n";
  aida::io::line_plot plot;
  plot.title = "Descending audits of ML's tree (" + std::string(task.name()) + "): checks against size";
  plot.x_label = "nodes in the audited subtree (mean)";
  plot.y_label = "checks until the fault (mean)";
  plot.log_x = plot.log_y = true;
  for (const char* name : strategy_names) plot.series.push_back({name, {}, false});
  plot.series.push_back({"log2(N) + 1", {}, true});
  plot.series.push_back({"N / 2", {}, true});
  for (const auto& r : rows) {
    std::cout << std::setw(6) << r.size << std::setw(9) << r.audited << std::setw(12) << std::fixed
              << std::setprecision(1) << r.nodes;
    csv << r.size << ',' << r.audited << ',' << r.nodes;
    for (int s = 0; s < 4; ++s) {
      std::cout << std::setw(s == 1 ? 15 : (s == 3 ? 15 : 9)) << std::setprecision(2) << r.checks[s];
      csv << ',' << r.checks[s];
    }
    for (int s = 0; s < 4; ++s) csv << ',' << r.found[s];
    csv << ',' << r.root_faults << ',' << r.fault_depth << ',' << r.descending << ',' << r.desc_nodes;
    for (double c : r.desc_checks) csv << ',' << c;
    csv << ',' << r.auc() << '\n';
    std::cout << "   (adversary AUC " << std::setprecision(3) << r.auc() << " over " << r.wrong_scores.size()
              << " wrong and " << r.right_scores.size() << " right nodes; fault at the root in " << r.root_faults << ", mean fault depth " << std::setprecision(2)
              << r.fault_depth << "; " << r.drawn << " drawn, " << r.skipped << " runaway trees skipped)\n";
  }
  // Where the audit has to descend: subtrees whose root is wrong but whose root's step is right.
  std::cout << "\ndescending audits (a wrong node whose own step is right):\n"
               "  size  audits  mean nodes   guided  breadth-first   random  oracle-guided   (mean checks)\n";
  for (const auto& r : rows) {
    std::cout << std::setw(6) << r.size << std::setw(8) << r.descending << std::setw(12) << std::setprecision(1)
              << r.desc_nodes;
    for (int s = 0; s < 4; ++s) std::cout << std::setw(s == 1 || s == 3 ? 15 : 9) << std::setprecision(2) << r.desc_checks[s];
    std::cout << "\n";
    if (r.descending == 0) continue;
    for (int s = 0; s < 4; ++s) plot.series[std::size_t(s)].points.emplace_back(r.desc_nodes, r.desc_checks[s]);
    plot.series[4].points.emplace_back(r.desc_nodes, std::log2(r.desc_nodes) + 1);
    plot.series[5].points.emplace_back(r.desc_nodes, r.desc_nodes / 2);
  }
  std::ofstream(fs::path(cfg.out) / "audit_study.svg") << plot.to_svg();
  std::cout << "wrote " << (fs::path(cfg.out) / "audit_study.csv").string() << " and "
            << (fs::path(cfg.out) / "audit_study.svg").string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const settings cfg = parse_args(argc, argv);
    std::cout << "aida audit example, seed " << cfg.seed << " (replay with --seed " << cfg.seed << ")\n";
    return aida::tasks::with_task(cfg.task, [&](const auto& task) { return run(task, cfg); });
  } catch (const std::exception& e) {
    std::cerr << "audit: " << e.what() << "\n";
    return 1;
  }
}
