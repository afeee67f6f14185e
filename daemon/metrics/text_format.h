// The pieces of the Prometheus text exposition format (version 0.0.4) and of
// OpenMetrics 1.0 that both writers share: escaping, number formatting and
// name checks. Pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace mlops::metrics {

// The Content-Type of the text exposition format.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value between double quotes: `\` -> `\\`, `"` -> `\"`, newline ->
// `\n`. Bytes that are not valid UTF-8 become U+FFFD, so the output is
// always valid UTF-8 whatever the input.
std::string EscapeLabelValue(std::string_view value);

// HELP text: `\` -> `\\`, newline -> `\n` (0.0.4). With `openmetrics`, `"`
// -> `\"` as well. Invalid UTF-8 becomes U+FFFD.
std::string EscapeHelp(std::string_view help, bool openmetrics = false);

// A sample value: the shortest text that reads back as the same double;
// "+Inf", "-Inf", "NaN" for the special values.
std::string FormatValue(double value);

// The text with every byte that is not part of well-formed UTF-8 replaced by
// U+FFFD.
std::string ValidUtf8(std::string_view text);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
bool IsValidLabelName(std::string_view name);

// Replaces every byte a metric name cannot hold with '_', and prefixes '_'
// when it would start with a digit; "" becomes "_".
std::string SanitizeMetricName(std::string_view name);

}  // namespace mlops::metrics
