#include "triggers/git_fetch_child.h"

#include <git2.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "mlops/common/files.h"
#include "triggers/network_deadline.h"

namespace mlops::triggers::internal {
namespace {

constexpr std::string_view kRequestMagic = "mlops-git-fetch-request 1";

std::string GitMessage() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

int GitClass() {
  const git_error* e = git_error_last();
  return e != nullptr ? e->klass : GIT_ERROR_NONE;
}

// Why a fetch failed, as a Status naming the URL.
Status FetchError(int rc, const FetchRequest& req, bool timed_out) {
  std::string msg = GitMessage();
  std::string what = "fetch " + req.url + ": ";
  if (timed_out) {
    return Status::Unavailable(what + "timed out after " + std::to_string(req.timeout.count()) +
                               " ms (" + msg + ")");
  }
  if (rc == GIT_EAUTH || rc == GIT_ECERTIFICATE) return Status::PermissionDenied(what + msg);
  if (rc == GIT_ENOTFOUND && GitClass() == GIT_ERROR_REPOSITORY) {
    return Status::NotFound(what + msg);
  }
  switch (GitClass()) {
    case GIT_ERROR_NET:
    case GIT_ERROR_HTTP:
    case GIT_ERROR_SSH:
    case GIT_ERROR_SSL:
      return Status::Unavailable(what + msg);
    case GIT_ERROR_ODB:
    case GIT_ERROR_ZLIB:
    case GIT_ERROR_INDEXER:
    case GIT_ERROR_OBJECT:
    case GIT_ERROR_SHA1:
      return Status::Corruption(what + msg);
    default:
      return Status::IOError(what + msg);
  }
}

struct FetchContext {
  const FetchRequest* request = nullptr;
  NetworkDeadline* deadline = nullptr;
  int credential_calls = 0;
};

int Credentials(git_credential** out, const char* url, const char* username_from_url,
                unsigned int allowed, void* payload) {
  auto* ctx = static_cast<FetchContext*>(payload);
  // libgit2 asks again after every refusal; never loop.
  if (++ctx->credential_calls > 3) {
    git_error_set_str(GIT_ERROR_NET, "authentication failed");
    return GIT_EAUTH;
  }
  const char* user = username_from_url != nullptr ? username_from_url : "git";
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, user);
  if (allowed & GIT_CREDENTIAL_SSH_KEY) {
    const std::string& key = ctx->request->ssh_private_key;
    if (key.empty()) return git_credential_ssh_key_from_agent(out, user);
    const std::string& pub = ctx->request->ssh_public_key;
    return git_credential_ssh_key_new(out, user, pub.empty() ? nullptr : pub.c_str(), key.c_str(),
                                      nullptr);
  }
  return GIT_PASSTHROUGH;
}

int TransferProgress(const git_indexer_progress*, void* payload) {
  auto* ctx = static_cast<FetchContext*>(payload);
  if (ctx->deadline->expired()) {
    git_error_set_str(GIT_ERROR_NET, "transfer cut at the deadline");
    return -1;
  }
  return 0;
}

const char* CodeName(Status::Code c) {
  switch (c) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kIOError: return "io_error";
    case Status::Code::kConflict: return "conflict";
    case Status::Code::kUnavailable: return "unavailable";
    case Status::Code::kPermissionDenied: return "permission_denied";
  }
  return "io_error";
}

}  // namespace

Status FetchIntoIncoming(const FetchRequest& req) {
  git_libgit2_init();
  struct Shutdown {
    ~Shutdown() { git_libgit2_shutdown(); }
  } shutdown;
  MLOPS_RETURN_IF_ERROR(InstallDeadlineSocketStream());
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, req.cache_path.c_str()) < 0) {
    return Status::IOError("cannot open git cache " + req.cache_path + ": " + GitMessage());
  }
  git_remote* remote = nullptr;
  if (git_remote_create_anonymous(&remote, repo, req.url.c_str()) < 0) {
    Status st = Status::InvalidArgument("fetch " + req.url + ": " + GitMessage());
    git_repository_free(repo);
    return st;
  }
  std::vector<std::string> specs;
  for (const std::string& b : req.branches) {
    specs.push_back("+refs/heads/" + b + ":" + kIncomingRefs + b);
  }
  std::vector<char*> spec_ptrs;
  for (std::string& s : specs) spec_ptrs.push_back(s.data());
  git_strarray refspecs{spec_ptrs.data(), spec_ptrs.size()};

  NetworkDeadline deadline(std::chrono::steady_clock::now() + req.timeout);
  FetchContext ctx{&req, &deadline, 0};
  git_fetch_options fo;
  git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
  fo.update_fetchhead = 0;  // libgit2 1.5 writes FETCH_HEAD regardless; harmless
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  fo.prune = GIT_FETCH_NO_PRUNE;
  fo.callbacks.credentials = Credentials;
  fo.callbacks.transfer_progress = TransferProgress;
  fo.callbacks.payload = &ctx;
  int rc = git_remote_fetch(remote, &refspecs, &fo, nullptr);
  Status st = rc < 0 ? FetchError(rc, req, deadline.expired()) : Status::OK();
  git_remote_free(remote);
  git_repository_free(repo);
  return st;
}

std::string FormatFetchRequest(const FetchRequest& r) {
  std::string out = std::string(kRequestMagic) + "\n";
  out += "cache " + r.cache_path + "\n";
  out += "url " + r.url + "\n";
  out += "timeout_ms " + std::to_string(r.timeout.count()) + "\n";
  if (!r.ssh_private_key.empty()) out += "ssh_private_key " + r.ssh_private_key + "\n";
  if (!r.ssh_public_key.empty()) out += "ssh_public_key " + r.ssh_public_key + "\n";
  for (const std::string& b : r.branches) out += "branch " + b + "\n";
  return out;
}

Status ParseFetchRequest(const std::string& text, FetchRequest* out) {
  *out = FetchRequest();
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kRequestMagic) {
    return Status::InvalidArgument("not a version 1 fetch request");
  }
  while (std::getline(in, line)) {
    size_t sp = line.find(' ');
    std::string key = line.substr(0, sp);
    if (sp == std::string::npos) {
      return Status::InvalidArgument("malformed fetch request line: " + line);
    }
    std::string value = line.substr(sp + 1);
    if (key == "cache") {
      out->cache_path = value;
    } else if (key == "url") {
      out->url = value;
    } else if (key == "timeout_ms") {
      int64_t ms = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec != std::errc() || end != value.data() + value.size() || ms <= 0) {
        return Status::InvalidArgument("malformed fetch timeout: " + value);
      }
      out->timeout = Duration(ms);
    } else if (key == "ssh_private_key") {
      out->ssh_private_key = value;
    } else if (key == "ssh_public_key") {
      out->ssh_public_key = value;
    } else if (key == "branch") {
      out->branches.push_back(value);
    } else {
      return Status::InvalidArgument("unknown fetch request key: " + key);
    }
  }
  if (out->cache_path.empty() || out->url.empty() || out->branches.empty() ||
      out->timeout.count() <= 0) {
    return Status::InvalidArgument("incomplete fetch request");
  }
  return Status::OK();
}

std::string FormatFetchAnswer(const Status& st) {
  if (st.ok()) return "ok\n";
  std::string msg = st.message();
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return std::string("error ") + CodeName(st.code()) + " " + msg + "\n";
}

Status ParseFetchAnswer(const std::string& line) {
  std::string l = line;
  while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
  if (l == "ok") return Status::OK();
  if (!l.starts_with("error ")) return Status::Corruption("unreadable answer: '" + l + "'");
  size_t sp = l.find(' ', 6);
  std::string code = l.substr(6, sp == std::string::npos ? std::string::npos : sp - 6);
  std::string msg = sp == std::string::npos ? "" : l.substr(sp + 1);
  if (code == "not_found") return Status::NotFound(msg);
  if (code == "invalid_argument") return Status::InvalidArgument(msg);
  if (code == "corruption") return Status::Corruption(msg);
  if (code == "conflict") return Status::Conflict(msg);
  if (code == "unavailable") return Status::Unavailable(msg);
  if (code == "permission_denied") return Status::PermissionDenied(msg);
  return Status::IOError(msg);
}

int FetchChildMain(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: mlops-git-fetch REQUEST-FILE (run by mlopsd)\n", stderr);
    return 2;
  }
  std::string text;
  FetchRequest req;
  Status st = ReadFile(argv[1], &text);
  if (st.ok()) st = ParseFetchRequest(text, &req);
  if (st.ok()) st = FetchIntoIncoming(req);
  std::fputs(FormatFetchAnswer(st).c_str(), stdout);
  std::fflush(stdout);
  return st.ok() ? 0 : 1;
}

}  // namespace mlops::triggers::internal
