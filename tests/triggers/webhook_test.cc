// Payloads are shaped like the documented samples: GitLab's "Push events"
// webhook payload and GitHub's "push" webhook event, trimmed to what a
// receiver meets and written by hand.
#include "triggers/webhook.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace mlops::triggers {
namespace {

const char kGitLabPush[] = R"json({
  "object_kind": "push",
  "event_name": "push",
  "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
  "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "ref": "refs/heads/master",
  "ref_protected": true,
  "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "message": "Hello World",
  "user_id": 4,
  "user_name": "John Smith",
  "user_username": "jsmith",
  "user_email": "john@example.com",
  "project_id": 15,
  "project": {
    "id": 15,
    "name": "Diaspora",
    "description": "",
    "web_url": "http://example.com/mike/diaspora",
    "avatar_url": null,
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "namespace": "Mike",
    "visibility_level": 0,
    "path_with_namespace": "mike/diaspora",
    "default_branch": "master",
    "ci_config_path": null,
    "homepage": "http://example.com/mike/diaspora",
    "url": "git@example.com:mike/diaspora.git",
    "ssh_url": "git@example.com:mike/diaspora.git",
    "http_url": "http://example.com/mike/diaspora.git"
  },
  "commits": [
    {
      "id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      "message": "fixed readme",
      "title": "fixed readme",
      "timestamp": "2012-01-03T23:36:29+02:00",
      "url": "http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      "author": {"name": "GitLab dev user", "email": "gitlabdev@dv6700.(none)"},
      "added": ["CHANGELOG"],
      "modified": ["app/controller/application.rb"],
      "removed": []
    }
  ],
  "total_commits_count": 1,
  "repository": {
    "name": "Diaspora",
    "url": "git@example.com:mike/diaspora.git",
    "description": "",
    "homepage": "http://example.com/mike/diaspora",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "visibility_level": 0
  }
})json";

// A branch deletion as GitLab sends it: after is zeros, checkout_sha null.
const char kGitLabDelete[] = R"json({
  "object_kind": "push",
  "before": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "after": "0000000000000000000000000000000000000000",
  "ref": "refs/heads/feature",
  "checkout_sha": null,
  "project": {
    "git_ssh_url": "git@example.com:mike/diaspora.git",
    "git_http_url": "http://example.com/mike/diaspora.git",
    "path_with_namespace": "mike/diaspora"
  },
  "commits": [],
  "total_commits_count": 0
})json";

const char kGitHubPush[] = R"json({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "repository": {
    "id": 186853002,
    "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
    "name": "Hello-World",
    "full_name": "Codertocat/Hello-World",
    "private": false,
    "owner": {"name": "Codertocat", "login": "Codertocat", "id": 21031067},
    "html_url": "https://github.com/Codertocat/Hello-World",
    "url": "https://github.com/Codertocat/Hello-World",
    "git_url": "git://github.com/Codertocat/Hello-World.git",
    "ssh_url": "git@github.com:Codertocat/Hello-World.git",
    "clone_url": "https://github.com/Codertocat/Hello-World.git",
    "default_branch": "main"
  },
  "pusher": {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com"},
  "sender": {"login": "Codertocat", "id": 21031067},
  "created": false,
  "deleted": false,
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/Codertocat/Hello-World/compare/6113728f27ae...0d1a26e67d8f",
  "commits": [],
  "head_commit": {
    "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    "message": "Update README.md",
    "timestamp": "2019-05-15T15:20:41Z"
  }
})json";

const char kGitHubDelete[] = R"json({
  "ref": "refs/heads/simple-tag",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0000000000000000000000000000000000000000",
  "repository": {
    "full_name": "Codertocat/Hello-World",
    "ssh_url": "git@github.com:Codertocat/Hello-World.git",
    "clone_url": "https://github.com/Codertocat/Hello-World.git"
  },
  "created": false,
  "deleted": true,
  "forced": false,
  "base_ref": null,
  "commits": [],
  "head_commit": null
})json";

// GitHub's documented example for validating webhook deliveries.
TEST(GitHubSignatureTest, DocumentedVectorPasses) {
  const char kSecret[] = "It's a Secret to Everybody";
  const char kPayload[] = "Hello, World!";
  const char kDigest[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  EXPECT_EQ(HmacSha256Hex(kSecret, kPayload), kDigest);
  Status st = VerifyGitHubSignature(std::string("sha256=") + kDigest, kPayload, kSecret);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

// Every byte of the digest counts: one flipped bit in any of the 32 bytes
// (the last ones included) of an otherwise valid signature is refused.
TEST(GitHubSignatureTest, OneFlippedByteAnywhereIsDenied) {
  const std::string kDigest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  for (size_t byte = 0; byte < 32; ++byte) {
    std::string hex = kDigest;
    char& c = hex[2 * byte + 1];
    c = c == '0' ? '1' : '0';
    Status st = VerifyGitHubSignature("sha256=" + hex, "Hello, World!", "It's a Secret to Everybody");
    EXPECT_TRUE(st.IsPermissionDenied()) << "byte " << byte << " flipped: " << st.ToString();
  }
}

TEST(GitHubSignatureTest, UpperCaseHexIsAccepted) {
  std::string sig = "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
  EXPECT_TRUE(VerifyGitHubSignature(sig, "Hello, World!", "It's a Secret to Everybody").ok());
}

TEST(GitHubSignatureTest, WrongSecretBodyOrHeaderIsDenied) {
  std::string body = kGitHubPush;
  std::string good = "sha256=" + HmacSha256Hex("s3cret", body);
  ASSERT_TRUE(VerifyGitHubSignature(good, body, "s3cret").ok());

  Status wrong_secret = VerifyGitHubSignature(good, body, "other");
  EXPECT_TRUE(wrong_secret.IsPermissionDenied()) << wrong_secret.ToString();
  EXPECT_NE(wrong_secret.message().find("does not match"), std::string::npos);

  std::string tampered = body;
  tampered[tampered.find("main")] = 'M';
  EXPECT_TRUE(VerifyGitHubSignature(good, tampered, "s3cret").IsPermissionDenied());

  Status missing = VerifyGitHubSignature("", body, "s3cret");
  EXPECT_TRUE(missing.IsPermissionDenied());
  EXPECT_NE(missing.message().find("missing"), std::string::npos);

  // sha1 header of the old X-Hub-Signature, truncated, non-hex.
  EXPECT_TRUE(VerifyGitHubSignature("sha1=" + good.substr(7, 40), body, "s3cret")
                  .IsPermissionDenied());
  EXPECT_TRUE(VerifyGitHubSignature(good.substr(0, good.size() - 1), body, "s3cret")
                  .IsPermissionDenied());
  std::string non_hex = good;
  non_hex.back() = 'g';
  EXPECT_TRUE(VerifyGitHubSignature(non_hex, body, "s3cret").IsPermissionDenied());
}

TEST(GitHubSignatureTest, NoConfiguredSecretAuthenticatesNothing) {
  std::string sig = "sha256=" + HmacSha256Hex("", "body");
  Status st = VerifyGitHubSignature(sig, "body", "");
  EXPECT_TRUE(st.IsPermissionDenied());
  EXPECT_NE(st.message().find("no webhook secret"), std::string::npos);
}

TEST(GitLabTokenTest, RightWrongAndMissingToken) {
  EXPECT_TRUE(VerifyGitLabToken("tok-123", "tok-123").ok());
  Status wrong = VerifyGitLabToken("tok-124", "tok-123");
  EXPECT_TRUE(wrong.IsPermissionDenied());
  EXPECT_NE(wrong.message().find("does not match"), std::string::npos);
  EXPECT_TRUE(VerifyGitLabToken("tok-1234", "tok-123").IsPermissionDenied());
  EXPECT_TRUE(VerifyGitLabToken("tok-12", "tok-123").IsPermissionDenied());
  Status missing = VerifyGitLabToken("", "tok-123");
  EXPECT_TRUE(missing.IsPermissionDenied());
  EXPECT_NE(missing.message().find("missing X-Gitlab-Token"), std::string::npos);
  EXPECT_TRUE(VerifyGitLabToken("", "").IsPermissionDenied());
  EXPECT_TRUE(VerifyGitLabToken("anything", "").IsPermissionDenied());
}

TEST(GitLabPushTest, ParsesTheDocumentedSample) {
  PushEvent e;
  Status st = ParseGitLabPush(kGitLabPush, &e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(e.ref, "refs/heads/master");
  EXPECT_EQ(e.branch, "master");
  EXPECT_EQ(e.commit, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(e.before, "95790bf891e76fee5e1747ab589903a6a1f80f22");
  EXPECT_FALSE(e.deleted);
  EXPECT_EQ(e.repository_ids,
            (std::vector<std::string>{"http://example.com/mike/diaspora.git",
                                      "git@example.com:mike/diaspora.git", "mike/diaspora"}));
}

TEST(GitLabPushTest, BranchDeletionIsFlaggedWithNoCommit) {
  PushEvent e;
  Status st = ParseGitLabPush(kGitLabDelete, &e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(e.deleted);
  EXPECT_EQ(e.commit, "");
  EXPECT_EQ(e.branch, "feature");
}

TEST(GitLabPushTest, TagPushHasNoBranch) {
  std::string body = kGitLabPush;
  body.replace(body.find("refs/heads/master"), 17, "refs/tags/v1.0.0");
  PushEvent e;
  ASSERT_TRUE(ParseGitLabPush(body, &e).ok());
  EXPECT_EQ(e.ref, "refs/tags/v1.0.0");
  EXPECT_EQ(e.branch, "");
}

TEST(GitLabPushTest, MalformedBodiesAreClearErrors) {
  PushEvent e;
  Status st = ParseGitLabPush("{\"ref\": ", &e);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("malformed JSON"), std::string::npos) << st.message();

  EXPECT_NE(ParseGitLabPush("[1, 2]", &e).message().find("not a JSON object"), std::string::npos);

  std::string no_ref = kGitLabPush;
  no_ref.replace(no_ref.find("\"ref\""), 5, "\"rev\"");
  st = ParseGitLabPush(no_ref, &e);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("missing field 'ref'"), std::string::npos) << st.message();

  std::string no_project = kGitLabPush;
  no_project.replace(no_project.find("\"project\":"), 10, "\"projekt\":");
  st = ParseGitLabPush(no_project, &e);
  EXPECT_NE(st.message().find("missing object 'project'"), std::string::npos) << st.message();

  std::string short_sha = kGitLabPush;
  short_sha.replace(short_sha.find("\"checkout_sha\": \"da15"), 20, "\"checkout_sha\": \"zz");
  st = ParseGitLabPush(short_sha, &e);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("not a commit id"), std::string::npos) << st.message();

  std::string wrong_type = kGitLabPush;
  wrong_type.replace(wrong_type.find("\"refs/heads/master\""), 19, "42");
  st = ParseGitLabPush(wrong_type, &e);
  EXPECT_NE(st.message().find("'ref' is not a string"), std::string::npos) << st.message();
}

TEST(GitHubPushTest, ParsesTheDocumentedSample) {
  PushEvent e;
  Status st = ParseGitHubPush(kGitHubPush, &e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(e.branch, "main");
  EXPECT_EQ(e.commit, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
  EXPECT_FALSE(e.deleted);
  EXPECT_EQ(e.repository_ids,
            (std::vector<std::string>{"https://github.com/Codertocat/Hello-World.git",
                                      "git@github.com:Codertocat/Hello-World.git",
                                      "Codertocat/Hello-World"}));
}

TEST(GitHubPayloadTest, JsonBodiesPassThroughAndFormsAreDecoded) {
  std::string json;
  ASSERT_TRUE(GitHubPayloadJson("application/json", "{\"a\":1}", &json).ok());
  EXPECT_EQ(json, "{\"a\":1}");
  ASSERT_TRUE(GitHubPayloadJson("", "{}", &json).ok());
  EXPECT_EQ(json, "{}");
  ASSERT_TRUE(GitHubPayloadJson("application/x-www-form-urlencoded; charset=utf-8",
                                "payload=%7B%22ref%22%3A+%22refs%2Fheads%2Fmain%22%7D", &json)
                  .ok());
  EXPECT_EQ(json, "{\"ref\": \"refs/heads/main\"}");
  ASSERT_TRUE(GitHubPayloadJson("Application/X-WWW-Form-Urlencoded", "x=1&payload=%7B%7D&y=2", &json).ok());
  EXPECT_EQ(json, "{}");
  // The documented sample, form-encoded, parses like the JSON one.
  std::string form = "payload=";
  for (unsigned char c : std::string(kGitHubPush)) {
    static const char* kHex = "0123456789abcdef";
    form += std::isalnum(c) ? std::string(1, static_cast<char>(c))
                            : std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  ASSERT_TRUE(GitHubPayloadJson("application/x-www-form-urlencoded", form, &json).ok());
  PushEvent e;
  ASSERT_TRUE(ParseGitHubPush(json, &e).ok());
  EXPECT_EQ(e.commit, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
}

TEST(GitHubPayloadTest, BadFormsAndTypesAreClearErrors) {
  std::string json;
  const std::string form = "application/x-www-form-urlencoded";
  EXPECT_NE(GitHubPayloadJson(form, "{\"a\":1}", &json).message().find("no 'payload' field"),
            std::string::npos);
  EXPECT_NE(GitHubPayloadJson(form, "payload=1&payload=2", &json).message().find("more than one"),
            std::string::npos);
  for (const char* bad : {"payload=%", "payload=%4", "payload=%zz", "payload=ab%4"}) {
    EXPECT_NE(GitHubPayloadJson(form, bad, &json).message().find("bad %-escape"), std::string::npos)
        << bad;
  }
  EXPECT_NE(GitHubPayloadJson("text/plain", "{}", &json).message().find("'text/plain'"),
            std::string::npos);
}

TEST(GitHubPushTest, BranchDeletionIsFlaggedWithNoCommit) {
  PushEvent e;
  Status st = ParseGitHubPush(kGitHubDelete, &e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(e.deleted);
  EXPECT_EQ(e.commit, "");
  EXPECT_EQ(e.branch, "simple-tag");
}

TEST(GitHubPushTest, MalformedBodiesAreClearErrors) {
  PushEvent e;
  EXPECT_NE(ParseGitHubPush("not json", &e).message().find("malformed JSON"), std::string::npos);
  std::string no_after = kGitHubPush;
  no_after.replace(no_after.find("\"after\""), 7, "\"later\"");
  Status st = ParseGitHubPush(no_after, &e);
  EXPECT_NE(st.message().find("missing field 'after'"), std::string::npos) << st.message();
  std::string bad_deleted = kGitHubPush;
  bad_deleted.replace(bad_deleted.find("\"deleted\": false"), 16, "\"deleted\": \"no\"");
  st = ParseGitHubPush(bad_deleted, &e);
  EXPECT_NE(st.message().find("'deleted' is not a boolean"), std::string::npos) << st.message();
}

TEST(RepositoryMatchTest, NormalizesUrlForms) {
  EXPECT_EQ(NormalizeRepositoryUrl("https://GitHub.com/Codertocat/Hello-World.git"),
            "github.com/codertocat/hello-world");
  EXPECT_EQ(NormalizeRepositoryUrl("git@github.com:Codertocat/Hello-World.git"),
            "github.com/codertocat/hello-world");
  EXPECT_EQ(NormalizeRepositoryUrl("ssh://git@gitlab.example.com:2222/group/sub/proj.git/"),
            "gitlab.example.com/group/sub/proj");
  EXPECT_EQ(NormalizeRepositoryUrl("https://user:token@gitlab.example.com/group/proj"),
            "gitlab.example.com/group/proj");
  EXPECT_EQ(NormalizeRepositoryUrl("file:///srv/git/Proj.git"), "/srv/git/Proj");
  EXPECT_EQ(NormalizeRepositoryUrl("/srv/git/proj/"), "/srv/git/proj");
}

TEST(RepositoryMatchTest, EventMatchesOnlyItsRepository) {
  PushEvent gl;
  ASSERT_TRUE(ParseGitLabPush(kGitLabPush, &gl).ok());
  EXPECT_TRUE(PushNamesRepository(gl, "git@example.com:mike/diaspora.git"));
  EXPECT_TRUE(PushNamesRepository(gl, "https://example.com/mike/diaspora"));
  EXPECT_TRUE(PushNamesRepository(gl, "ssh://git@example.com:22/mike/diaspora.git"));
  EXPECT_FALSE(PushNamesRepository(gl, "git@example.com:mike/diaspora-fork.git"));
  EXPECT_FALSE(PushNamesRepository(gl, "git@example.com:other/diaspora.git"));
  EXPECT_FALSE(PushNamesRepository(gl, ""));

  PushEvent gh;
  ASSERT_TRUE(ParseGitHubPush(kGitHubPush, &gh).ok());
  EXPECT_TRUE(PushNamesRepository(gh, "https://github.com/codertocat/hello-world"));
  EXPECT_FALSE(PushNamesRepository(gh, "https://github.com/codertocat/hello"));
  // A mirror of the same path on an internal host matches by full_name.
  EXPECT_TRUE(PushNamesRepository(gh, "ssh://git@mirror.internal/Codertocat/Hello-World.git"));
}

}  // namespace
}  // namespace mlops::triggers
