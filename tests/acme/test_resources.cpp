// acme resources: RFC 8555's own examples (§7.1.1 directory, §7.1.3 order, §7.1.4
// authorization, §6.7 problem) read as the client needs them; a document missing what the
// client acts on, with a plain-http URL, an unknown status or a short token, refused.
#include <brood/acme/resources.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood;

BOOST_AUTO_TEST_SUITE(acme_resources)

BOOST_AUTO_TEST_CASE(the_rfcs_directory) {
  auto d = acme::parse_directory(R"({
     "newNonce": "https://example.com/acme/new-nonce",
     "newAccount": "https://example.com/acme/new-account",
     "newOrder": "https://example.com/acme/new-order",
     "newAuthz": "https://example.com/acme/new-authz",
     "revokeCert": "https://example.com/acme/revoke-cert",
     "keyChange": "https://example.com/acme/key-change",
     "meta": {
       "termsOfService": "https://example.com/acme/terms/2017-5-30",
       "website": "https://www.example.com/",
       "caaIdentities": ["example.com"],
       "externalAccountRequired": false
     }
   })");
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->new_nonce == "https://example.com/acme/new-nonce");
  BOOST_TEST(d->new_account == "https://example.com/acme/new-account");
  BOOST_TEST(d->new_order == "https://example.com/acme/new-order");
  BOOST_TEST(d->terms_of_service == "https://example.com/acme/terms/2017-5-30");
  BOOST_TEST(d->renewal_info.empty());
  for (const char* bad : {R"({"newAccount":"https://a/x","newOrder":"https://a/y"})",
                          R"({"newNonce":"http://a/n","newAccount":"https://a/x","newOrder":"https://a/y"})",
                          R"({"newNonce":"https://a/n","newAccount":"https://a/x","newOrder":7})",
                          R"({"newNonce":"https://a/n","newAccount":"https://a/x","newOrder":"https://a/y","meta":[]})",
                          R"([])", "", "{"}) {
    auto r = acme::parse_directory(bad);
    BOOST_TEST((!r.has_value() && r.error() == std::errc::bad_message), bad);
  }
}

BOOST_AUTO_TEST_CASE(the_rfcs_order) {
  auto o = acme::parse_order(R"({
     "status": "valid",
     "expires": "2016-01-20T14:09:07.99Z",
     "identifiers": [
       { "type": "dns", "value": "www.example.org" },
       { "type": "dns", "value": "example.org" }
     ],
     "notBefore": "2016-01-01T00:00:00Z",
     "notAfter": "2016-01-08T00:00:00Z",
     "authorizations": [
       "https://example.com/acme/authz/PAniVnsZcis",
       "https://example.com/acme/authz/r4HqLzrSrpI"
     ],
     "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize",
     "certificate": "https://example.com/acme/cert/mAt3xBGaobw"
   })");
  BOOST_REQUIRE(o.has_value());
  BOOST_TEST((o->status == acme::order_status::valid));
  BOOST_TEST(o->authorizations.size() == 2u);
  BOOST_TEST(o->finalize == "https://example.com/acme/order/TOlocE8rfgo/finalize");
  BOOST_TEST(o->certificate == "https://example.com/acme/cert/mAt3xBGaobw");
  auto pending = acme::parse_order(R"({"status":"pending","authorizations":["https://a/z"],"finalize":"https://a/f"})");
  BOOST_REQUIRE(pending.has_value());
  BOOST_TEST(pending->certificate.empty());
  for (const char* bad : {R"({"status":"done","authorizations":["https://a/z"],"finalize":"https://a/f"})",
                          R"({"status":"valid","authorizations":["https://a/z"],"finalize":"https://a/f"})",  // no certificate
                          R"({"status":"pending","authorizations":[],"finalize":"https://a/f"})",
                          R"({"status":"pending","authorizations":["http://a/z"],"finalize":"https://a/f"})",
                          R"({"status":"pending","authorizations":[7],"finalize":"https://a/f"})",
                          R"({"status":"pending","authorizations":["https://a/z"]})"}) {
    auto r = acme::parse_order(bad);
    BOOST_TEST((!r.has_value() && r.error() == std::errc::bad_message), bad);
  }
}

BOOST_AUTO_TEST_CASE(the_rfcs_authorization) {
  auto a = acme::parse_authorization(R"({
     "status": "pending",
     "expires": "2016-01-02T14:09:30Z",
     "identifier": { "type": "dns", "value": "www.example.org" },
     "challenges": [
       { "type": "http-01", "url": "https://example.com/acme/chall/prV_B7yEyA4",
         "status": "pending", "token": "DGyRejmCefe7v4NfDGDKfA" },
       { "type": "dns-01", "url": "https://example.com/acme/chall/Rg5dV14Gh1Q",
         "status": "pending", "token": "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA" }
     ]
   })");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST((a->status == acme::authorization_status::pending));
  BOOST_TEST(a->identifier == "www.example.org");
  BOOST_TEST(!a->wildcard);
  BOOST_REQUIRE(a->dns01() != nullptr);
  BOOST_TEST(a->dns01()->url == "https://example.com/acme/chall/Rg5dV14Gh1Q");
  BOOST_TEST(a->dns01()->token == "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
  auto http_only = acme::parse_authorization(R"({"status":"valid","identifier":{"type":"dns","value":"a.test"},
    "challenges":[{"type":"http-01","url":"https://a/c","status":"valid","token":"DGyRejmCefe7v4NfDGDKfA"}]})");
  BOOST_REQUIRE(http_only.has_value());
  BOOST_TEST(http_only->dns01() == nullptr);
  for (const char* bad : {
           R"({"status":"pending","identifier":{"type":"ip","value":"10.0.0.1"},"challenges":[]})",
           R"({"status":"gone","identifier":{"type":"dns","value":"a.test"},"challenges":[]})",
           R"({"status":"pending","identifier":{"type":"dns","value":"a.test"},"challenges":{}})",
           R"({"status":"pending","identifier":{"type":"dns","value":"a.test"},"wildcard":"yes","challenges":[]})",
           R"({"status":"pending","identifier":{"type":"dns","value":"a.test"},
               "challenges":[{"type":"dns-01","url":"https://a/c","status":"pending","token":"short"}]})",
           R"({"status":"pending","identifier":{"type":"dns","value":"a.test"},
               "challenges":[{"type":"dns-01","url":"https://a/c","status":"pending","token":"evaGxfADs6pSRb2LAv9IZf17Dt3ju+GJ"}]})",
           R"({"status":"pending","identifier":{"type":"dns","value":"a.test"},
               "challenges":[{"type":"dns-01","url":"https://a/c","status":"late","token":"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ"}]})"}) {
    auto r = acme::parse_authorization(bad);
    BOOST_TEST((!r.has_value() && r.error() == std::errc::bad_message), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_problem_names_its_error) {
  auto p = acme::parse_problem(R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"JWS has an invalid anti-replay nonce","status":400})");
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->name() == "badNonce");
  BOOST_TEST(p->detail == "JWS has an invalid anti-replay nonce");
  auto other = acme::parse_problem(R"({"type":"about:blank"})");
  BOOST_REQUIRE(other.has_value());
  BOOST_TEST(other->name() == "about:blank");
  BOOST_TEST(!acme::parse_problem(R"({"detail":"no type"})").has_value());
  BOOST_TEST(!acme::parse_problem("not json").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
