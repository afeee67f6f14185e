#include "commands_keys.h"

#include <filesystem>
#include <iostream>
#include <memory>

#include "exit_codes.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "mlops/signing/signing.h"

namespace mlops::ctl {
namespace {

int Usage(const std::string& message) {
  std::cerr << "mlctl: " << message << "\n";
  return kExitUsage;
}

int VerifyFailed(const std::string& message, const Output& out) {
  if (out.json) {
    std::cout << nlohmann::json{{"verified", false}, {"error", message}}.dump(2) << "\n";
  }
  std::cerr << "mlctl verify: FAILED: " << message << "\n";
  return kExitVerifyFailed;
}

// "DIR/x" -> "x" when `path` lies in `dir` (compared canonically); else "".
std::string RelativeTo(const std::string& dir_in, const std::string& path_in) {
  std::error_code ec;
  std::string d = std::filesystem::weakly_canonical(dir_in, ec).string();
  std::string path = std::filesystem::weakly_canonical(path_in, ec).string();
  if (ec) return "";
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (path.size() > d.size() + 1 && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/') {
    return path.substr(d.size() + 1);
  }
  return "";
}

}  // namespace

int KeysGenerate(const KeysGenerateOptions& opts, const Output& out) {
  if (opts.name.empty() || opts.name.find('/') != std::string::npos || opts.name == "." ||
      opts.name == "..") {
    return Usage("--name must be a plain file name, got '" + opts.name + "'");
  }
  if (!PathExists(opts.out_dir)) return Usage("--out-dir " + opts.out_dir + " does not exist");
  const std::string priv = JoinPath(opts.out_dir, opts.name + ".key");
  const std::string pub = JoinPath(opts.out_dir, opts.name + ".pub");
  signing::PublicKey key;
  Status st = signing::GenerateKeyPair(priv, pub, &key);
  if (!st.ok()) {
    std::cerr << "mlctl keys generate: " << st.message() << "\n";
    return st.IsConflict() ? kExitUsage : kExitRunFailed;
  }
  if (out.json) {
    std::cout << nlohmann::json{{"key_id", key.key_id}, {"private_key", priv}, {"public_key", pub}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "key id:      " << key.key_id << "\n"
              << "private key: " << priv << "  (mode 0600; keep it secret; the daemon's "
              << "signing_key)\n"
              << "public key:  " << pub << "  (for verifiers: trusted_keys, mlctl verify "
              << "--trusted-key)\n";
  }
  return kExitOk;
}

int KeysSignFile(const std::string& file, const std::string& private_key, const Output& out) {
  signing::PrivateKey key;
  Status st = signing::PrivateKey::Load(private_key, &key);
  if (!st.ok()) {
    std::cerr << "mlctl keys sign-file: " << st.message() << "\n";
    return kExitUsage;
  }
  std::string envelope;
  st = signing::SignFile(key, file, &envelope);
  if (st.ok()) st = WriteFileAtomic(file + ".sig", envelope, 0644);
  if (!st.ok()) {
    std::cerr << "mlctl keys sign-file: " << st.message() << "\n";
    return kExitRunFailed;
  }
  if (out.json) {
    std::cout << nlohmann::json{{"file", file}, {"signature", file + ".sig"},
                                {"key_id", key.public_key().key_id}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "signed " << file << " -> " << file << ".sig (key " << key.public_key().key_id
              << ")\n";
  }
  return kExitOk;
}

int Verify(const VerifyOptions& opts, const Output& out) {
  if (opts.trusted_keys.empty()) return Usage("verify needs at least one --trusted-key PUB");
  std::vector<signing::TrustedKey> trusted;
  Status st = signing::LoadTrustedKeys(opts.trusted_keys, &trusted);
  if (!st.ok()) return Usage(st.message());
  for (const std::string& id : opts.revoked_key_ids) {
    if (!IsSha256Hex(id)) return Usage("--revoked-key-id '" + id + "' is not a 64-hex key id");
  }
  signing::MarkRevoked(opts.revoked_key_ids, &trusted);
  const std::string sig_path =
      opts.signature.empty() ? JoinPath(opts.dir, "model.sig.json") : opts.signature;
  std::string envelope;
  st = ReadFile(sig_path, &envelope);
  if (!st.ok()) return VerifyFailed("cannot read the signature " + sig_path + ": " + st.message(), out);
  signing::VerifiedStatement vs;
  st = signing::VerifyEnvelope(envelope, trusted, &vs);
  if (!st.ok()) return VerifyFailed(sig_path + ": " + st.message(), out);
  std::vector<std::string> ignore;
  std::string inside = RelativeTo(opts.dir, sig_path);
  if (!inside.empty()) ignore.push_back(inside);
  st = signing::VerifyDirectory(opts.dir, vs, ignore);
  if (!st.ok()) return VerifyFailed(opts.dir + ": " + st.message(), out);

  if (out.json) {
    nlohmann::json subjects = nlohmann::json::array();
    for (const auto& s : vs.subjects) subjects.push_back({{"name", s.name}, {"sha256", s.sha256}});
    std::cout << nlohmann::json{{"verified", true},
                                {"key_id", vs.key_id},
                                {"subjects", subjects},
                                {"predicate", vs.predicate}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "verified: " << opts.dir << " signed by key " << vs.key_id << "\n";
    for (const auto& s : vs.subjects) std::cout << "  " << s.sha256 << "  " << s.name << "\n";
  }
  return kExitOk;
}

void AddOfflineKeyCommands(CLI::App& app, CLI::App* keys, const Output& out, int* rc) {
  auto gen = std::make_shared<KeysGenerateOptions>();
  auto* g = keys->add_subcommand("generate", "make an Ed25519 key pair (NAME.key 0600, NAME.pub)");
  g->add_option("--out-dir", gen->out_dir, "folder for the two files (default: .)");
  g->add_option("--name", gen->name, "base name of the files (default: mlops-signing)");
  g->callback([gen, &out, rc] { *rc = KeysGenerate(*gen, out); });

  auto file = std::make_shared<std::pair<std::string, std::string>>();
  auto* sf = keys->add_subcommand("sign-file", "write FILE.sig, a detached signature (plugins)");
  sf->add_option("file", file->first, "file to sign")->required();
  sf->add_option("--key", file->second, "private key file (mode 0600)")->required();
  sf->callback([file, &out, rc] { *rc = KeysSignFile(file->first, file->second, out); });

  auto ver = std::make_shared<VerifyOptions>();
  auto* v = app.add_subcommand("verify", "check a signed model folder offline");
  v->add_option("--dir", ver->dir, "the artifact folder")->required();
  v->add_option("--signature", ver->signature, "DSSE envelope (default: DIR/model.sig.json)");
  v->add_option("--trusted-key", ver->trusted_keys, "trusted public key PEM (repeatable)")
      ->required();
  v->add_option("--revoked-key-id", ver->revoked_key_ids, "refuse this key id (repeatable)");
  v->callback([ver, &out, rc] { *rc = Verify(*ver, out); });
}

}  // namespace mlops::ctl
