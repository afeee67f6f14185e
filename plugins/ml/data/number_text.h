// Numbers as they appear in data files: parsing one field's text, the
// markers of a missing value, and the shortest text of a number for
// messages and class names. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace mlops::ml {

// "", "NA", "NaN" or "nan".
bool IsMissing(std::string_view text);

// Decimal or scientific notation with an optional sign, the whole text (no
// surrounding spaces). "inf" and "nan" parse (callers reject non-finite
// values with their own message); false for anything else, and for values
// beyond the range of double.
bool ParseNumber(std::string_view text, double* out);

// A decimal integer with an optional sign, the whole text.
bool ParseInteger(std::string_view text, long long* out);

// Shortest text that reads back as x: 1 -> "1", 0.1 -> "0.1".
std::string FormatNumber(double x);

}  // namespace mlops::ml
