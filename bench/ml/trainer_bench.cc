// Trainer throughput and INT8 inference latency, printed as JSON lines.
//   mlops_bench_trainer DATA_FILE FORMAT OUT_DIR [threads] [epochs] [batch] [device] [hidden]
// Trains the MLP that bench/ml/torch_reference.py trains (same data, same
// standardised split, same layers, Adam; batch 32, device auto and one
// hidden layer of 128 unless given: device cpu|cuda|auto, hidden a comma
// list of widths) and writes the training rows to OUT_DIR/train.csv so the
// reference reads exactly the same numbers. Then times CPU inference of the
// float and the INT8 model for batch 1 and 256.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "data/split.h"
#include "model/model_file.h"
#include "model/quantize.h"
#include "torch/mlp_trainer.h"

using namespace mlops::ml;
using Clock = std::chrono::steady_clock;

namespace {

double MicrosPerCall(const MlpModel& m, const std::vector<float>& x, size_t batch, int reps) {
  std::vector<double> out;
  m.Predict(x.data(), batch, &out);  // warm
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) m.Predict(x.data(), batch, &out);
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / reps;
}

// An argument as a JSON integer when it is one, else as the string it is
// (which the parameter check then names as not a number).
nlohmann::json Number(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0) return text;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DATA_FILE FORMAT OUT_DIR [threads] [epochs] [batch] [device] [hidden]\n",
                 argv[0]);
    return 2;
  }
  // The arguments are checked as the trainer stage checks its `with`.
  nlohmann::json hidden = nlohmann::json::array();
  for (std::string rest = argc > 8 ? argv[8] : "128";;) {
    const size_t comma = rest.find(',');
    hidden.push_back(Number(rest.substr(0, comma)));
    if (comma == std::string::npos) break;
    rest = rest.substr(comma + 1);
  }
  MlpParams p;
  p.patience = 0;
  mlops::Status s = ParseMlpParams({{"threads", Number(argc > 4 ? argv[4] : "1")},
                                    {"epochs", Number(argc > 5 ? argv[5] : "30")},
                                    {"batch_size", Number(argc > 6 ? argv[6] : "32")},
                                    {"device", argc > 7 ? argv[7] : "auto"},
                                    {"hidden", hidden}},
                                   &p);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  const int threads = p.threads, epochs = p.epochs, batch = p.batch_size;
  DataSpec spec;
  nlohmann::json j = {{"path", argv[1]}, {"format", argv[2]}};
  if (std::string(argv[2]) == "csv") j["header"] = false;
  s = ParseDataSpec(j, "/", &spec);
  Dataset data;
  if (s.ok()) s = LoadDataset(spec, &data);
  Split split;
  if (s.ok()) s = MakeSplit(data, SplitSpec{}, &split);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  // The reference gets the same training rows (raw; it standardises them
  // the same way) and the same validation rows.
  for (const auto& [name, rows] : {std::pair{"train", &split.train}, std::pair{"validation", &split.validation}}) {
    std::ofstream f(std::string(argv[3]) + "/" + name + ".csv");
    for (size_t r : *rows) {
      for (size_t c = 0; c < data.cols; ++c) f << data.row(r)[c] << ",";
      f << data.labels[r] << "\n";
    }
  }
  TrainResult r;
  s = TrainMlp(data, split, p, {}, &r);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  // Training steps only: the validation passes are excluded, as in the
  // reference. "after_first" leaves out the first epoch too, which carries
  // the device's first-use costs (kernel loading, library handles).
  double train_seconds = 0, later_seconds = 0;
  for (const auto& e : r.curve) {
    train_seconds += e.train_seconds;
    if (e.epoch > 1) later_seconds += e.train_seconds;
  }
  const double per_epoch = static_cast<double>(r.samples_seen) / static_cast<double>(r.curve.size());
  const double after_first = r.curve.size() > 1 ? per_epoch * static_cast<double>(r.curve.size() - 1) / later_seconds : 0;
  std::printf("{\"impl\": \"mlopsd trainer\", \"device\": \"%s\", \"threads\": %d, \"epochs\": %d, "
              "\"batch\": %d, \"hidden\": \"%s\", \"samples\": %lld, \"seconds\": %.4f, "
              "\"samples_per_s\": %.0f, \"samples_per_s_after_first\": %.0f, \"val_accuracy\": %.4f}\n",
              r.device.c_str(), threads, epochs, batch, argc > 8 ? argv[8] : "128",
              static_cast<long long>(r.samples_seen), train_seconds, r.samples_seen / train_seconds, after_first,
              r.curve.back().val_score);

  MlpModel q;
  (void)QuantizeModel(r.model, &q);
  std::vector<float> x;
  for (size_t i = 0; i < 256; ++i) {
    const size_t row = split.test[i % split.test.size()];
    x.insert(x.end(), data.row(row), data.row(row) + data.cols);
  }
  for (size_t batch : {size_t{1}, size_t{256}}) {
    const int reps = batch == 1 ? 20000 : 200;
    const double f = MicrosPerCall(r.model, x, batch, reps);
    const double qi = MicrosPerCall(q, x, batch, reps);
    std::printf("{\"inference\": \"cpu\", \"batch\": %zu, \"float_us\": %.2f, \"int8_us\": %.2f, "
                "\"int8_speedup\": %.2f}\n", batch, f, qi, f / qi);
  }
  const std::string fpath = std::string(argv[3]) + "/float.mlp", qpath = std::string(argv[3]) + "/int8.mlp";
  (void)SaveModel(r.model, fpath);
  (void)SaveModel(q, qpath);
  std::ifstream ff(fpath, std::ios::ate | std::ios::binary), qf(qpath, std::ios::ate | std::ios::binary);
  std::printf("{\"model_bytes\": {\"float\": %lld, \"int8\": %lld}}\n", static_cast<long long>(ff.tellg()),
              static_cast<long long>(qf.tellg()));
  return 0;
}
