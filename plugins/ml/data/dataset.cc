#include "data/dataset.h"

namespace mlops::ml {

const char* ToString(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kRegression:
      return "regression";
  }
  return "unknown";
}

bool ParseTask(std::string_view text, Task* out) {
  if (text == "classification") {
    *out = Task::kClassification;
    return true;
  }
  if (text == "regression") {
    *out = Task::kRegression;
    return true;
  }
  return false;
}

}  // namespace mlops::ml
