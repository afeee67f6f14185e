#include "log/prediction_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

constexpr auto kWarnEvery = std::chrono::minutes(1);
// The writer wakes at least this often to apply the age bound.
constexpr auto kHousekeeping = std::chrono::seconds(1);

// Segments ordered oldest first: by start, then sequence.
using SegmentKey = std::tuple<int64_t, int64_t, std::string>;  // started_ms, seq, model
struct SegmentInfo {
  int64_t bytes = 0;
  int64_t newest_ms = 0;
};

struct ModelState {
  std::optional<SegmentKey> current;  // the segment appended to; none: start one
  int64_t current_opened_ms = 0;
  std::set<int64_t> schema_written;   // versions with a schema line in `current`
};

}  // namespace

struct PredictionLog::State {
  std::string root;
  PredictionLogOptions opt;
  SystemClock system_clock;
  PosixSegmentFiles posix_files;
  Clock* clock = nullptr;
  SegmentFiles* files = nullptr;
  std::atomic<bool> running{false};

  std::mutex admit_mu;  // protects the sampler and the bucket
  std::mt19937_64 rng{std::random_device{}()};
  double tokens = 0;
  TimePoint refilled{};

  std::mutex mu;  // protects the queue and the flush counters
  std::condition_variable wake, flushed;
  std::deque<PredictionRecord> queue;
  size_t queued_bytes = 0;
  bool stopping = false;
  uint64_t flush_asked = 0, flush_done = 0;
  std::thread writer;

  // Admission counts (admitted, sampled_out, rate_limited): admit_mu.
  PredictionLogStats admission;
  // What the writer published at the end of its last pass, and the
  // records Offer dropped: mu.
  PredictionLogStats published;
  int64_t queue_full = 0, invalid = 0;

  // The writer's own (no lock: only its thread touches them after Start).
  PredictionLogStats w;  // its counters, published after each pass
  std::map<SegmentKey, SegmentInfo> segments;
  int64_t total_bytes = 0;
  int64_t next_seq = 1;
  std::unordered_map<std::string, ModelState> models;
  bool failing = false;
  int64_t dropped_since_warn = 0;  // since the last warning
  int64_t dropped_while_failing = 0;
  TimePoint last_warn{};

  int64_t SegmentBytes() const {
    if (opt.segment_bytes > 0) return opt.segment_bytes;
    return std::clamp<int64_t>((opt.max_size_mb << 20) / 16, 64 << 10, 64 << 20);
  }
  std::string PathOf(const SegmentKey& k) const {
    return JoinPath(JoinPath(root, std::get<2>(k)), SegmentName(std::get<0>(k), std::get<1>(k)));
  }

  Status Index();
  void Run();
  void WriteModel(const std::string& model, const std::vector<PredictionRecord*>& records);
  void Drop(std::map<SegmentKey, SegmentInfo>::iterator it);
  void ApplyBounds();
  void NoteFailure(const Status& s, int64_t records);
  // REQUIRES: mu held, or the writer not started.
  void Publish() {
    w.bytes = total_bytes;
    w.segments = static_cast<int64_t>(segments.size());
    published = w;
  }
};

PredictionLog::PredictionLog(std::string root, PredictionLogOptions options, Clock* clock,
                             SegmentFiles* files)
    : state_(std::make_unique<State>()) {
  state_->root = std::move(root);
  state_->opt = options;
  state_->clock = clock ? clock : &state_->system_clock;
  state_->files = files ? files : &state_->posix_files;
}

PredictionLog::~PredictionLog() { Stop(); }

Status PredictionLog::Start() {
  State& s = *state_;
  if (!s.opt.enabled) return Status::OK();
  MLOPS_RETURN_IF_ERROR(CheckPredictionLogOptions(s.opt));
  MLOPS_RETURN_IF_ERROR(s.Index());
  s.tokens = static_cast<double>(s.opt.max_rows_per_second);
  s.refilled = s.clock->Now();
  s.running = true;
  s.writer = std::thread([&s] { s.Run(); });
  return Status::OK();
}

void PredictionLog::Stop() {
  State& s = *state_;
  if (!s.writer.joinable()) return;
  s.running = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.stopping = true;
  }
  s.wake.notify_all();
  s.writer.join();
}

bool PredictionLog::Admit(size_t rows) {
  State& s = *state_;
  if (!s.running) return false;
  std::lock_guard<std::mutex> lock(s.admit_mu);
  if (s.opt.sample_rate < 1.0 &&
      !(std::uniform_real_distribution<double>(0.0, 1.0)(s.rng) < s.opt.sample_rate)) {
    ++s.admission.sampled_out;
    return false;
  }
  if (s.opt.max_rows_per_second > 0) {
    const double rate = static_cast<double>(s.opt.max_rows_per_second);
    const TimePoint now = s.clock->Now();
    if (now > s.refilled) {
      s.tokens = std::min(rate, s.tokens + rate * static_cast<double>((now - s.refilled).count()) / 1000.0);
      s.refilled = now;
    }
    if (s.tokens < 1.0) {
      ++s.admission.rate_limited;
      return false;
    }
    s.tokens -= static_cast<double>(rows);
  }
  ++s.admission.admitted;
  return true;
}

void PredictionLog::Offer(PredictionRecord record) {
  State& s = *state_;
  if (!s.running) return;
  if (!IsLoggableModelName(record.model) || !CheckPredictionRecord(record).empty()) {
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.invalid;
    return;
  }
  const size_t bytes = record.FootprintBytes();
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping) return;
    if (s.queue.size() >= s.opt.queue_records || s.queued_bytes + bytes > s.opt.queue_bytes) {
      ++s.queue_full;
      return;
    }
    was_empty = s.queue.empty();
    s.queue.push_back(std::move(record));
    s.queued_bytes += bytes;
  }
  if (was_empty) s.wake.notify_one();
}

void PredictionLog::Flush() {
  State& s = *state_;
  if (!s.running) return;
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.stopping) return;
  const uint64_t ticket = ++s.flush_asked;
  s.wake.notify_one();
  s.flushed.wait(lock, [&] { return s.flush_done >= ticket || s.stopping; });
}

PredictionLogStats PredictionLog::Stats() const {
  State& s = *state_;
  PredictionLogStats out;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    out = s.published;
    out.queue_full = s.queue_full;
    out.invalid = s.invalid;
  }
  std::lock_guard<std::mutex> lock(s.admit_mu);
  out.admitted = s.admission.admitted;
  out.sampled_out = s.admission.sampled_out;
  out.rate_limited = s.admission.rate_limited;
  return out;
}

Status PredictionLog::State::Index() {
  MLOPS_RETURN_IF_ERROR(files->MakeDirs(root));
  std::vector<SegmentFiles::Entry> dirs, entries;
  MLOPS_RETURN_IF_ERROR(files->List(root, &dirs));
  for (const auto& d : dirs) {
    if (!d.is_dir || !IsLoggableModelName(d.name)) continue;
    if (!files->List(JoinPath(root, d.name), &entries).ok()) continue;
    for (const auto& e : entries) {
      int64_t started = 0, seq = 0;
      if (e.is_dir || !ParseSegmentName(e.name, &started, &seq)) continue;
      segments[{started, seq, d.name}] = SegmentInfo{e.bytes, e.mtime_ms};
      total_bytes += e.bytes;
      next_seq = std::max(next_seq, seq + 1);
    }
  }
  Publish();
  return Status::OK();
}

void PredictionLog::State::Run() {
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    wake.wait_for(lock, kHousekeeping,
                  [&] { return !queue.empty() || stopping || flush_asked > flush_done; });
    std::deque<PredictionRecord> batch;
    batch.swap(queue);
    queued_bytes = 0;
    const uint64_t ticket = flush_asked;
    const bool last = stopping;
    lock.unlock();

    // Grouped by model, in the order offered.
    std::vector<std::string> order;
    std::unordered_map<std::string, std::vector<PredictionRecord*>> by_model;
    for (PredictionRecord& r : batch) {
      auto& list = by_model[r.model];
      if (list.empty()) order.push_back(r.model);
      list.push_back(&r);
    }
    for (const std::string& model : order) WriteModel(model, by_model[model]);
    ApplyBounds();

    lock.lock();
    Publish();
    flush_done = std::max(flush_done, ticket);
    flushed.notify_all();
    if (last && queue.empty()) return;
  }
}

void PredictionLog::State::WriteModel(const std::string& model,
                                      const std::vector<PredictionRecord*>& records) {
  ModelState& m = models[model];
  const int64_t now_ms = clock->WallMillis();
  if (m.current) {
    auto it = segments.find(*m.current);
    if (it == segments.end() || it->second.bytes >= SegmentBytes() ||
        now_ms - m.current_opened_ms >= opt.segment_duration.count())
      m.current.reset();
  }
  const bool fresh = !m.current;
  SegmentKey key = fresh ? SegmentKey{records.front()->time_ms, next_seq, model} : *m.current;
  std::string data;
  if (fresh) data = EncodeSegmentHeader(model, std::get<0>(key));
  std::set<int64_t> schemas = fresh ? std::set<int64_t>{} : m.schema_written;
  int64_t rows = 0, newest = 0;
  for (const PredictionRecord* r : records) {
    if (schemas.insert(r->version).second) data += EncodeSchemaLine(model, r->version, *r->schema);
    data += EncodePredictionLine(*r);
    rows += static_cast<int64_t>(r->rows);
    newest = std::max(newest, r->time_ms);
  }
  const std::string path = PathOf(key);
  Status st = fresh ? files->MakeDirs(JoinPath(root, model)) : Status::OK();
  if (st.ok()) st = files->Append(path, data);
  if (!st.ok()) {
    // The next write starts a new segment; a new one left empty goes.
    if (fresh) (void)files->Remove(path);
    m.current.reset();
    NoteFailure(st, static_cast<int64_t>(records.size()));
    return;
  }
  if (fresh) {
    ++next_seq;
    m.current = key;
    m.current_opened_ms = now_ms;
  }
  SegmentInfo& info = segments[key];
  info.bytes += static_cast<int64_t>(data.size());
  info.newest_ms = std::max(info.newest_ms, newest);
  total_bytes += static_cast<int64_t>(data.size());
  m.schema_written = std::move(schemas);
  w.written_records += static_cast<int64_t>(records.size());
  w.written_rows += rows;
  if (failing) {
    spdlog::info("prediction log: writing again ({} records were dropped)",
                 dropped_while_failing);
    failing = false;
    dropped_since_warn = 0;
    dropped_while_failing = 0;
  }
}

void PredictionLog::State::Drop(std::map<SegmentKey, SegmentInfo>::iterator it) {
  const SegmentKey key = it->first;
  if (Status st = files->Remove(PathOf(key)); !st.ok())
    spdlog::warn("prediction log: {}", st.ToString());
  total_bytes -= it->second.bytes;
  segments.erase(it);
  ++w.segments_dropped;
  auto m = models.find(std::get<2>(key));
  if (m != models.end() && m->second.current == key) m->second.current.reset();
}

void PredictionLog::State::ApplyBounds() {
  if (opt.max_age.count() > 0) {
    const int64_t oldest_kept = clock->WallMillis() - opt.max_age.count();
    for (auto it = segments.begin(); it != segments.end();) {
      auto next = std::next(it);
      if (it->second.newest_ms < oldest_kept) Drop(it);
      it = next;
    }
  }
  const int64_t max_bytes = opt.max_size_mb << 20;
  while (total_bytes > max_bytes && !segments.empty()) Drop(segments.begin());
}

void PredictionLog::State::NoteFailure(const Status& s, int64_t records) {
  w.write_failed += records;
  dropped_since_warn += records;
  dropped_while_failing += records;
  const TimePoint now = clock->Now();
  if (failing && now - last_warn < kWarnEvery) return;
  spdlog::warn("prediction log: {} records dropped, serving goes on: {}", dropped_since_warn,
               s.ToString());
  failing = true;
  last_warn = now;
  dropped_since_warn = 0;
}

}  // namespace mlops::serving
