// Push webhooks from GitLab and GitHub: authentication of a delivery and
// the parts of a push event that start a run.
//
// The order the API must keep: authenticate first (VerifyGitLabToken or
// VerifyGitHubSignature on the raw, unparsed body), then record the delivery
// id for replay protection, then parse. Comparisons are constant-time
// (CRYPTO_memcmp); an empty secret never authenticates anything.
// Thread-safety: every function is stateless and safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::triggers {

// GitLab's X-Gitlab-Token against the repository's secret. OK when equal;
// PermissionDenied when the header is missing/empty, differs, or no secret
// is configured. The compare does not reveal the secret's length: it
// compares SHA-256 digests of both.
Status VerifyGitLabToken(std::string_view header_token, std::string_view secret);

// GitHub's X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the raw
// body keyed with the secret). OK when it matches; PermissionDenied when the
// header is missing, malformed, does not match, or no secret is configured.
Status VerifyGitHubSignature(std::string_view signature_header, std::string_view raw_body,
                             std::string_view secret);

// Lower-case hex HMAC-SHA256 of `data` keyed with `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// The parts of a push event the daemon acts on.
struct PushEvent {
  // URLs and paths that name the pushed repository, as the sender gave them
  // (GitLab: project.git_http_url, git_ssh_url, path_with_namespace;
  // GitHub: repository.clone_url, ssh_url, full_name). Empty ones omitted.
  std::vector<std::string> repository_ids;
  std::string ref;      // "refs/heads/main", "refs/tags/v1"
  std::string branch;   // "main"; empty when the ref is not a branch
  std::string before;   // commit before the push (zeros for a new branch)
  std::string commit;   // commit to run; empty when `deleted`
  bool deleted = false;  // the push deleted the ref: starts nothing
};

// Parse a push event's JSON body. InvalidArgument naming the problem for
// malformed JSON, a missing or mistyped field, or a commit id that is not
// 40 hex characters; *out is unspecified then.
// GitLab: run checkout_sha (null on deletion, then `after` is zeros;
// `after` when an old payload has no checkout_sha).
Status ParseGitLabPush(std::string_view body, PushEvent* out);
// GitHub: run `after`; `deleted: true` (or `after` all zeros) on deletion.
Status ParseGitHubPush(std::string_view body, PushEvent* out);

// The JSON of a GitHub delivery as sent with `content_type`: the body itself
// for application/json (or no type), the URL-decoded value of its only
// `payload=` field for application/x-www-form-urlencoded (GitHub's default
// content type). InvalidArgument naming the problem for another type, a
// form without exactly one `payload` field, or a bad %-escape. The
// signature is always checked on the raw body, before this.
Status GitHubPayloadJson(std::string_view content_type, std::string_view body, std::string* json);

// "host/path" for a remote URL (https://, http://, ssh://, git://, or
// scp-like user@host:path), lower-cased, without user, port, trailing
// "/" or ".git"; a local path or file:// URL comes back as its path without
// a trailing "/" or ".git". Used to match an event to a configured repository.
std::string NormalizeRepositoryUrl(std::string_view url);

// True when one of the event's repository_ids names `configured_url`: the
// normalized forms are equal, or the id is a bare "group/project" path and
// the configured URL's normalized form ends with "/group/project".
bool PushNamesRepository(const PushEvent& event, std::string_view configured_url);

}  // namespace mlops::triggers
