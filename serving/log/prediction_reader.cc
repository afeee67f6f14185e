#include "log/prediction_reader.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <tuple>

#include "log/segment_files.h"
#include "mlops/common/files.h"

namespace mlops::serving {
namespace {

// A record can be written into the segment after the one its request
// arrived in (requests finish out of order); no request takes this long.
constexpr int64_t kSegmentOverlapMs = 60'000;

struct Segment {
  int64_t started = 0, seq = 0;
  std::string name;
  bool operator<(const Segment& o) const { return std::tie(started, seq) < std::tie(o.started, o.seq); }
};

// "<segment name>:<offset>".
bool ParseCursor(const std::string& text, Segment* seg, int64_t* offset) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  seg->name = text.substr(0, colon);
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data() + colon + 1, end, *offset);
  return r.ec == std::errc() && r.ptr == end && *offset >= 0 &&
         ParseSegmentName(seg->name, &seg->started, &seg->seq);
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Status ReadPredictions(const std::string& root, const PredictionQuery& q, PredictionPage* page) {
  *page = PredictionPage{};
  if (!IsLoggableModelName(q.model))
    return Status::InvalidArgument("model name \"" + q.model +
                                   "\": expected letters, digits, '.', '_' or '-'");
  if (q.limit < 1) return Status::InvalidArgument("limit must be at least 1");
  Segment cursor;
  int64_t cursor_offset = 0;
  if (!q.after.empty() && !ParseCursor(q.after, &cursor, &cursor_offset))
    return Status::InvalidArgument("cursor \"" + q.after + "\" is not one a page returned");

  const std::string dir = JoinPath(root, q.model);
  PosixSegmentFiles files;
  std::vector<SegmentFiles::Entry> entries;
  MLOPS_RETURN_IF_ERROR(files.List(dir, &entries));
  std::vector<Segment> segments;
  for (auto& e : entries) {
    Segment s;
    if (!e.is_dir && ParseSegmentName(e.name, &s.started, &s.seq)) {
      s.name = std::move(e.name);
      segments.push_back(std::move(s));
    }
  }
  std::sort(segments.begin(), segments.end());

  size_t first = 0;
  if (!q.after.empty()) {
    first = std::lower_bound(segments.begin(), segments.end(), cursor) - segments.begin();
  } else {
    while (first + 1 < segments.size() && segments[first + 1].started + kSegmentOverlapMs < q.since_ms)
      ++first;
  }
  for (size_t i = first; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    const int64_t skip_to = (!q.after.empty() && seg.name == cursor.name) ? cursor_offset : 0;
    std::ifstream in(JoinPath(dir, seg.name), std::ios::binary);
    if (!in) continue;  // dropped by the writer's bounds meanwhile
    std::map<int64_t, std::shared_ptr<const PredictionSchema>> schemas;
    std::string line, error;
    int64_t offset = 0;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline: being written, or torn by a crash
      const bool header = offset == 0;
      offset += static_cast<int64_t>(line.size()) + 1;
      if (header) {
        // Another format version (or not a segment): the whole file is skipped.
        SegmentLine h;
        if (DecodeSegmentLine(line, &h, &error) && h.type == SegmentLine::Type::kSegment) continue;
        ++page->skipped_lines;
        break;
      }
      const bool schema_line = StartsWith(line, "{\"type\":\"schema\"");
      if (offset <= skip_to && !schema_line) continue;
      SegmentLine decoded;
      if (!DecodeSegmentLine(line, &decoded, &error)) {
        if (offset > skip_to) ++page->skipped_lines;
        continue;
      }
      if (decoded.type == SegmentLine::Type::kSchema) {
        schemas[decoded.version] = std::make_shared<const PredictionSchema>(std::move(decoded.schema));
        continue;
      }
      if (decoded.type != SegmentLine::Type::kPrediction) continue;
      PredictionRecord& r = decoded.record;
      if (r.time_ms < q.since_ms || (q.version != 0 && r.version != q.version)) continue;
      auto schema = schemas.find(r.version);
      if (schema == schemas.end()) {
        ++page->skipped_lines;  // its schema line was lost
        continue;
      }
      r.schema = schema->second;
      page->records.push_back(std::move(r));
      if (page->records.size() >= q.limit) {
        page->next_cursor = seg.name + ":" + std::to_string(offset);
        return Status::OK();
      }
    }
  }
  return Status::OK();
}

}  // namespace mlops::serving
