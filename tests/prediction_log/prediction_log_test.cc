// The writer: admission (sampling, the rows-per-second cap), segments and
// their bounds, a full disk, a stalled disk, many request threads.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "../registry/temp_dir.h"
#include "log/prediction_log.h"
#include "log/prediction_reader.h"
#include "log_fixture.h"
#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

using testing::FullDiskFiles;
using testing::IrisRecord;

PredictionLogOptions Uncapped() {
  PredictionLogOptions o;
  o.max_rows_per_second = 0;
  return o;
}

std::vector<PredictionRecord> ReadAll(const std::string& root, const std::string& model = "iris") {
  PredictionQuery q;
  q.model = model;
  q.limit = 1'000'000;
  PredictionPage page;
  EXPECT_TRUE(ReadPredictions(root, q, &page).ok());
  EXPECT_EQ(page.skipped_lines, 0u);
  return std::move(page.records);
}

std::vector<SegmentFiles::Entry> Segments(const std::string& dir) {
  std::vector<SegmentFiles::Entry> out;
  EXPECT_TRUE(PosixSegmentFiles().List(dir, &out).ok());
  return out;
}

class PredictionLogTest : public ::testing::Test {
 protected:
  mlops::testing::TempDir tmp_;
  std::string root_ = tmp_.Join("serving/predictions");
  FakeClock clock_;
};

TEST_F(PredictionLogTest, DisabledLogsNothingAndCreatesNothing) {
  PredictionLogOptions o;
  o.enabled = false;
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  EXPECT_FALSE(log.Admit(1));
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 1.0f));
  log.Flush();
  EXPECT_FALSE(PathExists(root_));
}

TEST_F(PredictionLogTest, BadOptionsAreRefusedByName) {
  PredictionLogOptions o;
  o.sample_rate = 1.5;
  PredictionLog log(root_, o, &clock_);
  Status st = log.Start();
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("sample_rate"), std::string::npos) << st.ToString();
  o = PredictionLogOptions{};
  o.max_size_mb = 0;
  EXPECT_NE(CheckPredictionLogOptions(o).message().find("max_size_mb"), std::string::npos);
}

TEST_F(PredictionLogTest, SampleRateAdmitsThatShare) {
  PredictionLogOptions o = Uncapped();
  o.sample_rate = 0.25;
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  int admitted = 0;
  for (int i = 0; i < 20000; ++i) admitted += log.Admit(1);
  // 0.25 +- 0.03 is ten standard deviations of 20,000 draws.
  EXPECT_GT(admitted, 20000 * 0.22);
  EXPECT_LT(admitted, 20000 * 0.28);
  EXPECT_EQ(log.Stats().sampled_out, 20000 - admitted);

  o.sample_rate = 0.0;
  PredictionLog none(tmp_.Join("none"), o, &clock_);
  ASSERT_TRUE(none.Start().ok());
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(none.Admit(1));
}

TEST_F(PredictionLogTest, RowsPerSecondCapIsATokenBucket) {
  PredictionLogOptions o;
  o.max_rows_per_second = 100;
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log.Admit(1)) << i;
  EXPECT_FALSE(log.Admit(1));
  clock_.Advance(std::chrono::milliseconds(500));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(log.Admit(1)) << i;
  EXPECT_FALSE(log.Admit(1));
  // A batch larger than the bucket gets in while it is not empty, and
  // its debt holds back what follows.
  clock_.Advance(std::chrono::milliseconds(100));  // 10 rows
  EXPECT_TRUE(log.Admit(300));
  clock_.Advance(std::chrono::seconds(2));  // 200 of the 290 owed
  EXPECT_FALSE(log.Admit(1));
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(log.Admit(1));
  EXPECT_EQ(log.Stats().rate_limited, 3);
}

TEST_F(PredictionLogTest, OfferedRecordsAreWrittenInOrderWithTheirSchema) {
  PredictionLog log(root_, Uncapped(), &clock_);
  ASSERT_TRUE(log.Start().ok());
  for (int i = 0; i < 5; ++i) log.Offer(IrisRecord(clock_.WallMillis() + i, 3 + i % 2, 2, float(i)));
  log.Flush();
  auto records = ReadAll(root_);
  ASSERT_EQ(records.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(records[i].inputs[0], float(i));
    EXPECT_EQ(records[i].version, 3 + i % 2);
    ASSERT_TRUE(records[i].schema);
    EXPECT_EQ(records[i].schema->classes[2], "virginica");
  }
  auto s = log.Stats();
  EXPECT_EQ(s.written_records, 5);
  EXPECT_EQ(s.written_rows, 10);
  EXPECT_EQ(s.segments, 1);
}

TEST_F(PredictionLogTest, SegmentsRotateBySizeAndEachReadsAlone) {
  PredictionLogOptions o = Uncapped();
  o.segment_bytes = 1000;
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  for (int i = 0; i < 40; ++i) {
    log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, float(i)));
    log.Flush();  // one write per record, so the size check runs between them
  }
  EXPECT_GE(Segments(JoinPath(root_, "iris")).size(), 5u);
  // Every segment opens with its header and its version's schema.
  for (const auto& e : Segments(JoinPath(root_, "iris"))) {
    std::string text;
    ASSERT_TRUE(ReadFile(JoinPath(JoinPath(root_, "iris"), e.name), &text).ok());
    EXPECT_EQ(text.rfind("{\"type\":\"segment\"", 0), 0u) << e.name;
    EXPECT_NE(text.find("{\"type\":\"schema\""), std::string::npos) << e.name;
    EXPECT_LT(e.bytes, 1000 + 400) << "closed once over the size";
  }
  auto records = ReadAll(root_);
  ASSERT_EQ(records.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(records[i].inputs[0], float(i));
}

TEST_F(PredictionLogTest, SegmentsRotateByTime) {
  PredictionLogOptions o = Uncapped();
  o.segment_duration = std::chrono::minutes(10);
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  // Minutes after the first record, and the segments there are then.
  const std::pair<int, size_t> steps[] = {{0, 1}, {5, 1}, {11, 2}, {15, 2}, {22, 3}};
  int at = 0;
  for (const auto& [minute, segments] : steps) {
    clock_.Advance(std::chrono::minutes(minute - at));
    at = minute;
    log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, float(minute)));
    log.Flush();
    EXPECT_EQ(Segments(JoinPath(root_, "iris")).size(), segments) << "minute " << minute;
  }
  EXPECT_EQ(ReadAll(root_).size(), 5u);
}

TEST_F(PredictionLogTest, SizeBoundDropsTheOldestSegmentsFirst) {
  PredictionLogOptions o = Uncapped();
  o.max_size_mb = 1;
  o.segment_bytes = 64 << 10;
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  // About 3 MiB of 200-row records.
  for (int i = 0; i < 300; ++i) {
    log.Offer(IrisRecord(clock_.WallMillis() + i, 1, 200, float(i)));
    if (i % 10 == 9) log.Flush();
  }
  log.Flush();
  int64_t on_disk = 0;
  for (const auto& e : Segments(JoinPath(root_, "iris"))) on_disk += e.bytes;
  EXPECT_LE(on_disk, 1 << 20);
  EXPECT_GT(on_disk, 1 << 19);
  EXPECT_EQ(log.Stats().bytes, on_disk);
  EXPECT_GT(log.Stats().segments_dropped, 0);
  auto records = ReadAll(root_);
  ASSERT_FALSE(records.empty());
  EXPECT_GT(records.front().inputs[0], 100.0f) << "the oldest went first";
  EXPECT_EQ(records.back().inputs[0], 299.0f) << "the newest stays";
}

TEST_F(PredictionLogTest, AgeBoundDropsOldSegmentsEvenWithoutTraffic) {
  PredictionLogOptions o = Uncapped();
  o.max_age = std::chrono::hours(1);
  o.segment_duration = std::chrono::minutes(10);
  PredictionLog log(root_, o, &clock_);
  ASSERT_TRUE(log.Start().ok());
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 1.0f));
  log.Flush();
  clock_.Advance(std::chrono::minutes(40));
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 2.0f));
  log.Flush();
  ASSERT_EQ(ReadAll(root_).size(), 2u);
  clock_.Advance(std::chrono::minutes(30));  // the first is 70 minutes old
  log.Flush();
  auto records = ReadAll(root_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].inputs[0], 2.0f);
  clock_.Advance(std::chrono::minutes(31));
  log.Flush();
  EXPECT_TRUE(ReadAll(root_).empty());
  EXPECT_EQ(log.Stats().segments_dropped, 2);
}

TEST_F(PredictionLogTest, FullDiskDropsAndCountsThenRecovers) {
  FullDiskFiles files;
  PredictionLog log(root_, Uncapped(), &clock_, &files);
  ASSERT_TRUE(log.Start().ok());
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 0.0f));
  log.Flush();
  files.full = true;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(log.Admit(1)) << "a full disk does not close admission";
    log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, float(i)));
    log.Flush();
  }
  EXPECT_EQ(log.Stats().write_failed, 10);
  files.full = false;
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 11.0f));
  log.Flush();
  auto records = ReadAll(root_);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].inputs[0], 0.0f);
  EXPECT_EQ(records[1].inputs[0], 11.0f);
  EXPECT_EQ(log.Stats().written_records, 2);
}

// Appends wait until released: the disk stalls.
class StalledFiles final : public testing::ForwardingFiles {
 public:
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  Status Append(const std::string& path, std::string_view data) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return released_; });
    }
    return ForwardingFiles::Append(path, data);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

TEST_F(PredictionLogTest, OfferNeverWaitsForAStalledDisk) {
  StalledFiles files;
  PredictionLogOptions o = Uncapped();
  o.queue_records = 10;
  PredictionLog log(root_, o, &clock_, &files);
  ASSERT_TRUE(log.Start().ok());
  // The writer takes some records and stalls on them; the queue then fills
  // and the rest are dropped. This loop returning is the point.
  for (int i = 0; i < 1000; ++i) log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, float(i)));
  const auto s = log.Stats();
  EXPECT_GE(s.queue_full, 1000 - 10 - 10);
  files.Release();
  log.Flush();
  const auto after = log.Stats();
  EXPECT_EQ(after.written_records + after.queue_full, 1000);
}

TEST_F(PredictionLogTest, ManyThreadsOffering) {
  PredictionLogOptions o = Uncapped();
  o.segment_bytes = 16 << 10;
  PredictionLog log(root_, o);
  ASSERT_TRUE(log.Start().ok());
  constexpr int kThreads = 8, kEach = 500;
  const int64_t now = SystemClock().WallMillis();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&log, t, now] {
      for (int i = 0; i < kEach; ++i)
        if (log.Admit(1)) log.Offer(IrisRecord(now + i, 1 + t % 2, 1, float(t * kEach + i)));
    });
  for (auto& t : threads) t.join();
  log.Flush();
  const auto s = log.Stats();
  EXPECT_EQ(s.admitted, kThreads * kEach);
  EXPECT_EQ(s.written_records + s.queue_full, kThreads * kEach);
  auto records = ReadAll(root_);
  EXPECT_EQ(static_cast<int64_t>(records.size()), s.written_records);
  std::set<float> tags;
  for (const auto& r : records) tags.insert(r.inputs[0]);
  EXPECT_EQ(tags.size(), records.size()) << "no record written twice or mixed with another";
}

TEST_F(PredictionLogTest, ARestartKeepsOldSegmentsBoundedAndNeverAppendsToThem) {
  {
    PredictionLog log(root_, Uncapped(), &clock_);
    ASSERT_TRUE(log.Start().ok());
    log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 1.0f));
  }  // Stop writes what is queued
  ASSERT_EQ(Segments(JoinPath(root_, "iris")).size(), 1u);
  PredictionLog log(root_, Uncapped(), &clock_);
  ASSERT_TRUE(log.Start().ok());
  EXPECT_EQ(log.Stats().segments, 1);
  EXPECT_GT(log.Stats().bytes, 0);
  log.Offer(IrisRecord(clock_.WallMillis(), 1, 1, 2.0f));
  log.Flush();
  EXPECT_EQ(Segments(JoinPath(root_, "iris")).size(), 2u);
  EXPECT_EQ(ReadAll(root_).size(), 2u);
}

TEST_F(PredictionLogTest, RecordsThatCannotBeLoggedAreCountedNotWritten) {
  PredictionLog log(root_, Uncapped(), &clock_);
  ASSERT_TRUE(log.Start().ok());
  PredictionRecord escape = IrisRecord(clock_.WallMillis(), 1, 1, 1.0f);
  escape.model = "../escape";
  log.Offer(escape);
  PredictionRecord short_inputs = IrisRecord(clock_.WallMillis(), 1, 2, 1.0f);
  short_inputs.inputs.resize(3);
  log.Offer(short_inputs);
  log.Flush();
  EXPECT_EQ(log.Stats().invalid, 2);
  EXPECT_FALSE(PathExists(tmp_.Join("serving/escape")));
  EXPECT_EQ(log.Stats().segments, 0);
}

}  // namespace
}  // namespace mlops::serving
