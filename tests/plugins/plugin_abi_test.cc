// The plugin ABI seen from C and from C++ must be the same ABI.
#include <gtest/gtest.h>

#include <cstddef>

#include "mlops/plugin.h"
#include "plugins/plugin_h_c_proof.h"

namespace {

TEST(PluginAbiTest, CAndCxxAgreeOnLayout) {
  size_t c[MLOPS_C_LAYOUT_FIELDS] = {};
  mlops_c_layout(c);
  const size_t cxx[MLOPS_C_LAYOUT_FIELDS] = {
      sizeof(mlops_host_api),
      offsetof(mlops_host_api, params_json),
      offsetof(mlops_host_api, input_count),
      offsetof(mlops_host_api, input_at),
      offsetof(mlops_host_api, work_dir),
      offsetof(mlops_host_api, scratch_dir),
      offsetof(mlops_host_api, log),
      offsetof(mlops_host_api, progress),
      offsetof(mlops_host_api, metric),
      offsetof(mlops_host_api, artifact),
      offsetof(mlops_host_api, is_cancelled),
      offsetof(mlops_host_api, set_error),
      offsetof(mlops_host_api, param),
      sizeof(mlops_plugin_info),
      offsetof(mlops_plugin_info, abi_major),
      offsetof(mlops_plugin_info, abi_minor),
      offsetof(mlops_plugin_info, name),
      offsetof(mlops_plugin_info, version),
      offsetof(mlops_plugin_info, run),
      sizeof(mlops_status),
  };
  for (int i = 0; i < MLOPS_C_LAYOUT_FIELDS; ++i) EXPECT_EQ(c[i], cxx[i]) << "field " << i;
}

TEST(PluginAbiTest, StructSizeLeadsEveryStruct) {
  EXPECT_EQ(offsetof(mlops_host_api, struct_size), 0u);
  EXPECT_EQ(offsetof(mlops_plugin_info, struct_size), 0u);
}

TEST(PluginAbiTest, CPluginRunsAgainstCHost) { EXPECT_EQ(mlops_c_roundtrip(), 12); }

}  // namespace
