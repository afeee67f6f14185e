#include "pipeline/command_line.h"

#include <cstring>

namespace mlops::pipeline {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsShellSyntax(char c, bool word_start) {
  if (std::strchr("|&;<>()$`*?", c) != nullptr) return true;
  return word_start && (c == '#' || c == '~');
}

}  // namespace

bool SplitCommandLine(const std::string& line, std::vector<std::string>* argv, std::string* error) {
  argv->clear();
  std::string word;
  bool in_word = false;  // a word has started, even if still empty ("")
  size_t i = 0;
  const size_t n = line.size();
  while (i < n) {
    const char c = line[i];
    if (IsBlank(c)) {
      if (in_word) argv->push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      const size_t close = line.find('\'', i + 1);
      if (close == std::string::npos) {
        *error = "unterminated single quote";
        return false;
      }
      word.append(line, i + 1, close - i - 1);
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      ++i;
      while (i < n && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < n && std::strchr("$`\"\\\n", line[i + 1]) != nullptr) {
          if (line[i + 1] != '\n') word += line[i + 1];
          i += 2;
        } else {
          word += line[i++];
        }
      }
      if (i == n) {
        *error = "unterminated double quote";
        return false;
      }
      in_word = true;
      ++i;
    } else if (c == '\\') {
      if (i + 1 == n) {
        *error = "a backslash ends the line";
        return false;
      }
      if (line[i + 1] != '\n') word += line[i + 1];
      in_word = in_word || line[i + 1] != '\n';
      i += 2;
    } else if (IsShellSyntax(c, !in_word)) {
      *error =
          std::string("shell syntax '") + c + "' needs 'shell: true' (or quote it, or use 'argv')";
      return false;
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) argv->push_back(std::move(word));
  if (argv->empty()) {
    *error = "empty command";
    return false;
  }
  return true;
}

}  // namespace mlops::pipeline
