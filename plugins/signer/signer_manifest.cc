#include "signer_manifest.h"

#include <sys/stat.h>

#include <ctime>
#include <set>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "signer_params.h"

namespace mlops::signer {

Status BuildSubjects(const std::vector<SignerInput>& inputs,
                     std::vector<signing::Subject>* out) {
  if (inputs.empty()) {
    return Status::InvalidArgument(
        "signer: the stage has no inputs; list the model files to sign under `inputs:` or "
        "in an upstream stage's outputs");
  }
  std::vector<signing::Subject> all;
  std::set<std::string> seen;
  for (const SignerInput& in : inputs) {
    std::string why = CheckInputName(in.name);
    if (!why.empty()) return Status::InvalidArgument("signer: " + why);
    struct stat st;
    if (::lstat(in.path.c_str(), &st) != 0) {
      return Status::NotFound("signer: input '" + in.name + "' is missing (" + in.path + ")");
    }
    if (S_ISLNK(st.st_mode)) {
      return Status::PermissionDenied("signer: input '" + in.name +
                                      "' is a symlink; only regular files are signed");
    }
    std::vector<signing::Subject> subjects;
    if (S_ISDIR(st.st_mode)) {
      Status cs = signing::CollectSubjects(in.path, {}, &subjects);
      if (!cs.ok()) return Status(cs.code() == Status::Code::kPermissionDenied
                                      ? Status::PermissionDenied("signer: input '" + in.name +
                                                                 "': " + cs.message())
                                      : Status::IOError("signer: input '" + in.name + "': " +
                                                        cs.message()));
      for (signing::Subject& s : subjects) s.name = in.name + "/" + s.name;
    } else if (S_ISREG(st.st_mode)) {
      signing::Subject s;
      s.name = in.name;
      uint64_t size = 0;
      MLOPS_RETURN_IF_ERROR(Sha256File(in.path, &s.sha256, &size));
      subjects.push_back(std::move(s));
    } else {
      return Status::InvalidArgument("signer: input '" + in.name + "' is not a regular file");
    }
    for (signing::Subject& s : subjects) {
      if (!seen.insert(s.name).second) {
        return Status::InvalidArgument("signer: file '" + s.name + "' is named by two inputs");
      }
      all.push_back(std::move(s));
    }
  }
  *out = std::move(all);
  return Status::OK();
}

Status BuildPredicate(const PredicateFacts& facts, nlohmann::json* out) {
  nlohmann::json provenance = nlohmann::json::object();
  if (!facts.provenance_file.empty()) {
    std::string text;
    Status rs = ReadFile(facts.provenance_file, &text);
    if (!rs.ok()) {
      return Status::IOError("signer: cannot read the provenance file " + facts.provenance_file +
                             " (MLOPS_PROVENANCE): " + rs.message());
    }
    provenance = nlohmann::json::parse(text, nullptr, false);
    if (provenance.is_discarded() || !provenance.is_object()) {
      return Status::InvalidArgument("signer: the provenance file " + facts.provenance_file +
                                     " (MLOPS_PROVENANCE) is not a JSON object");
    }
  }
  if (!provenance.contains("run_id") && !facts.run_id.empty()) {
    // Numeric when it is one, as the daemon writes it.
    bool digits = facts.run_id.find_first_not_of("0123456789") == std::string::npos;
    provenance["run_id"] = digits && facts.run_id.size() < 18
                               ? nlohmann::json(std::stoll(facts.run_id))
                               : nlohmann::json(facts.run_id);
  }
  nlohmann::json signer = {{"plugin", "signer"},
                           {"key_id", facts.key_id},
                           {"signed_at", facts.signed_at},
                           {"inputs", facts.input_names}};
  if (!facts.stage.empty()) signer["stage"] = facts.stage;
  *out = {{"provenance", std::move(provenance)}, {"signer", std::move(signer)}};
  return Status::OK();
}

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace mlops::signer
