// Ed25519 keys, signed model manifests and their verification (docs/signing.md).
//
// A model version is signed as in the OpenSSF model-signing format: an
// in-toto Statement v1 whose subjects are (relative file name, sha256) for
// every file of the model, with a predicate carrying the provenance, wrapped
// in a DSSE envelope signed with Ed25519 (OpenSSL). The key id is the
// lower-case hex SHA-256 of the raw 32-byte public key.
//
// Used by the signer plugin (signs), the daemon (verifies before every
// promotion; checks plugin signatures in the stage host) and mlctl (keys
// generate, verify). Thread-safety: free functions, no shared state.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "mlops/common/status.h"

namespace mlops::signing {

inline constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kPayloadType = "application/vnd.in-toto+json";
inline constexpr const char* kPredicateType = "https://mlopsd.dev/provenance/v1";
inline constexpr const char* kEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";

// ---- Keys ----------------------------------------------------------------

struct PublicKey {
  std::string key_id;  // hex sha256 of the raw public key
  std::string pem;     // SubjectPublicKeyInfo PEM
};

// Writes a new key pair: private_path (PKCS#8 PEM, created 0600, refused if
// it exists) and public_path (PEM, 0644). *out describes the public key.
Status GenerateKeyPair(const std::string& private_path, const std::string& public_path,
                       PublicKey* out);
// Parses a PEM public key (Ed25519 only) and computes its key id.
Status ParsePublicKey(const std::string& pem, PublicKey* out);
Status ReadPublicKeyFile(const std::string& path, PublicKey* out);

// An Ed25519 private key held in memory; never printed or logged.
class PrivateKey {
 public:
  PrivateKey() = default;
  ~PrivateKey();
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  // PermissionDenied if group or others may read the file, naming it.
  static Status Load(const std::string& path, PrivateKey* out);
  const PublicKey& public_key() const { return public_; }
  Status Sign(const std::string& message, std::string* signature) const;  // 64 raw bytes

 private:
  void* pkey_ = nullptr;  // EVP_PKEY*
  PublicKey public_;
};

Status VerifySignature(const PublicKey& key, const std::string& message,
                       const std::string& signature);

// ---- Statements and envelopes -------------------------------------------

struct Subject {
  std::string name;    // relative file name, '/'-separated, no "..", not absolute
  std::string sha256;  // lower-case hex
};

// The in-toto Statement v1 JSON for `subjects` (sorted by name) and the
// provenance predicate.
nlohmann::json MakeStatement(const std::vector<Subject>& subjects, const nlohmann::json& predicate);

// DSSE: signs PAE(payload_type, payload) and returns the envelope JSON
// {"payloadType", "payload" (base64), "signatures": [{"keyid", "sig" (base64)}]}.
Status SignEnvelope(const PrivateKey& key, const std::string& payload_type,
                    const std::string& payload, std::string* envelope_json);
// DSSE pre-authentication encoding (what the signature covers).
std::string PreAuthEncoding(const std::string& payload_type, const std::string& payload);

struct TrustedKey {
  PublicKey key;
  bool revoked = false;
};

struct VerifiedStatement {
  std::string key_id;             // the trusted key whose signature checked
  nlohmann::json statement;       // the parsed Statement
  std::vector<Subject> subjects;  // validated names (no "..", no absolute, unique)
  nlohmann::json predicate;
};

// Checks the envelope's shape, the payload type, a signature by a trusted,
// non-revoked key, and the statement's shape and subject names. Errors name
// what is wrong (unknown key id, revoked key, bad signature, "../" subject).
Status VerifyEnvelope(const std::string& envelope_json, const std::vector<TrustedKey>& trusted,
                      VerifiedStatement* out);

// Re-hashes the files under `dir` against the subjects: every subject must
// be a regular file (not a symlink) with that digest, and every regular file
// under `dir` must be a subject (files in `ignore` excepted, e.g. the
// envelope itself). The error names the offending file.
Status VerifyDirectory(const std::string& dir, const VerifiedStatement& statement,
                       const std::vector<std::string>& ignore = {});

// Detached plugin signatures: <file>.sig holds a DSSE envelope whose
// statement has one subject (the file's base name and digest).
Status SignFile(const PrivateKey& key, const std::string& file, std::string* envelope_json);
Status VerifyFile(const std::string& file, const std::string& envelope_json,
                  const std::vector<TrustedKey>& trusted, std::string* key_id);
// The same check for a file already hashed (the stage host hashes the
// descriptor it then loads, so the file cannot change in between).
Status VerifyFileDigest(const std::string& file, const std::string& sha256,
                        const std::string& envelope_json, const std::vector<TrustedKey>& trusted,
                        std::string* key_id);

// Environment variable through which the daemon gives the stage host the
// trusted public key files (':'-separated absolute paths) when plugin
// signatures are required. Public keys only: nothing secret.
inline constexpr const char* kPluginKeysEnv = "MLOPS_PLUGIN_TRUSTED_KEYS";
// Key ids (hex SHA-256 of the raw public key), ':'-separated, whose plugin
// signatures the stage host refuses: the keys revoked in the registry.
inline constexpr const char* kPluginRevokedKeysEnv = "MLOPS_PLUGIN_REVOKED_KEY_IDS";

// ---- Helpers (also used by the signer plugin, mlctl and the tests) -------

// Standard base64 with padding (RFC 4648 §4). Decode refuses anything else
// (URL alphabet, missing padding, stray characters).
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

// OK when `name` is a clean relative subject name: not empty, not absolute,
// '/'-separated, no "..", "." or empty component, no backslash, NUL or
// control character. The error quotes the name (escaped) and says why.
Status CheckSubjectName(const std::string& name);

// The subjects for every regular file under `dir` (names relative to it,
// sorted), files in `ignore` excepted. Refuses symlinks and special files,
// naming them.
Status CollectSubjects(const std::string& dir, const std::vector<std::string>& ignore,
                       std::vector<Subject>* out);

// Reads the trusted public key files (PEM) into TrustedKeys; the error names
// the file.
Status LoadTrustedKeys(const std::vector<std::string>& public_key_files,
                       std::vector<TrustedKey>* out);

// Marks revoked every key of `keys` whose id is in `key_ids`.
void MarkRevoked(const std::vector<std::string>& key_ids, std::vector<TrustedKey>* keys);

}  // namespace mlops::signing
