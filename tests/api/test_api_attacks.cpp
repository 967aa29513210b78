// Attacks on a scout, each as the review (notes on e2d7aae) describes it, against brood-api over
// real HTTPS writing into knotd, and what a pinned reader then sees through DoH: a DNS-token
// thief's _meta (C1), texts forged into a set (H1), two keys sharing an id10 (H3), strangers
// spending the provider budget (H4, over the Cloudflare fake's call counter), a registration
// flood (M2), a change past the DNS limits (L1), and a removed node's /watch (M9).
#include "api/api_lab.hpp"
#include "cloudflare_fake/fake_server.hpp"

#include <brood/crypto/box.hpp>
#include <brood/json/value.hpp>
#include <brood/records/record_set.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/wall_clock.hpp>

#include <filesystem>

using namespace brood;
using namespace brood::test;

BOOST_AUTO_TEST_SUITE(api_attacks)

namespace {
const records::names n("brood.test");

/// The brood as a reader pinned to `scout` with `key` sees it through DoH.
rt::task<records::view> read_pinned(test::dns_lab& lab, const crypto::identity& scout, const crypto::public_key& self,
                                    const crypto::secret_key& key, records::trust_store* trust = nullptr) {
  records::trust_store local;
  auto& t = trust ? *trust : local;
  t.scouts = {scout.pk()};
  t.keys = {key};
  records::view v;
  auto doh = lab.client(false);
  (void)co_await records::read_view(*doh, n, self, t, v);
  co_await doh->close();
  co_return v;
}

/// Adds `text` to the TXT set at `owner` the way a DNS-token thief would: straight through the
/// provider, signed by nobody the brood trusts.
rt::task<bool> plant(provider::provider& dns, std::string owner, std::string text) {
  std::vector<provider::rrset> sets{{owner, provider::rr_type::txt, 60, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<provider::rrset>& current) {
    auto next = current;
    next[0].values.push_back(text);
    return next;
  };
  std::string why;
  auto w = co_await dns.edit(std::move(sets), std::move(fn), &why);
  co_return w.has_value();
}

/// Starts `made` (the brood read) and serves it with the fake's certificate, a client in `s.c`.
rt::task<void> serve_on_cloudflare(serving& s, std::unique_ptr<api::api> made, test::cloudflare_fake_server& cf) {
  std::string why;
  auto started = co_await made->start(&why);
  BOOST_REQUIRE_MESSAGE(started.has_value(), why);
  s.service = std::move(made);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  s.server = std::make_unique<http::server>(s.service->router(), so);
  s.l.emplace(std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0))));
  s.creds.emplace(std::move(*tls::server_credentials::load({cf.leaf.cert_file, cf.leaf.key_file})));
  s.servers.spawn(s.server->serve(*s.l, &*s.creds));
  s.c.reset(new client{http::h2_client(trusting(cf.pki)), "localhost:" + std::to_string(s.l->local_address()->port())});
}

/// Two Ed25519 seeds whose keys share their id10 (b2c2050f90): found by a birthday search over
/// 2^20 seeds "brood-id10-collision" ‖ 0 ‖ u32le(i) at offset 24, i = 626975 and 968945.
crypto::identity colliding(std::uint32_t i) {
  std::array<std::uint8_t, 32> seed{};
  std::memcpy(seed.data(), "brood-id10-collision", 20);
  std::memcpy(seed.data() + 24, &i, 4);
  return crypto::identity::from_seed(seed);
}
}  // namespace

// C1: a stranger's _meta naming itself a scout, dated an hour ahead, added to the zone. A
// routine removal must not re-sign it: every pinned reader still trusts the real scout alone,
// and the forged record is gone from the zone.
static rt::task<void> forged_meta_is_never_resigned() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  const auto thief = seeded(200);
  const auto key = *api::load_brood_key(rl.state + "/brood.key");
  auto before = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), key.key);
  BOOST_REQUIRE(before.meta.has_value());
  auto forged = *before.meta;
  forged.scouts = {rl.scout.pk(), thief.pk()};
  forged.ts += 3'600'000;
  BOOST_REQUIRE(co_await plant(*rl.dns, n.meta(), records::encode(forged, n.meta(), thief)));
  co_await rl.serve();  // an API started after the forgery: it still trusts its pins
  auto r = co_await rl.c->send("DELETE", "/nodes/" + rl.nodes[2].id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);

  records::trust_store t;
  auto after = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), rl.service->key().key, &t);
  BOOST_REQUIRE(after.meta.has_value());
  BOOST_TEST((t.scouts == std::vector<crypto::public_key>{rl.scout.pk()}));
  BOOST_TEST((after.meta->scouts == std::vector<crypto::public_key>{rl.scout.pk()}));
  BOOST_TEST(after.meta->kv == 2u);
  std::string why;
  auto texts = co_await rl.dns->get(n.meta(), provider::rr_type::txt, &why);
  BOOST_REQUIRE(texts.has_value());
  BOOST_TEST(texts->size() == 1u);  // the forged one did not survive the rewrite
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(a_forged_meta_is_never_signed_by_the_scout) { co_await forged_meta_is_never_resigned(); }

// C1, second case: the forged _meta makes every parameter the thief's (a new subnet; a liveness
// the thief tunes). A restarted API works from its pins: new addresses stay in the real subnet.
static rt::task<void> forged_meta_after_restart() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  const auto thief = seeded(201);
  auto key = *api::load_brood_key(rl.state + "/brood.key");
  auto before = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), key.key);
  BOOST_REQUIRE(before.meta.has_value());
  auto forged = *before.meta;
  forged.scouts = {rl.scout.pk(), thief.pk()};
  forged.subnet = "10.99.0.0/16";
  forged.keepalive = 1;
  forged.stale = 2;
  forged.ts += 60'000;
  BOOST_REQUIRE(co_await plant(*rl.dns, n.meta(), records::encode(forged, n.meta(), thief)));
  co_await rl.serve();
  BOOST_TEST(rl.service->view().view.meta->subnet == "10.77.0.0/16");
  BOOST_TEST(rl.service->view().view.meta->stale == 90u);
  const auto newcomer = seeded(90);
  auto r = co_await rl.c->send("POST", "/register", register_body(newcomer, "n", "192.0.2.90:51820"), &newcomer, false);
  BOOST_TEST(r.status == 202, r.body);
  r = co_await rl.c->send("POST", "/approve/" + newcomer.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST(r.body.find("\"ip\":\"10.77.") != std::string::npos, r.body);
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(a_restarted_scout_keeps_its_pins_over_a_forged_meta) { co_await forged_meta_after_restart(); }

// H1: a member that also holds the DNS token forges a peer into its shard (a garbage sig=, ep=
// boxed with the brood key it holds), and garbage beside it. The next routine edit of that shard
// (an endpoint update) does not bless either: a pinned reader never sees the forged peer, and
// both texts are gone from the zone.
static rt::task<void> forged_member_is_not_carried() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  co_await rl.serve();
  const auto& victim = rl.nodes[0];
  const auto owner = n.node_shard(records::shard_of(victim.pk(), 16));
  const auto forged_pk = seeded(222).pk();
  const std::string forged = "v=1 pk=" + crypto::base64url(forged_pk) + " role=worker ip=10.77.9.9 ep=" +
                             std::string(60, 'A') + " ts=" + std::to_string(rt::unix_ms()) + " sig=" + std::string(86, 'A');
  BOOST_REQUIRE(co_await plant(*rl.dns, owner, forged));
  BOOST_REQUIRE(co_await plant(*rl.dns, owner, "v=1 x=1 sig=" + std::string(86, 'A')));
  auto r = co_await rl.c->send("POST", "/heartbeat", R"({"endpoints":["198.51.100.77:51820"]})", &victim, false);
  BOOST_TEST((r.status == 200 && r.body.find("\"updated\"") != std::string::npos), r.body);
  auto v = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), rl.service->key().key);
  BOOST_TEST(!v.find_node(forged_pk));
  BOOST_REQUIRE(v.find_node(victim.pk()));
  BOOST_TEST((v.find_node(victim.pk())->endpoints == std::vector<std::string>{"198.51.100.77:51820"}));
  BOOST_TEST(v.node_shards.at(records::shard_of(victim.pk(), 16)).complete);
  std::string why;
  auto texts = co_await rl.dns->get(owner, provider::rr_type::txt, &why);
  BOOST_REQUIRE(texts.has_value());
  for (auto& t : *texts) BOOST_TEST(t.find(std::string(86, 'A')) == std::string::npos, t);
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(a_forged_member_is_never_carried_into_a_signed_set) { co_await forged_member_is_not_carried(); }

// H1, second attack: one undecodable text in the shard of the node being removed used to stop
// the rotation half-way (502, the node still a peer everywhere, every later change refused);
// nor does a replayed record of a node removed before.
static rt::task<void> junk_does_not_stop_a_rotation() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  co_await rl.serve();
  const auto& gone = rl.nodes[0];
  const auto gone_owner = n.node_shard(records::shard_of(gone.pk(), 16));
  std::string why;
  auto before = co_await rl.dns->get(gone_owner, provider::rr_type::txt, &why);
  BOOST_REQUIRE(before.has_value());
  std::string gone_text;
  for (auto& t : *before)
    if (t.find(crypto::base64url(gone.pk())) != std::string::npos) gone_text = t;
  BOOST_REQUIRE(!gone_text.empty());
  BOOST_REQUIRE(co_await plant(*rl.dns, gone_owner, "v=1 x=1 sig=" + std::string(86, 'A')));
  auto r = co_await rl.c->send("DELETE", "/nodes/" + gone.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  auto v = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), rl.service->key().key);
  BOOST_TEST(!v.find_node(gone.pk()));
  BOOST_TEST(v.nodes().size() == 2u);
  r = co_await rl.c->send("POST", "/vlans", R"({"vni":101,"name":"green","subnet":"10.201.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  // The removed node's record from before the rotation put back (the scout really signed it;
  // its box is under the old key): the shard is still whole to the scout, so the next removal
  // goes through, and it does not come back.
  BOOST_REQUIRE(co_await plant(*rl.dns, gone_owner, gone_text));
  std::string refresh_why;
  auto refreshed = co_await rl.service->refresh(&refresh_why);
  BOOST_TEST(refreshed.has_value(), refresh_why);
  r = co_await rl.c->send("DELETE", "/nodes/" + rl.nodes[1].id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  v = co_await read_pinned(rl.lab, rl.scout, rl.nodes[2].pk(), rl.service->key().key);
  BOOST_TEST(!v.find_node(gone.pk()));
  BOOST_TEST(!v.find_node(rl.nodes[1].pk()));
  BOOST_TEST(v.nodes().size() == 1u);
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(garbage_in_a_shard_does_not_stop_a_rotation) { co_await junk_does_not_stop_a_rotation(); }

// H3: two keys sharing an id10. The second cannot register; planted straight into _p it makes
// approval ambiguous (409), never a coin toss; and it cannot act for the member it shadows.
static rt::task<void> colliding_keys() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  co_await rl.serve();
  auto& c = *rl.c;
  const auto a = colliding(626975), b = colliding(968945);
  BOOST_REQUIRE(a.id10() == b.id10());
  BOOST_REQUIRE(a.pk() != b.pk());
  auto r = co_await c.send("POST", "/register", register_body(a, "victim", "192.0.2.1:51820"), &a, false);
  BOOST_TEST(r.status == 202, r.body);
  r = co_await c.send("POST", "/register", register_body(b, "thief", "192.0.2.2:51820"), &b, false);
  BOOST_TEST(r.status == 409, r.body);
  // Planted by a token thief beside the victim's: the operator's approval refuses to guess.
  records::pending_record p{b.pk(), "thief", {"192.0.2.2:51820"}, rt::unix_ms()};
  const auto p_owner = n.pending_shard(records::shard_of(b.pk(), 16));
  BOOST_REQUIRE(co_await plant(*rl.dns, p_owner, records::encode(p, p_owner, b)));
  std::string why;
  (void)co_await rl.service->refresh(&why);
  r = co_await c.send("POST", "/approve/" + a.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);
  BOOST_TEST(r.body.find("two keys") != std::string::npos, r.body);
  // The thief's planted registration gone, the victim is approved; the thief is still nobody.
  std::vector<provider::rrset> sets{{p_owner, provider::rr_type::txt, 60, {}}};
  (void)co_await rl.dns->edit(std::move(sets), [&](const std::vector<provider::rrset>& current) {
    auto next = current;
    std::erase_if(next[0].values, [&](const std::string& t) { return t.find(crypto::base64url(b.pk())) != std::string::npos; });
    return next;
  }, &why);
  (void)co_await rl.service->refresh(&why);
  r = co_await c.send("POST", "/approve/" + a.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await c.send("POST", "/heartbeat", R"({"endpoints":["203.0.113.66:51820"]})", &b, false);
  BOOST_TEST(r.status == 403, r.body);
  r = co_await c.send("GET", "/nodes/" + a.id10(), "", &b, false);
  BOOST_TEST(r.status == 404, r.body);
  r = co_await c.send("GET", "/watch", "", &b, false);
  BOOST_TEST(r.status == 403, r.body);
  auto v = co_await read_pinned(rl.lab, rl.scout, rl.nodes[1].pk(), rl.service->key().key);
  BOOST_REQUIRE(v.find_node(a.pk()));
  BOOST_TEST((v.find_node(a.pk())->endpoints == std::vector<std::string>{"192.0.2.1:51820"}));
  BOOST_TEST(!v.find_node(b.pk()));
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(two_keys_sharing_an_id10_are_two_nodes) { co_await colliding_keys(); }

// M2: registrations are capped per shard and in all: a flood of fresh keys fills neither the
// zone nor a shard past the provider's limits, and the operator's changes still go through.
static rt::task<void> registration_flood() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  api::api_options o{"brood.test", token};
  o.registrations = o.registration_writes = {1000, 1000};  // the caps alone are tried here
  o.requests = {1000, 1000};
  o.max_pending = 20;
  o.max_pending_per_shard = 3;
  co_await rl.serve(std::move(o));
  int accepted = 0, refused = 0;
  for (std::uint32_t i = 0; i < 60; ++i) {
    const auto node = numbered(0x77, i);
    auto r = co_await rl.c->send("POST", "/register", register_body(node, "f", "192.0.2.3:51820"), &node, false);
    if (r.status == 202) ++accepted;
    if (r.status == 503) ++refused;
  }
  BOOST_TEST(accepted <= 20);
  BOOST_TEST(accepted + refused == 60);
  for (auto& s : records::all_shards(16)) {
    std::string why;
    auto texts = co_await rl.dns->get(n.pending_shard(s), provider::rr_type::txt, &why);
    BOOST_TEST((texts.has_value() && texts->size() <= 3u), s);
  }
  auto r = co_await rl.c->send("POST", "/vlans", R"({"vni":102,"name":"amber","subnet":"10.202.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(registrations_are_capped) { co_await registration_flood(); }

// L1: a change that would take a set past the provider's 8,192 characters is refused before the
// provider is called, and nothing is written.
static rt::task<void> limits_on_the_write_path() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  co_await rl.serve();
  int refused_at = -1;
  for (int i = 0; i < 60 && refused_at < 0; ++i) {
    const std::string body = "{\"vni\":" + std::to_string(1000 + i) + ",\"name\":\"" + std::string(28, 'v') +
                             std::to_string(1000 + i) + "\",\"subnet\":\"10.203.0.0/24\"}";
    auto r = co_await rl.c->send("POST", "/vlans", body, nullptr, true);
    if (r.status == 409 && r.body.find("DNS limits") != std::string::npos) refused_at = i;
    else BOOST_TEST(r.status == 201, r.body);
  }
  BOOST_TEST(refused_at > 10);
  std::string why;
  auto texts = co_await rl.dns->get(n.vlans(), provider::rr_type::txt, &why);
  BOOST_REQUIRE(texts.has_value());
  BOOST_TEST(records::set_content_chars(*texts) <= records::max_set_content);
  BOOST_TEST(texts->size() == static_cast<std::size_t>(refused_at) + 2u);  // the header, vlan 100, the ones that fit
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(a_change_past_the_dns_limits_is_refused_before_it_is_written) { co_await limits_on_the_write_path(); }

// H4, M2: strangers and pending nodes asking cost the Cloudflare budget nothing: every answer
// comes from the scout's view. (The old code spent two calls per GET /nodes/<id> and sixteen per
// stranger heartbeat.) Registrations cost it what the scout allows all clients together, a
// repeated one nothing; the operator can refuse one.
static rt::task<void> strangers_spend_no_budget() {
  test::cloudflare_fake_server cf;
  auto dns = std::move(*provider::cloudflare_provider::make(cf.options()));
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(*dns, n, scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  serving s;
  api::api_options o{"brood.test", token};
  o.requests = o.registrations = {1000, 1000};
  o.registration_writes = {0, 4};  // one for the pending node below, then three
  auto made = std::make_unique<api::api>(std::move(o), *dns, scout, key);
  co_await serve_on_cloudflare(s, std::move(made), cf);

  const auto pending = seeded(60);
  auto r = co_await s.c->send("POST", "/register", register_body(pending, "p", "192.0.2.60:51820"), &pending, false);
  BOOST_TEST(r.status == 202, r.body);
  const auto calls_before = cf.fake.calls();
  for (std::uint32_t i = 0; i < 100; ++i) {
    const auto stranger = numbered(0x55, i);
    r = co_await s.c->send("GET", "/nodes/" + stranger.id10(), "", &stranger, false);
    BOOST_TEST(r.status == 404, r.body);
    r = co_await s.c->send("POST", "/heartbeat", "{}", &stranger, false);
    BOOST_TEST(r.status == 403, r.body);
    r = co_await s.c->send("GET", "/nodes/" + pending.id10(), "", &pending, false, rt::unix_ms() + i);
    BOOST_TEST(r.body.find("\"pending\"") != std::string::npos, r.body);
    r = co_await s.c->send("GET", "/members", "", nullptr, true);
    BOOST_TEST(r.status == 200, r.body);
  }
  BOOST_TEST(cf.fake.calls() == calls_before);  // 400 requests, not one provider call

  // A pending agent restarted a few times: the same registration again writes nothing; one
  // dated two minutes off is refused outright.
  for (int i = 0; i < 5; ++i) {
    r = co_await s.c->send("POST", "/register", register_body(pending, "p", "192.0.2.60:51820"), &pending, false,
                           rt::unix_ms() + i);
    BOOST_TEST(r.status == 202, r.body);
  }
  const auto stale = seeded(61);
  r = co_await s.c->send("POST", "/register", register_body(stale, "s", "192.0.2.61:51820", rt::unix_ms() - 120'000),
                         &stale, false);
  BOOST_TEST(r.status == 400, r.body);
  BOOST_TEST(cf.fake.calls() == calls_before);

  // Fresh keys from many places, faster than the scout writes registrations for all clients
  // together: past the burst each is refused before the provider is called.
  const auto calls_at_burst = cf.fake.calls();
  int written = 0, busy = 0;
  for (std::uint32_t i = 0; i < 30; ++i) {
    const auto fresh = numbered(0x66, i);
    r = co_await s.c->send("POST", "/register", register_body(fresh, "f", "192.0.2.62:51820"), &fresh, false);
    if (r.status == 202) ++written;
    if (r.status == 503 && r.body.find("faster") != std::string::npos) ++busy;
  }
  BOOST_TEST(written == 3);
  BOOST_TEST(busy == 27);
  const auto calls_per_write = (cf.fake.calls() - calls_at_burst) / 3;
  BOOST_TEST(cf.fake.calls() - calls_at_burst == 3 * calls_per_write);  // the refused cost nothing

  // The operator refuses one: its record is gone, it is no longer known, a second refusal is 404.
  const auto refused = numbered(0x66, 0);
  r = co_await s.c->send("DELETE", "/pending/" + refused.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await s.c->send("GET", "/pending", "", nullptr, true);
  BOOST_TEST(r.body.find(refused.id10()) == std::string::npos, r.body);
  r = co_await s.c->send("GET", "/nodes/" + refused.id10(), "", &refused, false);
  BOOST_TEST(r.status == 404, r.body);
  r = co_await s.c->send("DELETE", "/pending/" + refused.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);

  // One held poll per key: a second one from the pending node is answered at once, so a
  // registration cannot buy a connection per request.
  {
    http::response first;
    auto hold = [&]() -> rt::task<void> {
      first = co_await s.c->send("GET", "/nodes/" + pending.id10() + "?wait=3", "", &pending, false, rt::unix_ms() + 200);
    };
    const rt::cancel_token parent = co_await rt::current_token();
    rt::task_scope polls(parent);
    polls.spawn(hold());
    (void)co_await rt::sleep_for(std::chrono::milliseconds(300));
    const auto t0 = rt::clock::now();
    r = co_await s.c->send("GET", "/nodes/" + pending.id10() + "?wait=3", "", &pending, false, rt::unix_ms() + 300);
    BOOST_TEST((r.status == 200 && r.body.find("\"pending\"") != std::string::npos), r.body);
    BOOST_TEST((rt::clock::now() - t0 < std::chrono::seconds(1)));
    co_await polls.join();
    BOOST_TEST((first.status == 200 && first.body.find("\"pending\"") != std::string::npos), first.body);
  }

  r = co_await s.c->send("POST", "/approve/" + pending.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  co_await s.stop_serving();
  co_await dns->close();
  co_await cf.stop();
}

BROOD_RT_TEST(strangers_and_pending_nodes_spend_no_provider_budget) { co_await strangers_spend_no_budget(); }

// H2 with Cloudflare, which has no prerequisites: two API processes of one scout make operator
// changes at the same moments. The change lease is theirs one at a time (a taker that finds
// another lease beside its own on reading back withdraws), so no change is lost.
static rt::task<void> cloudflare_lease_takers() {
  test::cloudflare_fake_server cf;
  auto dns = std::move(*provider::cloudflare_provider::make(cf.options()));
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(*dns, n, scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  // A lease left by a process that died: both takers find it lapsed (the old taker overwrote it,
  // and with Cloudflare two overwriting one record each read back only their own).
  const records::lease_record dead{scout.id10(), "0123456789abcdef", "approve", rt::unix_ms() - 1000, rt::unix_ms() - 61'000};
  BOOST_REQUIRE(co_await plant(*dns, n.lease(), records::encode(dead, n.lease(), scout)));
  serving a, b;
  for (auto* s : {&a, &b}) {
    api::api_options o{"brood.test", token};
    o.requests = {1000, 1000};
    o.lease_wait = std::chrono::seconds(30);
    auto made = std::make_unique<api::api>(std::move(o), *dns, scout, key);
    co_await serve_on_cloudflare(*s, std::move(made), cf);
  }
  std::vector<int> statuses;
  auto changes = [&](client* c, int first) -> rt::task<void> {
    for (int vni = first; vni < first + 4; ++vni) {
      const std::string body = "{\"vni\":" + std::to_string(vni) + ",\"name\":\"v" + std::to_string(vni) +
                               "\",\"subnet\":\"10.2" + std::to_string(vni % 100) + ".0.0/24\"}";
      auto r = co_await c->send("POST", "/vlans", body, nullptr, true);
      statuses.push_back(r.status);
      BOOST_TEST(r.status == 201, vni << ": " << r.body);
    }
  };
  {
    const rt::cancel_token parent = co_await rt::current_token();
    rt::task_scope both(parent);
    both.spawn(changes(a.c.get(), 210));
    both.spawn(changes(b.c.get(), 220));
    co_await both.join();
  }
  BOOST_TEST(statuses.size() == 8u);
  // Every change is there, as a pinned reader of the provider's records sees it.
  auto texts = co_await dns->get(n.vlans(), provider::rr_type::txt, &why);
  BOOST_REQUIRE(texts.has_value());
  records::view v;
  records::trust_store t;
  t.scouts = {scout.pk()};
  t.keys = {key.key};
  std::vector<records::problem> problems;
  auto meta = co_await dns->get(n.meta(), provider::rr_type::txt, &why);
  BOOST_REQUIRE(meta.has_value());
  records::apply_meta(v, t, n, *meta, problems);
  records::apply_vlans(v, t, n, *texts, problems);
  BOOST_REQUIRE(v.vlans.has_value());
  BOOST_TEST(v.vlans->complete);
  BOOST_TEST(v.vlans->members.size() == 8u);
  co_await a.stop_serving();
  co_await b.stop_serving();
  co_await dns->close();
  co_await cf.stop();
}

BROOD_RT_TEST(two_processes_on_cloudflare_take_the_change_lease_in_turn) { co_await cloudflare_lease_takers(); }

BOOST_AUTO_TEST_SUITE_END()
