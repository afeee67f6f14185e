#include "triggers/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "mlops/common/sha256.h"

namespace mlops::triggers {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kZeroCommit = "0000000000000000000000000000000000000000";

std::array<unsigned char, 32> HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len);
  return md;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsCommitId(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads `obj[key]` as a string. Missing or null: *out empty and OK only
// when `optional`; another type is always an error.
Status StringField(const Json& obj, const char* key, const std::string& where, bool optional,
                   std::string* out) {
  out->clear();
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (optional) return Status::OK();
    return Status::InvalidArgument("push event: missing field '" + where + key + "'");
  }
  if (!it->is_string()) {
    return Status::InvalidArgument("push event: field '" + where + key + "' is not a string");
  }
  *out = it->get<std::string>();
  return Status::OK();
}

Status ParseBody(std::string_view body, Json* out) {
  try {
    *out = Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("push event: malformed JSON: ") + e.what());
  }
  if (!out->is_object()) return Status::InvalidArgument("push event: body is not a JSON object");
  return Status::OK();
}

// Fills ref/branch/before from the common fields.
Status ParseRef(const Json& body, PushEvent* out) {
  MLOPS_RETURN_IF_ERROR(StringField(body, "ref", "", false, &out->ref));
  constexpr std::string_view kHeads = "refs/heads/";
  if (out->ref.starts_with(kHeads)) out->branch = out->ref.substr(kHeads.size());
  return StringField(body, "before", "", true, &out->before);
}

Status CheckCommit(const std::string& commit, const char* field) {
  if (IsCommitId(commit)) return Status::OK();
  return Status::InvalidArgument("push event: '" + std::string(field) + "' is not a commit id: '" +
                                 commit + "'");
}

Status CollectIds(const Json& body, const char* object_key,
                  std::initializer_list<const char*> keys, PushEvent* out) {
  auto obj = body.find(object_key);
  if (obj == body.end() || !obj->is_object()) {
    return Status::InvalidArgument(std::string("push event: missing object '") + object_key + "'");
  }
  std::string where = std::string(object_key) + ".";
  for (const char* key : keys) {
    std::string value;
    MLOPS_RETURN_IF_ERROR(StringField(*obj, key, where, true, &value));
    if (!value.empty()) out->repository_ids.push_back(std::move(value));
  }
  if (out->repository_ids.empty()) {
    return Status::InvalidArgument("push event: '" + std::string(object_key) +
                                   "' names no repository");
  }
  return Status::OK();
}

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : HmacSha256(key, data)) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

Status VerifyGitLabToken(std::string_view header_token, std::string_view secret) {
  if (secret.empty()) {
    return Status::PermissionDenied("no webhook secret is configured for this repository");
  }
  if (header_token.empty()) return Status::PermissionDenied("missing X-Gitlab-Token");
  // Digests have one length whatever the inputs, so the compare leaks
  // neither content nor length.
  std::string a = Sha256Hex(header_token);
  std::string b = Sha256Hex(secret);
  if (CRYPTO_memcmp(a.data(), b.data(), a.size()) != 0) {
    return Status::PermissionDenied("X-Gitlab-Token does not match");
  }
  return Status::OK();
}

Status VerifyGitHubSignature(std::string_view signature_header, std::string_view raw_body,
                             std::string_view secret) {
  if (secret.empty()) {
    return Status::PermissionDenied("no webhook secret is configured for this repository");
  }
  if (signature_header.empty()) return Status::PermissionDenied("missing X-Hub-Signature-256");
  constexpr std::string_view kPrefix = "sha256=";
  std::string_view hex = signature_header;
  if (!hex.starts_with(kPrefix) || hex.size() != kPrefix.size() + 64) {
    return Status::PermissionDenied("X-Hub-Signature-256 is not 'sha256=' and 64 hex digits");
  }
  hex.remove_prefix(kPrefix.size());
  std::array<unsigned char, 32> given{};
  for (size_t i = 0; i < given.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::PermissionDenied("X-Hub-Signature-256 is not 'sha256=' and 64 hex digits");
    }
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  std::array<unsigned char, 32> expected = HmacSha256(secret, raw_body);
  if (CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return Status::PermissionDenied("X-Hub-Signature-256 does not match the body");
  }
  return Status::OK();
}

Status ParseGitLabPush(std::string_view body, PushEvent* out) {
  *out = PushEvent();
  Json j;
  MLOPS_RETURN_IF_ERROR(ParseBody(body, &j));
  MLOPS_RETURN_IF_ERROR(ParseRef(j, out));
  MLOPS_RETURN_IF_ERROR(
      CollectIds(j, "project", {"git_http_url", "git_ssh_url", "path_with_namespace"}, out));
  std::string after;
  MLOPS_RETURN_IF_ERROR(StringField(j, "after", "", true, &after));
  MLOPS_RETURN_IF_ERROR(StringField(j, "checkout_sha", "", true, &out->commit));
  if (!out->commit.empty()) return CheckCommit(out->commit, "checkout_sha");
  // GitLab sends checkout_sha null when the push deleted the ref (`after`
  // is zeros then); payloads of old GitLab versions have only `after`.
  if (after.empty() || after == kZeroCommit) {
    out->deleted = true;
    return Status::OK();
  }
  out->commit = after;
  return CheckCommit(out->commit, "after");
}

Status ParseGitHubPush(std::string_view body, PushEvent* out) {
  *out = PushEvent();
  Json j;
  MLOPS_RETURN_IF_ERROR(ParseBody(body, &j));
  MLOPS_RETURN_IF_ERROR(ParseRef(j, out));
  MLOPS_RETURN_IF_ERROR(CollectIds(j, "repository", {"clone_url", "ssh_url", "full_name"}, out));
  auto deleted = j.find("deleted");
  if (deleted != j.end() && !deleted->is_null() && !deleted->is_boolean()) {
    return Status::InvalidArgument("push event: field 'deleted' is not a boolean");
  }
  MLOPS_RETURN_IF_ERROR(StringField(j, "after", "", false, &out->commit));
  if ((deleted != j.end() && deleted->is_boolean() && deleted->get<bool>()) ||
      out->commit == kZeroCommit) {
    out->deleted = true;
    out->commit.clear();
    return Status::OK();
  }
  return CheckCommit(out->commit, "after");
}

std::string NormalizeRepositoryUrl(std::string_view url) {
  std::string_view u = url;
  while (!u.empty() && std::isspace(static_cast<unsigned char>(u.front()))) u.remove_prefix(1);
  while (!u.empty() && std::isspace(static_cast<unsigned char>(u.back()))) u.remove_suffix(1);
  auto trim_tail = [](std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    if (s.size() > 4 && s.ends_with(".git")) s.resize(s.size() - 4);
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  };
  if (u.starts_with("file://")) return trim_tail(std::string(u.substr(7)));
  if (u.starts_with("/")) return trim_tail(std::string(u));
  std::string_view host_and_path;
  size_t scheme = u.find("://");
  if (scheme != std::string_view::npos) {
    host_and_path = u.substr(scheme + 3);
  } else {
    // scp-like "user@host:path"; anything else is a bare "group/project".
    size_t colon = u.find(':');
    size_t slash = u.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
      return trim_tail(Lower(u));
    }
    std::string joined = std::string(u.substr(0, colon)) + "/" + std::string(u.substr(colon + 1));
    return NormalizeRepositoryUrl("ssh://" + joined);
  }
  size_t slash = host_and_path.find('/');
  std::string_view authority = host_and_path.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : host_and_path.substr(slash + 1);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with("[")) {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close != std::string_view::npos) authority = authority.substr(0, close + 1);
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  while (path.starts_with("/")) path.remove_prefix(1);
  return trim_tail(Lower(authority) + "/" + Lower(path));
}

bool PushNamesRepository(const PushEvent& event, std::string_view configured_url) {
  std::string configured = NormalizeRepositoryUrl(configured_url);
  if (configured.empty()) return false;
  for (const std::string& id : event.repository_ids) {
    std::string n = NormalizeRepositoryUrl(id);
    if (n.empty()) continue;
    if (n == configured) return true;
    bool bare_path = id.find("://") == std::string::npos && id.find(':') == std::string::npos &&
                     !id.starts_with("/");
    if (bare_path && configured.size() > n.size() && configured.ends_with("/" + n)) return true;
  }
  return false;
}

namespace {

// Strict application/x-www-form-urlencoded decoding of one value: '+' is a
// space, %XX a byte; a '%' not followed by two hex digits is an error.
bool FormDecode(std::string_view in, std::string* out) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out->push_back(' ');
    } else if (in[i] != '%') {
      out->push_back(in[i]);
    } else {
      if (i + 2 >= in.size()) return false;
      const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return true;
}

}  // namespace

Status GitHubPayloadJson(std::string_view content_type, std::string_view body, std::string* json) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type.empty() || type == "application/json") {
    json->assign(body);
    return Status::OK();
  }
  if (type != "application/x-www-form-urlencoded") {
    return Status::InvalidArgument("content type '" + type + "' is neither application/json nor "
                                   "application/x-www-form-urlencoded");
  }
  bool found = false;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view field = body.substr(pos, amp - pos);
    if (field.starts_with("payload=")) {
      if (found) return Status::InvalidArgument("the form has more than one 'payload' field");
      if (!FormDecode(field.substr(8), json)) {
        return Status::InvalidArgument("the form's 'payload' field has a bad %-escape");
      }
      found = true;
    }
    pos = amp + 1;
  }
  if (!found) return Status::InvalidArgument("the form has no 'payload' field");
  return Status::OK();
}

}  // namespace mlops::triggers
