#include "store_conformance.h"

namespace mlops::registry {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformance,
                         ::testing::Values(StoreBackend{
                             "memory",
                             [](const std::string&, std::unique_ptr<Store>* out) {
                               *out = NewMemoryStore();
                               return Status::OK();
                             }}),
                         StoreBackendName);

}  // namespace
}  // namespace mlops::registry
