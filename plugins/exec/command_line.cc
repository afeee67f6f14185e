#include "command_line.h"

#include <cstring>

namespace mlops::exec {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string ShellSyntaxError(char c, size_t index) {
  return std::string("run: unquoted '") + c + "' at column " + std::to_string(index + 1) +
         " is shell syntax, but `run` is split into argv without a shell; quote it, "
         "or set `shell: true` to run it with /bin/sh -c";
}

}  // namespace

bool SplitCommandLine(std::string_view text, std::vector<std::string>* argv, std::string* error) {
  argv->clear();
  if (text.find('\0') != std::string_view::npos) {
    *error = "run: the command contains a NUL byte";
    return false;
  }
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (IsBlank(c)) {
      if (in_word) argv->push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        *error = "run: unterminated single quote at column " + std::to_string(i + 1);
        return false;
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
    } else if (c == '"') {
      size_t open = i;
      in_word = true;
      for (++i;; ++i) {
        if (i >= text.size()) {
          *error = "run: unterminated double quote at column " + std::to_string(open + 1);
          return false;
        }
        char d = text[i];
        if (d == '"') break;
        if (d == '\\' && i + 1 < text.size() && std::strchr("$`\"\\\n", text[i + 1]) != nullptr) {
          if (text[i + 1] != '\n') word.push_back(text[i + 1]);
          ++i;
        } else if (d == '$' || d == '`') {
          *error = std::string("run: '") + d + "' inside double quotes at column " +
                   std::to_string(i + 1) +
                   " would be expanded by a shell; escape it as \\" + d +
                   ", use single quotes, or set `shell: true`";
          return false;
        } else {
          word.push_back(d);
        }
      }
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        *error = "run: trailing backslash";
        return false;
      }
      if (text[i + 1] != '\n') {
        word.push_back(text[i + 1]);
        in_word = true;
      }
      ++i;
    } else if (std::strchr("|&;<>()`$", c) != nullptr || (c == '#' && !in_word)) {
      *error = ShellSyntaxError(c, i);
      return false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) argv->push_back(std::move(word));
  if (argv->empty()) {
    *error = "run: the command is empty";
    return false;
  }
  return true;
}

std::string JoinCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out.push_back(' ');
    bool plain = !arg.empty() &&
                 arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out.push_back('\'');
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('\'');
  }
  return out;
}

}  // namespace mlops::exec
