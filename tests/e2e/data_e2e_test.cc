// End to end: watched data paths become data versions; a changed file
// starts the pipelines that watch it, an unchanged one starts nothing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <utime.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

class DataE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    ::mkdir(dir_.Sub("data").c_str(), 0755);
    data_ = dir_.Sub("data/rows.csv");
    WriteText(data_, "a,b\n1,2\n");
    WriteText(dir_.Sub("pipelines/watch.yaml"),
              "version: 1\nname: watch\non:\n  data: [" + data_ + "]\nstages:\n"
              "  - {name: count, uses: exec, run: \"wc -l " + data_ + "\", inputs: [" + data_ + "]}\n");
    WriteText(dir_.Sub("mlopsd.yaml"), "data_scan_interval: 100ms\n");
  }

  json Runs(const Daemon& d) {
    auto r = d.Ctl({"--json", "runs", "list"});
    return r.exit_code == 0 ? json::parse(r.out)["runs"] : json::array();
  }

  bool WaitForRuns(const Daemon& d, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Runs(d).size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }

  size_t DataVersionCount(const Daemon& d) {
    auto l = d.Ctl({"--json", "data", "list"});
    return l.exit_code == 0 ? json::parse(l.out)["data_versions"].size() : 0;
  }

  TempDir dir_;
  std::string data_;
};

TEST_F(DataE2E, ChangedDataStartsARunUnchangedDataDoesNot) {
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  // The first version is the baseline. It must be recorded before the file
  // is edited: a scan that first sees the edited file takes it as the
  // baseline and starts nothing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (DataVersionCount(d) != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(DataVersionCount(d), 1u) << ReadText(d.log_path());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Runs(d).size(), 0u) << "the baseline version must not start a run";

  // Touched without a change: no new version, no run.
  ::utime(data_.c_str(), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Runs(d).size(), 0u);

  // Edited in place: a new version and one run, linked to it. Appended in
  // one write(): truncating and rewriting would let a scan between the two
  // see an empty file, a version (and a run) of its own.
  {
    std::ofstream f(data_, std::ios::binary | std::ios::app);
    f << "3,4\n";
  }
  ASSERT_TRUE(WaitForRuns(d, 1)) << ReadText(d.log_path());
  json run = Runs(d)[0];
  EXPECT_EQ(run["trigger"], "data");
  EXPECT_NE(run["reason"].get<std::string>().find(data_), std::string::npos);
  // The run is listed as soon as it is created; its link to the data version
  // is written just after, before the run is queued: wait for the run first.
  ASSERT_EQ(d.Ctl({"runs", "wait", std::to_string(run["id"].get<int64_t>())}).exit_code, 0);
  auto list = json::parse(d.Ctl({"--json", "data", "list"}).out)["data_versions"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_TRUE(list[0]["current"].get<bool>());
  EXPECT_FALSE(list[1]["current"].get<bool>());
  const int64_t newest = list[0]["id"];
  auto shown = json::parse(d.Ctl({"--json", "data", "show", std::to_string(newest)}).out);
  ASSERT_EQ(shown["runs"].size(), 1u);
  EXPECT_EQ(shown["runs"][0]["id"], run["id"]);

  // Lineage from what the run consumed reaches the data version (the edges
  // are written when the attempt ends).
  auto run_detail = json::parse(d.Ctl({"--json", "runs", "show", std::to_string(run["id"].get<int64_t>())}).out);
  std::string consumed;
  for (const auto& e : run_detail["stages"][0]["artifacts"]) {
    if (e["kind"] == "consumed") consumed = e["artifact"];
  }
  ASSERT_EQ(consumed.size(), 64u) << run_detail.dump(2);
  auto lineage = json::parse(d.Ctl({"--json", "lineage", consumed, "--downstream"}).out);
  ASSERT_FALSE(lineage["data_versions"].empty()) << lineage.dump(2);
  EXPECT_EQ(lineage["data_versions"][0]["id"], newest);

  // Replaced by a rename over it, with other content: another version and run.
  WriteText(dir_.Sub("data/rows.new"), "a,b\n9,9\n");
  ASSERT_EQ(::rename(dir_.Sub("data/rows.new").c_str(), data_.c_str()), 0);
  ASSERT_TRUE(WaitForRuns(d, 2)) << ReadText(d.log_path());
  EXPECT_EQ(json::parse(d.Ctl({"--json", "data", "list"}).out)["data_versions"].size(), 3u);
  // A run started by hand is linked to the current data version too.
  auto manual = d.Ctl({"--json", "trigger", "watch", "--force", "--wait"});
  ASSERT_EQ(manual.exit_code, 0) << manual.err;
  const int64_t manual_id = json::parse(manual.out)["id"];
  auto versions = json::parse(d.Ctl({"--json", "data", "list"}).out)["data_versions"];
  auto current = json::parse(d.Ctl({"--json", "data", "show", std::to_string(versions[0]["id"].get<int64_t>())}).out);
  bool linked = false;
  for (const auto& r : current["runs"]) linked |= r["id"] == manual_id;
  EXPECT_TRUE(linked) << current.dump(2);
  auto bad = d.Ctl({"data", "show", "999"});
  EXPECT_EQ(bad.exit_code, 5);
}

}  // namespace
}  // namespace mlops::e2e
