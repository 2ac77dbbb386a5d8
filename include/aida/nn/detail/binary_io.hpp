#pragma once
/// \file
/// Byte-level helpers shared by checkpoints (nn/checkpoint.hpp) and .npy files
/// (ext/npy.hpp): explicit little-endian encoding, CRC-32, a bounds-checked reader and
/// an atomic whole-file write. Not public API.

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <istream>
#include <string>
#include <string_view>
#include <system_error>

#if __has_include(<unistd.h>) && __has_include(<fcntl.h>)
#include <fcntl.h>
#include <unistd.h>
#define AIDA_DETAIL_HAVE_POSIX_IO 1
#else
#define AIDA_DETAIL_HAVE_POSIX_IO 0
#endif

namespace aida::nn::detail {

// ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG use) ---------
// Chosen over a plain hash because it detects every burst error of up to 32 bits, so a
// single damaged byte anywhere in a payload is caught with certainty, not probability.

// Slicing-by-8: table k gives the CRC contribution of a byte followed by k zero bytes, so
// eight bytes are folded per step with eight independent lookups (several times the speed of
// the byte-at-a-time loop, which matters for checkpoints of megabytes).
inline constexpr std::array<std::array<std::uint32_t, 256>, 8> crc32_tables = [] {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[0][n] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t n = 0; n < 256; ++n) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFFu];
  return t;
}();

/// Continues a CRC-32 over `bytes`; start with `crc = 0`.
[[nodiscard]] inline std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept {
  const auto& t = crc32_tables;
  auto byte = [](const char* p, std::size_t i) { return std::uint32_t{static_cast<unsigned char>(p[i])}; };
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  crc = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint32_t lo = crc ^ (byte(p, 0) | byte(p, 1) << 8 | byte(p, 2) << 16 | byte(p, 3) << 24);
    crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
          t[3][byte(p, 4)] ^ t[2][byte(p, 5)] ^ t[1][byte(p, 6)] ^ t[0][byte(p, 7)];
  }
  for (std::size_t i = 0; i < n; ++i) crc = t[0][(crc ^ byte(p, i)) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

// ---- little-endian encoding ---------------------------------------------------------

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

inline void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

[[nodiscard]] inline std::uint32_t get_u32(const char* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

[[nodiscard]] inline std::uint64_t get_u64(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

/// Appends `n` floats as IEEE-754 binary32 little-endian (their exact bit patterns, so NaN
/// payloads and signed zeros survive).
inline void put_f32_le(std::string& out, const float* data, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + 4 * n);
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(out.data() + at, data, 4 * n);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = std::bit_cast<std::uint32_t>(data[i]);
      for (int b = 0; b < 4; ++b) out[at + 4 * i + static_cast<std::size_t>(b)] = static_cast<char>((bits >> (8 * b)) & 0xFFu);
    }
  }
}

/// Reads `n` little-endian binary32 floats from `src` into `dst`.
inline void get_f32_le(const char* src, float* dst, std::size_t n) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(dst, src, 4 * n);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = std::bit_cast<float>(get_u32(src + 4 * i));
  }
}

/// A cursor over bytes that never reads past the end: `take(n)` returns nullptr if fewer
/// than `n` bytes remain, and the caller turns that into its own error.
struct byte_cursor {
  const char* data;
  std::size_t size;
  std::size_t pos = 0;

  [[nodiscard]] std::size_t remaining() const noexcept { return size - pos; }
  [[nodiscard]] const char* take(std::size_t n) noexcept {
    if (n > remaining()) return nullptr;
    const char* p = data + pos;
    pos += n;
    return p;
  }
};

// ---- files --------------------------------------------------------------------------

/// Appends up to `n` bytes from `is` to `out` and returns how many were read (fewer only
/// at end of data). Reads in chunks so that a damaged length field costs no more memory
/// than the data actually present.
inline std::uint64_t read_up_to(std::istream& is, std::uint64_t n, std::string& out) {
  constexpr std::uint64_t chunk = std::uint64_t{1} << 20;
  std::uint64_t done = 0;
  while (done < n) {
    const auto want = static_cast<std::size_t>(std::min(n - done, chunk));
    const std::size_t at = out.size();
    out.resize(at + want);
    is.read(out.data() + at, static_cast<std::streamsize>(want));
    const auto got = static_cast<std::size_t>(is.gcount());
    out.resize(at + got);
    done += got;
    if (got < want) break;
  }
  return done;
}

/// "what: path: reason" for I/O error messages.
[[nodiscard]] inline std::string io_message(std::string_view what, const std::filesystem::path& path, int err) {
  std::string msg(what);
  msg += " '";
  msg += path.string();
  msg += '\'';
  if (err != 0) {
    msg += ": ";
    msg += std::generic_category().message(err);
  }
  return msg;
}

/// Writes `bytes` to `path` so that a crash never leaves a half-written file there: the
/// bytes go to a fresh temporary file in the same directory, which is flushed (and
/// fsync'ed where POSIX is available) and then renamed over `path` (atomic on POSIX).
/// On failure the temporary file is removed, `path` is untouched, and `Error` is thrown
/// with a message naming the path.
/// A number unique within this process, for naming temporary files of concurrent writers.
inline std::uint64_t next_temporary_id() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

template <class Error>
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, std::string_view what) {
  std::filesystem::path tmp = path;
  std::uint64_t pid = 0;
#if AIDA_DETAIL_HAVE_POSIX_IO
  pid = static_cast<std::uint64_t>(::getpid());
#endif
  tmp += ".tmp-" + std::to_string(pid) + "-" + std::to_string(next_temporary_id());

  std::FILE* f = std::fopen(tmp.string().c_str(), "wbx");  // "x": never clobber an existing file
  if (f == nullptr) throw Error(io_message(std::string("cannot write ") + std::string(what), path, errno));

  auto fail = [&](int err) {
    if (f != nullptr) std::fclose(f);
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(io_message(std::string("cannot write ") + std::string(what), path, err));
  };
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) fail(errno);
  if (std::fflush(f) != 0) fail(errno);
#if AIDA_DETAIL_HAVE_POSIX_IO
  if (::fsync(::fileno(f)) != 0) fail(errno);
#endif
  const int closed = std::fclose(f);
  f = nullptr;
  if (closed != 0) fail(errno);

  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(ec.value());

#if AIDA_DETAIL_HAVE_POSIX_IO
  // Make the rename itself durable; failing to sync a directory is not worth an error.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.string().c_str(), O_RDONLY);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
#endif
}

}  // namespace aida::nn::detail
