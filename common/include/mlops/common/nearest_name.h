// Nearest names: the "did you mean" hint for a mistyped key, command or
// name. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlops {

// Edit distance in which an insertion, a deletion, a substitution or a swap
// of two neighbouring characters costs 1 (optimal string alignment: the
// usual typos, "lsit" for "list", are one edit).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `name` when it is close enough to be a typo of it
// (at most two edits, and at most a third of the longer name); "" otherwise.
std::string NearestName(std::string_view name, const std::vector<std::string_view>& candidates);

// "; did you mean 'x'?" for the nearest candidate, or "" when there is none.
std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace mlops
