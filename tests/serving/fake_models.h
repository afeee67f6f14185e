// Hand-built served versions for in-process tests of mlops-serve's routes:
// no registry, no signature, no file (those are the e2e test's).
#pragma once

#include <memory>
#include <string>

#include "serving/server/model_set.h"

namespace mlops::serving::testing {

// Regression of one feature x: y = slope * x + intercept.
inline std::shared_ptr<const LoadedVersion> LinearVersion(const std::string& model,
                                                          int64_t version, float slope,
                                                          float intercept) {
  auto mlp = std::make_shared<ml::MlpModel>();
  mlp->task = ml::Task::kRegression;
  mlp->feature_names = {"x"};
  mlp->feature_mean = {0.0f};
  mlp->feature_std = {1.0f};
  ml::DenseLayer layer;
  layer.in = 1;
  layer.out = 1;
  layer.weight = {slope};
  layer.bias = {intercept};
  mlp->layers = {layer};
  auto v = std::make_shared<LoadedVersion>();
  v->model = model;
  v->version = version;
  v->state = kStateAvailable;
  v->artifact_sha256 = std::string(64, 'a');
  v->key_id = std::string(64, 'b');
  auto schema = std::make_shared<PredictionSchema>();
  schema->classification = false;
  schema->feature_names = mlp->feature_names;
  v->schema = schema;
  v->mlp = mlp;
  return v;
}

// A model set of one model with its production (and canary) version.
inline std::shared_ptr<ModelSet> SetOf(std::shared_ptr<const LoadedVersion> production,
                                       std::shared_ptr<const LoadedVersion> canary = nullptr,
                                       int share = 0) {
  auto set = std::make_shared<ModelSet>();
  set->complete = true;
  ServedModel& m = set->models[production->model];
  m.name = production->model;
  m.production = production->version;
  m.versions[production->version] = production;
  if (canary) {
    m.canary = canary->version;
    m.canary_share_percent = share;
    m.versions[canary->version] = canary;
  }
  return set;
}

}  // namespace mlops::serving::testing
