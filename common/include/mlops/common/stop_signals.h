// SIGTERM and SIGINT for a long-running program (mlopsd, mlops-serve): they
// are blocked in every thread (call BlockStopSignals before starting any)
// and one thread waits for them; SIGPIPE is ignored, so a client gone
// mid-answer is a write error, not the end of the process.
// Thread-safety: BlockStopSignals once, from main, before other threads.
#pragma once

#include <signal.h>

namespace mlops {

sigset_t BlockStopSignals();
// Waits for one of `signals`; returns its number.
int WaitForStopSignal(const sigset_t& signals);
// "SIGTERM" or "SIGINT".
const char* StopSignalName(int sig);

}  // namespace mlops
