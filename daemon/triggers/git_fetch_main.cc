// mlops-git-fetch: phase one of a GitRepository fetch, in a process of its
// own so that the daemon can kill it at the deadline (git_fetch_child.h).
#include "triggers/git_fetch_child.h"

// libgit2 1.5 leaks the PCRE2 match data of some regex matches (no live
// object holds them). Under LeakSanitizer that would turn every fetch of a
// sanitizer build into a failure; only that library's leaks are ignored.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpcre2-8.so\n"; }

int main(int argc, char** argv) { return mlops::triggers::internal::FetchChildMain(argc, argv); }
