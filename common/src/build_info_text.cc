#include "mlops/common/build_info.h"

namespace mlops {

std::string VersionText(const std::string& program) {
  const BuildInfo& b = CurrentBuild();
  return program + " " + b.version + " (commit " + b.commit + ", " + b.build_type + ", " +
         b.torch + ")";
}

}  // namespace mlops
