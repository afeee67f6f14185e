// Private to ProcessStageRunner: the thread that owns every stage host and
// fork server of one runner (process_stage_runner.h says what it does).
// process_stage_runner.cc holds the loop, the stops and deadlines and the
// hosts started for one attempt; runner_fork_servers.cc the attempts
// started through fork servers (fork_server_client.h).
//
// Every process and descriptor below belongs to the loop's thread; only
// the request queue is shared (mu_).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <variant>

#include "process/attempt_events.h"
#include "process/fork_server_client.h"
#include "process/log_file_pool.h"
#include "process/process_stage_runner.h"
#include "process/stage_host_process.h"
#include "process/stage_output.h"

namespace mlops {

class ProcessStageRunner::Loop {
 public:
  using Clock = std::chrono::steady_clock;
  struct StartRequest {
    AttemptSpec spec;
  };
  struct CancelRequest {
    int64_t attempt_id;
  };
  struct RetireServersRequest {};
  using Request = std::variant<StartRequest, CancelRequest, RetireServersRequest>;

  Loop(ProcessStageRunnerOptions options, OnFinished on_finished);
  ~Loop();

  void Post(Request request);
  int Running() const { return running_.load(); }

 private:
  struct Attempt {
    AttemptSpec spec;
    HostProcess host;  // pid -1 until a fork server has said which process runs it
    AttemptEvents events;
    std::unique_ptr<StageOutput> output;  // the output pipe, copied into the log
    std::optional<Clock::time_point> deadline;
    std::optional<Clock::time_point> kill_at;  // SIGKILL due; set with SIGTERM
    bool sigkill_sent = false;
    StopReason stop = StopReason::kNone;
    uint64_t server = 0;     // its fork server's key; 0: a stage host of its own
    int pending_signal = 0;  // for the host, once its pid is known
    // A SIGKILL is due but the fork server has not started the attempt: by
    // then the server is taken for stuck and killed.
    std::optional<Clock::time_point> server_kill_at;
    // Its outcome went out when the host reported success (DeliverEarly);
    // the attempt stays until its host has exited, and only to be released.
    bool delivered = false;
  };

  struct Server {
    ForkServerProcess process;
    std::string plugin_path;
    FileIdentity file;
    bool retired = false;  // its plugin file changed: it gets no new attempts
    bool closing = false;  // socket closed on purpose; it exits, idle
    std::deque<uint64_t> starting;                // asked for, not yet started, in order
    std::unordered_map<pid_t, uint64_t> running;  // host pid -> attempt key
    size_t Outstanding() const { return starting.size() + running.size(); }
  };

  // epoll data: key << 3 | what. Key 0 is the wake eventfd.
  enum What : uint64_t {
    kHostExit = 0,
    kEvents = 1,
    kServerSocket = 2,
    kServerExit = 3,
    kOutput = 4
  };
  static uint64_t Tag(uint64_t key, What what) { return key << 3 | what; }

  // process_stage_runner.cc
  void Wake();
  void Run();
  int NextTimeoutMs(Clock::time_point now) const;
  static AttemptOutcome Unstarted(const AttemptSpec& spec, std::string error,
                                  AttemptOutcome::Kind kind = AttemptOutcome::Kind::kStartFailed);
  void StartAttempt(AttemptSpec spec);
  void StartDirect(AttemptSpec spec);
  uint64_t AddAttempt(AttemptSpec spec, const HostProcess& host, uint64_t server);
  void ReadEvents(Attempt& a);
  // Reads the pipe `*fd` until it would block, handing each chunk to
  // `consume`; at its end stops watching it, closes it and sets *fd to -1.
  void DrainPipe(int* fd, const std::function<void(std::string_view)>& consume);
  // Copies what the output pipe holds into the log; stops the attempt
  // when the log cannot be written.
  void ReadOutput(Attempt& a);
  // The output read so far, then the cut note and tail (stage_output.h).
  void FinishOutput(Attempt& a, AttemptOutcome* out);
  // Says in a failed *out that the attempt hit its memory limit, or may have.
  void ExplainMemoryLimit(const Attempt& a, AttemptOutcome* out);
  void DeliverEarly(Attempt& a);
  // The end of an attempt whose host has exited with `wait_status`.
  void Conclude(uint64_t key, int wait_status, const std::string& server_death);
  void Note(const Attempt& a, const std::string& text);
  void SignalHost(Attempt& a, int sig);
  void StopAttempt(Attempt& a, StopReason reason);
  void EnforceDeadlines(Clock::time_point now);
  void Finish(uint64_t key);
  void Release(uint64_t key);
  void Deliver(AttemptOutcome outcome);

  // runner_fork_servers.cc
  void StartServed(AttemptSpec spec);
  // The current server of the plugin file, started if there is none (or
  // the file changed): its key, *fresh when just started; 0 and *error
  // when it could not be started.
  uint64_t ServerFor(const std::string& plugin_path, bool* fresh, Status* error);
  void RetireServer(uint64_t key);
  void CloseServer(uint64_t key);
  void MaybeCloseRetired(uint64_t key);
  void KillServer(uint64_t key);
  void ReadServer(uint64_t key);
  void HandleReply(uint64_t server_key, const stage_protocol::ServeReply& reply, int pidfd);
  void FinishUnstarted(uint64_t key, const std::string& error);
  void ServerExited(uint64_t key);
  void StopServers();

  const ProcessStageRunnerOptions options_;
  const OnFinished on_finished_;
  std::string init_error_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<int> running_{0};

  std::mutex mu_;
  std::deque<Request> requests_;  // guarded by mu_
  bool shutting_down_ = false;    // guarded by mu_

  // Owned by the loop's thread.
  std::unordered_map<uint64_t, std::unique_ptr<Attempt>> attempts_;
  std::unordered_map<int64_t, uint64_t> key_by_id_;
  std::unordered_map<uint64_t, std::unique_ptr<Server>> servers_;
  std::unordered_map<std::string, uint64_t> server_by_plugin_;  // not retired ones
  uint64_t next_key_ = 1;
  Clock::time_point next_sweep_;
  LogFilePool logs_;  // spare stage logs, made while the loop is idle

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace mlops
