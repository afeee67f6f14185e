#include "server/pipeline_library.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "pipeline/pipeline_parser.h"

namespace mlops::server {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status ListPipelineFiles(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Status::FromErrno("cannot read pipeline folder " + dir, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string path = JoinPath(dir, n);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && (EndsWith(n, ".yaml") || EndsWith(n, ".yml"))) {
      out->push_back(path);
    } else if (S_ISDIR(st.st_mode)) {
      std::string inner = JoinPath(path, "pipeline.yaml");
      if (PathExists(inner)) out->push_back(inner);
    }
  }
  return Status::OK();
}

std::string AbsolutePath(const std::string& p) {
  char buf[4096];
  if (::realpath(p.c_str(), buf)) return buf;
  return p;
}

}  // namespace

Status PipelineLibrary::Scan(std::vector<std::string>* problems) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> seen;  // name -> file
  pipeline::ParseOptions base;
  base.known_plugins = plugins_ ? plugins_() : std::set<std::string>{};
  for (const auto& dir : dirs_) {
    std::vector<std::string> files;
    MLOPS_RETURN_IF_ERROR(ListPipelineFiles(dir, &files));
    for (const auto& file : files) {
      std::string text;
      Status rs = ReadFile(file, &text);
      if (!rs.ok()) {
        problems->push_back(rs.message());
        continue;
      }
      pipeline::ParseOptions opts = base;
      opts.file_name = file;
      pipeline::Pipeline p;
      std::vector<pipeline::PipelineError> errors;
      if (!pipeline::ParsePipeline(text, opts, &p, &errors)) {
        for (const auto& e : errors) problems->push_back(e.ToString());
        continue;
      }
      auto [it, fresh] = seen.emplace(p.name, file);
      if (!fresh) {
        problems->push_back(file + ": pipeline name '" + p.name + "' is already used by " +
                            it->second + "; skipped");
        continue;
      }
      registry::PipelineRecord rec;
      rec.name = p.name;
      rec.definition = text;
      rec.definition_sha256 = Sha256Hex(text);
      rec.source_dir = AbsolutePath(DirName(file));
      MLOPS_RETURN_IF_ERROR(store_->UpsertPipeline(&rec));
    }
  }
  return Status::OK();
}

}  // namespace mlops::server
