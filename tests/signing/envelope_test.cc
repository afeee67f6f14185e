// DSSE PAE vectors, base64, statements, and every way an envelope can be
// wrong. The tamper table counts its cases (printed for the closing
// note).
#include <iostream>

#include "mlops/common/sha256.h"
#include "signing_fixture.h"

namespace mlops::signing::testing {
namespace {

const std::string kA = Sha256Hex("a");

TEST(Base64, Rfc4648VectorsAndStrictDecode) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : vectors) {
    EXPECT_EQ(Base64Encode(plain), enc);
    std::string out;
    ASSERT_TRUE(Base64Decode(enc, &out)) << enc;
    EXPECT_EQ(out, plain);
  }
  std::string bin("\xff\xfe\x00\x01", 4), out;
  ASSERT_TRUE(Base64Decode(Base64Encode(bin), &out));
  EXPECT_EQ(out, bin);
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zm-_", "Zh==", "Zm9=Zm9v", " Zg=="}) {
    EXPECT_FALSE(Base64Decode(bad, &out)) << bad;
  }
}

TEST(Pae, MatchesTheDsseSpecVectors) {
  // From the DSSE protocol document (secure-systems-lab/dsse, protocol.md).
  EXPECT_EQ(PreAuthEncoding("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(PreAuthEncoding("", ""), "DSSEv1 0  0 ");
  std::string bin("a\0b", 3);
  EXPECT_EQ(PreAuthEncoding("t", bin), std::string("DSSEv1 1 t 3 a\0b", 16));
  // Lengths are bytes, not characters.
  EXPECT_EQ(PreAuthEncoding("t", "\xc3\xa9"), "DSSEv1 1 t 2 \xc3\xa9");
}

TEST(Statement, SortsSubjectsAndCarriesPredicate) {
  nlohmann::json st = MakeStatement({{"b.bin", kA}, {"a.txt", kA}}, {{"run_id", 7}});
  EXPECT_EQ(st["_type"], kStatementType);
  EXPECT_EQ(st["predicateType"], kPredicateType);
  ASSERT_EQ(st["subject"].size(), 2u);
  EXPECT_EQ(st["subject"][0]["name"], "a.txt");
  EXPECT_EQ(st["subject"][1]["digest"]["sha256"], kA);
  EXPECT_EQ(st["predicate"]["run_id"], 7);
}

TEST_F(SigningTest, RoundTripGivesKeySubjectsAndPredicate) {
  std::string env = SignStatement(MakeStatement({{"m/model.bin", kA}}, {{"commit", "abc"}}));
  nlohmann::json parsed = nlohmann::json::parse(env);
  EXPECT_EQ(parsed["payloadType"], kPayloadType);
  EXPECT_EQ(parsed["signatures"][0]["keyid"], key_.pub.key_id);
  VerifiedStatement vs;
  Status st = Verify(env, &vs);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(vs.key_id, key_.pub.key_id);
  ASSERT_EQ(vs.subjects.size(), 1u);
  EXPECT_EQ(vs.subjects[0].name, "m/model.bin");
  EXPECT_EQ(vs.predicate["commit"], "abc");
  // Re-formatting the envelope JSON does not matter: the PAE is signed.
  EXPECT_TRUE(Verify(parsed.dump()).ok());
}

TEST_F(SigningTest, AnyGoodSignatureByATrustedKeyIsEnough) {
  nlohmann::json env = nlohmann::json::parse(SignStatement(MakeStatement({{"a", kA}}, {})));
  nlohmann::json by_other =
      nlohmann::json::parse(Sign(MakeStatement({{"a", kA}}, {}).dump(), &other_.priv));
  env["signatures"].insert(env["signatures"].begin(), by_other["signatures"][0]);
  VerifiedStatement vs;
  ASSERT_TRUE(Verify(env.dump(), &vs).ok());
  EXPECT_EQ(vs.key_id, key_.pub.key_id);
  // No keyid hint: every trusted key is tried.
  env["signatures"][1].erase("keyid");
  env["signatures"].erase(0);
  ASSERT_TRUE(Verify(env.dump(), &vs).ok());
  EXPECT_EQ(vs.key_id, key_.pub.key_id);
}

struct TamperCase {
  std::string name;
  std::string envelope;
  std::string expect;  // a substring of the error
};

TEST_F(SigningTest, EveryTamperedEnvelopeIsRefusedWithAClearError) {
  const nlohmann::json good_statement = MakeStatement({{"model.bin", kA}}, {{"run_id", 1}});
  const std::string good = SignStatement(good_statement);
  const nlohmann::json g = nlohmann::json::parse(good);
  auto with = [&](auto edit) {
    nlohmann::json e = g;
    edit(e);
    return e.dump();
  };
  auto signed_with_subjects = [&](nlohmann::json subjects) {
    nlohmann::json st = good_statement;
    st["subject"] = std::move(subjects);
    return SignStatement(st);
  };
  auto subject = [&](const std::string& name) {
    return nlohmann::json::array({{{"name", name}, {"digest", {{"sha256", kA}}}}});
  };
  std::string other_signed = Sign(good_statement.dump(), &other_.priv);

  std::vector<TamperCase> cases = {
      {"not JSON", "{\"payloadType\":", "not valid JSON"},
      {"JSON array", "[]", "not a JSON object"},
      {"no payloadType", with([](auto& e) { e.erase("payloadType"); }), "payloadType"},
      {"wrong payloadType", with([](auto& e) { e["payloadType"] = "text/plain"; }),
       "expected 'application/vnd.in-toto+json'"},
      {"payload not base64", with([](auto& e) { e["payload"] = "%%%"; }), "base64"},
      {"payload replaced",
       with([&](auto& e) {
         nlohmann::json st = good_statement;
         st["subject"][0]["digest"]["sha256"] = Sha256Hex("b");
         e["payload"] = Base64Encode(st.dump());
       }),
       "bad signature"},
      {"payload with extra whitespace",
       with([&](auto& e) { e["payload"] = Base64Encode(good_statement.dump() + " "); }),
       "bad signature"},
      {"no signatures", with([](auto& e) { e.erase("signatures"); }), "signatures"},
      {"empty signatures", with([](auto& e) { e["signatures"] = nlohmann::json::array(); }),
       "signatures"},
      {"sig not base64", with([](auto& e) { e["signatures"][0]["sig"] = "***"; }), "base64"},
      {"sig bit flipped",
       with([&](auto& e) {
         std::string sig;
         Base64Decode(e["signatures"][0]["sig"].template get<std::string>(), &sig);
         sig[5] ^= 0x01;
         e["signatures"][0]["sig"] = Base64Encode(sig);
       }),
       "bad signature"},
      {"sig truncated",
       with([&](auto& e) {
         std::string sig;
         Base64Decode(e["signatures"][0]["sig"].template get<std::string>(), &sig);
         e["signatures"][0]["sig"] = Base64Encode(sig.substr(0, 32));
       }),
       "bad signature"},
      {"keyid not a string", with([](auto& e) { e["signatures"][0]["keyid"] = 5; }), "keyid"},
      {"signed by an untrusted key", other_signed, other_.pub.key_id + ", which is not a trusted"},
      {"untrusted signature claiming the trusted key id",
       [&] {
         nlohmann::json e = nlohmann::json::parse(other_signed);
         e["signatures"][0]["keyid"] = key_.pub.key_id;
         return e.dump();
       }(),
       "bad signature"},
      {"statement _type wrong",
       [&] {
         nlohmann::json st = good_statement;
         st["_type"] = "https://in-toto.io/Statement/v0.1";
         return SignStatement(st);
       }(),
       "_type"},
      {"payload not JSON", Sign("hello"), "not a JSON object"},
      {"no subjects", signed_with_subjects(nlohmann::json::array()), "no subject"},
      {"subject without name",
       signed_with_subjects(nlohmann::json::array({{{"digest", {{"sha256", kA}}}}})), "name"},
      {"subject digest not hex",
       signed_with_subjects(
           nlohmann::json::array({{{"name", "a"}, {"digest", {{"sha256", "XYZ"}}}}})),
       "digest.sha256"},
      {"subject digest upper-case",
       [&] {
         std::string up = kA;
         for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
         return signed_with_subjects(
             nlohmann::json::array({{{"name", "a"}, {"digest", {{"sha256", up}}}}}));
       }(),
       "digest.sha256"},
      {"empty name", signed_with_subjects(subject("")), "is empty"},
      {"absolute name", signed_with_subjects(subject("/etc/passwd")), "absolute"},
      {"../ name", signed_with_subjects(subject("../outside.bin")), "'..'"},
      {"inner .. name", signed_with_subjects(subject("a/../../b")), "'..'"},
      {"trailing .. name", signed_with_subjects(subject("a/..")), "'..'"},
      {"backslash name", signed_with_subjects(subject("..\\..\\win.ini")), "backslash"},
      {"NUL in name", signed_with_subjects(subject(std::string("a\0b", 3))), "NUL"},
      {"newline in name", signed_with_subjects(subject("a\nb")), "control"},
      {"DEL in name", signed_with_subjects(subject("a\x7f")), "control"},
      {"./ name", signed_with_subjects(subject("./a")), "'.'"},
      {"// name", signed_with_subjects(subject("a//b")), "empty component"},
      {"trailing slash", signed_with_subjects(subject("dir/")), "empty component"},
      {"duplicate names",
       signed_with_subjects(nlohmann::json::array(
           {{{"name", "a"}, {"digest", {{"sha256", kA}}}},
            {{"name", "a"}, {"digest", {{"sha256", Sha256Hex("x")}}}}})),
       "appears twice"},
  };
  for (const TamperCase& c : cases) {
    VerifiedStatement vs;
    Status st = Verify(c.envelope, &vs);
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_NE(st.message().find(c.expect), std::string::npos)
        << c.name << ": '" << st.message() << "' lacks '" << c.expect << "'";
  }
  // Revoked: a good signature by a revoked key.
  std::vector<TrustedKey> revoked = {TrustedKey{key_.pub, true}};
  VerifiedStatement vs;
  Status st = VerifyEnvelope(good, revoked, &vs);
  EXPECT_TRUE(st.IsPermissionDenied());
  EXPECT_NE(st.message().find(key_.pub.key_id + ", which has been revoked"), std::string::npos)
      << st.message();
  // Revoked wins even when another trusted key fails on the same envelope.
  revoked.push_back(other_.trusted());
  nlohmann::json no_hint = g;
  no_hint["signatures"][0].erase("keyid");
  st = VerifyEnvelope(no_hint.dump(), revoked, &vs);
  EXPECT_NE(st.message().find("revoked"), std::string::npos) << st.message();
  // No trusted keys at all.
  st = VerifyEnvelope(good, {TrustedKey{other_.pub, false}}, &vs);
  EXPECT_NE(st.message().find(key_.pub.key_id), std::string::npos) << st.message();
  const size_t total = cases.size() + 2;
  std::cout << "envelope tamper cases refused: " << total << "\n";
  RecordProperty("envelope_tamper_cases", static_cast<int>(total));
  EXPECT_TRUE(Verify(good).ok());
}

TEST(SubjectNames, CleanNamesPass) {
  for (const char* ok : {"model.bin", "a/b/c.txt", "weird name (1).pt", "..hidden", "a..b",
                         "\xc3\xa9t\xc3\xa9.bin"}) {
    EXPECT_TRUE(CheckSubjectName(ok).ok()) << ok;
  }
}

}  // namespace
}  // namespace mlops::signing::testing
