// xtensor interop (ext/xtensor.hpp): zero-copy views alias tensor memory with the right
// shape and strides; .npy files have the layout NumPy specifies, round-trip bit for bit,
// interoperate with xtensor's own .npy code (and with NumPy when it is installed), and
// damaged files give clear errors.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
// xtensor's own .npy reader (compared against below) parses with std::regex, in which
// g++ 12 at -O1 with sanitizers sees a false "maybe uninitialized" inside std::function.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xtensor/xnpy.hpp>
#include <xtensor/xview.hpp>

#include "aida/core/sampler.hpp"
#include "aida/ext/xtensor.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

#if __has_include(<sys/wait.h>)
#include <sys/wait.h>
#endif

namespace {

using aida::nn::parameter;
using aida::nn::tensor;
using ::testing::HasSubstr;

tensor random_tensor(Eigen::Index rows, Eigen::Index cols, aida::sampler& rng) {
  tensor t(rows, cols);
  for (Eigen::Index i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(rng.uniform() * 2.0 - 1.0);
  return t;
}

bool bit_equal(const tensor& a, const tensor& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](float x, float y) { return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y); });
}

using aida_test::temp_dir;

// ---- views --------------------------------------------------------------------------

TEST(XtensorView, AliasesTheTensorWithRowMajorShapeAndStrides) {
  aida::sampler rng(aida_test::seed());
  tensor t = random_tensor(3, 4, rng);
  auto v = aida::ext::as_xtensor(t);

  EXPECT_THAT(std::vector<std::size_t>(v.shape().begin(), v.shape().end()), ::testing::ElementsAre(3u, 4u));
  EXPECT_THAT(std::vector<std::ptrdiff_t>(v.strides().begin(), v.strides().end()), ::testing::ElementsAre(4, 1));
  EXPECT_EQ(v.data(), t.data());  // the same memory, not a copy
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      EXPECT_EQ(v(i, j), t(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));

  v(1, 2) = 42.5f;  // write through the view, read in the tensor
  EXPECT_EQ(t(1, 2), 42.5f);
  t(2, 3) = -7.0f;  // and the other way round
  EXPECT_EQ(v(2, 3), -7.0f);

  const tensor before = t;
  v *= 2.0f;  // an xtensor expression assigned through the view
  for (Eigen::Index i = 0; i < t.size(); ++i) EXPECT_EQ(t.data()[i], 2.0f * before.data()[i]);

  xt::view(v, 0, xt::all()) = xt::zeros<float>({4});  // a row of the view is a row of the tensor
  EXPECT_TRUE(t.row(0).isZero(0.0f));
  EXPECT_FALSE(t.row(1).isZero(0.0f));
}

TEST(XtensorView, ConstAndParameterViews) {
  aida::sampler rng(aida_test::seed());
  parameter p(2, 5);
  p.value = random_tensor(2, 5, rng);
  auto pv = aida::ext::as_xtensor(p);
  EXPECT_EQ(pv.data(), p.value.data());
  pv(1, 4) = 3.0f;
  EXPECT_EQ(p.value(1, 4), 3.0f);

  const tensor& ct = p.value;
  const auto cv = aida::ext::as_xtensor(ct);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(*cv.data())>, float>);
  static_assert(std::is_const_v<std::remove_reference_t<decltype(*cv.data())>>, "a view of a const tensor is read-only");
  EXPECT_EQ(cv.data(), p.value.data());
  EXPECT_EQ(cv(1, 4), 3.0f);
  EXPECT_EQ(xt::sum(cv)(), p.value.sum());
}

TEST(XtensorView, ToTensorCopiesRanksUpToTwo) {
  const xt::xarray<float> m = {{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
  const tensor t = aida::ext::to_tensor(m);
  ASSERT_EQ(t.rows(), 2);
  ASSERT_EQ(t.cols(), 3);
  EXPECT_EQ(t(1, 0), 4.0f);
  EXPECT_EQ(t(0, 2), 3.0f);

  const xt::xarray<float> v = {1.0f, 2.0f, 3.0f, 4.0f};
  const tensor row = aida::ext::to_tensor(v);  // a 1-D array is a row
  EXPECT_EQ(row.rows(), 1);
  EXPECT_EQ(row.cols(), 4);
  EXPECT_EQ(row(0, 3), 4.0f);

  // A transposed (non-contiguous) expression is copied in logical order.
  const tensor tt = aida::ext::to_tensor(xt::transpose(m));
  ASSERT_EQ(tt.rows(), 3);
  EXPECT_EQ(tt(2, 1), 6.0f);

  const xt::xarray<float> cube = xt::zeros<float>({2, 2, 2});
  EXPECT_THROW((void)aida::ext::to_tensor(cube), aida::nn::shape_error);
}

// ---- the .npy layout ------------------------------------------------------------------

/// The header fields of a version-1.0 .npy byte string.
struct npy_parts {
  std::string magic;
  int major = 0, minor = 0;
  std::size_t header_len = 0;
  std::string header;
  std::string data;
};

npy_parts split_npy(const std::string& bytes) {
  npy_parts p;
  p.magic = bytes.substr(0, 6);
  p.major = static_cast<unsigned char>(bytes[6]);
  p.minor = static_cast<unsigned char>(bytes[7]);
  p.header_len = static_cast<unsigned char>(bytes[8]) | (std::size_t{static_cast<unsigned char>(bytes[9])} << 8);
  p.header = bytes.substr(10, p.header_len);
  p.data = bytes.substr(10 + p.header_len);
  return p;
}

TEST(Npy, HeaderIsWhatNumPyExpects) {
  tensor t(2, 3);
  t << 1.0f, -2.0f, 0.5f, 3.0f, 1e-3f, -0.0f;
  const std::string bytes = aida::ext::to_npy(t);
  const npy_parts p = split_npy(bytes);

  EXPECT_EQ(p.magic, std::string("\x93NUMPY"));
  EXPECT_EQ(p.major, 1);
  EXPECT_EQ(p.minor, 0);
  // The dictionary as NumPy itself writes it (keys sorted, Python reprs, trailing ", }").
  EXPECT_THAT(p.header, ::testing::StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  // Padded with spaces and ended by a newline so that the data starts on a 64-byte boundary.
  EXPECT_EQ(p.header.back(), '\n');
  const std::string padding = p.header.substr(p.header.find('}') + 1);
  EXPECT_EQ(padding.find_first_not_of(' '), padding.size() - 1);
  EXPECT_EQ((10 + p.header_len) % 64, 0u);
  // Then the six floats, little-endian binary32, row-major.
  ASSERT_EQ(p.data.size(), 6u * 4u);
  for (std::size_t k = 0; k < 6; ++k) {
    const std::uint32_t bits = aida::nn::detail::get_u32(p.data.data() + 4 * k);
    EXPECT_EQ(bits, std::bit_cast<std::uint32_t>(t.data()[k])) << "element " << k;
  }
}

TEST(Npy, ShapesOfOtherRanksUsePythonTupleSyntax) {
  const Eigen::VectorXf embedding = Eigen::VectorXf::LinSpaced(5, 0.0f, 1.0f);  // a vector is 1-D
  EXPECT_THAT(split_npy(aida::ext::to_npy(embedding)).header, HasSubstr("'shape': (5,), }"));
  const xt::xarray<float> scalar = 3.0f;
  EXPECT_THAT(split_npy(aida::ext::to_npy(scalar)).header, HasSubstr("'shape': (), }"));
  const xt::xarray<float> cube = xt::zeros<float>({2, 3, 4});
  EXPECT_THAT(split_npy(aida::ext::to_npy(cube)).header, HasSubstr("'shape': (2, 3, 4), }"));
  for (const auto& bytes : {aida::ext::to_npy(embedding), aida::ext::to_npy(scalar), aida::ext::to_npy(cube)})
    EXPECT_EQ((10 + split_npy(bytes).header_len) % 64, 0u);
}

// ---- round trips ----------------------------------------------------------------------

TEST(Npy, TensorParameterAndExpressionRoundTripThroughFiles) {
  temp_dir dir;
  aida::sampler rng(aida_test::seed());

  const tensor t = random_tensor(4, 7, rng);
  aida::ext::save_npy(dir.path / "t.npy", t);
  EXPECT_TRUE(bit_equal(aida::ext::load_npy_tensor(dir.path / "t.npy"), t));

  parameter p(3, 2);
  p.value = random_tensor(3, 2, rng);
  aida::ext::save_npy(dir.path / "p.npy", p);
  parameter q(3, 2);
  aida::ext::load_npy(dir.path / "p.npy", q);
  EXPECT_TRUE(bit_equal(q.value, p.value));

  // Any float xtensor expression, any rank: here a 3-D one computed lazily.
  const xt::xarray<float> cube = xt::reshape_view(xt::arange<float>(24.0f), {2, 3, 4}) * 0.5f;
  aida::ext::save_npy(dir.path / "cube.npy", cube * 2.0f);
  const xt::xarray<float> back = aida::ext::load_npy(dir.path / "cube.npy");
  EXPECT_EQ(back.shape(), cube.shape());
  EXPECT_EQ(back, cube * 2.0f);

  // A 1-D embedding loads back as a row.
  const Eigen::VectorXf embedding = Eigen::VectorXf::LinSpaced(6, -1.0f, 1.0f);
  aida::ext::save_npy(dir.path / "e.npy", embedding);
  const tensor row = aida::ext::load_npy_tensor(dir.path / "e.npy");
  ASSERT_EQ(row.rows(), 1);
  ASSERT_EQ(row.cols(), 6);
  EXPECT_TRUE(bit_equal(row, tensor(embedding.transpose())));
}

struct two_layers {
  BOOST_HANA_DEFINE_STRUCT(two_layers, (parameter, first), (parameter, second));
};
struct embedding_like {
  tensor value;
};

TEST(Npy, ParameterStructsAndValueHoldersExport) {
  temp_dir dir;
  aida::sampler rng(aida_test::seed());
  two_layers params;
  params.first = parameter(2, 3);
  params.first.value = random_tensor(2, 3, rng);
  params.second = parameter(3, 1);
  params.second.value = random_tensor(3, 1, rng);
  const auto written = aida::ext::save_parameters_npy(dir.path / "params", params);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0], dir.path / "params" / "first.npy");
  EXPECT_EQ(written[1], dir.path / "params" / "second.npy");
  EXPECT_TRUE(bit_equal(aida::ext::load_npy_tensor(written[0]), params.first.value));
  EXPECT_TRUE(bit_equal(aida::ext::load_npy_tensor(written[1]), params.second.value));

  // Anything holding its data in a `value` tensor (as ML's embedding_vector does).
  const embedding_like e{random_tensor(1, 4, rng)};
  EXPECT_EQ(aida::ext::to_npy(e), aida::ext::to_npy(e.value));
}

TEST(Npy, SeveralArraysReadInTurnFromOneStream) {
  aida::sampler rng(aida_test::seed());
  const tensor a = random_tensor(2, 2, rng);
  const tensor b = random_tensor(1, 5, rng);
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  aida::ext::write_npy(ss, a);
  aida::ext::write_npy(ss, b);
  EXPECT_TRUE(bit_equal(aida::ext::to_tensor(aida::ext::read_npy(ss)), a));
  EXPECT_TRUE(bit_equal(aida::ext::to_tensor(aida::ext::read_npy(ss)), b));
}

TEST(Npy, LongHeadersRoundTrip) {
  // 40 dimensions push the header past 128 bytes (a third 64-byte block).
  std::vector<std::size_t> shape(40, 1);
  shape[0] = 3;
  xt::xarray<float> a = xt::zeros<float>(shape);
  a.data()[1] = 2.5f;
  const std::string bytes = aida::ext::to_npy(a);
  EXPECT_GT(split_npy(bytes).header_len, 128u);
  EXPECT_EQ((10 + split_npy(bytes).header_len) % 64, 0u);
  std::istringstream is(bytes, std::ios::binary);
  EXPECT_EQ(aida::ext::read_npy(is), a);
  // The same array as xtensor writes it (its own reader rejects this header in 0.24.3).
  std::istringstream theirs(xt::dump_npy(a), std::ios::binary);
  EXPECT_EQ(aida::ext::read_npy(theirs), a);
}

// ---- interop with xtensor's own .npy code ---------------------------------------------

TEST(Npy, XtensorsReaderReadsOurFiles) {
  aida::sampler rng(aida_test::seed());
  const tensor t = random_tensor(3, 5, rng);
  std::istringstream is(aida::ext::to_npy(t), std::ios::binary);
  const auto a = xt::load_npy<float>(is);
  ASSERT_EQ(a.dimension(), 2u);
  EXPECT_EQ(a.shape()[0], 3u);
  EXPECT_EQ(a.shape()[1], 5u);
  EXPECT_TRUE(bit_equal(aida::ext::to_tensor(a), t));
}

TEST(Npy, WeReadXtensorsFilesIncludingFortranOrder) {
  const xt::xarray<float> m = {{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}};
  {
    std::istringstream is(xt::dump_npy(m), std::ios::binary);
    EXPECT_EQ(aida::ext::read_npy(is), m);
  }
  // A column-major array is written with fortran_order True; we return it row-major with the same values.
  const xt::xarray<float, xt::layout_type::column_major> f = m;
  const std::string bytes = xt::dump_npy(f);
  ASSERT_THAT(bytes, HasSubstr("'fortran_order': True"));
  std::istringstream is(bytes, std::ios::binary);
  const xt::xarray<float> back = aida::ext::read_npy(is);
  EXPECT_EQ(back, m);
  EXPECT_EQ(back(1, 0), 4.0f);
}

TEST(Npy, ReadsFloat64AndBigEndianData) {
  // Hand-made files: NumPy's default dtype is float64, and '>' marks big-endian data.
  auto make = [](const std::string& descr, const std::string& data) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }";
    dict += std::string(64 - (10 + dict.size() + 1) % 64, ' ') + '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(dict.size());
    out += '\0';
    return out + dict + data;
  };
  auto le64 = [](double d) {
    std::string s;
    aida::nn::detail::put_u64(s, std::bit_cast<std::uint64_t>(d));
    return s;
  };
  auto reversed = [](std::string s) { return std::string(s.rbegin(), s.rend()); };
  {
    std::istringstream is(make("<f8", le64(0.1) + le64(-2.0)), std::ios::binary);
    const xt::xarray<float> a = aida::ext::read_npy(is);
    EXPECT_EQ(a(0), static_cast<float>(0.1));
    EXPECT_EQ(a(1), -2.0f);
  }
  {
    std::istringstream is(make(">f8", reversed(le64(0.1)) + reversed(le64(-2.0))), std::ios::binary);
    const xt::xarray<float> a = aida::ext::read_npy(is);
    EXPECT_EQ(a(0), static_cast<float>(0.1));
    EXPECT_EQ(a(1), -2.0f);
  }
  {
    std::string data;
    aida::nn::detail::put_u32(data, std::bit_cast<std::uint32_t>(1.5f));
    aida::nn::detail::put_u32(data, std::bit_cast<std::uint32_t>(-3.25f));
    std::string be = reversed(data.substr(0, 4)) + reversed(data.substr(4, 4));
    std::istringstream is(make(">f4", be), std::ios::binary);
    const xt::xarray<float> a = aida::ext::read_npy(is);
    EXPECT_EQ(a(0), 1.5f);
    EXPECT_EQ(a(1), -3.25f);
  }
}

// ---- damaged and unsuitable files ---------------------------------------------------------

template <class Error = aida::ext::npy_error>
void expect_npy_error(const std::string& bytes, const std::string& needle, const std::string& context) {
  SCOPED_TRACE(context);
  std::istringstream is(bytes, std::ios::binary);
  try {
    (void)aida::ext::read_npy(is);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(needle));
  }
}

TEST(NpyErrors, TruncationAtEveryOffset) {
  aida::sampler rng(aida_test::seed());
  const std::string good = aida::ext::to_npy(random_tensor(2, 3, rng));
  for (std::size_t n = 0; n < good.size(); ++n)
    expect_npy_error(good.substr(0, n), "truncated", "prefix of " + std::to_string(n) + " bytes");
}

TEST(NpyErrors, WrongMagicVersionDtypeAndHeader) {
  const std::string good = aida::ext::to_npy(tensor::Ones(1, 2));
  std::string bad = good;
  bad[1] = 'X';
  expect_npy_error(bad, "not a .npy file", "magic");

  bad = good;
  bad[6] = 4;
  expect_npy_error(bad, "format version 4.0 is not supported", "version");

  bad = good;
  bad.replace(bad.find("<f4"), 3, "<i4");
  expect_npy_error(bad, "unsupported dtype '<i4'", "dtype");

  bad = good;
  bad.replace(bad.find("False"), 5, "Maybe");
  expect_npy_error(bad, "fortran_order is neither True nor False", "fortran_order");

  bad = good;
  bad.replace(bad.find("'shape'"), 7, "'shope'");
  expect_npy_error(bad, "unknown key 'shope'", "key");

  bad = good;
  bad.replace(bad.find("(1, 2)"), 6, "(1; 2)");
  expect_npy_error(bad, "malformed header", "shape syntax");
}

/// A version-1.0 .npy file with the header dictionary `dict` (padded as NumPy pads it)
/// followed by `data`.
std::string npy_with_dict(const std::string& dict, const std::string& data = "") {
  std::string header = dict + std::string(63 - (10 + dict.size()) % 64, ' ') + '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFFu);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string npy_with_shape(const std::string& shape, bool fortran = false) {
  return npy_with_dict(std::string("{'descr': '<f4', 'fortran_order': ") + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }");
}

// Issue #16: the size check stopped multiplying once a dimension was 0, so an empty array
// with a huge later dimension got through, and xtensor's signed strides overflowed
// (5555555555555555155 * 9; UBSan reports it). Every dimension counts now, in any
// position and either storage order.
TEST(NpyErrors, HugeDimensionsAreRejectedEvenWhenAnotherIsZero) {
  for (const bool fortran : {false, true}) {
    for (const char* shape : {"(0, 9, 5555555555555555155)", "(9, 5555555555555555155, 0)",
                              "(5555555555555555155, 0, 9)", "(0, 3074457345618258603, 3)"}) {
      expect_npy_error(npy_with_shape(shape, fortran), std::string("the shape ") + shape + " is too large",
                       std::string(shape) + (fortran ? " Fortran" : " C"));
    }
  }
}

// Issue #16: a dimension of 2^63 does not fit Eigen's (signed) index: load_npy_tensor made a
// 0 x -2^63 tensor of it (or failed an Eigen assertion). It is refused when read.
TEST(NpyErrors, DimensionsBeyondTheSignedIndexRangeAreRejected) {
  expect_npy_error(npy_with_shape("(0, 9223372036854775808)"), "is too large", "2^63 after 0");
  expect_npy_error(npy_with_shape("(9223372036854775808, 0)"), "is too large", "2^63 before 0");
  expect_npy_error(npy_with_shape("(18446744073709551615,)"), "is too large", "2^64 - 1");

  temp_dir dir;
  const auto path = dir.path / "huge.npy";
  {
    std::ofstream os(path, std::ios::binary);
    const std::string bytes = npy_with_shape("(0, 9223372036854775808)");
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    (void)aida::ext::load_npy_tensor(path);
    ADD_FAILURE() << "no error";
  } catch (const aida::ext::npy_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("(0, 9223372036854775808) is too large"));
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
  // The largest shapes that are still accepted: empty arrays whose dimensions multiply to 2^60 - 1.
  std::istringstream is(npy_with_shape("(0, 1152921504606846975)"), std::ios::binary);
  const xt::xarray<float> empty = aida::ext::read_npy(is);
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.shape()[1], 1152921504606846975u);
}

// Issue #16: a header with a key twice was accepted, and two 'shape's were concatenated.
TEST(NpyErrors, DuplicateKeysAreRejected) {
  const std::string data(4 * 2, '\0');
  expect_npy_error(npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }", data),
                   "duplicate key 'shape'", "shape twice");
  expect_npy_error(npy_with_dict("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", data),
                   "duplicate key 'descr'", "descr twice");
  expect_npy_error(npy_with_dict("{'fortran_order': True, 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data),
                   "duplicate key 'fortran_order'", "fortran_order twice");
}

// What fuzz_npy found on the unfixed reader (fuzz/README.md), byte for byte: 'fortran_order'
// and 'shape' twice, the shapes concatenated to (4, 52, 0, 147483648, 521474836482), whose
// strides overflowed in xtensor. Refused now, at the first repeated key.
TEST(NpyErrors, TheFuzzersInputWithRepeatedKeysAndAnOverflowingShape) {
  const std::string dict =
      "{'descr': '<f8', 'fortran_order': True, 'shape':(4,52), 'fortran_order': True, "
      "'shape':(0, 147483648,521474836482), }" + std::string(19, ' ');
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(118);  // the header is the dictionary and one space, the rest "data"
  bytes += '\0';
  bytes += dict;
  ASSERT_EQ(bytes.size(), 146u);
  expect_npy_error(bytes, "duplicate key 'fortran_order'", "fuzzer input");
}

// A Python tuple of one element has a trailing comma: "(2)" is the integer 2, which NumPy
// refuses as a shape, and so does aida.
TEST(NpyErrors, AOneElementShapeNeedsItsComma) {
  expect_npy_error(npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", std::string(8, '\0')),
                   "(2) is not a tuple", "(2)");
  std::istringstream is(npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': ( 2 , )}", std::string(8, '\0')),
                        std::ios::binary);
  EXPECT_EQ(aida::ext::read_npy(is).shape()[0], 2u);
}

TEST(NpyErrors, ShapeMismatchLeavesTheParameterUnchanged) {
  temp_dir dir;
  aida::sampler rng(aida_test::seed());
  aida::ext::save_npy(dir.path / "w.npy", random_tensor(3, 4, rng));
  parameter p(4, 3);
  p.value = random_tensor(4, 3, rng);
  const tensor before = p.value;
  try {
    aida::ext::load_npy(dir.path / "w.npy", p);
    ADD_FAILURE() << "no error";
  } catch (const aida::ext::npy_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("shape [3 x 4] does not fit the parameter's [4 x 3]"));
  }
  EXPECT_TRUE(bit_equal(p.value, before));

  aida::ext::save_npy(dir.path / "cube.npy", xt::xarray<float>(xt::zeros<float>({2, 2, 2})));
  EXPECT_THROW((void)aida::ext::load_npy_tensor(dir.path / "cube.npy"), aida::ext::npy_error);
}

TEST(NpyErrors, IoErrorsNameThePath) {
  temp_dir dir;
  const auto missing = dir.path / "missing.npy";
  try {
    (void)aida::ext::load_npy(missing);
    ADD_FAILURE() << "no error";
  } catch (const aida::ext::npy_io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing.string()));
  }
  const auto unwritable = dir.path / "no_such_dir" / "x.npy";
  try {
    aida::ext::save_npy(unwritable, tensor::Ones(1, 1));
    ADD_FAILURE() << "no error";
  } catch (const aida::ext::npy_io_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(unwritable.string()));
  }
}

// ---- NumPy itself, when it is installed -------------------------------------------------

TEST(NpyNumPy, NumPyLoadsOurFiles) {
#if __has_include(<sys/wait.h>)
  temp_dir dir;
  // Values exactly representable in float32, so NumPy can compare them exactly.
  tensor t(3, 4);
  for (Eigen::Index i = 0; i < 3; ++i)
    for (Eigen::Index j = 0; j < 4; ++j) t(i, j) = static_cast<float>(10 * i + j) + 0.25f;
  aida::ext::save_npy(dir.path / "t.npy", t);
  const Eigen::VectorXf embedding = Eigen::VectorXf::LinSpaced(5, 0.0f, 4.0f);
  aida::ext::save_npy(dir.path / "e.npy", embedding);

  const auto script = dir.path / "check.py";
  {
    std::ofstream py(script);
    py << "import sys\n"
          "import numpy as np\n"
          "t = np.load(sys.argv[1])\n"
          "assert t.dtype == np.float32 and t.shape == (3, 4), (t.dtype, t.shape)\n"
          "assert t.flags['C_CONTIGUOUS']\n"
          "for i in range(3):\n"
          "    for j in range(4):\n"
          "        assert t[i, j] == 10 * i + j + 0.25, (i, j, t[i, j])\n"
          "e = np.load(sys.argv[2])\n"
          "assert e.dtype == np.float32 and e.shape == (5,), (e.dtype, e.shape)\n"
          "assert list(e) == [0.0, 1.0, 2.0, 3.0, 4.0], e\n";
  }
  // Exit 77 when no python3 with numpy is found: the test is then skipped, not failed.
  const std::string cmd = "for py in python3 /usr/bin/python3; do if $py -c 'import numpy' >/dev/null 2>&1; then exec $py '" +
                          script.string() + "' '" + (dir.path / "t.npy").string() + "' '" +
                          (dir.path / "e.npy").string() + "'; fi; done; exit 77";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "python3 with numpy not found";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "numpy rejected the file (see the assertion above)";
#else
  GTEST_SKIP() << "no POSIX shell";
#endif
}

}  // namespace
