#pragma once
/// \file
/// A small line-plot writer with no dependency: series of (x, y) points to a standalone SVG,
/// with linear or logarithmic axes. Used by the experiment (accuracy against overseer calls)
/// and the audit study (checks against tree size).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <iomanip>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "aida/core/error.hpp"

namespace aida::io {

/// One line of a plot.
struct plot_series {
  std::string name;  ///< the series' name in the legend
  std::vector<std::pair<double, double>> points;  ///< (x, y), drawn in this order
  bool dashed = false;  ///< a dashed line instead of a solid one
};

/// A line plot: title, axis labels, scales, series.
struct line_plot {
  std::string title;                ///< the plot's title
  std::string x_label;              ///< the x axis' label
  std::string y_label;              ///< the y axis' label
  bool log_x = false;               ///< a logarithmic x axis
  bool log_y = false;               ///< a logarithmic y axis
  std::vector<plot_series> series;  ///< the lines, drawn in this order
  /// A fixed y range (low, high), e.g. {0, 1} for accuracies; by default the data's range.
  std::optional<std::pair<double, double>> y_range;
  /// Named x ticks (position, label), e.g. one per method of a categorical axis; by default
  /// the x axis gets numbered ticks. Labels outside the data's x range are not drawn.
  std::vector<std::pair<double, std::string>> x_tick_labels;

  /// The plot as an SVG document. Points that a log axis cannot show (<= 0) and non-finite
  /// points are skipped.
  [[nodiscard]] std::string to_svg(int width = 720, int height = 450) const {
    const double left = 70, right = 180, top = 40, bottom = 55;
    const double pw = width - left - right, ph = height - top - bottom;
    auto tx = [&](double v) { return log_x ? std::log10(v) : v; };
    auto ty = [&](double v) { return log_y ? std::log10(v) : v; };
    auto usable = [&](double x, double y) {
      return std::isfinite(x) && std::isfinite(y) && (!log_x || x > 0) && (!log_y || y > 0);
    };
    double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
    for (const auto& s : series)
      for (auto [x, y] : s.points)
        if (usable(x, y)) {
          x0 = std::min(x0, tx(x)), x1 = std::max(x1, tx(x));
          y0 = std::min(y0, ty(y)), y1 = std::max(y1, ty(y));
        }
    if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (y_range && usable(1.0, y_range->first) && usable(1.0, y_range->second) && y_range->first < y_range->second)
      y0 = ty(y_range->first), y1 = ty(y_range->second);
    if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
    if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
    auto px = [&](double v) { return left + (tx(v) - x0) / (x1 - x0) * pw; };
    auto py = [&](double v) { return top + ph - (ty(v) - y0) / (y1 - y0) * ph; };

    static constexpr const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                              "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
    std::ostringstream o;
    o << std::setprecision(6);
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << left + pw / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
      << escape(title) << "</text>\n";
    // Axes, ticks and grid.
    o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#333\"/>\n";
    for (int axis = 0; axis < 2; ++axis) {
      const bool lg = axis == 0 ? log_x : log_y;
      const double lo = axis == 0 ? x0 : y0, hi = axis == 0 ? x1 : y1;
      std::vector<std::pair<double, std::string>> marks;
      if (axis == 0 && !x_tick_labels.empty()) {
        for (const auto& [v, name] : x_tick_labels)
          if (usable(v, 1.0) && tx(v) >= lo - 1e-9 && tx(v) <= hi + 1e-9) marks.emplace_back(v, name);
      } else {
        for (double t : ticks(lo, hi, lg)) {
          const double v = lg ? std::pow(10.0, t) : t;
          std::ostringstream label;
          if (std::abs(v) >= 1 && std::abs(v) < 1e9 && std::abs(v - std::round(v)) < 1e-9)
            label << static_cast<long long>(std::llround(v));
          else
            label << std::setprecision(4) << v;
          marks.emplace_back(v, label.str());
        }
      }
      for (const auto& [v, text] : marks) {
        const std::string shown = escape(text);
        if (axis == 0) {
          const double x = px(v);
          o << "<line x1=\"" << x << "\" y1=\"" << top << "\" x2=\"" << x << "\" y2=\"" << top + ph
            << "\" stroke=\"#ddd\"/><text x=\"" << x << "\" y=\"" << top + ph + 16
            << "\" text-anchor=\"middle\">" << shown << "</text>\n";
        } else {
          const double y = py(v);
          o << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + pw << "\" y2=\"" << y
            << "\" stroke=\"#ddd\"/><text x=\"" << left - 6 << "\" y=\"" << y + 4
            << "\" text-anchor=\"end\">" << shown << "</text>\n";
        }
      }
    }
    o << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">"
      << escape(x_label) << (log_x ? " (log scale)" : "") << "</text>\n"
      << "<text transform=\"translate(16," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escape(y_label) << (log_y ? " (log scale)" : "") << "</text>\n";
    // Lines and legend.
    for (std::size_t i = 0; i < series.size(); ++i) {
      const auto& s = series[i];
      const char* colour = colours[i % (sizeof colours / sizeof *colours)];
      o << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
      for (auto [x, y] : s.points)
        if (usable(x, y)) o << px(x) << ',' << py(y) << ' ';
      o << "\"/>\n";
      const double ly = top + 14 + 18 * static_cast<double>(i);
      o << "<line x1=\"" << left + pw + 12 << "\" y1=\"" << ly << "\" x2=\"" << left + pw + 36 << "\" y2=\""
        << ly << "\" stroke=\"" << colour << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/><text x=\"" << left + pw + 42 << "\" y=\""
        << ly + 4 << "\">" << escape(s.name) << "</text>\n";
    }
    o << "</svg>\n";
    return o.str();
  }

  /// Writes the SVG to `path`; throws `aida::error` naming the path if it cannot.
  void write_svg(const std::string& path, int width = 720, int height = 450) const {
    std::ofstream f(path, std::ios::out | std::ios::trunc);
    if (!f) throw error("aida: cannot open '" + path + "' to write the plot");
    f << to_svg(width, height);
    if (!f) throw error("aida: writing the plot to '" + path + "' failed");
  }

 private:
  static std::string escape(const std::string& s) {
    std::string o;
    for (char c : s) {
      switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default:
          if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') o += c;
      }
    }
    return o;
  }

  /// Tick positions in axis units: decades on a log axis, 1-2-5 steps on a linear one.
  static std::vector<double> ticks(double lo, double hi, bool log_axis) {
    std::vector<double> out;
    if (log_axis) {
      // Decades; on a range of fewer than three decades, also 2× and 5× each decade.
      const bool fine = hi - lo < 3;
      for (double d = std::floor(lo); d <= hi + 1e-9; d += 1)
        for (double m : {1.0, 2.0, 5.0}) {
          if (m != 1.0 && !fine) continue;
          const double t = d + std::log10(m);
          if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push_back(t);
        }
      if (out.size() < 2) out = {lo, hi};
      return out;
    }
    const double raw = (hi - lo) / 6;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) out.push_back(t);
    return out;
  }
};

}  // namespace aida::io
