// StageOutput: the cap on a stage's log (head and tail kept, the cut said)
// and a log that cannot be written (/dev/full stands for a full disk).
#include "process/stage_output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "process/attempt_harness.h"

namespace mlops {
namespace {

class StageOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "stage.log";
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { ::close(fd_); }
  std::string Log() { return testing::ReadText(path_); }

  testing::TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(StageOutputTest, UnderTheCapEverythingIsWrittenAsItComes) {
  StageOutput out(fd_, 100);
  out.Write("hello ");
  EXPECT_EQ(Log(), "hello ");
  out.Write(std::string(94, 'x'));
  out.Finish();
  EXPECT_EQ(Log(), "hello " + std::string(94, 'x'));
  EXPECT_FALSE(out.cut());
  EXPECT_EQ(out.write_errno(), 0);
}

// A flood in chunks of every size: the log holds the first half of the cap,
// the note, and the last half, byte for byte.
TEST_F(StageOutputTest, AFloodKeepsTheHeadAndTheTailAndSaysWhatWasCut) {
  std::string all;
  for (int i = 0; all.size() < 5000; ++i) all += std::to_string(i) + (i % 7 == 0 ? "\n" : " ");
  StageOutput out(fd_, 100);
  for (size_t at = 0, chunk = 1; at < all.size(); at += chunk, chunk = chunk % 37 + 1) {
    out.Write(std::string_view(all).substr(at, chunk));
  }
  out.Finish();
  EXPECT_TRUE(out.cut());
  EXPECT_EQ(out.total(), all.size());
  EXPECT_EQ(out.left_out(), all.size() - 100);
  const std::string note =
      "\n[mlopsd] stage output passed its cap of 100 bytes: " + std::to_string(all.size() - 100) +
      " bytes left out here, between the first 50 bytes (above) and the last 50 bytes (below)\n";
  EXPECT_EQ(Log(), all.substr(0, 50) + note + all.substr(all.size() - 50));
}

TEST_F(StageOutputTest, OneWriteLargerThanTheCapIsCutToo) {
  StageOutput out(fd_, 10);
  out.Write("0123456789abcdefghij");
  out.Finish();
  const std::string log = Log();
  EXPECT_EQ(log.substr(0, 5), "01234");
  EXPECT_EQ(log.substr(log.size() - 5), "fghij");
  EXPECT_NE(log.find("10 bytes left out"), std::string::npos) << log;
}

TEST_F(StageOutputTest, OutputAfterACutFinishIsDropped) {
  StageOutput out(fd_, 10);
  out.Write(std::string(30, 'a'));
  out.Finish();
  const std::string log = Log();
  out.Write(std::string(30, 'b'));
  out.Finish();
  EXPECT_EQ(Log(), log);
}

TEST(StageOutputFormat, BytesAreNamedInBinaryUnits) {
  EXPECT_EQ(StageOutput::FormatBytes(12), "12 bytes");
  EXPECT_EQ(StageOutput::FormatBytes(64u << 20), "64 MiB");
  EXPECT_EQ(StageOutput::FormatBytes(1536), "1.5 KiB");
}

// A full disk: the write fails with ENOSPC and is remembered.
TEST(StageOutputFull, AFailedWriteIsRemembered) {
  int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (full < 0) GTEST_SKIP() << "no /dev/full here: cannot stand in for a full disk";
  StageOutput out(full, 100);
  out.Write("some output\n");
  EXPECT_EQ(out.write_errno(), ENOSPC);
  out.Write("more");
  EXPECT_EQ(out.total(), 16u);
  ::close(full);
}

}  // namespace
}  // namespace mlops
