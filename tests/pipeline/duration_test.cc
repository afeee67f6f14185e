#include <gtest/gtest.h>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {
namespace {

using std::chrono::milliseconds;

milliseconds Parse(const std::string& text) {
  milliseconds out{-1};
  std::string error;
  EXPECT_TRUE(ParseDuration(text, &out, &error)) << text << ": " << error;
  return out;
}

std::string Error(const std::string& text) {
  milliseconds out{-1};
  std::string error;
  EXPECT_FALSE(ParseDuration(text, &out, &error)) << text;
  EXPECT_EQ(out, milliseconds{-1}) << "*out changed on failure";
  return error;
}

TEST(DurationTest, SingleUnits) {
  EXPECT_EQ(Parse("500ms"), milliseconds(500));
  EXPECT_EQ(Parse("45s"), milliseconds(45'000));
  EXPECT_EQ(Parse("30m"), milliseconds(30 * 60'000));
  EXPECT_EQ(Parse("2h"), milliseconds(2 * 3'600'000));
  EXPECT_EQ(Parse("1d"), milliseconds(86'400'000));
  EXPECT_EQ(Parse("0s"), milliseconds(0));
}

TEST(DurationTest, Sequences) {
  EXPECT_EQ(Parse("1h30m"), milliseconds(90 * 60'000));
  EXPECT_EQ(Parse("1m30s250ms"), milliseconds(90'250));
  EXPECT_EQ(Parse("1d12h"), milliseconds(36 * 3'600'000));
}

TEST(DurationTest, TwoArgumentFormAgrees) {
  milliseconds out{0};
  EXPECT_TRUE(ParseDuration("5s", &out));
  EXPECT_EQ(out, milliseconds(5000));
  EXPECT_FALSE(ParseDuration("5", &out));
  EXPECT_EQ(out, milliseconds(5000));
}

TEST(DurationTest, Refused) {
  EXPECT_EQ(Error(""), "empty duration (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("30"), "missing unit after 30 (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("1h30"), "missing unit after 1h30 (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("-5m"), "a duration cannot be negative");
  EXPECT_EQ(Error("+5m"), "a duration takes no sign");
  EXPECT_EQ(Error("m"), "expected a number before 'm' (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("30x"), "unknown unit 'x' (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("30min"), "unknown unit 'min' (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("1.5h"),
            "a duration takes whole numbers only (use ms, s, m, h or d, e.g. 1h30m)");
  EXPECT_EQ(Error("5 s"), "unknown unit ' s' (use ms, s, m, h or d, e.g. 1h30m)");
}

TEST(DurationTest, Overflow) {
  EXPECT_EQ(Error("9223372036854775807s"), "duration is too long");
  EXPECT_EQ(Error("99999999999999999999999ms"), "duration is too long");
  EXPECT_EQ(Error("106751991168d"), "duration is too long");
  EXPECT_EQ(Error("9223372036854775807ms1ms"), "duration is too long");
  EXPECT_EQ(Parse("9223372036854775807ms"), milliseconds::max());
}

}  // namespace
}  // namespace mlops::pipeline
