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

// A node configured as `Brood.Test.` signs the brood the scout knows as `brood.test` (the
// review's L3: it used to get 401 on everything, and then be judged down).
BOOST_AUTO_TEST_CASE(any_spelling_of_the_domain_signs_the_same_brood) {
  const std::int64_t now = 1'763'779'200'000;
  request_verifier v("brood.test");
  BOOST_TEST(v.verify(signed_request(now, "Brood.Test."), now).has_value());
  request_verifier upper("BROOD.test.");
  BOOST_TEST(upper.verify(signed_request(now + 1, "brood.test"), now).has_value());
}

// Valid signatures by keys the scout does not serve are refused before they are remembered,
// so fresh keys cannot grow the replay cache (the review's M6); and whoever signs, the cache
// stays bounded.
BOOST_AUTO_TEST_CASE(strangers_cost_no_replay_memory) {
  const std::int64_t now = 1'763'779'200'000;
  request_verifier v("brood.test");
  auto member = node().pk();
  auto only_members = [&](const crypto::public_key& pk) { return pk == member; };
  for (int i = 0; i < 2000; ++i) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x42;
    seed[1] = static_cast<std::uint8_t>(i >> 8);
    seed[2] = static_cast<std::uint8_t>(i);
    auto stranger = crypto::identity::from_seed(seed);
    http::request r;
    r.method = "POST";
    r.path = "/heartbeat";
    sign_request(r, stranger, "brood.test", now);
    BOOST_TEST((v.verify(r, now, only_members).error() == error::unknown_key));
  }
  BOOST_TEST(v.remembered() == 0u);
  auto r = signed_request(now);
  BOOST_TEST(v.verify(r, now, only_members).has_value());
  BOOST_TEST((v.verify(r, now, only_members).error() == error::replayed));
  BOOST_TEST(v.remembered() == 1u);
  // Without the check (registration is open to any key) memory is still capped.
  request_verifier open("brood.test", std::chrono::seconds(60), 200);
  for (int i = 0; i < 300; ++i) {
    http::request q;
    q.method = "POST";
    q.path = "/register";
    q.body = std::to_string(i);  // a new request each time (the signature covers the body)
    sign_request(q, node(), "brood.test", now);
    BOOST_TEST(open.verify(q, now).has_value());
  }
  BOOST_TEST(open.remembered() == 200u);
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
