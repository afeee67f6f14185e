// mlops-git-fetch: phase one of a GitRepository fetch, in a process of its
// own so that the daemon can kill it at the deadline (git_fetch_child.h).
#include "triggers/git_fetch_child.h"

int main(int argc, char** argv) { return mlops::triggers::internal::FetchChildMain(argc, argv); }
