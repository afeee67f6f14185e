// Push webhook bodies (daemon/triggers/webhook.h): the same bytes go to the
// GitLab and the GitHub parser; each either fills a PushEvent or refuses
// with InvalidArgument, and nothing throws, aborts or leaks. The repository
// ids of a parsed event go through URL normalisation and matching, and the
// bytes are also tried as an X-Hub-Signature-256 header.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "triggers/webhook.h"

namespace {

void Check(const mlops::Status& status, const mlops::triggers::PushEvent& event) {
  if (!status.ok()) {
    if (!status.IsInvalidArgument() || status.message().empty()) __builtin_trap();
    return;
  }
  for (const auto& id : event.repository_ids) (void)mlops::triggers::NormalizeRepositoryUrl(id);
  (void)mlops::triggers::PushNamesRepository(event, "https://gitlab.example.com/group/project.git");
  (void)mlops::triggers::PushNamesRepository(event, "git@github.com:owner/repo.git");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  mlops::triggers::PushEvent gitlab;
  Check(mlops::triggers::ParseGitLabPush(body, &gitlab), gitlab);
  mlops::triggers::PushEvent github;
  Check(mlops::triggers::ParseGitHubPush(body, &github), github);
  (void)mlops::triggers::NormalizeRepositoryUrl(body);
  (void)mlops::triggers::VerifyGitHubSignature(body, "{}", "secret");
  return 0;
}
