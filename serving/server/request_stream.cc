#include "serving/server/request_stream.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace mlops::serving {
namespace {

using nlohmann::json;

// A value as the tree path reads it (ReadFeatureValue): finite, within
// float's range, then narrowed. The SAX parser refuses non-finite numbers
// itself; the check stays for safety.
bool ToFeature(double d, std::vector<float>* out) {
  if (!std::isfinite(d) || std::fabs(d) > std::numeric_limits<float>::max()) return false;
  out->push_back(static_cast<float>(d));
  return true;
}

// What both handlers refuse: every event is a stop (false) unless a
// handler takes it.
struct Refusing {
  bool null() { return false; }
  bool boolean(bool) { return false; }
  bool binary(json::binary_t&) { return false; }
  bool parse_error(size_t, const std::string&, const json::exception&) { return false; }
};

class TfsHandler : public Refusing {
 public:
  TfsHandler(size_t cols, int64_t max_rows, std::vector<float>* x)
      : cols_(cols), max_rows_(static_cast<size_t>(max_rows)), x_(x) {}

  bool number_integer(int64_t v) { return Number(static_cast<double>(v)); }
  bool number_unsigned(uint64_t v) { return Number(static_cast<double>(v)); }
  bool number_float(double v, const std::string&) { return Number(v); }
  bool string(std::string& s) {
    return depth_ == 1 && key_ == Key::kSignature && (s == "serving_default" || s.empty());
  }
  bool start_object(size_t) { return depth_ == 0 && ++depth_ == 1; }
  bool key(std::string& k) {  // only in the body (objects open nowhere else)
    if (k == "signature_name" && !seen_signature_) {
      seen_signature_ = true;
      key_ = Key::kSignature;
      return true;
    }
    if ((k == "instances" || k == "inputs") && !seen_rows_) {
      seen_rows_ = true;
      row_format_ = k == "instances";
      key_ = Key::kRows;
      return true;
    }
    return false;
  }
  bool end_object() { return --depth_ == 0; }
  bool start_array(size_t) {
    if (depth_ == 1 && key_ == Key::kRows) {
      depth_ = 2;
      return true;
    }
    if (depth_ != 2) return false;
    depth_ = 3;
    in_row_ = 0;
    return true;
  }
  bool end_array() {
    if (depth_ == 3) {
      depth_ = 2;
      return in_row_ == cols_ && ++rows_ <= max_rows_;
    }
    depth_ = 1;
    key_ = Key::kNone;
    return true;
  }

  bool Complete() const { return seen_rows_ && rows_ > 0; }
  size_t rows() const { return rows_; }
  bool row_format() const { return row_format_; }

 private:
  enum class Key { kNone, kSignature, kRows };

  bool Number(double d) {
    if (depth_ != 3 || in_row_ == cols_) return false;
    ++in_row_;
    return ToFeature(d, x_);
  }

  const size_t cols_;
  const size_t max_rows_;
  std::vector<float>* x_;
  int depth_ = 0;
  Key key_ = Key::kNone;
  bool seen_signature_ = false, seen_rows_ = false, row_format_ = false;
  size_t in_row_ = 0, rows_ = 0;
};

class OipHandler : public Refusing {
 public:
  explicit OipHandler(OipStreamedRequest* out) : out_(out) {}

  bool number_integer(int64_t v) { return Number(static_cast<double>(v), true, v); }
  bool number_unsigned(uint64_t v) {
    return v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
           Number(static_cast<double>(v), true, static_cast<int64_t>(v));
  }
  bool number_float(double v, const std::string&) { return Number(v, false, 0); }
  bool string(std::string& s) {
    if (depth_ == 1 && key_ == Key::kId) {
      out_->id = std::move(s);
      return true;
    }
    if (depth_ != 3) return false;
    if (key_ == Key::kName) return s == "features";
    if (key_ != Key::kDatatype) return false;
    out_->datatype = std::move(s);
    return out_->datatype == "FP32" || out_->datatype == "FP64" || out_->datatype == "INT64";
  }
  bool start_object(size_t) {
    if (depth_ == 0 || (depth_ == 2 && tensors_++ == 0)) {
      ++depth_;
      return true;
    }
    return false;
  }
  bool key(std::string& k) {  // in the body (depth 1) or the tensor (depth 3)
    const auto take = [&](Key which) {
      const unsigned bit = 1u << static_cast<unsigned>(which);
      if (seen_ & bit) return false;
      seen_ |= bit;
      key_ = which;
      return true;
    };
    if (depth_ == 1) {
      if (k == "id") return take(Key::kId);
      if (k == "inputs") return take(Key::kInputs);
      return false;
    }
    if (k == "name") return take(Key::kName);
    if (k == "datatype") return take(Key::kDatatype);
    if (k == "shape") return take(Key::kShape);
    if (k == "data") return take(Key::kData);
    return false;
  }
  bool end_object() {
    depth_ -= 1;
    return true;
  }
  bool start_array(size_t) {
    if (depth_ == 1 && key_ == Key::kInputs) {
      depth_ = 2;
      return true;
    }
    if (depth_ == 3 && (key_ == Key::kShape || key_ == Key::kData)) {
      depth_ = 4;
      nested_ = 1;
      return true;
    }
    // 'data' may nest lists three deep (row-major), as the tree path allows.
    return depth_ == 4 && key_ == Key::kData && ++nested_ <= 3;
  }
  bool end_array() {
    if (depth_ == 4) {
      if (--nested_ > 0) return true;
      depth_ = 3;
      return key_ != Key::kShape || dims_ == 2;
    }
    depth_ = 1;
    return true;
  }

  bool Complete() const {
    return tensors_ == 1 && (seen_ & 0x3eu) == 0x3eu;  // inputs, name, datatype, shape, data
  }

 private:
  enum class Key { kId, kInputs, kName, kDatatype, kShape, kData, kNone };

  bool Number(double d, bool integer, int64_t i) {
    if (depth_ != 4) return false;
    if (key_ == Key::kShape) {
      if (!integer || dims_ == 2) return false;
      out_->shape[dims_++] = i;
      return true;
    }
    out_->integral = out_->integral && integer;
    return ToFeature(d, &out_->data);
  }

  OipStreamedRequest* out_;
  int depth_ = 0;
  Key key_ = Key::kNone;
  unsigned seen_ = 0;
  int tensors_ = 0, nested_ = 0, dims_ = 0;
};

}  // namespace

bool StreamTfsPredict(std::string_view body, size_t cols, int64_t max_rows, PredictInput* in,
                      bool* row_format) {
  in->x.clear();
  TfsHandler handler(cols, max_rows, &in->x);
  if (!json::sax_parse(body.begin(), body.end(), &handler) || !handler.Complete()) return false;
  in->rows = handler.rows();
  in->cols = cols;
  *row_format = handler.row_format();
  return true;
}

bool StreamOipInfer(std::string_view body, OipStreamedRequest* out) {
  OipHandler handler(out);
  return json::sax_parse(body.begin(), body.end(), &handler) && handler.Complete();
}

bool OipStreamedRequest::TakeInput(size_t cols, int64_t max_rows, PredictInput* in) {
  if (shape[1] != static_cast<int64_t>(cols) || shape[0] < 1 || shape[0] > max_rows) return false;
  if (data.size() != static_cast<size_t>(shape[0]) * cols) return false;
  if (datatype == "INT64" && !integral) return false;
  in->rows = static_cast<size_t>(shape[0]);
  in->cols = cols;
  in->x = std::move(data);
  return true;
}

}  // namespace mlops::serving
