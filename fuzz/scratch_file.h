// ScratchFile: one file in a private temporary folder that a fuzz target
// rewrites with each input, for parsers that read a path rather than bytes.
// The folder is made once per process (mkdtemp under $TMPDIR or /tmp) and
// removed at exit. Thread-safety: none; libFuzzer calls a target from one
// thread.
#pragma once

#include <string>
#include <string_view>

namespace mlops::fuzz {

class ScratchFile {
 public:
  // `name` is the file's base name inside the folder, e.g. "data.csv".
  explicit ScratchFile(const std::string& name);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's content; aborts if it cannot (a harness fault, not
  // a finding in the parser).
  const std::string& Write(std::string_view bytes);
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace mlops::fuzz
