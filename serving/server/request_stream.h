// The common, well-formed predict bodies of the two protocols, read in one
// pass with nlohmann's SAX interface straight into a feature buffer: no
// JSON tree, no allocation per value. A reader accepts only bodies that the
// tree path (request_json.h and the route files) accepts with the same
// features. For anything else it returns false and the caller reads the
// body with the tree path, which owns every refusal and its message: bad
// JSON, the TF-Serving dialect's NaN/Infinity tokens, {"b64": ...} values,
// a value out of float's range, repeated keys, wrong shapes or datatypes,
// too many or no rows, and the rarer accepted forms (scalar rows, a
// {"features": ...} object, requested outputs, parameters).
// Thread-safety: pure functions; a OipStreamedRequest belongs to one request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serving/server/predictor.h"

namespace mlops::serving {

// A TF-Serving predict body {"signature_name"?, "instances"|"inputs": a list
// of rows of `cols` numbers}; *row_format says which of the two it was.
bool StreamTfsPredict(std::string_view body, size_t cols, int64_t max_rows, PredictInput* in,
                      bool* row_format);

// An Open Inference Protocol infer body {"id"?, "inputs": [one tensor with
// name "features", datatype, shape [rows, cols] and data]}. The model is not
// known while the body is read (the id routes the request), so the tensor
// is checked against it afterwards with TakeInput.
struct OipStreamedRequest {
  std::optional<std::string> id;
  std::string datatype;
  int64_t shape[2] = {-1, -1};
  std::vector<float> data;
  bool integral = true;  // every value was a JSON integer

  // Whether the tensor fits a model of `cols` features and at most
  // `max_rows` rows; moves the features into *in when it does.
  bool TakeInput(size_t cols, int64_t max_rows, PredictInput* in);
};

bool StreamOipInfer(std::string_view body, OipStreamedRequest* out);

}  // namespace mlops::serving
