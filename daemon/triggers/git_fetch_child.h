// Phase one of GitRepository::Fetch, run in a child process
// (mlops-git-fetch) that the parent kills at the deadline. Internal to the
// triggers library.
//
// Why a process: libgit2 1.5 can block or spin without end where no
// callback or socket deadline reaches it (its zlib loop on a truncated
// loose object of a local remote never returns). Only a process the parent
// can kill bounds every such case; the parent's state stays untouched
// because the child writes nothing but objects and refs/mlops/incoming/*.
//
// The parent writes the request to a file in the cache (mode 0600: the URL
// may hold a token, and argv is readable by every local user) and runs
//   mlops-git-fetch <request file>
// The child prints one line, "ok" or "error <code> <message>", and exits 0
// or 1.
#pragma once

#include <string>
#include <vector>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"

namespace mlops::triggers::internal {

inline constexpr const char* kIncomingRefs = "refs/mlops/incoming/";

struct FetchRequest {
  std::string cache_path;  // the bare cache
  std::string url;
  std::vector<std::string> branches;
  Duration timeout{0};  // network deadline inside the child
  std::string ssh_private_key;
  std::string ssh_public_key;
};

// Fetches refs/heads/<b> of every branch into refs/mlops/incoming/<b> of
// the cache, with network transfers cut at the request's timeout. Runs in
// the child.
Status FetchIntoIncoming(const FetchRequest& request);

// The request file's text ("key value" lines) and back. REQUIRES for
// Format: no line break in any value (GitRepository::Open refuses them).
// ParseFetchRequest: InvalidArgument for another version or a malformed
// line.
std::string FormatFetchRequest(const FetchRequest& request);
Status ParseFetchRequest(const std::string& text, FetchRequest* out);

// The child's answer line, and back (Corruption for an unreadable answer).
std::string FormatFetchAnswer(const Status& st);
Status ParseFetchAnswer(const std::string& line);

// main() of mlops-git-fetch.
int FetchChildMain(int argc, char** argv);

}  // namespace mlops::triggers::internal
