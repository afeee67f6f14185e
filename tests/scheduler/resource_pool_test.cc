#include "scheduler/resource_pool.h"

#include <gtest/gtest.h>

namespace mlops::scheduler {
namespace {

pipeline::Resources Want(double cpus, int gpus = 0, int64_t mem = 0) {
  pipeline::Resources r;
  r.cpus = cpus;
  r.gpus = gpus;
  r.memory_mb = mem;
  return r;
}

TEST(ResourcePoolTest, CpusAreCountedAndReleased) {
  ResourcePool pool(Capacity{2, 0, 0});
  Grant a, b, c;
  EXPECT_TRUE(pool.TryAcquire(Want(1), &a));
  EXPECT_TRUE(pool.TryAcquire(Want(1), &b));
  EXPECT_FALSE(pool.TryAcquire(Want(1), &c));
  pool.Release(a);
  EXPECT_TRUE(pool.TryAcquire(Want(1), &c));
  EXPECT_DOUBLE_EQ(pool.cpus_in_use(), 2);
}

TEST(ResourcePoolTest, OversizedCpuRequestRunsAloneWithEverything) {
  ResourcePool pool(Capacity{2, 0, 0});
  Grant big, small;
  EXPECT_TRUE(pool.TryAcquire(Want(8), &big));
  EXPECT_DOUBLE_EQ(big.cpus, 2);
  EXPECT_FALSE(pool.TryAcquire(Want(1), &small));
}

TEST(ResourcePoolTest, GpusAreExclusiveAndNamed) {
  ResourcePool pool(Capacity{8, 3, 0});
  Grant a, b, c;
  ASSERT_TRUE(pool.TryAcquire(Want(1, 2), &a));
  EXPECT_EQ(a.CudaVisibleDevices(), "0,1");
  EXPECT_FALSE(pool.TryAcquire(Want(1, 2), &b));
  ASSERT_TRUE(pool.TryAcquire(Want(1, 1), &b));
  EXPECT_EQ(b.CudaVisibleDevices(), "2");
  EXPECT_EQ(pool.gpus_in_use(), 3);
  pool.Release(a);
  ASSERT_TRUE(pool.TryAcquire(Want(1, 1), &c));
  EXPECT_EQ(c.CudaVisibleDevices(), "0");
}

TEST(ResourcePoolTest, MemoryLimitAndNeverFits) {
  ResourcePool pool(Capacity{4, 1, 1000});
  std::string why;
  EXPECT_TRUE(pool.NeverFits(Want(1, 0, 2000), &why));
  EXPECT_NE(why.find("2000 MB"), std::string::npos);
  EXPECT_TRUE(pool.NeverFits(Want(1, 2), &why));
  EXPECT_FALSE(pool.NeverFits(Want(1, 1, 1000), &why));
  Grant a, b;
  EXPECT_TRUE(pool.TryAcquire(Want(1, 0, 600), &a));
  EXPECT_FALSE(pool.TryAcquire(Want(1, 0, 600), &b));
}

}  // namespace
}  // namespace mlops::scheduler
