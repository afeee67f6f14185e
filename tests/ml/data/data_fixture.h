// Helpers for the data layer tests: fixture files in a temp folder, and
// loading a data spec given as JSON text with paths relative to it.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "data/csv_loader.h"
#include "data/data_spec.h"
#include "mlops/common/files.h"
#include "temp_dir.h"

namespace mlops::ml::testing {

class DataTest : public ::testing::Test {
 protected:
  // Writes `text` to NAME in the temp folder; returns the full path.
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.Join(name);
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }
  std::string WriteGzip(const std::string& name, const std::string& text) {
    const std::string path = dir_.Join(name);
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    EXPECT_EQ(gzclose(f), Z_OK);
    return path;
  }
  // Loads the spec `json_text`; its relative paths name files in the temp folder.
  Status Load(const std::string& json_text, Dataset* out) {
    DataSpec spec;
    MLOPS_RETURN_IF_ERROR(ParseDataSpec(nlohmann::json::parse(json_text), dir_.path(), &spec));
    return LoadDataset(spec, out);
  }
  // The message of a load that must fail, "" if it succeeded.
  std::string LoadError(const std::string& json_text) {
    Dataset d;
    Status s = Load(json_text, &d);
    return s.ok() ? "" : s.message();
  }
  std::string P(const std::string& name) const { return dir_.Join(name); }

  mlops::testing::TempDir dir_;
};

}  // namespace mlops::ml::testing
