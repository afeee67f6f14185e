#include "model/model_data.h"

#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "mlops/common/sha256.h"

namespace mlops::ml {

Status LoadModelData(const MlpModel& model, const nlohmann::json& data_override, const std::string& base_dir,
                     Dataset* data, Split* split) {
  const nlohmann::json& prov = model.provenance;
  const bool overridden = data_override.is_object();
  if (!overridden && !prov.contains("data")) {
    return Status::InvalidArgument("the model records no data set (provenance.data); give one with 'data'");
  }
  DataSpec spec;
  MLOPS_RETURN_IF_ERROR(ParseDataSpec(overridden ? data_override : prov["data"], base_dir, &spec));
  if (!overridden && prov.contains("data_sha256")) {
    std::string sha;
    uint64_t size = 0;
    MLOPS_RETURN_IF_ERROR(Sha256File(spec.path, &sha, &size));
    const std::string recorded = prov["data_sha256"].is_string() ? prov["data_sha256"].get<std::string>() : "";
    if (sha != recorded) {
      return Status::Conflict("data " + spec.path + " changed since the model was trained: sha256 " + sha +
                              ", the model records " + recorded);
    }
  }
  MLOPS_RETURN_IF_ERROR(LoadDataset(spec, data));
  if (data->cols != model.inputs()) {
    return Status::InvalidArgument("data " + spec.path + " has " + std::to_string(data->cols) +
                                   " features, the model takes " + std::to_string(model.inputs()));
  }
  if (data->task != model.task) return Status::InvalidArgument("data " + spec.path + " is not for the model's task");
  if (data->task == Task::kClassification && data->classes != model.classes) {
    return Status::InvalidArgument("data " + spec.path + " has other classes than the model");
  }
  SplitSpec split_spec;
  MLOPS_RETURN_IF_ERROR(ParseSplitSpec(prov.value("split", nlohmann::json::object()), &split_spec));
  return MakeSplit(*data, split_spec, split);
}

std::vector<double> PredictRows(const MlpModel& model, const Dataset& data, const std::vector<size_t>& rows) {
  std::vector<float> x;
  x.reserve(rows.size() * data.cols);
  for (size_t r : rows) x.insert(x.end(), data.row(r), data.row(r) + data.cols);
  std::vector<double> out;
  model.Predict(x.data(), rows.size(), &out);
  return out;
}

}  // namespace mlops::ml
