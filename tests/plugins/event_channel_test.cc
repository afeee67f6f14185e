// EventChannel: whole lines, held lines sent with the next one.
#include "event_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <string>

namespace mlops::host {
namespace {

class EventChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe2(fds_, O_CLOEXEC | O_NONBLOCK), 0); }
  void TearDown() override {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  // What one read returns now ("" when nothing is there).
  std::string ReadOnce() {
    char buf[4096];
    ssize_t n = ::read(fds_[0], buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  int fds_[2] = {-1, -1};
};

TEST_F(EventChannelTest, HeldLinesGoOutBeforeTheNextSentLineInOneWrite) {
  EventChannel channel(fds_[1]);
  channel.Hold(R"({"type":"artifact","name":"a"})");
  channel.Hold(R"({"type":"artifact","name":"b"})");
  EXPECT_EQ(ReadOnce(), "") << "held lines must wait";
  channel.Send(R"({"type":"result","status":"OK"})");
  EXPECT_EQ(ReadOnce(),
            "{\"type\":\"artifact\",\"name\":\"a\"}\n{\"type\":\"artifact\",\"name\":\"b\"}\n"
            "{\"type\":\"result\",\"status\":\"OK\"}\n");
  channel.Send(R"({"type":"metric"})");
  EXPECT_EQ(ReadOnce(), "{\"type\":\"metric\"}\n") << "held lines are sent once";
}

}  // namespace
}  // namespace mlops::host
