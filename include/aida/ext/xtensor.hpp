#pragma once
/// \file
/// xtensor interop for the reference backend (not part of the umbrella header; link
/// `aida::xtensor`): zero-copy xtensor views of `aida::nn::tensor`s, copies back into
/// tensors, and NumPy `.npy` export and import of parameters, tensors, embeddings (ML's
/// `embedding_vector`s, Eigen vectors) and any float xtensor expression.
///
///     aida::nn::parameter& w = ml.parameters().decoder.output.weight;   // ML = char_model
///     auto v = aida::ext::as_xtensor(w);        // xtensor view of w.value, no copy
///     v *= 0.5f;                                // scales w.value in place
///     aida::ext::save_npy("w.npy", w);          // numpy.load("w.npy") -> float32 (rows, cols)
///
/// The .npy reader and writer are aida's own, not `xt::dump_npy`/`xt::load_npy`
/// (xtensor 0.24): those throw `std::runtime_error`, do not notice a truncated file, and
/// read a header length whose low byte is 128 or more as a signed char (a header of 182
/// bytes, which about 40 dimensions need, is then "invalid", even one xtensor wrote). The
/// files are interchangeable with theirs and with NumPy's (format 1.0, or 2.0 for huge
/// headers; reading also accepts 3.0).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>

#include "aida/core/error.hpp"
#include "aida/nn/detail/binary_io.hpp"
#include "aida/nn/ops.hpp"  // aida::nn::shape_error
#include "aida/nn/parameter.hpp"

namespace aida::ext {

// ---- errors -------------------------------------------------------------------------

/// A .npy file or stream that cannot be read: not .npy, truncated, malformed header, a
/// dtype other than float32/float64, or a shape that does not fit the destination.
struct npy_error : error {
  using error::error;
};
/// A .npy file could not be opened, read or written; the message names the path.
struct npy_io_error : npy_error {
  using npy_error::npy_error;
};

// ---- zero-copy views ----------------------------------------------------------------

/// The xtensor type of `as_xtensor(tensor&)`: a rank-2 row-major adaptor over the
/// tensor's own storage.
using tensor_view = xt::xtensor_adaptor<xt::xbuffer_adaptor<float*, xt::no_ownership>, 2, xt::layout_type::row_major>;
/// The xtensor type of `as_xtensor(const tensor&)`: read-only.
using const_tensor_view =
    xt::xtensor_adaptor<xt::xbuffer_adaptor<const float*, xt::no_ownership, std::allocator<float>>, 2,
                        xt::layout_type::row_major>;

/// A zero-copy rank-2 xtensor view of `t` (shape {rows, cols}, row-major strides
/// {cols, 1}): writes through the view change `t`. Valid while `t` is neither resized
/// nor destroyed.
[[nodiscard]] inline tensor_view as_xtensor(nn::tensor& t) {
  const std::array<std::size_t, 2> shape{static_cast<std::size_t>(t.rows()), static_cast<std::size_t>(t.cols())};
  return xt::adapt<xt::layout_type::row_major>(t.data(), static_cast<std::size_t>(t.size()), xt::no_ownership(), shape);
}

/// A read-only zero-copy view of `t`.
[[nodiscard]] inline const_tensor_view as_xtensor(const nn::tensor& t) {
  const std::array<std::size_t, 2> shape{static_cast<std::size_t>(t.rows()), static_cast<std::size_t>(t.cols())};
  const float* data = t.data();
  return xt::adapt<xt::layout_type::row_major>(std::move(data), static_cast<std::size_t>(t.size()), xt::no_ownership(),
                                               shape);
}

/// A zero-copy view of a parameter's value.
[[nodiscard]] inline tensor_view as_xtensor(nn::parameter& p) { return as_xtensor(p.value); }
/// A read-only zero-copy view of a parameter's value.
[[nodiscard]] inline const_tensor_view as_xtensor(const nn::parameter& p) { return as_xtensor(p.value); }

/// The shape a tensor takes for an xtensor shape of rank 0, 1 or 2: {} → 1×1, {n} → 1×n
/// (a row, as an embedding is a row of a batch), {r, c} → r×c. Throws `aida::nn::shape_error`.
template <class Shape>
[[nodiscard]] std::array<Eigen::Index, 2> tensor_shape_of(const Shape& shape) {
  const std::size_t rank = static_cast<std::size_t>(std::distance(std::begin(shape), std::end(shape)));
  auto dim = [&](std::size_t i) { return static_cast<Eigen::Index>(*(std::begin(shape) + static_cast<std::ptrdiff_t>(i))); };
  if (rank == 0) return {1, 1};
  if (rank == 1) return {1, dim(0)};
  if (rank == 2) return {dim(0), dim(1)};
  throw nn::shape_error("aida::ext: an aida::nn::tensor has rank 2 at most, but the expression has rank " +
                        std::to_string(rank));
}

/// A copy of a float xtensor expression of rank 0, 1 or 2 as a tensor (shapes as
/// `tensor_shape_of`). Throws `aida::nn::shape_error` for a higher rank.
template <class E>
[[nodiscard]] nn::tensor to_tensor(const xt::xexpression<E>& e) {
  const xt::xarray<float, xt::layout_type::row_major> a = e.derived_cast();
  const auto [rows, cols] = tensor_shape_of(a.shape());
  nn::tensor t(rows, cols);
  if (t.size() != 0) std::memcpy(t.data(), a.data(), static_cast<std::size_t>(t.size()) * sizeof(float));
  return t;
}

// ---- .npy writing -------------------------------------------------------------------

namespace detail {

inline constexpr char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
inline constexpr std::size_t npy_align = 64;  // NumPy aligns the data to 64 bytes

/// Python's repr of a shape tuple: "()", "(3,)", "(2, 3)".
inline std::string npy_shape_repr(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ',';
  return s + ')';
}

/// Magic, version, header length and the padded header dictionary of a little-endian
/// float32 C-order array, laid out as NumPy writes it.
inline std::string npy_preamble(const std::vector<std::size_t>& shape) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + npy_shape_repr(shape) + ", }";
  // Version 1.0 stores the header length in 2 bytes, 2.0 in 4 (needed only for enormous shapes).
  const bool version2 = sizeof npy_magic + 2 + 2 + dict.size() + 1 + npy_align > 0xFFFF;
  const std::size_t prefix = sizeof npy_magic + 2 + (version2 ? 4 : 2);
  // Spaces, then a newline, so that the data starts at a multiple of 64 bytes.
  const std::size_t pad = (npy_align - (prefix + dict.size() + 1) % npy_align) % npy_align;
  const std::string header = dict + std::string(pad, ' ') + '\n';

  std::string out(npy_magic, sizeof npy_magic);
  out += static_cast<char>(version2 ? 2 : 1);
  out += '\0';
  if (version2) {
    nn::detail::put_u32(out, static_cast<std::uint32_t>(header.size()));
  } else {
    out += static_cast<char>(header.size() & 0xFFu);
    out += static_cast<char>((header.size() >> 8) & 0xFFu);
  }
  return out + header;
}

inline std::string npy_bytes(const std::vector<std::size_t>& shape, const float* data, std::size_t n) {
  std::string out = npy_preamble(shape);
  nn::detail::put_f32_le(out, data, n);
  return out;
}

}  // namespace detail

/// The bytes of a .npy file holding `e` (a float xtensor expression of any rank) as
/// little-endian float32 in C order.
template <class E>
[[nodiscard]] std::string to_npy(const xt::xexpression<E>& e) {
  static_assert(std::is_same_v<std::remove_cv_t<typename E::value_type>, float>,
                "aida::ext::to_npy writes float32 arrays; convert other types with xt::cast<float>(e)");
  const E& expr = e.derived_cast();
  if constexpr (std::is_base_of_v<xt::xcontainer<E>, E>) {
    // A container or adaptor (such as a view of a tensor) in C order is written without a copy.
    if (expr.layout() == xt::layout_type::row_major && expr.is_contiguous())
      return detail::npy_bytes(std::vector<std::size_t>(expr.shape().begin(), expr.shape().end()), expr.data(),
                               expr.size());
  }
  const xt::xarray<float, xt::layout_type::row_major> row_major = expr;
  return detail::npy_bytes(std::vector<std::size_t>(row_major.shape().begin(), row_major.shape().end()),
                           row_major.data(), row_major.size());
}

/// The bytes of a .npy file holding `t`, shape (rows, cols).
[[nodiscard]] inline std::string to_npy(const nn::tensor& t) { return to_npy(as_xtensor(t)); }

/// The bytes of a .npy file holding a parameter's value, shape (rows, cols).
[[nodiscard]] inline std::string to_npy(const nn::parameter& p) { return to_npy(as_xtensor(p.value)); }

/// The bytes of a .npy file holding the `value` tensor of an object that has one, such
/// as `aida::nn::embedding_vector` (ML's output), shape (rows, cols).
template <class T>
  requires(!std::is_same_v<T, nn::parameter> && std::is_same_v<std::remove_cvref_t<decltype(std::declval<const T&>().value)>, nn::tensor>)
[[nodiscard]] std::string to_npy(const T& x) {
  return to_npy(as_xtensor(x.value));
}

/// The bytes of a .npy file holding an Eigen float expression (for example an embedding
/// vector): shape (n,) for a compile-time vector, (rows, cols) otherwise.
template <class D>
  requires std::is_same_v<typename D::Scalar, float>
[[nodiscard]] std::string to_npy(const Eigen::DenseBase<D>& e) {
  const nn::tensor t = e;  // row-major evaluation
  if constexpr (D::IsVectorAtCompileTime)
    return detail::npy_bytes({static_cast<std::size_t>(t.size())}, t.data(), static_cast<std::size_t>(t.size()));
  else
    return to_npy(t);
}

/// Writes `value` (anything `to_npy` accepts) as .npy to `os`.
template <class T>
void write_npy(std::ostream& os, const T& value) {
  const std::string bytes = to_npy(value);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!os) throw npy_io_error("cannot write .npy: the output stream failed");
}

/// Writes `value` (anything `to_npy` accepts) as a .npy file at `path`, atomically
/// (temporary file and rename). Throws `npy_io_error` naming the path.
template <class T>
void save_npy(const std::filesystem::path& path, const T& value) {
  nn::detail::write_file_atomically<npy_io_error>(path, to_npy(value), ".npy file");
}

/// Writes every parameter of a reflected parameter struct (for example
/// `model.parameters()`) to `dir` as `<dotted name>.npy`, creating `dir` if needed, and
/// returns the paths written, in declaration order. Throws `npy_io_error` naming a path.
template <class Params>
std::vector<std::filesystem::path> save_parameters_npy(const std::filesystem::path& dir, const Params& params) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw npy_io_error(nn::detail::io_message("cannot create directory", dir, ec.value()));
  std::vector<std::filesystem::path> written;
  nn::for_each_parameter(params, [&](std::string_view name, const nn::parameter& p) {
    const std::filesystem::path path = dir / (std::string(name.empty() ? "parameter" : name) + ".npy");
    save_npy(path, p);
    written.push_back(path);
  });
  return written;
}

// ---- .npy reading -------------------------------------------------------------------

/// What a .npy header says.
struct npy_header {
  std::string descr;                ///< dtype, for example "<f4"
  bool fortran_order = false;       ///< column-major data
  std::vector<std::size_t> shape;   ///< empty for a scalar
};

namespace detail {

/// The largest number of elements, counting a zero dimension as 1, that a shape may have:
/// then the byte count (8 bytes an element at most), xtensor's strides and Eigen's indices
/// (all signed, std::ptrdiff_t) cannot overflow, whatever the order of the dimensions.
inline constexpr std::uint64_t npy_max_extent =
    static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()) / 8;

/// Parses the header dictionary, a Python literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`: keys in any order (each
/// once), either quote, any spacing, an optional trailing comma. A shape of one dimension
/// needs its comma, as in Python: `(2)` is not a tuple.
inline npy_header parse_npy_dict(std::string_view text, const std::string& where) {
  std::size_t i = 0;
  auto fail = [&](const std::string& why) -> npy_error {
    // The header may be up to 4 GiB (version 2.0): the message quotes its start only.
    constexpr std::size_t quoted = 256;
    const std::string shown = text.size() <= quoted ? std::string(text) : std::string(text.substr(0, quoted)) + "...";
    return npy_error(where + "malformed header: " + why + " (header: " + shown + ")");
  };
  auto skip_ws = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  };
  auto expect = [&](char c) {
    skip_ws();
    if (i >= text.size() || text[i] != c) throw fail(std::string("expected '") + c + "'");
    ++i;
  };
  auto string_literal = [&] {
    skip_ws();
    if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) throw fail("expected a string");
    const char quote = text[i++];
    const std::size_t end = text.find(quote, i);
    if (end == std::string_view::npos) throw fail("unterminated string");
    std::string s(text.substr(i, end - i));
    i = end + 1;
    return s;
  };
  auto integer = [&] {
    skip_ws();
    if (i >= text.size() || text[i] < '0' || text[i] > '9') throw fail("expected a dimension");
    std::uint64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      const auto digit = static_cast<std::uint64_t>(text[i++] - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) throw fail("dimension too large");
      v = v * 10 + digit;
    }
    if (i < text.size() && text[i] == 'L') ++i;  // Python 2 long literal
    if (v > std::numeric_limits<std::size_t>::max()) throw fail("dimension too large");
    return static_cast<std::size_t>(v);
  };

  npy_header h;
  bool have_descr = false, have_order = false, have_shape = false;
  expect('{');
  for (;;) {
    skip_ws();
    if (i < text.size() && text[i] == '}') break;
    const std::string key = string_literal();
    if ((key == "descr" && have_descr) || (key == "fortran_order" && have_order) || (key == "shape" && have_shape))
      throw fail("duplicate key '" + key + "'");
    expect(':');
    skip_ws();
    if (key == "descr") {
      h.descr = string_literal();
      have_descr = true;
    } else if (key == "fortran_order") {
      if (text.substr(i, 4) == "True") {
        h.fortran_order = true;
        i += 4;
      } else if (text.substr(i, 5) == "False") {
        h.fortran_order = false;
        i += 5;
      } else {
        throw fail("fortran_order is neither True nor False");
      }
      have_order = true;
    } else if (key == "shape") {
      expect('(');
      bool comma_after_last = false;
      for (;;) {
        skip_ws();
        if (i < text.size() && text[i] == ')') break;
        h.shape.push_back(integer());
        skip_ws();
        comma_after_last = i < text.size() && text[i] == ',';
        if (comma_after_last) {
          ++i;
        } else if (i >= text.size() || text[i] != ')') {
          throw fail("expected ',' or ')' in the shape");
        }
      }
      ++i;  // ')'
      if (h.shape.size() == 1 && !comma_after_last)
        throw fail("the shape (" + std::to_string(h.shape[0]) + ") is not a tuple: one dimension is written (" +
                   std::to_string(h.shape[0]) + ",)");
      have_shape = true;
    } else {
      throw fail("unknown key '" + key + "'");
    }
    skip_ws();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    skip_ws();
    if (i >= text.size() || text[i] != '}') throw fail("expected ',' or '}'");
  }
  ++i;  // '}'
  skip_ws();
  if (i != text.size()) throw fail("unexpected text after the dictionary");
  if (!have_descr || !have_order || !have_shape) throw fail("the keys 'descr', 'fortran_order' and 'shape' are required");
  return h;
}

}  // namespace detail

/// Reads one .npy array from `is` (exactly its bytes, so several arrays written one after
/// another can be read in turn) as float32, row-major. float32 and float64 data of either
/// byte order and C or Fortran order are accepted (float64 is rounded to float). Throws
/// `npy_error` saying what is wrong: not .npy, truncated, malformed header (including a key
/// given twice), unsupported dtype, or a shape whose nonzero dimensions multiply to more than
/// 2^60 - 1 (beyond that, byte counts, strides and indices overflow).
[[nodiscard]] inline xt::xarray<float> read_npy(std::istream& is, const std::string& source = "stream") {
  using nn::detail::get_u32;
  const std::string where = ".npy " + source + ": ";
  auto check_io = [&] {
    if (is.bad()) throw npy_io_error(where + "read error");
  };

  std::string pre;
  const std::uint64_t got = nn::detail::read_up_to(is, 8, pre);
  check_io();
  if (!std::equal(pre.begin(), pre.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(got, 6)), detail::npy_magic))
    throw npy_error(where + "not a .npy file (it does not start with \"\\x93NUMPY\")");
  if (got < 8) throw npy_error(where + "truncated: the data ends inside the magic string and version");
  const auto major = static_cast<unsigned char>(pre[6]);
  const auto minor = static_cast<unsigned char>(pre[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw npy_error(where + "format version " + std::to_string(major) + "." + std::to_string(minor) +
                    " is not supported (versions 1.0, 2.0 and 3.0 are)");

  std::string len_bytes;
  const std::uint64_t len_size = major == 1 ? 2 : 4;
  if (nn::detail::read_up_to(is, len_size, len_bytes) < len_size) {
    check_io();
    throw npy_error(where + "truncated: the data ends inside the header length");
  }
  const std::uint64_t header_len =
      major == 1 ? (std::uint64_t{static_cast<unsigned char>(len_bytes[0])} |
                    (std::uint64_t{static_cast<unsigned char>(len_bytes[1])} << 8))
                 : get_u32(len_bytes.data());
  std::string header;
  if (nn::detail::read_up_to(is, header_len, header) < header_len) {
    check_io();
    throw npy_error(where + "truncated: the data ends inside the " + std::to_string(header_len) + "-byte header");
  }
  const npy_header h = detail::parse_npy_dict(header, where);

  std::size_t item = 0;
  bool big_endian = false;
  if (h.descr == "<f4" || h.descr == ">f4" || h.descr == "<f8" || h.descr == ">f8") {
    item = h.descr[2] == '4' ? 4 : 8;
    big_endian = h.descr[0] == '>';
  } else {
    throw npy_error(where + "unsupported dtype '" + h.descr + "': aida reads float32 and float64 arrays ('<f4', '<f8')");
  }

  // Every dimension counts, also after a zero one: an empty array's strides are still the
  // products of its other dimensions.
  std::uint64_t extent = 1;
  bool empty = false;
  for (const std::size_t d : h.shape) {
    if (d == 0) {
      empty = true;
    } else {
      if (d > detail::npy_max_extent / extent)
        throw npy_error(where + "malformed header: the shape " + detail::npy_shape_repr(h.shape) +
                        " is too large (its nonzero dimensions multiply to more than " +
                        std::to_string(detail::npy_max_extent) + ")");
      extent *= d;
    }
  }
  const std::uint64_t count = empty ? 0 : extent;
  const std::uint64_t data_bytes = count * item;
  std::string data;
  const std::uint64_t got_data = nn::detail::read_up_to(is, data_bytes, data);
  check_io();
  if (got_data < data_bytes)
    throw npy_error(where + "truncated: shape " + detail::npy_shape_repr(h.shape) + " needs " +
                    std::to_string(data_bytes) + " data bytes but the data ends after " + std::to_string(got_data));

  // Decode into storage order, then arrange in row-major order.
  std::vector<float> values(static_cast<std::size_t>(count));
  for (std::size_t k = 0; k < values.size(); ++k) {
    const char* p = data.data() + k * item;
    std::uint64_t bits = 0;
    for (std::size_t b = 0; b < item; ++b) {
      const std::size_t byte = big_endian ? item - 1 - b : b;
      bits |= std::uint64_t{static_cast<unsigned char>(p[byte])} << (8 * b);
    }
    values[k] = item == 4 ? std::bit_cast<float>(static_cast<std::uint32_t>(bits))
                          : static_cast<float>(std::bit_cast<double>(bits));
  }
  const auto layout = h.fortran_order ? xt::layout_type::column_major : xt::layout_type::row_major;
  auto stored = xt::adapt<xt::layout_type::dynamic>(values.data(), values.size(), xt::no_ownership(), h.shape, layout);
  return xt::xarray<float>(stored);
}

/// Reads a .npy file (as `read_npy`); errors name the path.
[[nodiscard]] inline xt::xarray<float> load_npy(const std::filesystem::path& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) throw npy_io_error(nn::detail::io_message("cannot open .npy file", path, errno));
  return read_npy(is, "'" + path.string() + "'");
}

/// Reads a .npy file of rank 0, 1 or 2 as a tensor (shapes as `tensor_shape_of`).
[[nodiscard]] inline nn::tensor load_npy_tensor(const std::filesystem::path& path) {
  const xt::xarray<float> a = load_npy(path);
  if (a.dimension() > 2)
    throw npy_error(".npy '" + path.string() + "': an aida tensor has rank 2 at most, but the array has shape " +
                    detail::npy_shape_repr(std::vector<std::size_t>(a.shape().begin(), a.shape().end())));
  return to_tensor(a);
}

/// Reads a .npy file into `p.value`, whose shape it must have (a 1-D array of n values
/// fits a 1×n parameter). Throws `npy_error` naming both shapes on a mismatch; then `p`
/// is unchanged.
inline void load_npy(const std::filesystem::path& path, nn::parameter& p) {
  nn::tensor t = load_npy_tensor(path);
  if (t.rows() != p.value.rows() || t.cols() != p.value.cols())
    throw npy_error(".npy '" + path.string() + "': shape [" + std::to_string(t.rows()) + " x " +
                    std::to_string(t.cols()) + "] does not fit the parameter's [" + std::to_string(p.value.rows()) +
                    " x " + std::to_string(p.value.cols()) + "]");
  p.value.swap(t);
}

}  // namespace aida::ext
