#include "serving/server/predictor.h"

#include <algorithm>
#include <cmath>

#include "mlops/common/clock.h"

namespace mlops::serving {
namespace {

constexpr size_t kShadowQueue = 64;

size_t Argmax(const double* p, size_t n) {
  return static_cast<size_t>(std::max_element(p, p + n) - p);
}

}  // namespace

ShadowComparer::ShadowComparer(ServeMetrics* metrics)
    : metrics_(metrics), thread_([this] { Run(); }) {}

ShadowComparer::~ShadowComparer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ShadowComparer::Offer(std::shared_ptr<const LoadedVersion> production,
                           std::shared_ptr<const LoadedVersion> canary,
                           std::shared_ptr<const PredictInput> in,
                           std::vector<double> canary_out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (jobs_.size() >= kShadowQueue) return;
    jobs_.push_back({std::move(production), std::move(canary), std::move(in),
                     std::move(canary_out)});
  }
  cv_.notify_one();
}

bool ShadowComparer::Disagree(bool classification, size_t width, const std::vector<double>& a,
                              const std::vector<double>& b) {
  if (a.size() != b.size() || width == 0) return true;
  if (classification) {
    for (size_t r = 0; r + width <= a.size(); r += width) {
      if (Argmax(&a[r], width) != Argmax(&b[r], width)) return true;
    }
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const double scale = std::max({std::fabs(a[i]), std::fabs(b[i]), 1e-12});
    if (std::fabs(a[i] - b[i]) / scale > 1e-6) return true;
  }
  return false;
}

void ShadowComparer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    std::vector<double> prod_out;
    job.production->mlp->Predict(job.in->x.data(), job.in->rows, &prod_out);
    const bool classification = job.canary->schema->classification;
    const size_t width = classification ? job.canary->mlp->outputs() : 1;
    metrics_->Shadow(job.canary->model, job.canary->version,
                     Disagree(classification, width, prod_out, job.canary_out));
    lock.lock();
  }
}

Predictor::Predictor(std::function<std::shared_ptr<const ModelSet>()> current,
                     ServeMetrics* metrics, PredictionSink sink)
    : current_(std::move(current)), sink_(std::move(sink)), shadow_(metrics) {}

Status Predictor::Resolve(const std::string& model, int64_t version, std::string_view key,
                          Resolved* out) const {
  out->set = current_();
  auto it = out->set->models.find(model);
  if (it == out->set->models.end()) {
    return Status::NotFound("model '" + model + "' is not served (no production version)");
  }
  out->model = &it->second;
  if (version != 0) {
    out->version = it->second.Served(version);
    if (!out->version) {
      auto v = it->second.versions.find(version);
      return Status::NotFound(
          "model '" + model + "' version " + std::to_string(version) +
          (v == it->second.versions.end() ? " is neither its production nor its canary"
                                          : " is not available: " + v->second->reason));
    }
    return Status::OK();
  }
  out->routed = true;
  out->version = it->second.Route(key);
  if (!out->version) {
    auto v = it->second.versions.find(it->second.production);
    return Status::Unavailable("model '" + model + "' has no version that can answer" +
                               (v == it->second.versions.end() ? std::string()
                                                               : ": " + v->second->reason));
  }
  return Status::OK();
}

Status Predictor::Run(const Resolved& r, std::shared_ptr<const PredictInput> in,
                      const char* protocol, const std::string& request_id,
                      std::vector<double>* out) {
  const int64_t arrived_ms = SystemClock().WallMillis();
  r.version->mlp->Predict(in->x.data(), in->rows, out);
  for (size_t i = 0; i < out->size(); ++i) {
    if (!std::isfinite((*out)[i])) {
      return Status::Corruption("model '" + r.version->model + "' version " +
                              std::to_string(r.version->version) +
                              " produced a non-finite output for row " +
                              std::to_string(i / std::max<size_t>(1, out->size() / in->rows)));
    }
  }
  if (r.routed && r.version->version == r.model->canary) {
    if (auto prod = r.model->Served(r.model->production)) {
      shadow_.Offer(prod, r.version, in, *out);
    }
  }
  // The prediction log's call site: every served request is offered here.
  if (sink_.admit && sink_.offer && sink_.admit(in->rows)) {
    PredictionRecord rec;
    rec.time_ms = arrived_ms;
    rec.model = r.version->model;
    rec.version = r.version->version;
    rec.protocol = protocol;
    rec.request_id = request_id;
    rec.schema = r.version->schema;
    rec.rows = in->rows;
    rec.inputs = in->x;
    rec.outputs = *out;
    sink_.offer(std::move(rec));
  }
  return Status::OK();
}

}  // namespace mlops::serving
