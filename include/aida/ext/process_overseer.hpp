#pragma once
/// \file
/// `aida::process_overseer`: an overseer H that lives in another process (a program in any
/// language, a bridge to a person or to a language model), spoken to in JSON lines over its
/// standard input and output (not part of the umbrella header; link `aida::process`, which
/// needs nlohmann/json and a POSIX system). The protocol is docs/overseer-protocol.md, with
/// a JSON Schema in docs/overseer-protocol.schema.json.
///
///     aida::process_overseer_options o;
///     o.argv = {"python3", "examples/overseers/sum_overseer.py"};
///     o.timeout = std::chrono::seconds(5);
///     aida::process_overseer h(o);              // starts the program, exchanges hellos
///     auto m = h.fan_out("3141");               // -> split("31", "41")
///
/// Questions and answers travel as JSON values through nlohmann/json's `to_json` and
/// `from_json`: strings and numbers work as they are, a type of your own through the two
/// functions found by ADL (or an `nlohmann::adl_serializer` specialisation).
///
/// Any failure is an `aida::overseer_error` naming the request, the reply (truncated) and
/// the end of what the process wrote to its standard error. A failure of the conversation
/// (the process exited, hung past the timeout, wrote something that is not a reply to the
/// request) stops the process; the object then refuses every further call, naming the first
/// failure. An error the process reports itself (`{"id": 7, "error": "..."}`) leaves the
/// conversation intact and the object usable.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/move.hpp"

/// \cond
extern "C" {
extern char** environ;  // the host's environment, passed on when no other is given
}
/// \endcond

namespace aida {

/// The name of the protocol in the hello lines: `"aida-overseer"`.
inline constexpr std::string_view overseer_protocol_name = "aida-overseer";
/// The protocol version this header speaks (docs/overseer-protocol.md).
inline constexpr int overseer_protocol_version = 1;

/// How to start and talk to the overseer's process. Owns its data.
struct process_overseer_options {
  /// The program and its arguments, run without a shell: `argv[0]` is the program, looked up
  /// on the host's `PATH` unless it contains a `/`. Must not be empty.
  std::vector<std::string> argv;
  /// How long one call (and the hello) may take, from sending the request to reading the
  /// whole reply; past it the process is killed and the call fails. Must be positive. A
  /// person answering through a bridge needs minutes: set it accordingly.
  std::chrono::milliseconds timeout{10'000};
  /// The working directory of the process; empty: the host's.
  std::string working_directory;
  /// The whole environment of the process, as `NAME=value` entries; unset: the host's.
  std::optional<std::vector<std::string>> environment;
  /// How many of the last bytes the process wrote to its standard error are kept for error
  /// messages.
  std::size_t stderr_tail = 4096;
  /// The longest reply line accepted, in bytes; a longer one is a failure.
  std::size_t max_reply_bytes = std::size_t{16} << 20;
  /// At destruction, how long the process may take to exit after its standard input is
  /// closed before it is killed.
  std::chrono::milliseconds shutdown_grace{1'000};
};

namespace detail::process {

using clock = std::chrono::steady_clock;

/// `s`, or its first `n` bytes and how long it was.
inline std::string truncated(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "... (" + std::to_string(s.size()) + " bytes in all)";
}

inline std::string errno_text(int e) { return std::string(std::strerror(e)); }

/// A file descriptor that is closed with its owner.
class fd {
 public:
  fd() = default;
  explicit fd(int f) noexcept : f_(f) {}
  fd(fd&& o) noexcept : f_(std::exchange(o.f_, -1)) {}
  fd& operator=(fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.f_, -1));
    return *this;
  }
  ~fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return f_; }
  [[nodiscard]] explicit operator bool() const noexcept { return f_ >= 0; }
  void reset(int f = -1) noexcept {
    if (f_ >= 0) ::close(f_);
    f_ = f;
  }

 private:
  int f_ = -1;
};

/// A descriptor numbered 3 or above (so that moving it onto 0, 1 or 2 in the child cannot
/// overwrite another), close-on-exec, and non-blocking when asked.
inline fd high_fd(int f, bool nonblocking) {
  if (f < 3) {
    const int g = ::fcntl(f, F_DUPFD_CLOEXEC, 3);
    const int e = errno;
    ::close(f);
    if (g < 0) throw error("aida::process_overseer: fcntl(F_DUPFD_CLOEXEC): " + errno_text(e));
    f = g;
  }
  ::fcntl(f, F_SETFD, FD_CLOEXEC);
  if (nonblocking) ::fcntl(f, F_SETFL, ::fcntl(f, F_GETFL) | O_NONBLOCK);
  return fd(f);
}

/// `argv[0]` as a path to execute: itself if it contains a `/`, else the first executable
/// regular file of that name on the host's `PATH`.
inline std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* p = std::getenv("PATH");
  const std::string path = p != nullptr ? p : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find(':', start);
    // Appended piece by piece: g++ 12 at -O3 gives a false -Wrestrict for `dir + "/" + name`.
    const std::size_t len = (end == std::string::npos ? path.size() : end) - start;
    std::string candidate;
    if (len == 0) candidate.push_back('.');  // an empty entry is the current directory
    else candidate.append(path, start, len);
    candidate.push_back('/');
    candidate.append(name);
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (end == std::string::npos) return std::nullopt;
    start = end + 1;
  }
}

/// How a reaped process ended, in words.
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

/// The running process and the three streams to it: its standard input (one end of a
/// socket pair, written with `send(MSG_NOSIGNAL)` so that a process that has gone away gives
/// `EPIPE` instead of a SIGPIPE that would end the host), its standard output and standard
/// error (pipes). Not thread-safe; one conversation at a time.
class channel {
 public:
  /// Starts `o.argv`. Throws `invalid_options` for unusable options and `overseer_error`
  /// when the program cannot be started.
  explicit channel(const process_overseer_options& o) : opt_(o) {
    if (o.argv.empty()) throw invalid_options("aida::process_overseer: options.argv is empty (no program to run)");
    if (o.timeout.count() <= 0)
      throw invalid_options("aida::process_overseer: options.timeout is " + std::to_string(o.timeout.count()) +
                            " ms; it must be positive");
    if (o.max_reply_bytes == 0) throw invalid_options("aida::process_overseer: options.max_reply_bytes is 0");
    const auto program = find_program(o.argv[0]);
    if (!program)
      throw overseer_error("aida::process_overseer: cannot start \"" + o.argv[0] + "\": not found on PATH");

    // Everything the child needs is prepared before fork: between fork and exec it makes
    // only async-signal-safe calls (the host may have other threads).
    std::vector<char*> argv;
    for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    char** env = environ;
    if (o.environment) {
      for (const auto& e : *o.environment) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      env = envp.data();
    }
    const char* cwd = o.working_directory.empty() ? nullptr : o.working_directory.c_str();

    int sv[2], out[2], err[2], report[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
      throw overseer_error("aida::process_overseer: socketpair: " + errno_text(errno));
    fd in_parent = high_fd(sv[0], true), in_child = high_fd(sv[1], false);
    if (::pipe(out) != 0) throw overseer_error("aida::process_overseer: pipe: " + errno_text(errno));
    fd out_parent = high_fd(out[0], true), out_child = high_fd(out[1], false);
    if (::pipe(err) != 0) throw overseer_error("aida::process_overseer: pipe: " + errno_text(errno));
    fd err_parent = high_fd(err[0], true), err_child = high_fd(err[1], false);
    if (::pipe(report) != 0) throw overseer_error("aida::process_overseer: pipe: " + errno_text(errno));
    fd report_parent = high_fd(report[0], false), report_child = high_fd(report[1], false);
#ifdef SO_NOSIGPIPE
    {
      const int one = 1;
      ::setsockopt(in_parent.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif

    const pid_t pid = ::fork();
    if (pid < 0) throw overseer_error("aida::process_overseer: fork: " + errno_text(errno));
    if (pid == 0) {
      struct sigaction dfl{};
      dfl.sa_handler = SIG_DFL;
      ::sigaction(SIGPIPE, &dfl, nullptr);
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      int stage = 0;
      if (::dup2(in_child.get(), 0) < 0 || ::dup2(out_child.get(), 1) < 0 || ::dup2(err_child.get(), 2) < 0) {
        stage = 1;
      } else if (cwd != nullptr && ::chdir(cwd) != 0) {
        stage = 2;
      } else {
        ::execve(program->c_str(), argv.data(), env);
        stage = 3;
      }
      const int what[2] = {stage, errno};
      [[maybe_unused]] const auto n = ::write(report_child.get(), what, sizeof what);
      ::_exit(127);
    }
    pid_ = pid;
    in_child.reset(), out_child.reset(), err_child.reset(), report_child.reset();
    int what[2] = {0, 0};
    ssize_t n;
    do n = ::read(report_parent.get(), what, sizeof what);
    while (n < 0 && errno == EINTR);
    if (n > 0) {  // exec did not happen: the child has _exit-ed
      reap_blocking();
      const char* stages[] = {"", "dup2", "chdir(\"" , "execve(\""};
      std::string where = stages[what[0] >= 1 && what[0] <= 3 ? what[0] : 3];
      if (what[0] == 2) where += o.working_directory + "\")";
      if (what[0] == 3) where += *program + "\")";
      throw overseer_error("aida::process_overseer: cannot start \"" + o.argv[0] + "\": " + where + ": " +
                           errno_text(what[1]));
    }
    in_ = std::move(in_parent), out_ = std::move(out_parent), err_ = std::move(err_parent);
  }

  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  /// Closes the process's standard input, gives it `shutdown_grace` to exit, kills it if it
  /// has not, and reaps it: no zombie is left.
  ~channel() { shutdown(); }

  /// The result of one exchange: the reply line, or what went wrong (the process is then
  /// stopped and reaped).
  struct result {
    std::optional<std::string> line;  ///< the reply, without its newline
    std::string problem;              ///< otherwise: what went wrong, in words
  };

  /// Sends `line` and a newline, and reads one line back, within the timeout.
  result exchange(const std::string& line) {
    if (pid_ <= 0) return {std::nullopt, "the process is not running"};
    const auto deadline = clock::now() + opt_.timeout;
    const std::string out = line + '\n';
    std::size_t sent = 0;
    for (;;) {
      if (sent == out.size()) {
        const auto nl = reply_.find('\n');
        if (nl != std::string::npos) {
          std::string reply = reply_.substr(0, nl);
          reply_.erase(0, nl + 1);
          return {std::move(reply), {}};
        }
      }
      if (reply_.size() > opt_.max_reply_bytes)
        return stop("it wrote a reply line longer than options.max_reply_bytes (" +
                    std::to_string(opt_.max_reply_bytes) + " bytes); it was stopped");
      const auto now = clock::now();
      if (now >= deadline) {
        kill_and_reap();
        return {std::nullopt, std::string(sent < out.size() ? "it did not read the request" : "it did not reply") +
                                  " within options.timeout (" + std::to_string(opt_.timeout.count()) +
                                  " ms); it was killed"};
      }
      pollfd fds[3];
      nfds_t n = 0;
      int i_in = -1, i_out = -1, i_err = -1;
      if (sent < out.size()) i_in = static_cast<int>(n), fds[n++] = {in_.get(), POLLOUT, 0};
      if (out_) i_out = static_cast<int>(n), fds[n++] = {out_.get(), POLLIN, 0};
      if (err_) i_err = static_cast<int>(n), fds[n++] = {err_.get(), POLLIN, 0};
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
      const int r = ::poll(fds, n, static_cast<int>(std::min<long long>(left, 1'000'000)));
      if (r < 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        kill_and_reap();
        return {std::nullopt, "poll failed (" + errno_text(e) + "); the process was killed"};
      }
      if (i_err >= 0 && fds[i_err].revents != 0) read_stderr();
      if (i_in >= 0 && fds[i_in].revents != 0) {
        int flags = MSG_DONTWAIT;
#ifdef MSG_NOSIGNAL
        flags |= MSG_NOSIGNAL;
#endif
        const ssize_t w = ::send(in_.get(), out.data() + sent, out.size() - sent, flags);
        if (w > 0) {
          sent += static_cast<std::size_t>(w);
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return stop("it closed its standard input before reading the request (" + errno_text(errno) + ")");
        }
      }
      if (i_out >= 0 && fds[i_out].revents != 0) {
        char buf[65536];
        const ssize_t got = ::read(out_.get(), buf, sizeof buf);
        if (got > 0) {
          reply_.append(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          return stop(std::string("it closed its standard output ") +
                      (reply_.empty() ? "before replying" : "in the middle of a reply line"));
        }
      }
    }
  }

  /// The last bytes the process wrote to its standard error.
  [[nodiscard]] std::string stderr_tail() const {
    return err_tail_.size() <= opt_.stderr_tail ? err_tail_ : err_tail_.substr(err_tail_.size() - opt_.stderr_tail);
  }

  /// What was read of a reply line so far (after a failure: the incomplete line).
  [[nodiscard]] const std::string& pending_output() const noexcept { return reply_; }

  /// The process id, or -1 once it has been reaped.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Kills the process (SIGKILL) and reaps it; keeps what it wrote to standard error.
  void kill_and_reap() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap_blocking();
    drain_stderr(std::chrono::milliseconds(100));
    close_all();
  }

 private:
  /// The process has gone wrong or away: gives it a moment to exit (collecting its last
  /// words on standard error), kills it if it has not, and says how it ended.
  result stop(std::string problem) {
    drain_stderr(std::chrono::milliseconds(500));
    if (!wait_exit(std::chrono::milliseconds(500))) {
      ::kill(pid_, SIGKILL);
      reap_blocking();
      problem += "; it was killed";
    } else {
      problem += "; the process " + describe_status(status_);
    }
    close_all();
    return {std::nullopt, std::move(problem)};
  }

  void read_stderr() {
    char buf[4096];
    const ssize_t got = ::read(err_.get(), buf, sizeof buf);
    if (got > 0) {
      err_tail_.append(buf, static_cast<std::size_t>(got));
      if (err_tail_.size() > 2 * opt_.stderr_tail + sizeof buf)
        err_tail_.erase(0, err_tail_.size() - opt_.stderr_tail);
    } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      err_.reset();
    }
  }

  /// Reads standard error until its end (the process exited) or for at most `limit`.
  void drain_stderr(std::chrono::milliseconds limit) {
    const auto deadline = clock::now() + limit;
    while (err_) {
      const auto now = clock::now();
      if (now >= deadline) return;
      pollfd p{err_.get(), POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count()));
      if (r < 0 && errno != EINTR) return;
      if (r > 0) read_stderr();
    }
  }

  /// Waits up to `limit` for the process to exit, reaping it; false if it has not.
  bool wait_exit(std::chrono::milliseconds limit) {
    const auto deadline = clock::now() + limit;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        status_ = status, pid_ = -1;
        return true;
      }
      if (clock::now() >= deadline) return false;
      // Keep its pipes flowing while it exits.
      pollfd fds[2];
      nfds_t n = 0;
      if (err_) fds[n++] = {err_.get(), POLLIN, 0};
      if (out_) fds[n++] = {out_.get(), POLLIN, 0};
      if (::poll(fds, n, 5) > 0) {
        for (nfds_t i = 0; i < n; ++i) {
          if (fds[i].revents == 0) continue;
          if (fds[i].fd == err_.get()) {
            read_stderr();
          } else {
            char buf[4096];
            const ssize_t got = ::read(out_.get(), buf, sizeof buf);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) out_.reset();
          }
        }
      }
    }
  }

  void reap_blocking() noexcept {
    if (pid_ <= 0) return;
    int status = 0;
    pid_t r;
    do r = ::waitpid(pid_, &status, 0);
    while (r < 0 && errno == EINTR);
    status_ = status, pid_ = -1;
  }

  void close_all() noexcept { in_.reset(), out_.reset(), err_.reset(); }

  void shutdown() noexcept {
    if (pid_ <= 0) return;
    in_.reset();  // end of input: a well-behaved overseer exits
    try {
      if (!wait_exit(opt_.shutdown_grace)) {
        ::kill(pid_, SIGKILL);
        reap_blocking();
      }
    } catch (...) {  // only allocation in read_stderr can throw
      ::kill(pid_, SIGKILL);
      reap_blocking();
    }
    close_all();
  }

  process_overseer_options opt_;
  pid_t pid_ = -1;
  int status_ = 0;
  fd in_, out_, err_;
  std::string reply_;     // stdout read and not yet consumed
  std::string err_tail_;  // the last of stderr
};

}  // namespace detail::process

/// An overseer H in another process, spoken to in JSON lines (protocol version 1,
/// docs/overseer-protocol.md): starts `options.argv` once, exchanges hellos, then sends one
/// request per call of `answer`, `fan_out` and `fan_in` and reads one reply.
///
/// `Q` and `A` must convert to and from JSON through nlohmann/json (`to_json`/`from_json`,
/// found by ADL for types of your own); strings and numbers do.
///
/// Every failure is an `overseer_error` whose message names the request, the reply
/// (truncated), what was wrong and the last of the process's standard error:
/// - the process exited or closed its output (a crash), did not reply within
///   `options.timeout` (it is killed), replied with something that is not JSON, a reply to
///   another request's id, or a reply of the wrong shape (a split in reply to `answer`, a
///   split into fewer than two or more than `aida::max_subquestions` subquestions, an answer or subquestion that does not convert
///   to `A` or `Q`): the process is stopped, and every later call throws an
///   `overseer_error` naming this first failure (construct a new object to start again);
/// - the process replied with an error of its own: the conversation is intact and the
///   object stays usable;
/// - a question or answer that nlohmann/json cannot write (a string that is not UTF-8):
///   nothing was sent, and the object stays usable.
///
/// The process is never left running or as a zombie: the destructor closes its standard
/// input, waits up to `options.shutdown_grace` for it to exit, then kills it, and reaps it.
/// Writing to a process that has gone away never raises SIGPIPE in the host. Move-only;
/// one thread at a time.
template <class Q = std::string, class A = std::string>
class process_overseer {
 public:
  using question_type = Q;                 ///< the question type
  using answer_type = A;                   ///< the answer type
  using move_type = Move<Q, A>;            ///< a move
  using subanswer_type = Subanswer<Q, A>;  ///< an argument of `fan_in`

  /// Starts the process and exchanges hellos. Throws `invalid_options` for unusable options
  /// (empty `argv`, a timeout that is not positive) and `overseer_error` when the program
  /// cannot be started, or does not answer the hello with protocol version 1 in time.
  ///
  /// `well_formed`, when given, is `well_formed(q)`'s answer: whether the overseer can read
  /// `q` at all, decided in this process (the protocol has no request for it). The primed
  /// overseer H′ asks it before a model's split reaches H, and counts a split into a
  /// question that is not well formed as a malformed move instead of sending it.
  explicit process_overseer(process_overseer_options options, std::function<bool(const Q&)> well_formed = {})
      : options_(std::move(options)),
        well_formed_(std::move(well_formed)),
        channel_(std::make_unique<detail::process::channel>(options_)) {
    nlohmann::json hello = nlohmann::json::object();
    hello["protocol"] = std::string(overseer_protocol_name);
    hello["version"] = overseer_protocol_version;
    const std::string request = hello.dump();
    auto r = channel_->exchange(request);
    if (!r.line) throw fatal("the hello", request, nullptr, r.problem);
    const auto reply = nlohmann::json::parse(*r.line, nullptr, false);
    const auto is_hello = !reply.is_discarded() && reply.is_object() && reply.contains("protocol") &&
                          reply["protocol"] == overseer_protocol_name;
    if (!is_hello)
      throw fatal("the hello", request, &*r.line,
                  "the reply is not a hello {\"protocol\": \"aida-overseer\", \"version\": ...}");
    if (!reply.contains("version") || !reply["version"].is_number_integer() ||
        reply["version"] != overseer_protocol_version)
      throw fatal("the hello", request, &*r.line,
                  "the process speaks protocol version " +
                      (reply.contains("version") ? reply["version"].dump() : std::string("(none given)")) +
                      ", but aida speaks version " + std::to_string(overseer_protocol_version));
  }

  process_overseer(process_overseer&&) noexcept = default;             ///< moves the process along
  process_overseer& operator=(process_overseer&&) noexcept = default;  ///< stops this one's process first
  /// Stops the process (see the class comment): no zombie is left.
  ~process_overseer() = default;

  /// `H(q)`: a request of kind `answer`; the reply must be an answer.
  [[nodiscard]] A answer(const Q& q) {
    const auto m = call("answer", q, {});
    return m.get_answer();
  }

  /// `H_fan_out(q)`: a request of kind `fan_out`; the reply is an answer or a split.
  [[nodiscard]] move_type fan_out(const Q& q) { return call("fan_out", q, {}); }

  /// `H_fan_in(q, subs)`: a request of kind `fan_in` with the subanswers `subs`, in order.
  [[nodiscard]] move_type fan_in(const Q& q, std::span<const subanswer_type> subs) { return call("fan_in", q, subs); }
  /// `H_fan_in(q, s1, s2)` of a split of two: a request with the subanswers `[s1, s2]`.
  [[nodiscard]] move_type fan_in(const Q& q, const subanswer_type& s1, const subanswer_type& s2) {
    const subanswer_type subs[2] = {s1, s2};
    return call("fan_in", q, subs);
  }

  /// Whether the overseer can read `q`: the `well_formed` predicate given at construction,
  /// or true for every question when none was given.
  [[nodiscard]] bool well_formed(const Q& q) const { return !well_formed_ || well_formed_(q); }

  /// True once a failure of the conversation has stopped the process.
  [[nodiscard]] bool failed() const noexcept { return !failure_.empty(); }
  /// The message of that first failure ("" if none).
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }
  /// The process id, or -1 once the process has been stopped (or the object moved from).
  [[nodiscard]] pid_t pid() const noexcept { return channel_ ? channel_->pid() : -1; }
  /// The options the process was started with.
  [[nodiscard]] const process_overseer_options& options() const noexcept { return options_; }

 private:
  move_type call(const char* kind, const Q& q, std::span<const subanswer_type> subs) {
    if (!channel_) throw overseer_error("aida::process_overseer: used after it was moved from");
    if (!failure_.empty())
      throw overseer_error(who() + ": refusing the request: the process was stopped after an earlier failure: " +
                           failure_);
    const std::uint64_t id = ++next_id_;
    std::string request;
    try {
      nlohmann::json j = nlohmann::json::object();
      j["id"] = id;
      j["kind"] = kind;
      j["question"] = q;
      if (!subs.empty()) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& s : subs) {
          nlohmann::json one = nlohmann::json::object();
          one["question"] = s.question;
          one["answer"] = s.answer;
          arr.push_back(std::move(one));
        }
        j["subanswers"] = std::move(arr);
      }
      request = j.dump();
    } catch (const nlohmann::json::exception& e) {
      throw overseer_error(who() + ": request " + std::to_string(id) + " (" + kind +
                           ") cannot be written as JSON, so it was not sent: " + e.what());
    }
    const std::string what = "request " + std::to_string(id) + " (" + kind + ")";
    auto r = channel_->exchange(request);
    if (!r.line) {
      const std::string partial = channel_->pending_output();
      throw fatal(what, request, partial.empty() ? nullptr : &partial, r.problem);
    }
    const std::string& line = *r.line;
    const auto reply = nlohmann::json::parse(line, nullptr, false);
    if (reply.is_discarded()) throw fatal(what, request, &line, "the reply is not JSON");
    if (!reply.is_object()) throw fatal(what, request, &line, "the reply is not a JSON object");
    if (!reply.contains("id")) throw fatal(what, request, &line, "the reply has no id");
    if (!reply["id"].is_number_unsigned() || reply["id"].get<std::uint64_t>() != id)
      throw fatal(what, request, &line,
                  "the reply is to id " + reply["id"].dump() + ", not to this request's id " + std::to_string(id));
    const int members = int(reply.contains("answer")) + int(reply.contains("split")) + int(reply.contains("error"));
    if (members != 1)
      throw fatal(what, request, &line,
                  "the reply has " + std::to_string(members) + " of \"answer\", \"split\", \"error\"; exactly one is expected");
    if (reply.contains("error")) {
      const auto& e = reply["error"];
      throw overseer_error(message(what, request, &line,
                                   "the process reported an error: " +
                                       detail::process::truncated(e.is_string() ? e.get<std::string>() : e.dump(), 1000)));
    }
    try {
      if (reply.contains("answer")) return move_type::answer(reply["answer"].template get<A>());
      if (std::string_view(kind) == "answer")
        throw fatal(what, request, &line, "the reply is a split, but an \"answer\" request must be answered");
      const auto& s = reply["split"];
      if (!s.is_array()) throw fatal(what, request, &line, "the reply's split is not an array of subquestions");
      if (s.size() < 2 || s.size() > max_subquestions)
        throw fatal(what, request, &line,
                    "the reply splits into " + std::to_string(s.size()) + " subquestions; a split has 2 to " +
                        std::to_string(max_subquestions) + " (aida::max_subquestions)");
      Split<Q> split;
      for (const auto& sq : s) split.push_back(sq.template get<Q>());
      return move_type::split(std::move(split));
    } catch (const nlohmann::json::exception& e) {
      throw fatal(what, request, &line, std::string("the reply's ") + (reply.contains("answer") ? "answer" : "split") +
                                            " does not convert to the overseer's " +
                                            (reply.contains("answer") ? "answer" : "question") + " type: " + e.what());
    }
  }

  [[nodiscard]] std::string who() const {
    std::string cmd;
    for (const auto& a : options_.argv) cmd += (cmd.empty() ? "" : " ") + a;
    return "aida::process_overseer (" + detail::process::truncated(cmd, 200) + ")";
  }

  [[nodiscard]] std::string message(const std::string& what, const std::string& request, const std::string* reply,
                                    const std::string& problem) const {
    std::string m = who() + ": " + what + " failed: " + problem;
    m += "\n  request: " + detail::process::truncated(request, 300);
    m += "\n  reply: " + (reply != nullptr ? detail::process::truncated(*reply, 300) : std::string("(none)"));
    const std::string tail = channel_ ? channel_->stderr_tail() : std::string();
    m += "\n  stderr (last " + std::to_string(options_.stderr_tail) + " bytes): " +
         (tail.empty() ? std::string("(empty)") : tail);
    return m;
  }

  /// A failure of the conversation: stops the process and remembers the message.
  overseer_error fatal(const std::string& what, const std::string& request, const std::string* reply,
                       const std::string& problem) {
    if (channel_) channel_->kill_and_reap();
    std::string m = message(what, request, reply, problem);
    failure_ = m;
    return overseer_error(std::move(m));
  }

  process_overseer_options options_;
  std::function<bool(const Q&)> well_formed_;
  std::unique_ptr<detail::process::channel> channel_;
  std::uint64_t next_id_ = 0;
  std::string failure_;
};

/// `aida::process_overseer h(options, predicate)` is a `process_overseer<>` (strings), as
/// `aida::process_overseer h(options)` is.
template <class F>
process_overseer(process_overseer_options, F) -> process_overseer<>;

static_assert(Overseer<process_overseer<>, std::string, std::string>);

}  // namespace aida
