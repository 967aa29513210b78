// Node-signed requests: accepted once, refused when anything signed changes, outside the clock
// window, replayed, unsigned or malformed; the operator token compared whole.
#include <brood/auth/request_signature.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood;
using namespace brood::auth;

BOOST_AUTO_TEST_SUITE(request_signature)

namespace {
crypto::identity node() {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(7);
  return crypto::identity::from_seed(seed);
}

http::request signed_request(std::int64_t ts, std::string domain = "brood.test") {
  http::request r;
  r.method = "POST";
  r.path = "/heartbeat?x=1";
  r.body = R"({"endpoints":["203.0.113.7:51820"]})";
  sign_request(r, node(), domain, ts);
  return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_signed_request_is_accepted_once) {
  const std::int64_t now = 1'763'779'200'000;
  request_verifier v("brood.test");
  auto r = signed_request(now);
  auto pk = v.verify(r, now + 500);
  BOOST_REQUIRE_MESSAGE(pk.has_value(), pk.error().message());
  BOOST_TEST((*pk == node().pk()));
  BOOST_TEST((v.verify(r, now + 600).error() == error::replayed));
  // The same request signed a millisecond later is a new request.
  BOOST_TEST(v.verify(signed_request(now + 1), now + 700).has_value());
}

BOOST_AUTO_TEST_CASE(anything_signed_that_changes_breaks_the_signature) {
  const std::int64_t now = 1'763'779'200'000;
  request_verifier v("brood.test");
  auto body = signed_request(now);
  body.body += " ";
  BOOST_TEST((v.verify(body, now).error() == error::bad_signature));
  auto path = signed_request(now);
  path.path = "/heartbeat?x=2";
  BOOST_TEST((v.verify(path, now).error() == error::bad_signature));
  auto method = signed_request(now);
  method.method = "PUT";
  BOOST_TEST((v.verify(method, now).error() == error::bad_signature));
  BOOST_TEST((v.verify(signed_request(now, "other.test"), now).error() == error::bad_signature));
  auto ts = signed_request(now);
  for (auto& h : ts.headers)
    if (h.name == "x-brood-ts") h.value = std::to_string(now + 1);
  BOOST_TEST((v.verify(ts, now).error() == error::bad_signature));
}

BOOST_AUTO_TEST_CASE(clock_window_and_malformed_headers) {
  const std::int64_t now = 1'763'779'200'000;
  request_verifier v("brood.test", std::chrono::seconds(60));
  BOOST_TEST((v.verify(signed_request(now - 61'000), now).error() == error::clock_skew));
  BOOST_TEST((v.verify(signed_request(now + 61'000), now).error() == error::clock_skew));
  BOOST_TEST(v.verify(signed_request(now - 59'000), now).has_value());
  http::request bare;
  BOOST_TEST((v.verify(bare, now).error() == error::unsigned_request));
  auto bad = signed_request(now);
  for (auto& h : bad.headers)
    if (h.name == "x-brood-pk") h.value = "not base64!";
  BOOST_TEST((v.verify(bad, now).error() == error::malformed));
}

BOOST_AUTO_TEST_CASE(operator_token) {
  BOOST_TEST(operator_token_ok("Bearer s3cret-token", "s3cret-token"));
  BOOST_TEST(!operator_token_ok("Bearer s3cret-toke", "s3cret-token"));
  BOOST_TEST(!operator_token_ok("Bearer s3cret-token2", "s3cret-token"));
  BOOST_TEST(!operator_token_ok("bearer s3cret-token", "s3cret-token"));
  BOOST_TEST(!operator_token_ok("s3cret-token", "s3cret-token"));
  BOOST_TEST(!operator_token_ok("Bearer ", ""));  // no token configured: nobody is an operator
}

BOOST_AUTO_TEST_SUITE_END()
