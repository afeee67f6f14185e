// TLS set-up for the API listener: CivetWeb wants the private key and the
// certificate in one PEM file; the config names them apart (as users keep
// them). The joined copy lives in the state folder, 0600.
#pragma once

#include <string>

#include "mlops/common/status.h"

namespace mlops::server {

// Checks that `key_file` is readable by its owner only, that both files hold
// PEM blocks of the expected kind, and writes <state_dir>/tls/server.pem.
Status PrepareTlsPem(const std::string& cert_file, const std::string& key_file,
                     const std::string& state_dir, std::string* pem_path);

}  // namespace mlops::server
