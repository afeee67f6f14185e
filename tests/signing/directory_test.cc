// VerifyDirectory and detached file signatures against tampered folders:
// each case names the offending file.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "signing_fixture.h"

namespace mlops::signing::testing {
namespace {

class DirectoryTest : public SigningTest {
 protected:
  void SetUp() override {
    SigningTest::SetUp();
    MakeArtifact();
  }

  void MakeArtifact() {
    dir_ = tmp_.Join("artifact");
    WriteText(dir_ + "/model.bin", std::string("\x01\x02\x03weights", 10));
    WriteText(dir_ + "/meta/config.json", "{\"hidden\": 32}");
    WriteText(dir_ + "/metrics.json", "{\"f1\": 0.97}");
    SignDir();
  }

  void SignDir() {
    std::vector<Subject> subjects;
    Status st = CollectSubjects(dir_, {"model.sig.json"}, &subjects);
    ASSERT_TRUE(st.ok()) << st.ToString();
    WriteText(dir_ + "/model.sig.json",
              SignStatement(MakeStatement(subjects, {{"run_id", 3}})));
  }

  Status Check() {
    VerifiedStatement vs;
    Status st = Verify(ReadText(dir_ + "/model.sig.json"), &vs);
    if (!st.ok()) return st;
    return VerifyDirectory(dir_, vs, {"model.sig.json"});
  }

  std::string dir_;
};

TEST_F(DirectoryTest, CollectsSortedRelativeNames) {
  std::vector<Subject> subjects;
  ASSERT_TRUE(CollectSubjects(dir_, {"model.sig.json"}, &subjects).ok());
  ASSERT_EQ(subjects.size(), 3u);
  EXPECT_EQ(subjects[0].name, "meta/config.json");
  EXPECT_EQ(subjects[1].name, "metrics.json");
  EXPECT_EQ(subjects[2].name, "model.bin");
  Status st = Check();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

struct DirTamper {
  std::string name;
  std::function<void(const std::string& dir)> edit;
  std::string expect;
};

TEST_F(DirectoryTest, EveryTamperedFolderIsRefusedNamingTheFile) {
  const std::string outside = tmp_.Join("outside");
  WriteText(outside + "/secret.txt", "outside");
  std::vector<DirTamper> cases = {
      {"flipped byte",
       [](const std::string& d) { WriteText(d + "/model.bin", std::string("\x01\x02\x02weights", 10)); },
       "'model.bin' does not match the signature"},
      {"appended byte",
       [](const std::string& d) { WriteText(d + "/metrics.json", "{\"f1\": 0.97} "); },
       "'metrics.json' does not match"},
      {"added file", [](const std::string& d) { WriteText(d + "/backdoor.py", "x"); },
       "'backdoor.py' is not in the signature"},
      {"added file in a subfolder",
       [](const std::string& d) { WriteText(d + "/meta/extra.json", "{}"); },
       "'meta/extra.json' is not in the signature"},
      {"removed file", [](const std::string& d) { ::unlink((d + "/metrics.json").c_str()); },
       "'metrics.json' is listed in the signature but missing"},
      {"renamed file",
       [](const std::string& d) {
         ::rename((d + "/model.bin").c_str(), (d + "/model2.bin").c_str());
       },
       "'model.bin' is listed in the signature but missing, and 'model2.bin' is not in the"},
      {"file replaced by symlink to identical copy",
       [&](const std::string& d) {
         std::string copy = tmp_.Join("copy.bin");
         WriteText(copy, std::string("\x01\x02\x03weights", 10));
         ::unlink((d + "/model.bin").c_str());
         ASSERT_EQ(::symlink(copy.c_str(), (d + "/model.bin").c_str()), 0);
       },
       "'model.bin' is a symlink"},
      {"subfolder replaced by symlink outside",
       [&](const std::string& d) {
         WriteText(outside + "/config.json", "{\"hidden\": 32}");
         ASSERT_TRUE(RemoveTree(d + "/meta").ok());
         ASSERT_EQ(::symlink(outside.c_str(), (d + "/meta").c_str()), 0);
       },
       "'meta' is a symlink"},
      {"fifo added",
       [](const std::string& d) { ASSERT_EQ(::mkfifo((d + "/pipe").c_str(), 0600), 0); },
       "'pipe' is not a regular file"},
      {"manifest of another artifact",
       [&](const std::string& d) {
         std::string other = tmp_.Join("other-artifact");
         WriteText(other + "/model.bin", "another model");
         std::vector<Subject> subjects;
         ASSERT_TRUE(CollectSubjects(other, {}, &subjects).ok());
         WriteText(d + "/model.sig.json", SignStatement(MakeStatement(subjects, {})));
       },
       "'meta/config.json' is not in the signature"},
      {"manifest of another artifact with the same names",
       [&](const std::string& d) {
         WriteText(d + "/model.bin", "retrained");
         SignDir();  // a valid signature, then the folder is swapped back
         WriteText(d + "/model.bin", std::string("\x01\x02\x03weights", 10));
       },
       "'model.bin' does not match"},
  };
  for (const DirTamper& c : cases) {
    ASSERT_TRUE(RemoveTree(dir_).ok());
    MakeArtifact();
    c.edit(dir_);
    Status st = Check();
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.expect), std::string::npos)
        << c.name << ": '" << st.message() << "' lacks '" << c.expect << "'";
  }
  // A hand-made statement with a traversal name never reaches the disk.
  VerifiedStatement evil;
  evil.subjects = {{"../outside/secret.txt", std::string(64, 'a')}};
  Status st = VerifyDirectory(dir_, evil, {"model.sig.json"});
  EXPECT_NE(st.message().find("'..'"), std::string::npos) << st.message();
  std::cout << "directory tamper cases refused: " << cases.size() + 1 << "\n";
  RecordProperty("directory_tamper_cases", static_cast<int>(cases.size() + 1));
}

TEST_F(DirectoryTest, MissingFolderIsAnError) {
  VerifiedStatement vs;
  Status st = VerifyDirectory(tmp_.Join("nope"), vs);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(tmp_.Join("nope")), std::string::npos);
}

TEST_F(SigningTest, FileSignatureBindsNameAndContent) {
  std::string plugin = tmp_.Join("plugins/thing.so");
  WriteText(plugin, "ELF plugin bytes");
  std::string env;
  ASSERT_TRUE(SignFile(key_.priv, plugin, &env).ok());
  std::string key_id;
  Status st = VerifyFile(plugin, env, {key_.trusted()}, &key_id);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(key_id, key_.pub.key_id);

  // Same bytes under another name: refused.
  std::string renamed = tmp_.Join("plugins/other.so");
  WriteText(renamed, "ELF plugin bytes");
  st = VerifyFile(renamed, env, {key_.trusted()}, &key_id);
  EXPECT_NE(st.message().find("not for 'other.so'"), std::string::npos) << st.message();
  // Changed bytes: refused.
  WriteText(plugin, "ELF plugin bytes!");
  st = VerifyFile(plugin, env, {key_.trusted()}, &key_id);
  EXPECT_NE(st.message().find("does not match its signature"), std::string::npos)
      << st.message();
  // Untrusted and revoked keys: refused.
  WriteText(plugin, "ELF plugin bytes");
  st = VerifyFile(plugin, env, {other_.trusted()}, &key_id);
  EXPECT_NE(st.message().find("not a trusted key"), std::string::npos) << st.message();
  st = VerifyFile(plugin, env, {TrustedKey{key_.pub, true}}, &key_id);
  EXPECT_NE(st.message().find("revoked"), std::string::npos) << st.message();
  st = VerifyFile(plugin, "{}", {key_.trusted()}, &key_id);
  EXPECT_NE(st.message().find("malformed"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace mlops::signing::testing
