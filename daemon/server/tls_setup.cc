#include "server/tls_setup.h"

#include <sys/stat.h>

#include <cstdio>

#include "mlops/common/files.h"

namespace mlops::server {

Status PrepareTlsPem(const std::string& cert_file, const std::string& key_file,
                     const std::string& state_dir, std::string* pem_path) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0) {
    return Status::FromErrno("tls key " + key_file, errno);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("tls key " + key_file + " has mode " + mode +
                                    "; group and others must have no access (chmod 600)");
  }
  std::string cert, key;
  MLOPS_RETURN_IF_ERROR(ReadFile(cert_file, &cert));
  MLOPS_RETURN_IF_ERROR(ReadFile(key_file, &key));
  if (cert.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::InvalidArgument("tls cert " + cert_file +
                                   ": expected a PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  if (key.find("-----BEGIN") == std::string::npos || key.find("PRIVATE KEY-----") == std::string::npos) {
    return Status::InvalidArgument("tls key " + key_file +
                                   ": expected a PEM private key (-----BEGIN ... PRIVATE KEY-----)");
  }
  const std::string dir = JoinPath(state_dir, "tls");
  MLOPS_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  *pem_path = JoinPath(dir, "server.pem");
  if (!key.empty() && key.back() != '\n') key.push_back('\n');
  return WriteFileAtomic(*pem_path, key + cert, 0600);
}

}  // namespace mlops::server
