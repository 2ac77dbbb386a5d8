// The dependency-free SVG line plot: escaping, log axes, skipped points.
#include <gtest/gtest.h>

#include <string>

#include "aida/io/svg_plot.hpp"

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgPlot, EscapesTextAndDrawsOneLinePerSeries) {
  aida::io::line_plot p{"a <b> & \"c\"", "x", "y", false, false, {}, {}, {}};
  p.series.push_back({"one", {{0, 0}, {1, 1}}});
  p.series.push_back({"two & three", {{0, 1}, {1, 0}}, true});
  const std::string svg = p.to_svg();
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("two &amp; three"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_EQ(count(svg, "stroke-dasharray"), 2u);  // the dashed series and its legend entry
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

TEST(SvgPlot, FixedYRangeTicksItsEnds) {
  aida::io::line_plot p{"t", "x", "y", false, false, {{"s", {{10, 0.2}, {20, 0.5}}}}, {}, {}};
  EXPECT_EQ(p.to_svg().find(">1</text>"), std::string::npos);  // the data's range: 0.2 to 0.5
  p.y_range = {0.0, 1.0};
  const std::string svg = p.to_svg();
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0</text>"), std::string::npos);
}

TEST(SvgPlot, LogAxisSkipsPointsItCannotShowAndTicksDecades) {
  aida::io::line_plot p{"t", "calls", "acc", true, false, {}, {}, {}};
  p.series.push_back({"s", {{0, 0.5}, {-3, 0.2}, {10, 0.1}, {1000, 0.9}}});
  const std::string svg = p.to_svg();
  const auto start = svg.find("points=\"") + 8;
  const std::string pts = svg.substr(start, svg.find('"', start) - start);
  EXPECT_EQ(count(pts, ","), 2u) << pts;  // only x = 10 and x = 1000 are drawable
  EXPECT_NE(svg.find(">10<"), std::string::npos);
  EXPECT_NE(svg.find(">100<"), std::string::npos);
  EXPECT_NE(svg.find(">1000<"), std::string::npos);
  EXPECT_NE(svg.find(">500<"), std::string::npos);  // fewer than 3 decades: 2× and 5× ticks too
  aida::io::line_plot wide{"t", "x", "y", true, false, {{"s", {{1, 0}, {1e6, 1}}}}, {}, {}};
  EXPECT_EQ(wide.to_svg().find(">500<"), std::string::npos);  // 6 decades: decades only
}

TEST(SvgPlot, NamedXTicksReplaceTheNumberedOnes) {
  aida::io::line_plot p{"t", "method", "calls", false, false, {{"a", {{1, 10}, {2, 20}}}}, {}, {}};
  p.x_tick_labels = {{1, "post"}, {2, "plain & co"}, {7, "outside"}};
  const std::string svg = p.to_svg();
  EXPECT_NE(svg.find(">post</text>"), std::string::npos);
  EXPECT_NE(svg.find(">plain &amp; co</text>"), std::string::npos);
  EXPECT_EQ(svg.find("outside"), std::string::npos);  // beyond the data's x range
  EXPECT_EQ(svg.find(">1.5</text>"), std::string::npos);  // no numbered x ticks
  EXPECT_NE(svg.find(">20</text>"), std::string::npos);  // the y axis keeps its numbers
}

TEST(SvgPlot, UnwritablePathIsAClearError) {
  aida::io::line_plot p;
  try {
    p.write_svg("/nonexistent-dir/x.svg");
    FAIL() << "expected aida::error";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.svg"), std::string::npos);
  }
}

}  // namespace
