// Small, durable file-system helpers shared by the registry, the daemon and
// the CLI. All paths are plain strings; errors come back as Status.
#pragma once

#include <string>
#include <string_view>

#include "mlops/common/status.h"

namespace mlops {

// Writes `data` to `path` so that a crash leaves either the old or the new
// content: temp file in the same folder -> fsync -> rename -> fsync folder.
Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);

Status ReadFile(const std::string& path, std::string* out);

// mkdir -p with `mode` for folders it creates.
Status MakeDirs(const std::string& path, int mode = 0755);

// fsync of a folder, so a rename or create inside it is durable.
Status SyncDir(const std::string& dir);

// rm -rf. Missing paths are not an error.
Status RemoveTree(const std::string& path);

// Copies a regular file (contents and mode bits), durably.
Status CopyFile(const std::string& from, const std::string& to);

// Copies a folder tree (regular files and folders; symlinks are refused).
Status CopyTree(const std::string& from, const std::string& to);

std::string JoinPath(std::string_view a, std::string_view b);
std::string DirName(const std::string& path);
bool PathExists(const std::string& path);

// Directory holding the running executable (from /proc/self/exe).
std::string ExecutableDir();

}  // namespace mlops
