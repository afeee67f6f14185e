// The trigger tests use the registry tests' TempDir.
#pragma once

#include "../registry/temp_dir.h"

namespace mlops::triggers::testing {
using mlops::testing::TempDir;
}  // namespace mlops::triggers::testing
