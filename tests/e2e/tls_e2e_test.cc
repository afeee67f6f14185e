// End to end: the API over HTTPS (config `tls`), through the CivetWeb shim
// of daemon/tls, with the real mlctl and curl as clients.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon_harness.h"

namespace mlops::e2e {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class TlsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteText(dir_.Sub("pipelines/hello.yaml"), R"(version: 1
name: hello
stages:
  - {name: say, uses: exec, run: "sh -c 'echo hello > hello.txt'", outputs: [hello.txt]}
)");
    // A self-signed certificate for 127.0.0.1 (an IP SAN, as mlctl checks it).
    auto r = MakeLoopbackCertificate(dir_, "mlopsd-test");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void WriteConfig(const std::string& extra = "") {
    WriteText(dir_.Sub("mlopsd.yaml"), "tls: { cert: " + dir_.Sub("cert.pem") +
                                           ", key: " + dir_.Sub("key.pem") + " }\n" + extra);
  }

  // mlctl against `url`, with the bootstrap admin token when the daemon
  // wrote one, and `ca` as MLCTL_CACERT (none when empty).
  CommandResult Ctl(const std::string& url, const std::string& ca,
                    const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MlctlPath(), "--server", url};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env;
    const std::string token = Trim(ReadText(dir_.Sub("state/admin.token")));
    if (!token.empty()) env.push_back("MLCTL_TOKEN=" + token);
    if (!ca.empty()) env.push_back("MLCTL_CACERT=" + ca);
    return RunCommand(argv, env);
  }

  TempDir dir_;
};

TEST_F(TlsE2E, MlctlAndCurlTalkHttpsAndPlainHttpIsRefused) {
  WriteConfig();
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  const std::string url = Trim(ReadText(dir_.Sub("state/mlopsd.url")));
  ASSERT_EQ(url, "https://" + d.url().substr(7));

  auto run = Ctl(url, dir_.Sub("cert.pem"), {"trigger", "hello", "--wait"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;

  // The certificate is not among the system's roots: refused, clearly.
  auto untrusted = Ctl(url, "", {"pipeline", "list"});
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.err.find("certificate was refused"), std::string::npos) << untrusted.err;

  // Plain HTTP to the TLS port gets no answer, and costs the daemon nothing.
  auto plain = Ctl(d.url(), "", {"pipeline", "list"});
  EXPECT_NE(plain.exit_code, 0);
  auto curl = RunCommand({"/usr/bin/curl", "-sS", "--cacert", dir_.Sub("cert.pem"), url + "/healthz"});
  EXPECT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_NE(curl.out.find("ok"), std::string::npos) << curl.out;
  EXPECT_TRUE(d.Running());
  EXPECT_EQ(d.Stop(), 0);
}

TEST_F(TlsE2E, KeyReadableByOthersIsRefusedAtStart) {
  WriteConfig();
  ::chmod(dir_.Sub("key.pem").c_str(), 0644);
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  EXPECT_FALSE(d.Start(std::chrono::seconds(10)));
  EXPECT_NE(ReadText(d.log_path()).find("chmod 600"), std::string::npos) << ReadText(d.log_path());
}

TEST_F(TlsE2E, CertWithoutKeyIsAConfigError) {
  WriteText(dir_.Sub("mlopsd.yaml"), "tls: { cert: " + dir_.Sub("cert.pem") + " }\n");
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  EXPECT_FALSE(d.Start(std::chrono::seconds(10)));
  EXPECT_NE(ReadText(d.log_path()).find("tls needs both cert and key"), std::string::npos)
      << ReadText(d.log_path());
}

TEST_F(TlsE2E, NotAPemCertificateIsRefused) {
  WriteText(dir_.Sub("cert.pem"), "not a certificate\n");
  WriteConfig();
  Daemon d(dir_.Sub("state"), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  EXPECT_FALSE(d.Start(std::chrono::seconds(10)));
  EXPECT_NE(ReadText(d.log_path()).find("expected a PEM certificate"), std::string::npos)
      << ReadText(d.log_path());
}

}  // namespace
}  // namespace mlops::e2e
