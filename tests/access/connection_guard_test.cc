// ConnectionGuard (daemon/api/connection_guard.h) over a fake socket seam:
// which idle connections it closes when a client holds too many or the
// worker pool runs short, and which it never closes.
#include "api/connection_guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace mlops::api {
namespace {

class ConnectionGuardTest : public ::testing::Test {
 protected:
  ConnectionGuard Make(int workers, int reserve, int per_client) {
    SocketSeam seam;
    seam.list = [this] { return sockets_; };
    seam.shut_down_if_idle = [this](const ClientSocket& s) {
      auto it = std::find(sockets_.begin(), sockets_.end(), s);
      if (it == sockets_.end()) return false;
      shut_.push_back(s.fd);
      return true;
    };
    return ConnectionGuard({workers, reserve, per_client}, seam);
  }
  // A new connection `fd` from `address` (port fd + 40000), then the
  // server's call for it.
  int Connect(ConnectionGuard* g, int fd, const std::string& address) {
    sockets_.push_back({fd, address, fd + 40000});
    return g->Opened();
  }
  // The server closes what the guard shut down.
  void ServerCloses() {
    for (int fd : shut_) {
      sockets_.erase(std::remove_if(sockets_.begin(), sockets_.end(),
                                    [fd](const ClientSocket& s) { return s.fd == fd; }),
                     sockets_.end());
    }
  }
  std::vector<ClientSocket> sockets_;
  std::vector<int> shut_;
};

TEST_F(ConnectionGuardTest, AClientOverItsLimitLosesItsOldestIdleConnection) {
  ConnectionGuard g = Make(32, 2, 3);
  Connect(&g, 101, "10.0.0.1");
  Connect(&g, 102, "10.0.0.1");
  Connect(&g, 103, "10.0.0.2");
  Connect(&g, 104, "10.0.0.1");
  EXPECT_TRUE(shut_.empty());
  EXPECT_EQ(Connect(&g, 105, "10.0.0.1"), 1);
  EXPECT_EQ(shut_, std::vector<int>{101});  // not the other client's, not the new one
  EXPECT_EQ(g.open_connections(), 4);
  EXPECT_EQ(g.closed_by_guard(), 1);
}

TEST_F(ConnectionGuardTest, AConnectionServingARequestIsNeverClosed) {
  ConnectionGuard g = Make(32, 2, 2);
  Connect(&g, 101, "c");
  g.RequestStarted("c", 40101);
  Connect(&g, 102, "c");
  Connect(&g, 103, "c");
  EXPECT_EQ(shut_, std::vector<int>{102});
  // Idle again after its answer: the oldest idle is now 103, then 101.
  g.RequestEnded("c", 40101);
  Connect(&g, 104, "c");
  EXPECT_EQ(shut_, (std::vector<int>{102, 103}));
}

TEST_F(ConnectionGuardTest, AShortPoolClosesTheOldestIdleOfAnyClient) {
  ConnectionGuard g = Make(6, 2, 6);  // at most 4 open connections
  for (int i = 1; i <= 4; ++i) Connect(&g, 100 + i, "c" + std::to_string(i));
  EXPECT_TRUE(shut_.empty());
  g.RequestStarted("c1", 40101);
  EXPECT_EQ(Connect(&g, 105, "new"), 1);
  EXPECT_EQ(shut_, std::vector<int>{102});
  EXPECT_EQ(g.open_connections(), 4);
}

TEST_F(ConnectionGuardTest, NothingIdleMeansNothingClosed) {
  ConnectionGuard g = Make(16, 1, 1);
  Connect(&g, 101, "c");
  g.RequestStarted("c", 40101);
  EXPECT_EQ(Connect(&g, 102, "c"), 0);  // the newest is spared
  EXPECT_TRUE(shut_.empty());
}

TEST_F(ConnectionGuardTest, ASocketShutDownButNotYetClosedIsNotCounted) {
  ConnectionGuard g = Make(32, 2, 2);
  Connect(&g, 101, "c");
  Connect(&g, 102, "c");
  Connect(&g, 103, "c");
  EXPECT_EQ(shut_, std::vector<int>{101});
  // 101 is still listed (the server has not closed it yet): the client
  // holds two connections, not three, so nothing more is closed.
  EXPECT_EQ(g.Opened(), 0);
  EXPECT_EQ(g.open_connections(), 2);
  ServerCloses();
  EXPECT_EQ(g.Opened(), 0);
  EXPECT_EQ(Connect(&g, 104, "c"), 1);
  EXPECT_EQ(shut_, (std::vector<int>{101, 102}));
}

TEST_F(ConnectionGuardTest, AConnectionGoneMeanwhileIsNotCountedAsClosed) {
  ConnectionGuard g = Make(32, 2, 1);
  Connect(&g, 101, "c");
  Connect(&g, 102, "c");
  EXPECT_EQ(shut_, std::vector<int>{101});
  ServerCloses();
  // 102 closes by itself, its descriptor is reused by another client's
  // connection: the guard does not shut that one down for 102.
  sockets_.clear();
  sockets_.push_back({102, "d", 50000});
  sockets_.push_back({103, "c", 40103});
  EXPECT_EQ(g.Opened(), 0);
  EXPECT_EQ(g.open_connections(), 2);
  EXPECT_EQ(g.closed_by_guard(), 1);
}

}  // namespace
}  // namespace mlops::api
