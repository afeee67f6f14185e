// ClassLabels: the class names of a classification data set and the map
// from a label's text in a file to its class index. Plain value.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mlops::ml {

class ClassLabels {
 public:
  // Declared names, in their order. A label matches a class when the texts
  // are equal, or both are numbers of equal value ("1.0" matches "1").
  explicit ClassLabels(std::vector<std::string> names);

  // From every label text of a file: the distinct values sorted, by value
  // (named by FormatNumber) when every text is a finite number, else by
  // byte order of the text.
  static ClassLabels Infer(const std::vector<std::string>& texts);

  // Index of the class `text` names; -1 when none.
  long Find(std::string_view text) const;

  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, size_t> by_name_;
  std::map<double, size_t> by_value_;  // names that are numbers
};

}  // namespace mlops::ml
