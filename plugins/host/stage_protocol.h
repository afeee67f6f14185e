// The wire protocol between the daemon (ProcessStageRunner, PluginCatalog)
// and the stage host `mlops-stage`. Both sides include this header, so a
// field renamed here is renamed on both.
//
// Command lines:
//   mlops-stage --describe PLUGIN.so
//     stdout: one JSON line {"name","version","abi_major","abi_minor"};
//     any failure: a message on stderr and a non-zero exit (kExitLoadFailed).
//   mlops-stage --plugin PLUGIN.so --spec SPEC.json
//   mlops-stage --plugin PLUGIN.so --spec-fd 4
//     runs one attempt; events go to fd kEventFd; log lines to stdout only
//     (the stage log), never as events: the daemon need not wake for them.
//     The runner passes the spec as a sealed memfd on fd kSpecFd (creating
//     a file per attempt costs more than the rest of an exec stage on
//     ext4); --spec FILE is for running a stage by hand.
//   mlops-stage --plugin PLUGIN.so --spec-fd 4 --parent PID
//     the same, for the daemon process PID: the host ends the attempt when
//     PID dies (parent_watch.h).
//   mlops-stage --serve PLUGIN.so --parent PID
//     a fork server for one plugin file, whose children each run one
//     attempt as above: fork_server_protocol.h.
//
// Spec (a JSON object, written by the runner, read once by the host):
//   {"attempt_id": 7, "params_json": "<JSON object text>",
//    "inputs": [{"name": "data.csv", "path": "/abs/data.csv"}],
//    "work_dir": "/abs", "scratch_dir": "/abs", "env": {"K": "V"},
//    "kill_grace_ms": 5000, "memory_limit_bytes": 67108864,
//    "cgroup": "/sys/fs/cgroup/.../attempt-7"}
//   kill_grace_ms: how long a host (or fork server) whose daemon died waits
//   between SIGTERM and SIGKILL of the attempt's process group.
//   memory_limit_bytes (0 or absent: none) and cgroup (absent: none): the
//   host joins the cgroup, which the daemon made with that memory.max,
//   before it loads or runs plugin code; with no cgroup it sets
//   RLIMIT_DATA to the limit instead (docs/limits.md).
//
// Events: one JSON object per line, each with "type":
//   progress {fraction, message}
//   metric   {key, value, step, time_ms}
//   artifact {name, path (absolute), media_type}
//   param    {key, value (JSON text)}
//   result   {status: "OK"|"ERROR"|"CANCELLED"|"BAD_PARAMS", error}
// `result` is sent exactly once, last, by a host that ends normally; a host
// that exits without it has failed whatever its exit code.
#pragma once

#include <cstddef>

namespace mlops::stage_protocol {

inline constexpr int kEventFd = 3;
inline constexpr int kSpecFd = 4;

inline constexpr char kDescribeFlag[] = "--describe";
inline constexpr char kPluginFlag[] = "--plugin";
inline constexpr char kSpecFlag[] = "--spec";
inline constexpr char kSpecFdFlag[] = "--spec-fd";

// Exit codes of mlops-stage.
inline constexpr int kExitOk = 0;           // result OK was sent
inline constexpr int kExitStageFailed = 1;  // result other than OK was sent
inline constexpr int kExitUsage = 2;        // bad command line or spec file
inline constexpr int kExitLoadFailed = 3;   // plugin could not be loaded

// Environment variable set on every stage host, inherited by everything the
// plugin starts; it names the attempt a process belongs to.
inline constexpr char kAttemptEnv[] = "MLOPS_ATTEMPT_ID";

inline constexpr char kResultOk[] = "OK";

// The most bytes of a result's error text the host sends; a longer one is
// cut (its start kept, the cut said) so that the result line stays well
// under the daemon's line limit (AttemptEvents::kMaxLineBytes) even with
// every byte escaped in JSON.
inline constexpr size_t kMaxErrorBytes = 64 * 1024;

}  // namespace mlops::stage_protocol
