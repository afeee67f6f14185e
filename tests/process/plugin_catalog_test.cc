// PluginCatalog over real folders, described by the real stage host.
#include "process/plugin_catalog.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "process/attempt_harness.h"

namespace mlops {
namespace {

class PluginCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_ = dir_ / "plugins";
    ASSERT_TRUE(MakeDirs(plugins_, 0755).ok());
    ::chmod(plugins_.c_str(), 0755);
  }

  // Copies a built plugin into the plugin folder under `file_name`.
  std::string Add(const std::string& from, const std::string& file_name, mode_t mode = 0755) {
    std::string to = plugins_ + "/" + file_name;
    EXPECT_TRUE(CopyFile(from, to).ok());
    ::chmod(to.c_str(), mode);
    return to;
  }

  PluginCatalog Scan() { return PluginCatalog::Scan({plugins_}, MLOPS_STAGE_HOST_PATH); }

  testing::TempDir dir_;
  std::string plugins_;
};

TEST_F(PluginCatalogTest, DescribesAndPinsEveryGoodPlugin) {
  std::string exec = Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  Add(testing::FixturePath("reporter"), "reporter.so");
  ::mkdir((plugins_ + "/not-a-plugin.txt").c_str(), 0755);
  PluginCatalog catalog = Scan();
  EXPECT_TRUE(catalog.rejected().empty()) << catalog.rejected()[0].error;
  ASSERT_EQ(catalog.plugins().size(), 2u);
  PluginInfo info;
  ASSERT_TRUE(catalog.Find("exec", &info).ok());
  EXPECT_EQ(info.version, "1.0.0");
  EXPECT_EQ(info.abi_major, 1);
  EXPECT_EQ(info.abi_minor, 0);
  EXPECT_EQ(info.path, exec);
  std::string digest;
  uint64_t size = 0;
  ASSERT_TRUE(Sha256File(exec, &digest, &size).ok());
  EXPECT_EQ(info.sha256, digest);
  EXPECT_TRUE(catalog.Find("reporter", &info).ok());
}

TEST_F(PluginCatalogTest, UnchangedPluginsComeFromTheDescriptionCache) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  std::string reporter = Add(testing::FixturePath("reporter"), "reporter.so");
  Add(testing::FixturePath("reporter"), "bad.so", 0775);
  PluginScanOptions options;
  options.cache_file = dir_ / "descriptions.json";
  options.racy_window = std::chrono::milliseconds(0);
  PluginCatalog first = PluginCatalog::Scan({plugins_}, MLOPS_STAGE_HOST_PATH, options);
  EXPECT_EQ(first.described(), 2);
  ASSERT_EQ(first.plugins().size(), 2u);
  PluginCatalog second = PluginCatalog::Scan({plugins_}, MLOPS_STAGE_HOST_PATH, options);
  EXPECT_EQ(second.described(), 0);
  ASSERT_EQ(second.plugins().size(), 2u);
  for (const auto& [name, info] : first.plugins()) {
    const PluginInfo& again = second.plugins().at(name);
    EXPECT_EQ(again.sha256, info.sha256);
    EXPECT_EQ(again.version, info.version);
    EXPECT_EQ(again.path, info.path);
    EXPECT_EQ(again.abi_major, info.abi_major);
  }
  ASSERT_EQ(second.rejected().size(), 1u) << "a refusal is never cached";
  // A replaced file is described again; so is everything after a garbled cache.
  ASSERT_TRUE(CopyFile(MLOPS_EXEC_PLUGIN_PATH, reporter).ok());
  PluginCatalog third = PluginCatalog::Scan({plugins_}, MLOPS_STAGE_HOST_PATH, options);
  EXPECT_EQ(third.described(), 1);
  EXPECT_EQ(third.plugins().size(), 0u) << "two plugins named exec";
  ASSERT_TRUE(WriteFileAtomic(options.cache_file, "{not json").ok());
  EXPECT_EQ(PluginCatalog::Scan({plugins_}, MLOPS_STAGE_HOST_PATH, options).described(), 2);
}

TEST_F(PluginCatalogTest, GroupWritablePluginIsRefusedWithItsMode) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  std::string bad = Add(testing::FixturePath("reporter"), "reporter.so", 0775);
  PluginCatalog catalog = Scan();
  ASSERT_EQ(catalog.rejected().size(), 1u);
  EXPECT_EQ(catalog.rejected()[0].path, bad);
  EXPECT_NE(catalog.rejected()[0].error.find(bad), std::string::npos);
  EXPECT_NE(catalog.rejected()[0].error.find("mode 0775"), std::string::npos)
      << catalog.rejected()[0].error;
  PluginInfo info;
  EXPECT_TRUE(catalog.Find("exec", &info).ok());
  Status s = catalog.Find("reporter", &info);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find("mode 0775"), std::string::npos) << s.message();
}

TEST_F(PluginCatalogTest, OtherWritableDirectoryIsRefusedWhole) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  ::chmod(plugins_.c_str(), 0777);
  PluginCatalog catalog = Scan();
  EXPECT_TRUE(catalog.plugins().empty());
  ASSERT_EQ(catalog.rejected().size(), 1u);
  EXPECT_EQ(catalog.rejected()[0].path, plugins_);
  EXPECT_NE(catalog.rejected()[0].error.find("mode 0777"), std::string::npos);
}

TEST_F(PluginCatalogTest, BadAbiAndMissingEntryAreListedAsBad) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  std::string wrong = Add(testing::FixturePath("wrong_abi"), "wrong_abi.so");
  std::string no_entry = Add(testing::FixturePath("no_entry"), "no_entry.so");
  PluginCatalog catalog = Scan();
  EXPECT_EQ(catalog.plugins().size(), 1u);
  ASSERT_EQ(catalog.rejected().size(), 2u);
  EXPECT_EQ(catalog.rejected()[0].path, no_entry);
  EXPECT_EQ(catalog.rejected()[0].error,
            "plugin " + no_entry + " does not export the entry symbol 'mlops_plugin_entry'");
  EXPECT_EQ(catalog.rejected()[1].path, wrong);
  EXPECT_EQ(catalog.rejected()[1].error,
            "plugin " + wrong + " was built for ABI 2, this host speaks ABI 1");
}

TEST_F(PluginCatalogTest, DuplicateNamesAreAllRefused) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec-copy.so");
  Add(testing::FixturePath("reporter"), "reporter.so");
  PluginCatalog catalog = Scan();
  EXPECT_EQ(catalog.plugins().size(), 1u);
  ASSERT_EQ(catalog.rejected().size(), 2u);
  for (const RejectedPlugin& r : catalog.rejected()) {
    EXPECT_NE(r.error.find("duplicate plugin name 'exec'"), std::string::npos) << r.error;
  }
  PluginInfo info;
  EXPECT_TRUE(catalog.Find("exec", &info).IsNotFound());
}

TEST_F(PluginCatalogTest, UnknownNameListsTheKnownOnes) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  PluginInfo info;
  Status s = Scan().Find("trainer", &info);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), "unknown plugin 'trainer' (known: exec)");
}

TEST_F(PluginCatalogTest, MissingDirectoryIsReportedNotFatal) {
  Add(MLOPS_EXEC_PLUGIN_PATH, "exec.so");
  PluginCatalog catalog =
      PluginCatalog::Scan({dir_ / "missing", plugins_}, MLOPS_STAGE_HOST_PATH);
  EXPECT_EQ(catalog.plugins().size(), 1u);
  ASSERT_EQ(catalog.rejected().size(), 1u);
  EXPECT_EQ(catalog.rejected()[0].path, dir_ / "missing");
}

}  // namespace
}  // namespace mlops
