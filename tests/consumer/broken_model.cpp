// Must NOT compile: a model that forgets log_prob. The add_subdirectory install test builds it
// and checks that the compiler's first complaint is aida's one-sentence message naming the
// missing member (core/static_checks.hpp), not a page of template errors.
#include <string>

#include <aida/aida.hpp>

struct model_without_log_prob {
  std::string predict(const std::string& q) { return q; }
  std::string sample(const std::string& o, aida::sampler&) { return o; }
  std::string greedy(const std::string& o) { return o; }
};

struct overseer {
  std::string answer(const std::string& q) { return q; }
  aida::Move<std::string, std::string> fan_out(const std::string& q) {
    return aida::Move<std::string, std::string>::answer(q);
  }
  aida::Move<std::string, std::string> fan_in(const std::string& q, const aida::Subanswer<std::string, std::string>&,
                                              const aida::Subanswer<std::string, std::string>&) {
    return aida::Move<std::string, std::string>::answer(q);
  }
};

struct adversary {
  double score(const std::string&, const std::string&) { return 0; }
};

int main() {
  overseer h;
  model_without_log_prob ml;
  adversary adv;
  aida::sampler rng(1);
  (void)aida::amplify(std::string("q"), h, ml, adv, aida::string_codec{}, aida::recurse_all{}, rng);
}
