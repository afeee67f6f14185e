#include "pipeline/pipeline.h"

namespace mlops::pipeline {

const Stage* Pipeline::FindStage(const std::string& name) const {
  for (const Stage& stage : stages) {
    if (stage.name == name) return &stage;
  }
  return nullptr;
}

}  // namespace mlops::pipeline
