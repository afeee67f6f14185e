// TrainMlp with libtorch: the one translation unit of the ML plugins that
// includes torch headers (each costs ~20 s and ~1 GB to compile).
#include "torch/mlp_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "data/rng.h"
#include "mlops/common/files.h"

namespace mlops::ml {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

struct MlpNetImpl : torch::nn::Module {
  MlpNetImpl(size_t inputs, const MlpParams& p, size_t outputs) : activation(p.activation), dropout(p.dropout) {
    size_t prev = inputs;
    for (size_t i = 0; i < p.hidden.size(); ++i) {
      layers.push_back(register_module("fc" + std::to_string(i),
                                       torch::nn::Linear(static_cast<int64_t>(prev), p.hidden[i])));
      prev = static_cast<size_t>(p.hidden[i]);
    }
    layers.push_back(register_module("out", torch::nn::Linear(static_cast<int64_t>(prev),
                                                             static_cast<int64_t>(outputs))));
  }

  // `dropout_gen` draws the dropout masks in training (CPU generator; the
  // masks move to x's device). Never torch's global generator: trials of a
  // tuner train side by side in one process.
  torch::Tensor forward(torch::Tensor x, at::Generator* dropout_gen = nullptr) {
    for (size_t i = 0; i + 1 < layers.size(); ++i) {
      x = layers[i]->forward(x);
      switch (activation) {
        case Activation::kRelu: x = torch::relu(x); break;
        case Activation::kTanh: x = torch::tanh(x); break;
        case Activation::kSigmoid: x = torch::sigmoid(x); break;
      }
      if (dropout > 0.0 && is_training() && dropout_gen != nullptr) {
        torch::Tensor keep = torch::empty(x.sizes(), torch::kFloat32).bernoulli_(1.0 - dropout, *dropout_gen);
        x = x * keep.to(x.device()) / (1.0 - dropout);
      }
    }
    return layers.back()->forward(x);
  }

  // PyTorch's default Linear initialisation, U(-1/sqrt(in), 1/sqrt(in)) for
  // weights and biases, drawn from `gen`.
  void Initialise(at::Generator& gen) {
    torch::NoGradGuard no_grad;
    for (auto& l : layers) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(l->weight.size(1)));
      l->weight.uniform_(-bound, bound, gen);
      l->bias.uniform_(-bound, bound, gen);
    }
  }

  Activation activation;
  double dropout;
  std::vector<torch::nn::Linear> layers;
};
TORCH_MODULE(MlpNet);

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(MlpNet& net, const MlpParams& p) {
  if (p.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        net->parameters(), torch::optim::SGDOptions(p.lr).momentum(p.momentum).weight_decay(p.weight_decay));
  }
  if (p.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        net->parameters(), torch::optim::AdamWOptions(p.lr).weight_decay(p.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      net->parameters(), torch::optim::AdamOptions(p.lr).weight_decay(p.weight_decay));
}

// Rows of `data` as a standardised float tensor (missing values -> 0, the
// train mean) and their labels.
void Gather(const Dataset& data, const std::vector<size_t>& rows, const std::vector<float>& mean,
            const std::vector<float>& sd, double y_mean, double y_sd, torch::Tensor* x, torch::Tensor* y) {
  const size_t d = data.cols;
  *x = torch::empty({static_cast<int64_t>(rows.size()), static_cast<int64_t>(d)}, torch::kFloat32);
  float* px = x->data_ptr<float>();
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* src = data.row(rows[r]);
    for (size_t c = 0; c < d; ++c) {
      const float v = (src[c] - mean[c]) / sd[c];
      px[r * d + c] = std::isnan(v) ? 0.0f : v;
    }
  }
  if (data.task == Task::kClassification) {
    *y = torch::empty({static_cast<int64_t>(rows.size())}, torch::kInt64);
    int64_t* py = y->data_ptr<int64_t>();
    for (size_t r = 0; r < rows.size(); ++r) py[r] = static_cast<int64_t>(data.labels[rows[r]]);
  } else {
    *y = torch::empty({static_cast<int64_t>(rows.size()), 1}, torch::kFloat32);
    float* py = y->data_ptr<float>();
    for (size_t r = 0; r < rows.size(); ++r) py[r] = static_cast<float>((data.labels[rows[r]] - y_mean) / y_sd);
  }
}

torch::Tensor Loss(Task task, const torch::Tensor& out, const torch::Tensor& y) {
  return task == Task::kClassification ? torch::nn::functional::cross_entropy(out, y)
                                       : torch::mse_loss(out, y);
}

// Validation loss and score (accuracy, or R^2 on the original scale).
void Validate(MlpNet& net, Task task, const torch::Tensor& x, const torch::Tensor& y, double* loss,
              double* score) {
  torch::NoGradGuard no_grad;
  net->eval();
  const torch::Tensor out = net->forward(x);
  *loss = Loss(task, out, y).item<double>();
  if (task == Task::kClassification) {
    *score = out.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
  } else {
    const double ss_res = (out - y).pow(2).sum().item<double>();
    const double ss_tot = (y - y.mean()).pow(2).sum().item<double>();
    *score = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 0.0;
  }
  net->train();
}

std::vector<torch::Tensor> CloneParams(MlpNet& net) {
  std::vector<torch::Tensor> copy;
  for (const auto& p : net->parameters()) copy.push_back(p.detach().to(torch::kCPU).clone());
  return copy;
}

// What a checkpoint must match to be resumed: the same hyperparameters and
// the same data and split shape.
std::string CheckpointIdentity(const Dataset& data, const Split& split, const MlpParams& p) {
  return ToJson(p).dump() + "|" + std::to_string(data.rows) + "x" + std::to_string(data.cols) + "|" +
         std::to_string(split.train.size()) + "/" + std::to_string(split.validation.size());
}

struct TrainState {
  int epoch = 0;  // last finished epoch
  double best_val_loss = std::numeric_limits<double>::infinity();
  double best_val_score = 0;
  int best_epoch = 0;
  int since_best = 0;
  std::vector<torch::Tensor> best;
  std::vector<EpochReport> curve;
};

void SaveCheckpoint(const std::string& path, const std::string& identity, MlpNet& net,
                    torch::optim::Optimizer& opt, const TrainState& s) {
  torch::serialize::OutputArchive ar;
  ar.write("identity", c10::IValue(identity));
  ar.write("epoch", c10::IValue(static_cast<int64_t>(s.epoch)));
  ar.write("best_val_loss", c10::IValue(s.best_val_loss));
  ar.write("best_val_score", c10::IValue(s.best_val_score));
  ar.write("best_epoch", c10::IValue(static_cast<int64_t>(s.best_epoch)));
  ar.write("since_best", c10::IValue(static_cast<int64_t>(s.since_best)));
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& e : s.curve) curve.push_back({e.epoch, e.loss, e.val_loss, e.val_score, e.seconds, e.train_seconds});
  ar.write("curve", c10::IValue(curve.dump()));
  for (size_t i = 0; i < s.best.size(); ++i) ar.write("best." + std::to_string(i), s.best[i]);
  torch::serialize::OutputArchive model_ar, opt_ar;
  net->save(model_ar);
  opt.save(opt_ar);
  ar.write("model", model_ar);
  ar.write("optimizer", opt_ar);
  const std::string tmp = path + ".tmp";
  ar.save_to(tmp);
  std::rename(tmp.c_str(), path.c_str());
}

bool LoadCheckpoint(const std::string& path, const std::string& identity, MlpNet& net,
                    torch::optim::Optimizer& opt, TrainState* s) {
  if (!PathExists(path)) return false;
  try {
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    c10::IValue v;
    ar.read("identity", v);
    if (v.toStringRef() != identity) return false;
    ar.read("epoch", v);
    s->epoch = static_cast<int>(v.toInt());
    ar.read("best_val_loss", v);
    s->best_val_loss = v.toDouble();
    ar.read("best_val_score", v);
    s->best_val_score = v.toDouble();
    ar.read("best_epoch", v);
    s->best_epoch = static_cast<int>(v.toInt());
    ar.read("since_best", v);
    s->since_best = static_cast<int>(v.toInt());
    ar.read("curve", v);
    for (const auto& e : nlohmann::json::parse(v.toStringRef())) {
      // Checkpoints written before train_seconds was kept have five fields.
      s->curve.push_back({e[0].get<int>(), e[1].get<double>(), e[2].get<double>(), e[3].get<double>(),
                          e[4].get<double>(), e.size() > 5 ? e[5].get<double>() : 0.0});
    }
    s->best.clear();
    for (size_t i = 0; i < net->parameters().size(); ++i) {
      torch::Tensor t;
      ar.read("best." + std::to_string(i), t);
      s->best.push_back(t);
    }
    torch::serialize::InputArchive model_ar, opt_ar;
    ar.read("model", model_ar);
    ar.read("optimizer", opt_ar);
    net->load(model_ar);
    opt.load(opt_ar);
    return true;
  } catch (const std::exception&) {
    return false;  // a torn or foreign checkpoint: start afresh
  }
}

void ToModel(const Dataset& data, const MlpParams& p, const std::vector<torch::Tensor>& params,
             std::vector<float> mean, std::vector<float> sd, double y_mean, double y_sd, MlpModel* m) {
  m->task = data.task;
  m->feature_names = data.feature_names;
  m->label_name = data.label_name;
  m->classes = data.classes;
  m->feature_mean = std::move(mean);
  m->feature_std = std::move(sd);
  m->target_mean = y_mean;
  m->target_std = y_sd;
  m->activation = p.activation;
  m->layers.clear();
  // parameters() lists weight then bias for each Linear, in order.
  for (size_t i = 0; i + 1 < params.size(); i += 2) {
    const torch::Tensor w = params[i].contiguous();
    const torch::Tensor b = params[i + 1].contiguous();
    DenseLayer l;
    l.out = static_cast<size_t>(w.size(0));
    l.in = static_cast<size_t>(w.size(1));
    l.weight.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    l.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    m->layers.push_back(std::move(l));
  }
}

}  // namespace

std::string BestDevice() { return torch::cuda::is_available() ? "cuda" : "cpu"; }

Status TrainMlp(const Dataset& data, const Split& split, const MlpParams& p, const TrainHooks& hooks,
                TrainResult* result) {
  if (split.train.empty()) return Status::InvalidArgument("the training split is empty");
  if (split.validation.empty()) return Status::InvalidArgument("the validation split is empty");
  if (data.task == Task::kClassification && data.num_classes() < 2) {
    return Status::InvalidArgument("classification needs at least 2 classes, the data has " +
                                   std::to_string(data.num_classes()));
  }
  const auto start = Clock::now();
  torch::set_num_threads(std::max(1, p.threads));
  torch::Device device(torch::kCPU);
  if (p.device == "cuda" || (p.device == "auto" && torch::cuda::is_available())) {
    if (!torch::cuda::is_available()) return Status::Unavailable("device 'cuda' requested but no CUDA device is visible");
    device = torch::Device(torch::kCUDA, 0);
  }

  // Standardisation fitted on the training rows only (NaN ignored).
  const size_t d = data.cols;
  std::vector<float> mean(d, 0.0f), sd(d, 1.0f);
  for (size_t c = 0; c < d; ++c) {
    double sum = 0, sq = 0;
    size_t n = 0;
    for (size_t r : split.train) {
      const double v = data.row(r)[c];
      if (std::isnan(v)) continue;
      sum += v;
      sq += v * v;
      ++n;
    }
    const double m = n > 0 ? sum / n : 0.0;
    const double var = n > 0 ? std::max(0.0, sq / n - m * m) : 0.0;
    mean[c] = static_cast<float>(m);
    sd[c] = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.0f;
  }
  double y_mean = 0, y_sd = 1;
  if (data.task == Task::kRegression) {
    double sum = 0, sq = 0;
    for (size_t r : split.train) {
      sum += data.labels[r];
      sq += data.labels[r] * data.labels[r];
    }
    y_mean = sum / split.train.size();
    const double var = std::max(0.0, sq / split.train.size() - y_mean * y_mean);
    y_sd = var > 1e-24 ? std::sqrt(var) : 1.0;
  }
  torch::Tensor x_train, y_train, x_val, y_val;
  Gather(data, split.train, mean, sd, y_mean, y_sd, &x_train, &y_train);
  Gather(data, split.validation, mean, sd, y_mean, y_sd, &x_val, &y_val);
  x_train = x_train.to(device);
  y_train = y_train.to(device);
  x_val = x_val.to(device);
  y_val = y_val.to(device);

  const size_t outputs = data.task == Task::kClassification ? data.num_classes() : 1;
  MlpNet net(d, p, outputs);
  {
    at::Generator init = at::make_generator<at::CPUGeneratorImpl>(p.seed);
    net->Initialise(init);
  }
  net->to(device);
  auto optimizer = MakeOptimizer(net, p);
  TrainState state;
  const std::string identity = CheckpointIdentity(data, split, p);
  if (!hooks.checkpoint_path.empty() && LoadCheckpoint(hooks.checkpoint_path, identity, net, *optimizer, &state)) {
    result->resumed_from_epoch = state.epoch;
    if (hooks.on_resume) hooks.on_resume(state.epoch);
  }
  if (state.best.empty()) state.best = CloneParams(net);

  const int64_t n_train = static_cast<int64_t>(split.train.size());
  const int64_t batch = std::min<int64_t>(p.batch_size, n_train);
  bool stop = false;
  while (!stop && state.epoch < p.epochs &&
         !(p.patience > 0 && state.since_best >= p.patience)) {
    const int epoch = state.epoch + 1;
    const auto epoch_start = Clock::now();
    // The epoch's order and dropout masks depend only on (seed, epoch), so a
    // resumed run continues exactly as an uninterrupted one would.
    Rng rng(Rng::Derive(p.seed, static_cast<uint64_t>(epoch)));
    std::vector<int64_t> order(static_cast<size_t>(n_train));
    for (int64_t i = 0; i < n_train; ++i) order[static_cast<size_t>(i)] = i;
    rng.Shuffle(order);
    at::Generator dropout_gen =
        at::make_generator<at::CPUGeneratorImpl>(Rng::Derive(p.seed ^ 0x5eedULL, static_cast<uint64_t>(epoch)));
    const torch::Tensor perm = torch::from_blob(order.data(), {n_train}, torch::kInt64).clone().to(device);
    net->train();
    // The loss is summed where it is computed and read once per epoch: a
    // read per batch would wait for the device after every step.
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
    for (int64_t b = 0; b < n_train; b += batch) {
      if (hooks.cancelled && hooks.cancelled()) {
        stop = true;
        result->interrupted = true;
        break;
      }
      const torch::Tensor idx = perm.slice(0, b, std::min(b + batch, n_train));
      const torch::Tensor xb = x_train.index_select(0, idx);
      const torch::Tensor yb = y_train.index_select(0, idx);
      optimizer->zero_grad();
      torch::Tensor loss = Loss(data.task, net->forward(xb, &dropout_gen), yb);
      loss.backward();
      optimizer->step();
      loss_sum.add_(loss.detach().to(torch::kFloat64), static_cast<double>(idx.size(0)));
      result->samples_seen += idx.size(0);
    }
    if (stop) break;
    EpochReport rep;
    rep.epoch = epoch;
    rep.loss = loss_sum.item<double>() / static_cast<double>(n_train);
    rep.train_seconds = Seconds(epoch_start);
    Validate(net, data.task, x_val, y_val, &rep.val_loss, &rep.val_score);
    rep.seconds = Seconds(epoch_start);
    state.epoch = epoch;
    state.curve.push_back(rep);
    if (rep.val_loss < state.best_val_loss) {
      state.best_val_loss = rep.val_loss;
      state.best_val_score = rep.val_score;
      state.best_epoch = epoch;
      state.since_best = 0;
      state.best = CloneParams(net);
    } else {
      ++state.since_best;
    }
    if (!hooks.checkpoint_path.empty()) SaveCheckpoint(hooks.checkpoint_path, identity, net, *optimizer, state);
    if (hooks.on_epoch && !hooks.on_epoch(rep)) {
      result->interrupted = true;
      break;
    }
  }
  result->stopped_early = p.patience > 0 && state.since_best >= p.patience && state.epoch < p.epochs;
  result->curve = state.curve;
  result->best_epoch = state.best_epoch;
  result->best_val_loss = state.best_val_loss;
  result->best_val_score = state.best_val_score;
  result->device = device.is_cuda() ? "cuda:" + std::to_string(device.index()) : "cpu";
  result->train_seconds = Seconds(start);
  // With early stopping the model is the best validation epoch's; without
  // (patience 0) it is the last epoch's, as trained.
  const std::vector<torch::Tensor> weights = p.patience > 0 ? state.best : CloneParams(net);
  ToModel(data, p, weights, mean, sd, y_mean, y_sd, &result->model);
  return Status::OK();
}

}  // namespace mlops::ml
