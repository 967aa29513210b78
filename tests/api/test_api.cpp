// brood-api over real HTTPS (brood's server, brood's HTTP/2 client) writing through the RFC 2136
// provider into knotd: bootstrap, nodes register with signed requests, the operator lists and
// approves them, each node learns its status, and a node reads the whole brood back through DoH
// (unbound) with the key it picked up from its _k — verified and decrypted. Then the error
// statuses, from real requests: 400, 401, 403, 404, 409, 413, 429, 502 when the provider refuses
// and 503 with the provider gone. Vlans and trails, and broodctl driving it all. (Rotation,
// liveness and brood-api as processes: test_api_scouts.cpp.)
#include "api/api_lab.hpp"
#include "support/dns_lab.hpp"
#include "support/rt_test.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/api/api.hpp>
#include <brood/rt/timer.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include <brood/api/set_edit.hpp>
#include <brood/crypto/box.hpp>
#include <brood/http/server.hpp>
#include <brood/json/value.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/overlay_ip.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/task_scope.hpp>

using namespace brood;
using namespace brood::test;

BOOST_AUTO_TEST_SUITE(api_flow)


static rt::task<void> flow() {
  test::dns_lab lab("", crypto::base64(crypto::bytes_of(secret)));
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto provider = lab_provider(lab);
  provider::rfc2136_provider& dns = *provider;
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};  // a named local: GCC 12 mishandles
                                                              // temporaries in co_await arguments
  auto boot = co_await api::bootstrap(dns, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  BOOST_TEST(boot->added == 19u);  // _meta, _vl and _t headers, 16 _n headers
  auto again = co_await api::bootstrap(dns, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->added + again->removed == 0u);  // harmless when run again

  api::api service({"brood.test", token}, dns, scout, key);
  auto service_started = co_await service.start(&why);
  BOOST_REQUIRE_MESSAGE(service_started.has_value(), why);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  http::server server(service.router(), so);
  auto l = net::listener::bind(net::socket_address::ipv4_loopback(0));
  auto creds = tls::server_credentials::load({lab.leaf.cert_file, lab.leaf.key_file});
  BOOST_REQUIRE((l.has_value() && creds.has_value()));
  rt::task_scope servers{rt::no_parent};
  servers.spawn(server.serve(*l, &*creds));
  const http::client_options co = trusting(lab.pki);
  client c{http::h2_client(co), "localhost:" + std::to_string(l->local_address()->port())};

  const auto a = seeded(10), b = seeded(11), stranger = seeded(12);
  auto r = co_await c.send("POST", "/register", register_body(a, "node-a", "203.0.113.10:51820"), &a, false);
  BOOST_TEST(r.status == 202, r.body);
  r = co_await c.send("POST", "/register", register_body(b, "node-b", "[2001:db8::b]:51820"), &b, false);
  BOOST_TEST(r.status == 202, r.body);
  // A registration must be signed by the node it registers.
  r = co_await c.send("POST", "/register", register_body(b, "node-b", "198.51.100.1:1"), &stranger, false);
  BOOST_TEST(r.status == 403, r.body);
  r = co_await c.send("POST", "/register", register_body(a, "node-a", "203.0.113.10:51820"), nullptr, false);
  BOOST_TEST(r.status == 401, r.body);
  r = co_await c.send("POST", "/register", "{\"nope\":1}", &a, false);
  BOOST_TEST(r.status == 400, r.body);

  r = co_await c.send("GET", "/pending", "", nullptr, true);
  BOOST_REQUIRE(r.status == 200);
  auto pending = json::parse(r.body);
  BOOST_REQUIRE((pending.has_value() && pending->as_array()));
  BOOST_TEST(pending->as_array()->size() == 2u);
  r = co_await c.send("GET", "/pending", "", nullptr, false);
  BOOST_TEST(r.status == 401);
  r = co_await c.send("GET", "/pending", "", &a, false);  // a node is not an operator
  BOOST_TEST(r.status == 401);

  // B asks about itself: pending. A may not ask about B.
  r = co_await c.send("GET", "/nodes/" + b.id10(), "", &b, false);
  BOOST_TEST((r.status == 200 && r.body.find("\"pending\"") != std::string::npos), r.body);
  r = co_await c.send("GET", "/nodes/" + b.id10(), "", &a, false);
  BOOST_TEST(r.status == 403);

  r = co_await c.send("POST", "/approve/" + a.id10(), "{\"role\":\"worker\"}", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  auto approved = json::parse(r.body);
  BOOST_REQUIRE(approved.has_value());
  const std::string ip_a = *approved->find("ip")->as_string();
  BOOST_TEST(ip_a == *records::overlay_candidate(a.pk(), "10.77.0.0/16", 0));
  r = co_await c.send("POST", "/approve/" + a.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);
  r = co_await c.send("POST", "/approve/" + stranger.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);
  r = co_await c.send("POST", "/approve/XYZ", "", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("POST", "/approve/" + b.id10(), "{\"role\":\"king\"}", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("POST", "/approve/" + b.id10(), "{\"role\":\"scout\"}", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);

  r = co_await c.send("GET", "/members", "", nullptr, true);
  BOOST_REQUIRE(r.status == 200);
  auto members = json::parse(r.body);
  BOOST_TEST((members.has_value() && members->as_array()->size() == 2u));
  r = co_await c.send("GET", "/pending", "", nullptr, true);
  BOOST_TEST(r.body == "[]");
  r = co_await c.send("GET", "/nodes/" + a.id10(), "", &a, false);
  BOOST_TEST((r.status == 200 && r.body.find(ip_a) != std::string::npos), r.body);
  r = co_await c.send("POST", "/register", register_body(a, "node-a", "203.0.113.10:51820"), &a, false);
  BOOST_TEST((r.status == 200 && r.body.find("approved") != std::string::npos), r.body);

  // Node A, as a node does: its _k through DoH, opened with its own key; then the whole brood.
  auto doh = lab.client(false);
  records::names n("brood.test");
  auto k_texts = co_await doh->txt(n.key(a.id10()));
  BOOST_REQUIRE(k_texts.has_value());
  auto k = records::decode_key((*k_texts)[0].text(), n.key(a.id10()), std::vector<crypto::public_key>{scout.pk()});
  BOOST_REQUIRE(k.has_value());
  auto opened = records::open_key(*k, a);
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST((*opened == key.key));
  records::trust_store t;
  t.keys = {*opened};
  records::view v;
  auto report = co_await records::read_view(*doh, n, a.pk(), t, v);
  BOOST_TEST(v.nodes().size() == 2u);
  auto* seen_a = v.find_node(a.pk());
  BOOST_REQUIRE(seen_a);
  BOOST_TEST(seen_a->ip == ip_a);
  BOOST_TEST((seen_a->endpoints == std::vector<std::string>{"203.0.113.10:51820"}));
  BOOST_TEST(v.find_node(b.pk())->role == "scout");
  for (auto& p : report.problems)  // only the names nobody wrote yet (no _l)
    BOOST_TEST(p.owner == n.liveness(), p.owner << ": " << p.reason.message());

  r = co_await c.send("GET", "/healthz", "", nullptr, false);
  BOOST_TEST(r.status == 200);
  r = co_await c.send("GET", "/metrics", "", nullptr, false);
  BOOST_TEST(r.body.find("brood_api_approvals_total 2") != std::string::npos, r.body);

  // The provider gone: a clean 503 saying so, and nothing written.
  co_await lab.stop();
  const auto c_node = seeded(13);
  r = co_await c.send("POST", "/register", register_body(c_node, "node-c", "192.0.2.3:51820"), &c_node, false);
  BOOST_TEST(r.status == 503, r.body);
  BOOST_TEST(r.body.find("DNS provider") != std::string::npos, r.body);

  co_await doh->close();
  co_await c.http.close();
  server.shutdown();
  co_await servers.join();
}

/// A scout bootstrapped with its address is a member: SRV, its A and the domain's A name it,
/// its own _n (role scout, its endpoint) is in its shard, its _k opens to the brood key;
/// running it again writes nothing.
static rt::task<void> scout_member() {
  test::dns_lab lab("", crypto::base64(crypto::bytes_of(secret)));
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto provider = lab_provider(lab);
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  api::bootstrap_params params{65077, "10.77.0.0/16"};
  params.address = "192.0.2.1";
  auto boot = co_await api::bootstrap(*provider, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  BOOST_TEST(boot->added == 24u);  // 19 as without an address, and the scout's _n, _k, SRV, A, the domain's A
  auto again = co_await api::bootstrap(*provider, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->added + again->removed == 0u);

  auto doh = lab.client(false);
  records::names n("brood.test");
  auto srv = co_await doh->srv(n.scouts_srv());
  BOOST_REQUIRE(srv.has_value());
  BOOST_REQUIRE(srv->size() == 1u);
  BOOST_TEST((*srv)[0].port == 8443);
  BOOST_TEST((*srv)[0].target == scout.id10() + ".brood.test");
  auto a = co_await doh->query(scout.id10() + ".brood.test", dns::record_type::a);
  BOOST_REQUIRE(a.has_value());
  auto addrs = dns::parse_addresses(std::span(reinterpret_cast<const std::uint8_t*>(a->data()), a->size()),
                                    dns::record_type::a);
  BOOST_REQUIRE((addrs.has_value() && addrs->size() == 1u));
  BOOST_TEST((*addrs)[0].to_string() == "192.0.2.1:0");
  auto apex = co_await doh->query("brood.test", dns::record_type::a);
  BOOST_REQUIRE(apex.has_value());
  auto apex_addrs = dns::parse_addresses(std::span(reinterpret_cast<const std::uint8_t*>(apex->data()), apex->size()),
                                         dns::record_type::a);
  BOOST_TEST((apex_addrs.has_value() && apex_addrs->size() == 1u && (*apex_addrs)[0].to_string() == "192.0.2.1:0"));
  auto k_texts = co_await doh->txt(n.key(scout.id10()));
  BOOST_REQUIRE(k_texts.has_value());
  auto k = records::decode_key((*k_texts)[0].text(), n.key(scout.id10()), std::vector<crypto::public_key>{scout.pk()});
  BOOST_REQUIRE(k.has_value());
  auto opened = records::open_key(*k, scout);
  BOOST_TEST((opened.has_value() && *opened == key.key));
  records::trust_store t;
  t.keys = {key.key};
  records::view v;
  auto report = co_await records::read_view(*doh, n, scout.pk(), t, v);
  for (auto& p : report.problems) BOOST_TEST(p.owner == n.liveness(), p.owner << ": " << p.reason.message());
  auto* self = v.find_node(scout.pk());
  BOOST_REQUIRE(self);
  BOOST_TEST(self->role == "scout");
  BOOST_TEST((self->endpoints == std::vector<std::string>{"192.0.2.1:51820"}));
  BOOST_TEST(v.nodes().size() == 1u);
  co_await doh->close();
  co_await lab.stop();
}

BROOD_RT_TEST(a_scout_with_an_address_is_a_member) { co_await scout_member(); }

BROOD_RT_TEST(register_approve_and_read_back) { co_await flow(); }

/// 413, 429 and 502 from real requests: a body over the server's limit, a client over its
/// request rate (and over its registration rate), and a provider that refuses the change.
static rt::task<void> limits_flow() {
  knot_api k;
  k.options.requests = {2, 5};         // 2/s, a burst of 5
  k.options.registrations = {0.01, 2};  // 2, then one per 100 s
  bool ready = co_await k.start();
  if (!ready) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto& c = *k.c;

  auto r = co_await c.send("POST", "/vlans", std::string(2 << 20, ' '), nullptr, true);
  BOOST_TEST(r.status == 413, r.body);

  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) {
    r = co_await c.send("GET", "/vlans", "", nullptr, true);
    statuses.push_back(r.status);
  }
  BOOST_TEST((statuses == std::vector<int>{200, 200, 200, 200, 200, 429}));
  BOOST_TEST(r.header_value("retry-after") == "1");
  BOOST_TEST(r.body.find("too many requests") != std::string::npos, r.body);
  (void)co_await rt::sleep_for(std::chrono::milliseconds(600));  // one token back at 2/s
  r = co_await c.send("GET", "/vlans", "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);

  (void)co_await rt::sleep_for(std::chrono::milliseconds(2600));  // the request bucket refills
  const auto a = seeded(40), b = seeded(41), d = seeded(42);
  r = co_await c.send("POST", "/register", register_body(a, "a", "192.0.2.1:51820"), &a, false);
  BOOST_TEST(r.status == 202, r.body);
  r = co_await c.send("POST", "/register", register_body(b, "b", "192.0.2.2:51820"), &b, false);
  BOOST_TEST(r.status == 202, r.body);
  r = co_await c.send("POST", "/register", register_body(d, "d", "192.0.2.3:51820"), &d, false);
  BOOST_TEST(r.status == 429, r.body);
  BOOST_TEST(r.header_value("retry-after") == "100");
  auto metrics = co_await c.send("GET", "/metrics", "", nullptr, false);
  BOOST_TEST(metrics.body.find("brood_api_rate_limited_total 2\n") != std::string::npos, metrics.body);

  // A scout whose TSIG key knotd does not know: the provider refuses the change, 502, its words.
  provider::rfc2136_options po;
  po.server = net::socket_address::ipv4_loopback(k.lab.knot_port);
  po.zone = "brood.test";
  po.key = {"brood-update", std::string(32, '\x44')};
  provider::rfc2136_provider wrong(po);
  api::api refused({"brood.test", token}, wrong, k.scout, k.key);
  std::string why;
  auto refused_started = co_await refused.start(&why);
  BOOST_REQUIRE_MESSAGE(refused_started.has_value(), why);
  http::server_options so;
  so.access_log = [](const http::access_entry&) {};
  http::server server2(refused.router(), so);
  auto l2 = net::listener::bind(net::socket_address::ipv4_loopback(0));
  BOOST_REQUIRE(l2.has_value());
  k.servers.spawn(server2.serve(*l2, &*k.creds));
  const http::client_options co = trusting(k.lab.pki);
  client c2{http::h2_client(co), "localhost:" + std::to_string(l2->local_address()->port())};
  r = co_await c2.send("POST", "/vlans", R"({"vni":100,"name":"blue","subnet":"10.200.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 502, r.body);
  BOOST_TEST(r.body.find("DNS provider") != std::string::npos, r.body);
  r = co_await c.send("GET", "/vlans", "", nullptr, true);
  BOOST_TEST(r.body == "[]");  // nothing written

  co_await c2.http.close();
  co_await c.http.close();
  server2.shutdown();
  k.server->shutdown();
  co_await k.servers.join();
  co_await k.lab.stop();
}

BROOD_RT_TEST(limits_answer_413_429_and_502) { co_await limits_flow(); }

BOOST_AUTO_TEST_CASE(both_ends_of_a_trail_derive_one_tunnel) {
  auto here = api::trail_address("brood.test", "other.test"), there = api::trail_address("other.test", "brood.test");
  BOOST_TEST(here.ends_with("/30"));
  BOOST_TEST(here.substr(0, here.rfind('.')) == there.substr(0, there.rfind('.')));  // the same /30
  BOOST_TEST(here != there);                                                         // different ends
  auto last = [](const std::string& a) { return std::stoi(a.substr(a.rfind('.') + 1, a.find('/') - a.rfind('.') - 1)); };
  BOOST_TEST(last(here) % 4 + last(there) % 4 == 3);  // the block's .1 and .2, one each
}


static rt::task<void> vlan_flow() {
  knot_api k;
  bool ready = co_await k.start();
  if (!ready) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  [[maybe_unused]] auto& lab = k.lab;
  [[maybe_unused]] auto& c = *k.c;
  [[maybe_unused]] auto& server = *k.server;
  [[maybe_unused]] auto& servers = k.servers;
  [[maybe_unused]] const auto& scout = k.scout;
  [[maybe_unused]] const auto& key = k.key;
  [[maybe_unused]] auto* l = &*k.l;
  const auto a = seeded(20), b = seeded(21);
  for (auto* node : {&a, &b}) {
    auto r = co_await c.send("POST", "/register", register_body(*node, "n", "192.0.2.1:51820"), node, false);
    BOOST_REQUIRE(r.status == 202);
    r = co_await c.send("POST", "/approve/" + node->id10(), "", nullptr, true);
    BOOST_REQUIRE(r.status == 200);
  }

  auto r = co_await c.send("POST", "/vlans", R"({"vni":100,"name":"blue","subnet":"10.200.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  r = co_await c.send("POST", "/vlans", R"({"vni":100,"name":"green","subnet":"10.201.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // duplicate vni
  r = co_await c.send("POST", "/vlans", R"({"vni":101,"name":"blue","subnet":"10.201.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // duplicate name
  r = co_await c.send("POST", "/vlans", R"({"vni":0,"name":"zero","subnet":"10.201.0.0/24"})", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("POST", "/vlans", R"({"vni":102,"name":"hosty","subnet":"10.201.0.1/24"})", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("POST", "/vlans", R"({"vni":102,"name":"nope"})", nullptr, false);
  BOOST_TEST(r.status == 401, r.body);
  r = co_await c.send("GET", "/vlans", "", nullptr, true);
  BOOST_TEST(r.body == R"([{"vni":100,"name":"blue","subnet":"10.200.0.0/24"}])");

  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + a.id10() + "\",\"ip\":\"10.200.0.10\"}", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"10.200.0.10\"}", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // ip in use
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + a.id10() + "\",\"ip\":\"10.200.0.11\"}", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // already a member
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"10.9.0.1\"}", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // outside the subnet
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"10.200.0.255\"}", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // the broadcast address
  r = co_await c.send("POST", "/vlans/100/members", R"({"id":"0123456789","ip":"10.200.0.12"})", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);  // no such node
  r = co_await c.send("POST", "/vlans/999/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"10.200.0.12\"}", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);  // no such vlan
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"10.200.0.12\"}", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  r = co_await c.send("GET", "/vlans/100/members", "", nullptr, true);
  BOOST_TEST((r.status == 200 && r.body.find("10.200.0.12") != std::string::npos), r.body);

  // Node A reads its membership through DoH.
  auto doh = lab.client(false);
  records::names n("brood.test");
  records::trust_store t;
  t.scouts = {scout.pk()};
  t.keys = {key.key};
  records::view v;
  (void)co_await records::read_view(*doh, n, a.pk(), t, v);
  BOOST_TEST((v.memberships(a.pk()) == std::map<std::uint32_t, std::string>{{100, "10.200.0.10"}}));

  r = co_await c.send("DELETE", "/vlans/100/members/" + a.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await c.send("DELETE", "/vlans/100/members/" + a.id10(), "", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);
  (void)co_await records::read_view(*doh, n, a.pk(), t, v);
  BOOST_TEST(v.memberships(a.pk()).empty());

  // One address, two spellings: stored in one, and "in use" sees through the other.
  r = co_await c.send("POST", "/vlans", R"({"vni":103,"name":"six","subnet":"2001:DB8:0:7::/64"})", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  r = co_await c.send("POST", "/vlans/103/members", "{\"id\":\"" + a.id10() + "\",\"ip\":\"2001:db8:0:7::a\"}", nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  r = co_await c.send("POST", "/vlans/103/members", "{\"id\":\"" + b.id10() + "\",\"ip\":\"2001:DB8:0:7:0::A\"}", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);  // the same address
  r = co_await c.send("GET", "/vlans", "", nullptr, true);
  BOOST_TEST(r.body.find(R"("subnet":"2001:db8:0:7::/64")") != std::string::npos, r.body);

  // Trails: this scout is no node of its own brood here, so it must be told its endpoint.
  r = co_await c.send("POST", "/trails", R"({"remote_domain":"other.test","priority":10})", nullptr, true);
  BOOST_TEST(r.status == 409, r.body);
  r = co_await c.send("POST", "/trails", R"({"remote_domain":"other.test","priority":10,"endpoint":"198.51.100.7:51821"})",
                      nullptr, true);
  BOOST_TEST(r.status == 201, r.body);
  BOOST_TEST(r.body.find(api::trail_address("brood.test", "other.test")) != std::string::npos, r.body);
  r = co_await c.send("POST", "/trails", R"({"remote_domain":"brood.test"})", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("POST", "/trails", R"({"remote_domain":"other.test","priority":70000})", nullptr, true);
  BOOST_TEST(r.status == 400, r.body);
  r = co_await c.send("GET", "/trails", "", nullptr, true);
  BOOST_TEST((r.status == 200 && r.body.find("198.51.100.7:51821") != std::string::npos), r.body);
  records::view tv;
  records::read_options with_trails;
  with_trails.trails = true;
  (void)co_await records::read_view(*doh, n, a.pk(), t, tv, with_trails);
  BOOST_TEST((tv.trails.has_value() && tv.trails->members.size() == 1u));
  r = co_await c.send("DELETE", "/trails/other.test", "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await c.send("DELETE", "/trails/other.test", "", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);

  r = co_await c.send("DELETE", "/vlans/100", "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await c.send("DELETE", "/vlans/100", "", nullptr, true);
  BOOST_TEST(r.status == 404, r.body);
  r = co_await c.send("DELETE", "/vlans/103", "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  r = co_await c.send("GET", "/vlans", "", nullptr, true);
  BOOST_TEST(r.body == "[]");
  auto gone = co_await doh->txt(n.member_shard(records::shard_of(b.pk(), 16), 100));
  BOOST_TEST((gone.error() == dns::error::nxdomain));

  co_await doh->close();
  co_await c.http.close();
  server.shutdown();
  co_await servers.join();
  co_await lab.stop();
}

BROOD_RT_TEST(vlans_and_members) { co_await vlan_flow(); }

namespace {
struct ctl_result {
  int code = -1;
  std::string out, err;
};

/// Runs the broodctl binary with `line` (words separated by spaces) and BROOD_API,
/// BROOD_API_TOKEN and BROOD_CA_FILE set. (A string, not a braced list: GCC 12 mishandles
/// braced temporaries in co_await arguments.)
rt::task<ctl_result> broodctl(std::string line, std::string api_url, std::string tok, std::string ca) {
  std::vector<std::string> args{BROOD_BROODCTL};
  for (std::size_t at = 0; at < line.size();) {
    auto sp = line.find(' ', at);
    args.push_back(line.substr(at, sp - at));
    at = sp == std::string::npos ? line.size() : sp + 1;
  }
  rt::process_options o;
  o.in = rt::process_options::stdio::null;
  o.out = o.err = rt::process_options::stdio::pipe;
  o.env = {"BROOD_API=" + api_url, "BROOD_CA_FILE=" + ca};
  if (!tok.empty()) o.env.push_back("BROOD_API_TOKEN=" + tok);
  ctl_result r;
  auto p = rt::process::spawn(args, o);
  if (!p) co_return r;
  auto out = co_await rt::read_to_end(p->stdout_fd());
  auto err = co_await rt::read_to_end(p->stderr_fd());
  auto st = co_await p->wait();
  r.code = st && st->exited ? st->code : -1;
  r.out = out ? *out : "";
  r.err = err ? *err : "";
  co_return r;
}
}  // namespace

static rt::task<void> ctl_flow() {
  knot_api k;
  bool ready = co_await k.start();
  if (!ready) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  [[maybe_unused]] auto& lab = k.lab;
  [[maybe_unused]] auto& c = *k.c;
  [[maybe_unused]] auto& server = *k.server;
  [[maybe_unused]] auto& servers = k.servers;
  [[maybe_unused]] const auto& scout = k.scout;
  [[maybe_unused]] const auto& key = k.key;
  [[maybe_unused]] auto* l = &*k.l;
  const auto a = seeded(30);
  auto reg = co_await c.send("POST", "/register", register_body(a, "worker-a", "203.0.113.30:51820"), &a, false);
  BOOST_REQUIRE(reg.status == 202);
  const std::string url = "https://localhost:" + std::to_string(l->local_address()->port());
  const std::string ca = lab.pki.ca_file();

  auto r = co_await broodctl("pending", url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.starts_with("ID"), r.out);  // a table with a header line
  BOOST_TEST(r.out.find(a.id10()) != std::string::npos, r.out);
  BOOST_TEST(r.out.find("worker-a") != std::string::npos, r.out);
  r = co_await broodctl("--json approve " + a.id10(), url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  auto approved = json::parse(r.out);
  BOOST_TEST((approved.has_value() && approved->find("ip") != nullptr), r.out);
  r = co_await broodctl("approve " + a.id10(), url, token, ca);
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("409") != std::string::npos, r.err);
  r = co_await broodctl("members", url, token, ca);
  BOOST_TEST((r.code == 0 && r.out.find(a.id10()) != std::string::npos), r.out);
  r = co_await broodctl("vlan create 100 blue 10.200.0.0/24", url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  r = co_await broodctl("vlan add 100 " + a.id10() + " 10.200.0.5", url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  r = co_await broodctl("vlan members 100", url, token, ca);
  BOOST_TEST((r.code == 0 && r.out.find("10.200.0.5") != std::string::npos), r.out);
  r = co_await broodctl("--json vlan list", url, token, ca);
  BOOST_TEST(r.out == "[{\"vni\":100,\"name\":\"blue\",\"subnet\":\"10.200.0.0/24\"}]\n");
  r = co_await broodctl("status", url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.starts_with("domain: brood.test\nscout: " + k.scout.id10() + "\n"), r.out);
  BOOST_TEST(r.out.find("\nprovider: rfc2136\nkv: 1\nrotation: none\nmembers: 1\n") != std::string::npos, r.out);
  r = co_await broodctl("trail add other.test --priority 20 --endpoint 198.51.100.7:51821", url, token, ca);
  BOOST_TEST(r.code == 0, r.err);
  r = co_await broodctl("trail list", url, token, ca);
  BOOST_TEST((r.code == 0 && r.out.find("198.51.100.7:51821") != std::string::npos), r.out);

  // Exit codes scripts can trust.
  r = co_await broodctl("pending", url, "wrong-token", ca);
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("401") != std::string::npos, r.err);
  r = co_await broodctl("pending", url, "", ca);
  BOOST_TEST(r.code == 2);
  r = co_await broodctl("frobnicate", url, token, ca);
  BOOST_TEST(r.code == 2);
  r = co_await broodctl("vlan create 1;2 x 10.0.0.0/8", url, token, ca);
  BOOST_TEST(r.code == 2);
  co_await lab.knot.stop();
  // The provider is gone: reads still answer from what the scout verified; a change is 503.
  r = co_await broodctl("members", url, token, ca);
  BOOST_TEST((r.code == 0 && r.out.find(a.id10()) != std::string::npos), r.out);
  r = co_await broodctl("vlan create 101 green 10.201.0.0/24", url, token, ca);
  BOOST_TEST(r.code == 3, r.err);
  server.shutdown();
  co_await servers.join();
  r = co_await broodctl("members", url, token, ca);
  BOOST_TEST(r.code == 3, r.err);  // the API is gone

  co_await c.http.close();
  co_await lab.stop();
}

BROOD_RT_TEST(broodctl_drives_the_api) { co_await ctl_flow(); }

BOOST_AUTO_TEST_SUITE_END()
