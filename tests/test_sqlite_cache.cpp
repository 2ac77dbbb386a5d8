// aida::sqlite_cache: decisions persist across reopening; two processes share one file and
// agree on every key (the first commit wins); a writer killed mid-run loses nothing it had
// committed and leaves a consistent file; files that are not caches of this schema version,
// and corrupt values, are clear errors naming the path.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aida/aida.hpp"
#include "aida/ext/sqlite_cache.hpp"
#include "aida/overseers/cached.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace aida_test;
using calls = aida::overseer_calls;

struct counting_overseer {
  digit_sum_overseer inner;
  calls reached;
  std::string answer(const std::string& q) { return ++reached.answer, inner.answer(q); }
  move_t fan_out(const std::string& q) { return ++reached.fan_out, inner.fan_out(q); }
  move_t fan_in(const std::string& q, const sub_t& s1, const sub_t& s2) {
    return ++reached.fan_in, inner.fan_in(q, s1, s2);
  }
};

/// A connection of the test's own, to look at and tamper with a file.
struct raw_db {
  sqlite3* db = nullptr;
  explicit raw_db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("raw_db: cannot open " + path);
  }
  ~raw_db() { sqlite3_close(db); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("raw_db: " + sql + ": " + msg);
    }
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error("raw_db: " + sql);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
  }
};

// ---- pipes between a test and its child process -----------------------------------------

void write_all(int fd, const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, c, n);
    if (w <= 0) _exit(3);
    c += w, n -= static_cast<std::size_t>(w);
  }
}
/// Reads exactly n bytes; false at end of file.
bool read_all(int fd, void* p, std::size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    const ssize_t r = ::read(fd, c, n);
    if (r <= 0) return false;
    c += r, n -= static_cast<std::size_t>(r);
  }
  return true;
}
void send_string(int fd, const std::string& s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  write_all(fd, &n, sizeof n);
  write_all(fd, s.data(), s.size());
}
std::optional<std::string> receive_string(int fd) {
  std::uint32_t n = 0;
  if (!read_all(fd, &n, sizeof n)) return std::nullopt;
  std::string s(n, '\0');
  if (!read_all(fd, s.data(), n)) return std::nullopt;
  return s;
}

/// Exit status of a child that ended normally, or -signal.
int wait_for(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string shared_key(int i) { return "shared " + std::to_string(i); }
std::string payload(const std::string& who, int i) { return who + ":" + std::to_string(i) + std::string(200, 'x'); }

// ---- persistence ------------------------------------------------------------------------

// The decisions of one run are hits for the next: the second object on the same file asks
// H nothing and builds the same episode.
TEST(SqliteCache, DecisionsPersistAcrossReopening) {
  temp_dir dir;
  const std::string path = (dir.path / "h.sqlite").string();
  random_model ml;
  hash_adversary adv;
  aida::string_codec codec;
  const std::string q = "31415926";
  calls first_calls;
  std::size_t first_nodes = 0;
  std::optional<std::string> first_answer;
  {
    counting_overseer h;
    aida::sqlite_cache store(path);
    aida::cached_overseer cache(h, store);
    aida::sampler rng(aida_test::seed());
    const auto ep = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, rng);
    first_calls = ep.counts.overseer;
    first_nodes = ep.nodes.size();
    first_answer = ep.answer;
    EXPECT_EQ(first_calls, (calls{.answer = 0, .fan_out = 14, .fan_in = 7}));
    EXPECT_EQ(store.size(), 21u);
  }
  counting_overseer h;
  aida::sqlite_cache store(path);
  aida::cached_overseer cache(h, store);
  aida::sampler rng(aida_test::seed());
  const auto ep = aida::amplify(q, cache, ml, adv, codec, aida::recurse_all{}, rng);
  EXPECT_EQ(h.reached, calls{});
  EXPECT_EQ(ep.counts.overseer, calls{});
  EXPECT_EQ(ep.counts.cached, (calls{.answer = 0, .fan_out = 15, .fan_in = 7}));
  EXPECT_EQ(ep.nodes.size(), first_nodes);
  EXPECT_EQ(ep.answer, first_answer);
  EXPECT_EQ(raw_db(path).text("PRAGMA journal_mode"), "wal");
}

// Keys and values are stored byte for byte (embedded NUL, non-ASCII) and a second insert of
// a key keeps the first value.
TEST(SqliteCache, StoresBytesExactlyAndKeepsTheFirstValue) {
  temp_dir dir;
  aida::sqlite_cache store((dir.path / "c.sqlite").string());
  const std::string key("k\0ey \xc3\xa9", 7), value("v\0al", 4);
  EXPECT_EQ(store.find(key), std::nullopt);
  EXPECT_EQ(store.insert(key, value), value);
  EXPECT_EQ(store.find(key), value);
  EXPECT_EQ(store.find(std::string("k")), std::nullopt);
  EXPECT_EQ(store.insert(key, "other"), value);
  EXPECT_EQ(store.size(), 1u);
}

// erase removes one decision, committed: gone from a second connection to the file, and
// after reopening; erasing it again, or a key never stored, says there was nothing.
TEST(SqliteCache, EraseRemovesOneDecisionForGood) {
  temp_dir dir;
  const std::string path = (dir.path / "e.sqlite").string();
  {
    aida::sqlite_cache store(path);
    aida::sqlite_cache other(path);
    store.insert("a", "1");
    store.insert("b", "2");
    EXPECT_TRUE(store.erase("a"));
    EXPECT_FALSE(store.erase("a"));
    EXPECT_FALSE(store.erase("never"));
    EXPECT_EQ(other.find("a"), std::nullopt);
    EXPECT_EQ(other.find("b"), std::optional<std::string>("2"));
    EXPECT_EQ(store.insert("a", "3"), "3");  // a new decision may be stored under it
    EXPECT_TRUE(other.erase("a"));
  }
  aida::sqlite_cache reopened(path);
  EXPECT_EQ(reopened.find("a"), std::nullopt);
  EXPECT_EQ(reopened.size(), 1u);
}

// ---- two processes ----------------------------------------------------------------------

// Parent and child store the same keys at the same time, each with its own value. Every key
// ends with one value, both processes were told that same value, and exactly one of them
// stored each key (the other saw the first commit). Each sees the other's own keys.
TEST(SqliteCache, TwoProcessesShareOneFile) {
  temp_dir dir;
  const std::string path = (dir.path / "shared.sqlite").string();
  constexpr int n = 300;
  int to_parent[2], go[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child: no gtest here, only an exit status and the pipe
    ::close(to_parent[0]);
    ::close(go[1]);
    try {
      aida::sqlite_cache store(path);
      char c;
      if (!read_all(go[0], &c, 1)) _exit(4);
      for (int i = 0; i < n; ++i) {
        send_string(to_parent[1], store.insert(shared_key(i), payload("child", i)));
        (void)store.insert("child " + std::to_string(i), payload("child", i));
      }
      ::close(to_parent[1]);
      _exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      _exit(2);
    }
  }
  ::close(to_parent[1]);
  ::close(go[0]);
  aida::sqlite_cache store(path);
  write_all(go[1], "g", 1);  // both have opened the file: start together
  ::close(go[1]);
  std::vector<std::string> mine;
  for (int i = 0; i < n; ++i) {
    mine.push_back(store.insert(shared_key(i), payload("parent", i)));
    (void)store.insert("parent " + std::to_string(i), payload("parent", i));
  }
  std::vector<std::string> theirs;
  while (auto s = receive_string(to_parent[0])) theirs.push_back(*s);
  ::close(to_parent[0]);
  ASSERT_EQ(wait_for(pid), 0);
  ASSERT_EQ(theirs.size(), static_cast<std::size_t>(n));

  int parent_first = 0, child_first = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(mine[i], theirs[i]) << "key " << i;
    EXPECT_EQ(store.find(shared_key(i)), mine[i]);
    parent_first += mine[i] == payload("parent", i);
    child_first += mine[i] == payload("child", i);
    EXPECT_EQ(store.find("child " + std::to_string(i)), payload("child", i));
  }
  EXPECT_EQ(parent_first + child_first, n);
  EXPECT_EQ(store.size(), 3u * n);
  EXPECT_EQ(raw_db(path).text("PRAGMA integrity_check"), "ok");
}

// A child stores decisions in a loop and reports each key once its insert has returned; it
// is killed (SIGKILL) mid-run. Every key it reported is in the file with its value, and the
// file passes SQLite's integrity check and takes new decisions.
TEST(SqliteCache, AKilledWriterLosesNothingItCommitted) {
  temp_dir dir;
  const std::string path = (dir.path / "killed.sqlite").string();
  int reports[2];
  ASSERT_EQ(::pipe(reports), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(reports[0]);
    try {
      aida::sqlite_cache store(path);
      for (std::int32_t i = 0; i < 10'000'000; ++i) {
        (void)store.insert("key " + std::to_string(i), payload("child", i));
        write_all(reports[1], &i, sizeof i);
      }
      _exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      _exit(2);
    }
  }
  ::close(reports[1]);
  std::vector<std::int32_t> committed;
  std::int32_t i = 0;
  while (committed.size() < 500 && read_all(reports[0], &i, sizeof i)) committed.push_back(i);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(wait_for(pid), -SIGKILL);
  while (read_all(reports[0], &i, sizeof i)) committed.push_back(i);  // reported before the kill
  ::close(reports[0]);
  ASSERT_GE(committed.size(), 500u);

  EXPECT_EQ(raw_db(path).text("PRAGMA integrity_check"), "ok");
  aida::sqlite_cache store(path);
  for (const std::int32_t k : committed)
    ASSERT_EQ(store.find("key " + std::to_string(k)), payload("child", k)) << "key " << k;
  // At most the insert in flight got further than the report.
  EXPECT_GE(store.size(), committed.size());
  EXPECT_LE(store.size(), committed.size() + 1);
  EXPECT_EQ(store.insert("after", "v"), "v");
  EXPECT_EQ(raw_db(path).text("PRAGMA integrity_check"), "ok");
}

// ---- files that are not caches ------------------------------------------------------------

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const aida::cache_error& e) {
    return e.what();
  }
  return "no cache_error";
}

TEST(SqliteCache, AFileThatIsNotSqliteIsAClearError) {
  temp_dir dir;
  const std::string path = (dir.path / "notes.txt").string();
  {
    std::ofstream f(path);
    for (int i = 0; i < 100; ++i) f << "these are someone's notes, not a database\n";
  }
  const std::string msg = error_of([&] { aida::sqlite_cache c(path); });
  EXPECT_NE(msg.find("'" + path + "' is not an aida overseer cache: it is not an SQLite database"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("file is not a database"), std::string::npos) << msg;  // SQLite's message
}

// Another program's database is refused, and left as it was (not switched to WAL).
TEST(SqliteCache, AnotherSqliteDatabaseIsRefusedAndLeftAlone) {
  temp_dir dir;
  const std::string path = (dir.path / "other.sqlite").string();
  raw_db(path).exec("CREATE TABLE accounts(id INTEGER); INSERT INTO accounts VALUES (1)");
  const std::string msg = error_of([&] { aida::sqlite_cache c(path); });
  EXPECT_NE(msg.find("'" + path + "' is not an aida overseer cache"), std::string::npos) << msg;
  EXPECT_NE(msg.find("its tables: accounts"), std::string::npos) << msg;
  raw_db db(path);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(db.text("SELECT count(*) FROM sqlite_master"), "1");
}

TEST(SqliteCache, AnotherSchemaVersionIsAClearError) {
  temp_dir dir;
  const std::string path = (dir.path / "future.sqlite").string();
  { aida::sqlite_cache c(path); }
  raw_db(path).exec("UPDATE aida_cache_meta SET value = '2' WHERE name = 'version'");
  const std::string msg = error_of([&] { aida::sqlite_cache c(path); });
  EXPECT_NE(msg.find("'" + path + "' has schema version '2'; this aida reads version 1"), std::string::npos) << msg;
  raw_db(path).exec("UPDATE aida_cache_meta SET value = 'something else' WHERE name = 'format'");
  EXPECT_NE(error_of([&] { aida::sqlite_cache c(path); }).find("its format is 'something else'"), std::string::npos);
}

TEST(SqliteCache, OpeningErrorsNameThePath) {
  temp_dir dir;
  const std::string missing = (dir.path / "no such dir" / "c.sqlite").string();
  std::string msg = error_of([&] { aida::sqlite_cache c(missing); });
  EXPECT_NE(msg.find("'" + missing + "': cannot open it: unable to open database file"), std::string::npos) << msg;
  aida::sqlite_cache_options o;
  o.path = (dir.path / "absent.sqlite").string();
  o.create = false;
  msg = error_of([&] { aida::sqlite_cache c(o); });
  EXPECT_NE(msg.find(o.path), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(o.path));
  EXPECT_THROW(aida::sqlite_cache(aida::sqlite_cache_options{}), aida::invalid_options);
  o.busy_timeout_ms = -1;
  EXPECT_THROW(aida::sqlite_cache{o}, aida::invalid_options);
}

// A value changed behind the cache's back is a cache_error naming the file and the question.
TEST(SqliteCache, ACorruptValueIsAClearError) {
  temp_dir dir;
  const std::string path = (dir.path / "c.sqlite").string();
  {
    counting_overseer h;
    aida::sqlite_cache store(path);
    aida::cached_overseer cache(h, store);
    EXPECT_EQ(cache.fan_out(std::string("1234")), move_t::split("12", "34"));
  }
  raw_db(path).exec("UPDATE aida_cache_entries SET value = 's2:12'");
  counting_overseer h;
  aida::sqlite_cache store(path);
  aida::cached_overseer cache(h, store);
  const std::string msg = error_of([&] { (void)cache.fan_out(std::string("1234")); });
  EXPECT_NE(msg.find("sqlite_cache '" + path + "' holds a corrupt fan-out move for question \"1234\""),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("stored value: 's2:12'"), std::string::npos) << msg;
  EXPECT_EQ(h.reached, calls{});
}

}  // namespace
