// Tree export (spec §7): JSON read back by a strict parser and checked against
// docs/tree-schema.json; DOT accepted by Graphviz; any question text survives.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/unfold.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/io/tree_dot.hpp"
#include "aida/io/tree_json.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

// ---------------------------------------------------------------------------------------
// A strict JSON parser (RFC 8259): no trailing commas, no comments, no raw control
// characters or invalid UTF-8 in strings, no lone surrogates, no leading zeros.

struct json;
using json_object = std::vector<std::pair<std::string, json>>;
using json_array = std::vector<json>;
struct json {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<json_array>, std::shared_ptr<json_object>> v;
  bool integer = false;  // a number written without fraction or exponent

  bool is_null() const { return v.index() == 0; }
  bool is_bool() const { return v.index() == 1; }
  bool is_number() const { return v.index() == 2; }
  bool is_string() const { return v.index() == 3; }
  bool is_array() const { return v.index() == 4; }
  bool is_object() const { return v.index() == 5; }
  double number() const { return std::get<2>(v); }
  const std::string& str() const { return std::get<3>(v); }
  const json_array& array() const { return *std::get<4>(v); }
  const json_object& object() const { return *std::get<5>(v); }
  const json* find(const std::string& key) const {
    for (const auto& [k, x] : object())
      if (k == key) return &x;
    return nullptr;
  }
  const json& operator[](const std::string& key) const {
    const json* x = find(key);
    if (!x) throw std::runtime_error("no key " + key);
    return *x;
  }
};

class json_parser {
 public:
  explicit json_parser(std::string_view s) : s_(s) {}
  json parse() {
    json v = value();
    ws();
    if (i_ != s_.size()) fail("trailing content");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    throw std::runtime_error("JSON error at byte " + std::to_string(i_) + ": " + why);
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  char peek() {
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected ") + c);
    ++i_;
  }
  json value() {
    ws();
    const char c = peek();
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return json{string()};
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (auto [lit, val] : {std::pair<std::string_view, int>{"null", 0}, {"true", 1}, {"false", 2}})
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        if (val == 0) return json{nullptr};
        return json{val == 1};
      }
    fail("unexpected character");
  }
  json object() {
    expect('{');
    auto obj = std::make_shared<json_object>();
    ws();
    if (peek() == '}') {
      ++i_;
      return json{obj};
    }
    for (;;) {
      ws();
      if (peek() != '"') fail("expected a key");
      std::string key = string();
      for (const auto& kv : *obj)
        if (kv.first == key) fail("duplicate key " + key);
      ws();
      expect(':');
      obj->emplace_back(std::move(key), value());
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return json{obj};
    }
  }
  json array() {
    expect('[');
    auto arr = std::make_shared<json_array>();
    ws();
    if (peek() == ']') {
      ++i_;
      return json{arr};
    }
    for (;;) {
      arr->push_back(value());
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect(']');
      return json{arr};
    }
  }
  json number() {
    const std::size_t start = i_;
    bool integer = true;
    if (peek() == '-') ++i_;
    if (peek() == '0') ++i_;
    else if (peek() >= '1' && peek() <= '9') while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    else fail("bad number");
    if (i_ < s_.size() && s_[i_] == '.') {
      integer = false;
      ++i_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("bad fraction");
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integer = false;
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("bad exponent");
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    json j{std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr)};
    j.integer = integer;
    return j;
  }
  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned u = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      u <<= 4;
      if (c >= '0' && c <= '9') u |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') u |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') u |= unsigned(c - 'A' + 10);
      else fail("bad hex digit");
    }
    return u;
  }
  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += char(cp);
    else if (cp < 0x800) out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
    else if (cp < 0x10000)
      out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    else
      out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F)),
          out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  }
  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20) fail("raw control character in a string");
      if (c == '\\') {
        ++i_;
        const char e = peek();
        ++i_;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            unsigned cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(i_, 2) != "\\u") fail("lone high surrogate");
              i_ += 2;
              const unsigned lo = hex4();
              if (lo < 0xDC00 || lo > 0xDFFF) fail("bad low surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(out, cp);
            break;
          }
          default: fail("unknown escape");
        }
        continue;
      }
      const std::size_t n = aida::io::utf8_length(s_, i_);
      if (n == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(i_, n));
      i_ += n;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

json parse_json(std::string_view s) { return json_parser(s).parse(); }

TEST(StrictJsonParser, RejectsWhatJsonForbids) {
  for (const char* bad : {"{\"a\":1,}", "[1,]", "01", "\"\x01\"", "\"\\ud800\"", "\"\xC0\xAF\"", "nan",
                          "{\"a\":1,\"a\":2}", "[1] x", "\"\\x41\"", "1.", "-"})
    EXPECT_THROW(parse_json(bad), std::runtime_error) << bad;
  EXPECT_EQ(parse_json("\"\\ud83d\\ude00\\u00e9\"").str(), "\xF0\x9F\x98\x80\xC3\xA9");
  EXPECT_TRUE(parse_json(" {\"a\": [1, -2.5e3, true, null]} ").is_object());
}

// ---------------------------------------------------------------------------------------
// A small JSON Schema validator: the keywords docs/tree-schema.json uses.

class schema_validator {
 public:
  explicit schema_validator(json root) : root_(std::move(root)) {}
  /// Empty if `x` conforms; otherwise where and why not.
  std::string validate(const json& x) const { return check(root_, x, "$"); }

 private:
  static std::string type_of(const json& x) {
    if (x.is_null()) return "null";
    if (x.is_bool()) return "boolean";
    if (x.is_number()) return x.integer ? "integer" : "number";
    if (x.is_string()) return "string";
    if (x.is_array()) return "array";
    return "object";
  }
  static bool has_type(const json& x, const std::string& t) {
    const std::string u = type_of(x);
    return u == t || (t == "number" && u == "integer");
  }
  static bool equal(const json& a, const json& b) {
    if (a.is_string() && b.is_string()) return a.str() == b.str();
    if (a.is_number() && b.is_number()) return a.number() == b.number();
    return false;
  }
  std::string check(const json& s, const json& x, const std::string& at) const {
    static const std::set<std::string> known = {
        "$schema", "$id", "title", "description", "$defs", "$ref", "type", "const", "enum", "oneOf",
        "required", "properties", "additionalProperties", "items", "minItems", "maxItems", "minimum", "pattern"};
    for (const auto& [k, v] : s.object())
      if (!known.count(k)) return at + ": the validator does not know keyword " + k;
    if (const json* ref = s.find("$ref")) {
      const std::string r = ref->str();
      if (r.rfind("#/$defs/", 0) != 0) return at + ": unsupported $ref " + r;
      return check(root_["$defs"][r.substr(8)], x, at);
    }
    if (const json* t = s.find("type")) {
      bool ok = false;
      if (t->is_string()) ok = has_type(x, t->str());
      else
        for (const auto& u : t->array()) ok = ok || has_type(x, u.str());
      if (!ok) return at + ": wrong type " + type_of(x);
    }
    if (const json* c = s.find("const"); c && !equal(*c, x)) return at + ": not the constant";
    if (const json* e = s.find("enum")) {
      bool ok = false;
      for (const auto& u : e->array()) ok = ok || equal(u, x);
      if (!ok) return at + ": not in the enum";
    }
    if (const json* o = s.find("oneOf")) {
      int matches = 0;
      std::string why;
      for (const auto& u : o->array()) {
        const std::string r = check(u, x, at);
        if (r.empty()) ++matches;
        else why += " [" + r + "]";
      }
      if (matches != 1) return at + ": matches " + std::to_string(matches) + " of oneOf" + why;
    }
    if (const json* m = s.find("minimum"); m && x.is_number() && x.number() < m->number()) return at + ": below minimum";
    if (const json* p = s.find("pattern"); p && x.is_string()) {
      // The one pattern the schema uses (std::regex trips GCC 12's warnings under ASan).
      if (p->str() != "^([0-9a-f]{2})*$") return at + ": the validator does not know pattern " + p->str();
      const bool hex = x.str().size() % 2 == 0 && std::all_of(x.str().begin(), x.str().end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                       });
      if (!hex) return at + ": does not match the pattern";
    }
    if (x.is_array()) {
      if (const json* m = s.find("minItems"); m && double(x.array().size()) < m->number()) return at + ": too few items";
      if (const json* m = s.find("maxItems"); m && double(x.array().size()) > m->number()) return at + ": too many items";
      if (const json* items = s.find("items"))
        for (std::size_t i = 0; i < x.array().size(); ++i)
          if (auto r = check(*items, x.array()[i], at + "[" + std::to_string(i) + "]"); !r.empty()) return r;
    }
    if (x.is_object()) {
      if (const json* req = s.find("required"))
        for (const auto& k : req->array())
          if (!x.find(k.str())) return at + ": missing " + k.str();
      const json* props = s.find("properties");
      const json* extra = s.find("additionalProperties");
      for (const auto& [k, v] : x.object()) {
        const json* p = props ? props->find(k) : nullptr;
        if (p) {
          if (auto r = check(*p, v, at + "." + k); !r.empty()) return r;
        } else if (extra && extra->is_bool() && !std::get<1>(extra->v)) {
          return at + ": unexpected key " + k;
        }
      }
    }
    return "";
  }
  json root_;
};

std::filesystem::path source_dir() { return std::filesystem::path(__FILE__).parent_path().parent_path(); }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const schema_validator& tree_schema() {
  static const schema_validator v(parse_json(read_file(source_dir() / "docs" / "tree-schema.json")));
  return v;
}

/// Reads a text value back (docs/tree-schema.json `$defs/text`): exact bytes.
std::string text_of(const json& t) {
  if (t.is_string()) return t.str();
  const std::string& hex = t["hex"].str();
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// ---------------------------------------------------------------------------------------
// A string world with hostile text: the overseer answers a question with its bytes
// reversed, splitting it in two halves (so halves cut UTF-8 sequences: invalid UTF-8
// appears by itself). ML does the same through the codec, for the unfolded tree.

using Q = std::string;
using A = std::string;
using move_t = aida::Move<Q, A>;
using sub_t = aida::Subanswer<Q, A>;

struct reverse_overseer {
  A answer(const Q& q) const { return A(q.rbegin(), q.rend()); }
  move_t fan_out(const Q& q) const {
    if (q.size() <= 3) return move_t::answer(answer(q));
    return move_t::split(q.substr(0, q.size() / 2), q.substr(q.size() / 2));
  }
  move_t fan_in(const Q& q, const sub_t& a, const sub_t& b) const {
    const bool a_first = q.compare(0, a.question.size(), a.question) == 0 && a.question.size() == q.size() / 2;
    return move_t::answer(a_first ? b.answer + a.answer : a.answer + b.answer);
  }
};

/// Reads the string codec's fan-in question "&q|x=a|y=b" (with `\` escapes) back.
std::vector<std::string> unescape_fields(std::string_view s) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) out.back() += s[++i];
    else if (s[i] == '|' || s[i] == '=') out.emplace_back();
    else out.back() += s[i];
  }
  return out;
}

/// ML that reasons like the overseer (its output is the query itself).
struct reverse_model {
  aida::string_codec codec;
  reverse_overseer h;
  Q predict(const Q& q) const { return q; }
  double log_prob(const Q&, const A&) const { return -0.5; }
  A sample(const Q& o, aida::sampler&) const { return greedy(o); }
  A greedy(const Q& o) const {
    if (!o.empty() && o[0] == '^') return codec.encode(h.fan_out(o.substr(1)));
    if (!o.empty() && o[0] == '&') {
      const auto f = unescape_fields(std::string_view(o).substr(1));  // q, x, a, y, b
      return codec.encode(h.fan_in(f.at(0), {f.at(1), f.at(2)}, {f.at(3), f.at(4)}));
    }
    return h.answer(o);
  }
};

struct length_adversary {
  double score(const Q& q, const Q&) const { return -static_cast<double>(q.size()); }
};

/// Questions no exporter may mangle.
const std::vector<std::string> hostile = {
    "plain",
    "quote \" and backslash \\ and \\\" together \\",
    std::string("nul \0 inside", 12),
    "newline\nreturn\rtab\tformfeed\fbell\x07" "esc\x1b" "del\x7f",
    "utf-8: \xC3\xA9t\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \xE2\x80\xA8 separator",
    "invalid: \x80 \xC0\xAF \xED\xA0\x80 \xE2\x82 \xFF \xF4\x90\x80\x80 end",
    "dot specials: { } [ ] < > | ; , = -> -- &amp; &#65; \\N \\G \\l \\n",
    "}\"]; digraph x { a -> b } // /* */ #",
};

const aida::string_codec codec;

aida::episode<Q, A, Q> amplified(const Q& q, aida::sampler& rng) {
  reverse_overseer h;
  reverse_model ml{codec, h};
  length_adversary adv;
  return aida::amplify(q, h, ml, adv, codec, aida::gumbel_argmin{.temperature = 1}, rng);
}

aida::unfolded<Q, A, Q> unfolded(const Q& q, aida::sampler& rng, std::size_t max_depth = 8) {
  reverse_model ml{codec, {}};
  length_adversary adv;
  return aida::unfold(q, ml, adv, codec, max_depth, rng);
}

template <class T>
void expect_round_trip(const T& tree) {
  const std::string out = aida::io::to_json(tree);
  json doc;
  ASSERT_NO_THROW(doc = parse_json(out)) << out;
  EXPECT_EQ(tree_schema().validate(doc), "");
  const auto& nodes = doc["nodes"].array();
  ASSERT_EQ(nodes.size(), tree.nodes.size());
  EXPECT_EQ(text_of(doc["answer"]), *tree.answer);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& node = tree.nodes[i];
    EXPECT_EQ(text_of(nodes[i]["question"]), node.question) << "node " << i;
    EXPECT_EQ(text_of(nodes[i]["answer"]), *node.answer) << "node " << i;
    EXPECT_EQ(nodes[i]["depth"].number(), double(node.depth));
    EXPECT_EQ(nodes[i]["answered_by"].str(), aida::io::name(node.answered_by));
    EXPECT_EQ(nodes[i]["end"].str(), aida::io::name(node.end));
    EXPECT_EQ(nodes[i]["rounds"].array().size(), node.round_count);
    if (node.parent == aida::no_node) EXPECT_TRUE(nodes[i]["parent"].is_null());
    else EXPECT_EQ(nodes[i]["parent"].number(), double(node.parent));
    std::size_t r = node.first_round;
    for (const auto& round : nodes[i]["rounds"].array()) {
      const auto& subs = round["subquestions"].array();
      EXPECT_EQ(text_of(subs[0]["question"]), tree.rounds[r].questions.first());
      EXPECT_EQ(text_of(subs[1]["answer"]), tree.rounds[r].answers[1]);
      EXPECT_EQ(subs[0]["recursed"].is_bool() && std::get<1>(subs[0]["recursed"].v), tree.rounds[r].recursed[0]);
      r = tree.rounds[r].next_round;
    }
  }
}

TEST(JsonExport, AnyQuestionTextGivesValidJsonThatReadsBackExactly) {
  aida::sampler rng(aida_test::seed());
  for (const auto& q : hostile) {
    SCOPED_TRACE(q);
    const auto ep = amplified(q, rng);
    ASSERT_EQ(*ep.answer, std::string(q.rbegin(), q.rend()));  // the world works
    expect_round_trip(ep);
    const auto t = unfolded(q, rng);
    ASSERT_EQ(*t.answer, std::string(q.rbegin(), q.rend()));
    expect_round_trip(t);
  }
}

TEST(JsonExport, ScoresProducersAndCountsAreExported) {
  aida::sampler rng(aida_test::seed());
  const Q q = "a question long enough to split a few times";
  const auto ep = amplified(q, rng);
  const json doc = parse_json(aida::io::to_json(ep));
  EXPECT_EQ(doc["counts"]["nodes"].number(), double(ep.nodes.size()));
  EXPECT_EQ(doc["counts"]["overseer_calls"]["fan_out"].number(), double(ep.counts.overseer.fan_out));
  EXPECT_TRUE(doc["nodes"].array()[0]["score"].is_null()) << "an episode's root has no score";
  EXPECT_EQ(doc["nodes"].array()[0]["answered_by"].str(), "overseer");
  // gumbel_argmin recurses on one subquestion per round: the other is drawn from ML.
  const auto& sub = doc["nodes"].array()[0]["rounds"].array()[0]["subquestions"].array();
  const int recursed = int(std::get<1>(sub[0]["recursed"].v)) + int(std::get<1>(sub[1]["recursed"].v));
  EXPECT_EQ(recursed, 1);
  for (const auto& s : sub) {
    EXPECT_EQ(s["answered_by"].str(), std::get<1>(s["recursed"].v) ? "recursion" : "model");
    EXPECT_EQ(s["score"].number(), -double(text_of(s["question"]).size()));
  }

  const auto t = unfolded(q, rng);
  const json u = parse_json(aida::io::to_json(t));
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const auto& node = u["nodes"].array()[i];
    EXPECT_EQ(node["score"].number(), t.scores[i]);
    EXPECT_EQ(node["answered_by"].str(), "model");
  }
}

// Generic question and answer types: streamable, or through a formatter.
struct point {
  int x, y;
  friend std::ostream& operator<<(std::ostream& os, const point& p) { return os << '(' << p.x << ", " << p.y << ')'; }
};
struct opaque {
  int id;
};
static_assert(aida::io::Formatter<aida::io::to_text, point>);
static_assert(!aida::io::Formatter<aida::io::to_text, opaque>);

TEST(JsonExport, GenericTypesAreTurnedIntoTextByStreamingOrAFormatter) {
  aida::episode<point, int, int> ep;
  ep.nodes.push_back({});
  ep.nodes[0].question = point{1, -2};
  ep.nodes[0].answer = 42;
  ep.answer = 42;
  ep.counts.nodes = 1;
  const json doc = parse_json(aida::io::to_json(ep));
  EXPECT_EQ(doc["nodes"].array()[0]["question"].str(), "(1, -2)");
  EXPECT_EQ(doc["answer"].str(), "42");

  aida::episode<opaque, opaque, int> op;
  op.nodes.push_back({});
  op.nodes[0].question = opaque{7};
  op.nodes[0].answer = opaque{8};
  const auto fmt = [](const opaque& o) { return "opaque #" + std::to_string(o.id); };
  const json d2 = parse_json(aida::io::to_json(op, fmt));
  EXPECT_EQ(d2["nodes"].array()[0]["question"].str(), "opaque #7");
  EXPECT_EQ(d2["nodes"].array()[0]["answer"].str(), "opaque #8");
  EXPECT_TRUE(d2["answer"].is_null());
  EXPECT_EQ(tree_schema().validate(d2), "");
  EXPECT_NE(aida::io::to_dot(op, {}, fmt).find("opaque #7"), std::string::npos);
}

TEST(JsonExport, NonFiniteScoresBecomeNull) {
  std::string out;
  aida::io::append_json_number(out, std::nan(""));
  out += ',';
  aida::io::append_json_number(out, HUGE_VAL);
  out += ',';
  aida::io::append_json_number(out, -0.125);
  EXPECT_EQ(out, "null,null,-0.125");
}

// ---------------------------------------------------------------------------------------
// DOT

bool have_dot() { return std::system("dot -V > /dev/null 2>&1") == 0; }

/// Runs `dot -Tsvg` on `graph`; returns dot's exit status and what it printed on stderr.
std::pair<int, std::string> run_dot(const std::string& graph, const std::string& name) {
  const aida_test::temp_dir tmp;  // unique per process: ctest runs tests in parallel
  const auto in = tmp.path / (name + ".dot");
  const auto err = tmp.path / (name + ".err");
  {
    std::ofstream f(in, std::ios::binary);
    f << graph;
  }
  const std::string cmd = "dot -Tsvg '" + in.string() + "' -o /dev/null 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  std::string diagnostics = read_file(err);
  std::filesystem::remove(in);
  std::filesystem::remove(err);
  return {status, diagnostics};
}

TEST(DotExport, GraphvizAcceptsTheGraphOfAnyQuestionTextWithoutWarnings) {
  if (!have_dot()) GTEST_SKIP() << "Graphviz `dot` is not installed (scripts/install-deps.sh installs it)";
  aida::sampler rng(aida_test::seed());
  int k = 0;
  for (const auto& q : hostile) {
    SCOPED_TRACE(q);
    const auto t = unfolded(q, rng);
    aida::io::dot_options opt;
    opt.highlight = t.nodes.size() - 1;
    opt.checked = {0, 1};
    opt.title = q;  // the title is user text too
    auto [status, diagnostics] = run_dot(aida::io::to_dot(t, opt), "unfolded" + std::to_string(k));
    EXPECT_EQ(status, 0) << diagnostics;
    EXPECT_EQ(diagnostics, "");
    auto [s2, d2] = run_dot(aida::io::to_dot(amplified(q, rng)), "episode" + std::to_string(k++));
    EXPECT_EQ(s2, 0) << d2;
    EXPECT_EQ(d2, "");
  }
}

// Options own their data: a title and a check order built in temporaries (which a
// string_view or span would leave dangling: AddressSanitizer's stack-use-after-scope in the
// asan preset) are still there when the graph is drawn.
TEST(DotExport, OptionsOwnATitleAndCheckOrderBuiltInTemporaries) {
  aida::sampler rng(aida_test::seed());
  const std::string q = "abcdefgh";
  const auto t = unfolded(q, rng);
  aida::io::dot_options opt;
  opt.title = "tree of " + q;
  opt.checked = std::vector<std::size_t>{1, 0};
  const aida::io::dot_options copy = opt;  // a copy owns its own title too
  opt.title.assign(opt.title.size(), 'x');
  const std::string dot = aida::io::to_dot(t, copy);
  EXPECT_NE(dot.find("label=\"tree of abcdefgh\\n"), std::string::npos) << dot.substr(0, 300);
  EXPECT_NE(dot.find("check 1"), std::string::npos);
  EXPECT_NE(dot.find("check 2"), std::string::npos);
}

// The colour scale is relative to the tree, so the legend states the range of its scores.
TEST(DotExport, TheLegendStatesTheScoreRangeOfTheColourScale) {
  aida::sampler rng(aida_test::seed());
  const auto ep = amplified("abcdefgh", rng);
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (double s : aida::io::detail::node_scores(ep))
    if (std::isfinite(s)) lo = std::min(lo, s), hi = std::max(hi, s);
  for (const auto& r : ep.rounds)
    for (std::size_t i = 0; i < r.size(); ++i)
      if (std::isfinite(r.scores[i])) lo = std::min(lo, r.scores[i]), hi = std::max(hi, r.scores[i]);
  ASSERT_LT(lo, hi);
  std::string range;
  aida::io::detail::append_fixed(range, lo);
  range += " (lowest of this tree) to white = ";
  aida::io::detail::append_fixed(range, hi);
  EXPECT_NE(aida::io::to_dot(ep).find("red = " + range), std::string::npos) << range;
}

TEST(DotExport, EveryNodeIsDrawnAndOverseerCallsAndLowScoresStandOut) {
  aida::sampler rng(aida_test::seed());
  const auto ep = amplified("abcdefghijklmnop", rng);
  const std::string dot = aida::io::to_dot(ep);
  // One line per node, found by its id; overseer nodes have the blue border.
  for (std::size_t i = 0; i < ep.nodes.size(); ++i) {
    const auto at = dot.find("\n  n" + std::to_string(i) + " [label=");
    ASSERT_NE(at, std::string::npos) << i;
    const std::string line = dot.substr(at + 1, dot.find('\n', at + 1) - at - 1);
    EXPECT_EQ(line.find("color=\"#1f4fd8\"") != std::string::npos,
              ep.nodes[i].answered_by == aida::producer::overseer || ep.nodes[i].fan_out_by == aida::producer::overseer)
        << line;
  }
  // The node with the lowest score (the longest question: the root) is the reddest, the
  // highest white; nothing in ML's unfolded tree came from the overseer.
  const auto t = unfolded("abcdefghijklmnop", rng, 2);
  const std::string u = aida::io::to_dot(t);
  EXPECT_EQ(u.find("color=\"#1f4fd8\""), std::string::npos);
  const auto low = std::min_element(t.scores.begin(), t.scores.end()) - t.scores.begin();
  const auto high = std::max_element(t.scores.begin(), t.scores.end()) - t.scores.begin();
  auto line_of = [&](std::size_t i) {
    const auto at = u.find("\n  n" + std::to_string(i) + " [label=");
    return u.substr(at + 1, u.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line_of(std::size_t(low)).find("fillcolor=\"#ff6e6e\""), std::string::npos) << line_of(std::size_t(low));
  EXPECT_NE(line_of(std::size_t(high)).find("fillcolor=\"#ffffff\""), std::string::npos) << line_of(std::size_t(high));
  // Subanswers drawn from ML are dashed leaves: one per non-recursed subquestion.
  std::size_t drawn = 0;
  for (const auto& r : ep.rounds) drawn += std::size_t(!r.recursed[0]) + std::size_t(!r.recursed[1]);
  std::size_t dashed = 0;
  for (std::size_t p = 0; (p = dot.find("style=\"dashed,filled\"", p)) != std::string::npos; ++p) ++dashed;
  EXPECT_EQ(dashed, drawn);
  EXPECT_GT(drawn, 0u);
}

TEST(DotExport, LabelsEscapeEverythingGraphvizWouldInterpret) {
  std::string out;
  aida::io::append_dot_escaped(out, "a\"b\\c\nd&e\x01\x80", 100);
  EXPECT_EQ(out, "a\\\"b\\\\c\\\\nd&amp;e\\\\x01\\\\x80");
  out.clear();
  aida::io::append_dot_escaped(out, "\xC3\xA9\xC3\xA9\xC3\xA9", 2);
  EXPECT_EQ(out, "\xC3\xA9\xC3\xA9\xE2\x80\xA6") << "cut on a character boundary";
}

}  // namespace
