// MlpModel inference, the model file and INT8 quantization, on hand-built
// models whose outputs are known.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cmath>
#include <fstream>

#include "data/rng.h"
#include "mlops/common/files.h"
#include "model/half.h"
#include "model/model_file.h"
#include "model/quantize.h"
#include "temp_dir.h"

namespace mlops::ml {
namespace {

using mlops::testing::TempDir;

// 2 features -> 2 hidden (relu) -> 2 classes.
MlpModel TinyClassifier() {
  MlpModel m;
  m.task = Task::kClassification;
  m.feature_names = {"a", "b"};
  m.label_name = "y";
  m.classes = {"no", "yes"};
  m.feature_mean = {1.0f, 0.0f};
  m.feature_std = {2.0f, 1.0f};
  DenseLayer h;
  h.in = 2;
  h.out = 2;
  h.weight = {1.0f, 0.0f, 0.0f, -1.0f};
  h.bias = {0.0f, 0.5f};
  DenseLayer o;
  o.in = 2;
  o.out = 2;
  o.weight = {1.0f, 0.0f, 0.0f, 1.0f};
  o.bias = {0.0f, 0.0f};
  m.layers = {h, o};
  return m;
}

// A wider random model, for quantization error and size.
MlpModel RandomModel(size_t in, std::vector<size_t> widths, uint64_t seed) {
  Rng rng(seed);
  MlpModel m;
  m.task = Task::kClassification;
  for (size_t i = 0; i < in; ++i) {
    m.feature_names.push_back("f" + std::to_string(i));
    m.feature_mean.push_back(0.0f);
    m.feature_std.push_back(1.0f);
  }
  for (size_t c = 0; c < widths.back(); ++c) m.classes.push_back("c" + std::to_string(c));
  size_t prev = in;
  for (size_t width : widths) {
    DenseLayer l;
    l.in = prev;
    l.out = width;
    for (size_t i = 0; i < prev * width; ++i) l.weight.push_back(static_cast<float>(rng.Normal() * 0.3));
    for (size_t i = 0; i < width; ++i) l.bias.push_back(static_cast<float>(rng.Normal() * 0.1));
    m.layers.push_back(l);
    prev = width;
  }
  return m;
}

TEST(MlpModelTest, PredictsSoftmaxOfTheForwardPass) {
  MlpModel m = TinyClassifier();
  // x = (3, 1): standardised (1, 1); hidden relu(1, -1 + 0.5) = (1, 0); logits (1, 0).
  const float x[] = {3.0f, 1.0f};
  std::vector<double> p;
  m.Predict(x, 1, &p);
  ASSERT_EQ(p.size(), 2u);
  const double e = std::exp(1.0);
  EXPECT_NEAR(p[0], e / (e + 1.0), 1e-7);
  EXPECT_NEAR(p[1], 1.0 / (e + 1.0), 1e-7);
}

TEST(MlpModelTest, RegressionUndoesTheTargetScaling) {
  MlpModel m;
  m.task = Task::kRegression;
  m.feature_names = {"a"};
  m.feature_mean = {0.0f};
  m.feature_std = {1.0f};
  m.target_mean = 100.0;
  m.target_std = 10.0;
  DenseLayer l;
  l.in = 1;
  l.out = 1;
  l.weight = {2.0f};
  l.bias = {1.0f};
  m.layers = {l};
  const float x[] = {0.5f, -1.0f};
  std::vector<double> y;
  m.Predict(x, 2, &y);
  EXPECT_NEAR(y[0], 100.0 + 10.0 * 2.0, 1e-6);
  EXPECT_NEAR(y[1], 100.0 + 10.0 * -1.0, 1e-6);
}

TEST(MlpModelTest, MissingFeatureIsTheTrainMean) {
  MlpModel m = TinyClassifier();
  const float with_nan[] = {NAN, 1.0f};
  const float with_mean[] = {1.0f, 1.0f};
  std::vector<double> a, b;
  m.Predict(with_nan, 1, &a);
  m.Predict(with_mean, 1, &b);
  EXPECT_EQ(a, b);
}

TEST(ModelFileTest, RoundTripKeepsEveryField) {
  TempDir dir;
  MlpModel m = TinyClassifier();
  m.activation = Activation::kTanh;
  m.provenance = {{"data_sha256", "abc"}, {"params", {{"lr", 0.01}}}};
  ASSERT_TRUE(SaveModel(m, dir.Join("m.mlp")).ok());
  MlpModel back;
  Status s = LoadModel(dir.Join("m.mlp"), &back);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(back.feature_names, m.feature_names);
  EXPECT_EQ(back.classes, m.classes);
  EXPECT_EQ(back.activation, Activation::kTanh);
  EXPECT_EQ(back.provenance, m.provenance);
  ASSERT_EQ(back.layers.size(), 2u);
  EXPECT_EQ(back.layers[0].weight, m.layers[0].weight);
  EXPECT_EQ(back.layers[1].bias, m.layers[1].bias);
  EXPECT_EQ(back.feature_std, m.feature_std);
}

TEST(ModelFileTest, RefusesForeignAndDamagedFiles) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("text.mlp"), "hello, not a model").ok());
  MlpModel m;
  Status s = LoadModel(dir.Join("text.mlp"), &m);
  EXPECT_NE(s.message().find("not an mlopsd model file"), std::string::npos) << s.ToString();

  ASSERT_TRUE(SaveModel(TinyClassifier(), dir.Join("good.mlp")).ok());
  std::string bytes;
  ASSERT_TRUE(ReadFile(dir.Join("good.mlp"), &bytes).ok());
  std::string flipped = bytes;
  flipped[flipped.size() / 2 + 10] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("flipped.mlp"), flipped).ok());
  s = LoadModel(dir.Join("flipped.mlp"), &m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("flipped.mlp"), std::string::npos) << s.ToString();

  ASSERT_TRUE(WriteFileAtomic(dir.Join("short.mlp"), bytes.substr(0, bytes.size() - 7)).ok());
  EXPECT_FALSE(LoadModel(dir.Join("short.mlp"), &m).ok());

  std::string newer = bytes;
  newer[8] = 2;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("v2.mlp"), newer).ok());
  s = LoadModel(dir.Join("v2.mlp"), &m);
  EXPECT_NE(s.message().find("version 2 is not supported"), std::string::npos) << s.ToString();

  EXPECT_TRUE(LoadModel(dir.Join("absent.mlp"), &m).IsIOError() || !LoadModel(dir.Join("absent.mlp"), &m).ok());
}

// A model file around `body` as SaveModel lays it out (model_file.cc),
// declaring `declared_size` as the body's length.
std::string ModelFileAround(const std::string& body, uint64_t declared_size) {
  uLongf packed_size = compressBound(body.size());
  std::string packed(packed_size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                     reinterpret_cast<const Bytef*>(body.data()), body.size()), Z_OK);
  packed.resize(packed_size);
  std::string file = "MLOPSMLP";
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>(i == 0 ? 1 : 0));
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((declared_size >> (8 * i)) & 0xff));
  return file + packed;
}

// A header whose "format" is not a string is refused, not thrown; a layer
// width that is not a whole number is refused before it is converted; a
// body size the compressed bytes cannot hold is refused before it is
// allocated (up to 4 GiB otherwise). The inputs are in fuzz/corpus/model.
TEST(ModelFileTest, RefusesHeadersAndSizesThatLie) {
  TempDir dir;
  const std::string header = R"({"format": 1})";
  std::string body;
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(i == 0 ? header.size() : 0));
  body += header;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("format.mlp"), ModelFileAround(body, body.size())).ok());
  MlpModel m;
  Status s = LoadModel(dir.Join("format.mlp"), &m);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("not an mlopsd-mlp JSON object"), std::string::npos) << s.ToString();

  // A layer width beyond size_t's range (undefined behaviour to convert).
  const std::string layers = R"({"format": "mlopsd-mlp", "task": "regression", "feature_names": ["a"],
      "label_name": "y", "classes": [], "target_mean": 0, "target_std": 1, "activation": "relu",
      "feature_mean": {"dtype": "float32", "offset": 0, "count": 1},
      "feature_std": {"dtype": "float32", "offset": 0, "count": 1},
      "layers": [{"in": 1e300, "out": 1, "dtype": "float32"}]})";
  body.clear();
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((layers.size() >> (8 * i)) & 0xff));
  body += layers + std::string("\0\0\x80\x3f", 4);  // 1.0f
  ASSERT_TRUE(WriteFileAtomic(dir.Join("width.mlp"), ModelFileAround(body, body.size())).ok());
  s = LoadModel(dir.Join("width.mlp"), &m);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("layer 0: in and out must be whole numbers"), std::string::npos) << s.ToString();

  // Nine deflated bytes cannot hold a mebibyte (deflate stops at 1032:1).
  const std::string tiny = ModelFileAround("x", 1 << 20);
  ASSERT_LT(tiny.size(), 40u);
  ASSERT_TRUE(WriteFileAtomic(dir.Join("size.mlp"), tiny).ok());
  s = LoadModel(dir.Join("size.mlp"), &m);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("bad body size"), std::string::npos) << s.ToString();
}

TEST(ModelFileTest, RefusesLayersThatDoNotChain) {
  TempDir dir;
  MlpModel m = TinyClassifier();
  m.layers[1].in = 3;
  m.layers[1].weight.assign(6, 0.0f);
  ASSERT_TRUE(SaveModel(m, dir.Join("bad.mlp")).ok());
  MlpModel back;
  Status s = LoadModel(dir.Join("bad.mlp"), &back);
  EXPECT_NE(s.message().find("does not follow the previous layer"), std::string::npos) << s.ToString();
}

TEST(QuantizeTest, Int8PredictionsStayCloseToFloat) {
  MlpModel m = RandomModel(30, {128, 3}, 7);
  MlpModel q;
  ASSERT_TRUE(QuantizeModel(m, &q).ok());
  EXPECT_TRUE(q.quantized());
  EXPECT_TRUE(q.layers[0].weight.empty());
  Rng rng(1);
  std::vector<float> x(200 * 30);
  for (float& v : x) v = static_cast<float>(rng.Normal());
  std::vector<double> pf, pq;
  m.Predict(x.data(), 200, &pf);
  q.Predict(x.data(), 200, &pq);
  double max_diff = 0;
  size_t same_class = 0;
  for (size_t r = 0; r < 200; ++r) {
    size_t af = 0, aq = 0;
    for (size_t c = 0; c < 3; ++c) {
      max_diff = std::max(max_diff, std::fabs(pf[r * 3 + c] - pq[r * 3 + c]));
      if (pf[r * 3 + c] > pf[r * 3 + af]) af = c;
      if (pq[r * 3 + c] > pq[r * 3 + aq]) aq = c;
    }
    same_class += af == aq;
  }
  EXPECT_LT(max_diff, 0.05);
  EXPECT_GE(same_class, 196u);
}

TEST(QuantizeTest, ScalesAreSymmetricPerChannel) {
  MlpModel m = TinyClassifier();
  m.layers[0].weight = {0.5f, -1.27f, 2.54f, 0.0f};
  MlpModel q;
  ASSERT_TRUE(QuantizeModel(m, &q).ok());
  EXPECT_FLOAT_EQ(q.layers[0].scale[0], RoundToHalf(1.27f / 127.0f));
  EXPECT_FLOAT_EQ(q.layers[0].scale[1], RoundToHalf(2.54f / 127.0f));
  EXPECT_NEAR(q.layers[0].scale[0], 0.01, 0.01 * 1e-3);
  EXPECT_EQ(q.layers[0].qweight[1], -127);
  EXPECT_EQ(q.layers[0].qweight[2], 127);
  EXPECT_EQ(q.layers[0].qweight[3], 0);
  EXPECT_EQ(q.layers[0].qweight[0], 50);
}

TEST(QuantizeTest, QuantizedFileIsAtMostThirtyPercentAndLoads) {
  TempDir dir;
  MlpModel m = RandomModel(30, {128, 128, 2}, 3);
  MlpModel q;
  ASSERT_TRUE(QuantizeModel(m, &q).ok());
  ASSERT_TRUE(SaveModel(m, dir.Join("f.mlp")).ok());
  ASSERT_TRUE(SaveModel(q, dir.Join("q.mlp")).ok());
  struct stat fs {}, qs {};
  ASSERT_EQ(::stat(dir.Join("f.mlp").c_str(), &fs), 0);
  ASSERT_EQ(::stat(dir.Join("q.mlp").c_str(), &qs), 0);
  EXPECT_LE(static_cast<double>(qs.st_size), 0.30 * static_cast<double>(fs.st_size))
      << qs.st_size << " vs " << fs.st_size;
  MlpModel back;
  ASSERT_TRUE(LoadModel(dir.Join("q.mlp"), &back).ok());
  EXPECT_EQ(back.layers[0].qweight, q.layers[0].qweight);
  EXPECT_EQ(back.layers[1].scale, q.layers[1].scale);
}

TEST(HalfTest, RoundTripsAndRoundsToNearestEven) {
  for (float v : {0.0f, 1.0f, -2.5f, 0.0999755859375f, 65504.0f, 6.103515625e-05f, 5.9604644775390625e-08f}) {
    EXPECT_EQ(HalfToFloat(FloatToHalf(v)), v) << v;
  }
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048), 0x3c00);  // a tie rounds to even
  EXPECT_EQ(FloatToHalf(1.0f + 3.0f / 2048), 0x3c02);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);               // overflow -> inf
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_NEAR(RoundToHalf(0.1f), 0.1f, 0.1f / 2048);
}

TEST(QuantizeTest, RefusesNonFiniteWeights) {
  MlpModel m = TinyClassifier();
  m.layers[1].weight[2] = INFINITY;
  MlpModel q;
  Status s = QuantizeModel(m, &q);
  EXPECT_NE(s.message().find("layer 1 channel 1"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace mlops::ml
