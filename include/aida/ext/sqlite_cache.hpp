#pragma once
/// \file
/// `aida::sqlite_cache`: a `CacheStore` for `aida::cached_overseer` in an SQLite 3 file, so
/// that the overseer's decisions outlive the process and can be shared by several processes
/// (the `aida::sqlite` component: link `aida::sqlite`, which brings SQLite 3).

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aida/core/error.hpp"
#include "aida/overseers/cached.hpp"

namespace aida {

/// SQLite reported an error on a cache file: the message names the file, what was being
/// done, and SQLite's own message (`sqlite3_errmsg`).
struct sqlite_error : cache_error {
  /// An error with message `what` and SQLite's extended result code `result_code`.
  sqlite_error(const std::string& what, int result_code) : cache_error(what), code(result_code) {}
  int code;  ///< SQLite's (extended) result code
};

/// How hard a commit pushes the file to the disk (SQLite's `PRAGMA synchronous`).
enum class sqlite_sync {
  /// In WAL mode, a commit is written to the log but not flushed to the disk: a process
  /// that is killed loses nothing committed; a power cut may lose the last commits (never
  /// the file's consistency).
  normal,
  /// Every commit is flushed to the disk (`fsync`) before it returns: survives a power cut,
  /// at the cost of a flush per stored decision.
  full,
};

/// How `aida::sqlite_cache` opens its file.
struct sqlite_cache_options {
  std::string path;  ///< the file; created (with the schema) when missing and `create` is set
  /// How long a call waits for another process's lock before it throws `sqlite_error`.
  int busy_timeout_ms = 10000;
  sqlite_sync synchronous = sqlite_sync::normal;  ///< see `sqlite_sync`
  bool create = true;  ///< create the file when it does not exist (otherwise: an error)
};

/// A `CacheStore` in an SQLite file: decisions persist across runs, and processes may share
/// the file.
///
/// **The file.** Two tables: `aida_cache_meta(name, value)`, which holds `format = aida
/// overseer cache` and `version = 1`, and `aida_cache_entries(key, value)`. Opening a file
/// that is not an SQLite database, is an SQLite database of something else, or is a cache of
/// another schema version throws `cache_error` naming the path; a new or empty file gets the
/// schema. The journal is in WAL mode (readers do not wait for a writer), and a call that
/// meets another process's lock waits up to `busy_timeout_ms`.
///
/// **Durability.** Each `insert` is its own transaction, committed before it returns: a
/// process killed at any point loses at most the decision it was storing, and the file stays
/// consistent. With `sqlite_sync::normal` (the default) a commit is not flushed to the disk,
/// which is safe against a killed process but not against a power cut; `sqlite_sync::full`
/// flushes each commit.
///
/// **Concurrency.** Several processes may use one file. When two store the same key, the
/// first commit wins and `insert` returns the value kept (`cached_overseer` counts the other as
/// a conflict). One `sqlite_cache` object is not to be used by two threads at once; give each
/// thread its own.
///
/// Errors are `sqlite_error`s (a `cache_error`, an `aida::error`) naming the path and
/// SQLite's message. Movable, not copyable.
class sqlite_cache {
 public:
  /// The schema version this aida reads and writes.
  static constexpr int schema_version = 1;

  /// Opens (or creates) the cache file `path` with the default options.
  explicit sqlite_cache(std::string path) : sqlite_cache(sqlite_cache_options{std::move(path)}) {}

  /// Opens (or creates) the cache file `options.path`; throws `invalid_options` for an empty
  /// path or a negative timeout, `cache_error` for a file that is not an aida cache of this
  /// schema version, `sqlite_error` when SQLite fails.
  explicit sqlite_cache(sqlite_cache_options options) : opt_(std::move(options)) {
    if (opt_.path.empty()) throw invalid_options("aida::sqlite_cache_options::path is empty");
    if (opt_.busy_timeout_ms < 0)
      throw invalid_options("aida::sqlite_cache_options::busy_timeout_ms is negative (" +
                            std::to_string(opt_.busy_timeout_ms) + ")");
    sqlite3* raw = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | (opt_.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(opt_.path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // a handle comes back even when opening fails, and must be closed
    if (rc != SQLITE_OK) fail("cannot open it", rc);
    sqlite3_extended_result_codes(db(), 1);
    sqlite3_busy_timeout(db(), opt_.busy_timeout_ms);
    check_or_create_schema();
    // WAL only after the file is known to be a cache: setting it changes a database for good.
    // The switch needs the file to itself for a moment: while another process opens it too,
    // SQLite may answer SQLITE_BUSY at once rather than wait in the busy handler (waiting
    // could deadlock), so the switch is retried until busy_timeout_ms has passed.
    if (const std::string mode =
            with_busy_retries([&] { return query_text("PRAGMA journal_mode=WAL", "setting WAL mode"); });
        mode != "wal")
      throw cache_error("aida: sqlite_cache '" + opt_.path + "': cannot use WAL mode (the journal mode stays '" +
                        mode + "')");
    exec(opt_.synchronous == sqlite_sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
         "setting synchronous");
    find_ = prepare("SELECT value FROM aida_cache_entries WHERE key = ?1");
    insert_ = prepare("INSERT INTO aida_cache_entries(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO NOTHING");
    count_ = prepare("SELECT count(*) FROM aida_cache_entries");
    erase_ = prepare("DELETE FROM aida_cache_entries WHERE key = ?1");
  }

  /// The value stored under `key`, if any.
  [[nodiscard]] std::optional<std::string> find(const std::string& key) {
    const reset_on_exit r{find_.get()};
    bind(find_.get(), 1, key);
    const int rc = sqlite3_step(find_.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("looking up a key", rc);
    return column_text(find_.get(), 0);
  }

  /// Stores `value` under `key` in a transaction of its own, committed before it returns,
  /// unless the key is there already (stored by this or another process); returns the value
  /// the file now holds for `key`.
  std::string insert(const std::string& key, const std::string& value) {
    {
      const reset_on_exit r{insert_.get()};
      bind(insert_.get(), 1, key);
      bind(insert_.get(), 2, value);
      const int rc = sqlite3_step(insert_.get());
      if (rc != SQLITE_DONE) fail("storing a decision", rc);
      if (sqlite3_changes(db()) == 1) return value;
    }
    std::optional<std::string> kept = find(key);
    if (!kept) throw cache_error("aida: sqlite_cache '" + opt_.path + "': a key that was present has disappeared");
    return std::move(*kept);
  }

  /// Removes the value under `key` in a transaction of its own, committed before it returns;
  /// whether there was one.
  bool erase(const std::string& key) {
    const reset_on_exit r{erase_.get()};
    bind(erase_.get(), 1, key);
    const int rc = sqlite3_step(erase_.get());
    if (rc != SQLITE_DONE) fail("removing a decision", rc);
    return sqlite3_changes(db()) == 1;
  }

  /// The number of stored decisions.
  [[nodiscard]] std::size_t size() {
    const reset_on_exit r{count_.get()};
    const int rc = sqlite3_step(count_.get());
    if (rc != SQLITE_ROW) fail("counting entries", rc);
    return static_cast<std::size_t>(sqlite3_column_int64(count_.get(), 0));
  }

  /// The file's path.
  [[nodiscard]] const std::string& path() const noexcept { return opt_.path; }
  /// What error messages call the store: the file's path.
  [[nodiscard]] std::string where() const { return "sqlite_cache '" + opt_.path + "'"; }

 private:
  struct db_closer {
    void operator()(sqlite3* d) const noexcept { sqlite3_close_v2(d); }
  };
  struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;
  /// Resets a reused statement and clears its bindings when a call is done with it.
  struct reset_on_exit {
    sqlite3_stmt* s;
    ~reset_on_exit() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  };

  [[nodiscard]] sqlite3* db() const noexcept { return db_.get(); }

  /// The text `f()` returns, `f` called again every 5 ms while it throws SQLITE_BUSY, until
  /// busy_timeout_ms has passed (then the last error is thrown).
  template <class F>
  std::string with_busy_retries(F&& f) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.busy_timeout_ms);
    for (;;) {
      try {
        return f();
      } catch (const sqlite_error& e) {
        if ((e.code & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  [[noreturn]] void fail(const std::string& doing, int rc) const {
    const std::string msg = db() ? sqlite3_errmsg(db()) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_NOTADB)
      throw sqlite_error("aida: sqlite_cache '" + opt_.path + "' is not an aida overseer cache: it is not an SQLite "
                         "database (SQLite: " + msg + ")", rc);
    throw sqlite_error("aida: sqlite_cache '" + opt_.path + "': " + doing + ": " + msg + " (SQLite code " +
                           std::to_string(rc) + ")", rc);
  }

  stmt_ptr prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    stmt_ptr p(s);
    if (rc != SQLITE_OK) fail(std::string("preparing '") + sql + "'", rc);
    return p;
  }

  void bind(sqlite3_stmt* s, int i, const std::string& text) {
    const int rc = sqlite3_bind_text64(s, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (rc != SQLITE_OK) fail("binding a value", rc);
  }

  static std::string column_text(sqlite3_stmt* s, int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    const int n = sqlite3_column_bytes(s, col);
    return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
  }

  /// Runs `sql` to the end.
  void exec(const char* sql, const char* doing) {
    stmt_ptr s = prepare(sql);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) fail(doing, rc);
  }

  /// The rows of a one-column query, as text.
  std::vector<std::string> query_column(const char* sql, const char* doing) {
    stmt_ptr s = prepare(sql);
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(column_text(s.get(), 0));
    if (rc != SQLITE_DONE) fail(doing, rc);
    return out;
  }
  std::string query_text(const char* sql, const char* doing) {
    std::vector<std::string> rows = query_column(sql, doing);
    return rows.empty() ? std::string() : std::move(rows.front());
  }

  /// In one transaction (so that two processes creating the file do not both create the
  /// schema): an empty database gets the schema; anything else must be a cache of this version.
  void check_or_create_schema() {
    exec("BEGIN IMMEDIATE", "starting a transaction");
    struct rollback_unless_committed {
      sqlite3* db;
      bool committed = false;
      ~rollback_unless_committed() {
        if (!committed) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
    } guard{db()};
    const std::vector<std::string> tables =
        query_column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", "reading the schema");
    const auto not_a_cache = [&](const std::string& why) {
      return cache_error("aida: sqlite_cache '" + opt_.path + "' is not an aida overseer cache: " + why);
    };
    if (tables.empty()) {
      exec("CREATE TABLE aida_cache_meta(name TEXT PRIMARY KEY, value TEXT NOT NULL)", "creating the schema");
      exec("CREATE TABLE aida_cache_entries(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
           "creating the schema");
      exec(("INSERT INTO aida_cache_meta(name, value) VALUES('format', 'aida overseer cache'), ('version', '" +
            std::to_string(schema_version) + "')")
               .c_str(),
           "creating the schema");
    } else {
      bool meta = false, entries = false;
      std::string names;
      for (const auto& t : tables) {
        meta = meta || t == "aida_cache_meta";
        entries = entries || t == "aida_cache_entries";
        names += (names.empty() ? "" : ", ") + t;
      }
      if (!meta) throw not_a_cache("it is an SQLite database without the table aida_cache_meta (its tables: " + names + ")");
      const std::string format =
          query_text("SELECT value FROM aida_cache_meta WHERE name = 'format'", "reading the schema version");
      if (format != "aida overseer cache") throw not_a_cache("its format is '" + format + "'");
      const std::string version =
          query_text("SELECT value FROM aida_cache_meta WHERE name = 'version'", "reading the schema version");
      if (version != std::to_string(schema_version))
        throw cache_error("aida: sqlite_cache '" + opt_.path + "' has schema version '" + version +
                          "'; this aida reads version " + std::to_string(schema_version));
      if (!entries) throw not_a_cache("it has no table aida_cache_entries");
    }
    exec("COMMIT", "committing the schema");
    guard.committed = true;
  }

  sqlite_cache_options opt_;
  std::unique_ptr<sqlite3, db_closer> db_;  // declared before the statements: closed after them
  stmt_ptr find_, insert_, count_, erase_;
};

}  // namespace aida
