// brood-api against its other provider and against itself: the operator flow — register,
// approve, vlan, membership, removal with rotation — through the Cloudflare provider and
// tests/cloudflare_fake, every record read back from the fake and folded into a node's view with
// the new key; and two API instances approving at the same time over knotd, losing nothing.
#include "api/api_lab.hpp"
#include "cloudflare_fake/fake_server.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/crypto/box.hpp>
#include <brood/json/value.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/records/view_update.hpp>

#include <filesystem>
#include <set>

using namespace brood;
using namespace brood::test;

BOOST_AUTO_TEST_SUITE(api_providers)

namespace {
/// An in-process API on a loopback TLS port and an HTTP/2 client for it.
struct served_api {
  api::api service;
  http::server server;
  net::listener listener = std::move(*net::listener::bind(net::socket_address::ipv4_loopback(0)));
  tls::server_credentials creds;
  rt::task_scope scope{rt::no_parent};
  http::h2_client http;

  served_api(api::api_options o, provider::provider& p, const crypto::identity& scout, api::brood_key key,
             const test::test_pki& pki, const test::test_pki::leaf& leaf)
      : service(std::move(o), p, scout, key),
        server(service.router(), quiet()),
        creds(std::move(*tls::server_credentials::load({leaf.cert_file, leaf.key_file}))),
        http(trusting(pki)) {
    scope.spawn(server.serve(listener, &creds));
  }
  static http::server_options quiet() {
    http::server_options o;
    o.access_log = [](const http::access_entry&) {};
    return o;
  }
  rt::task<http::response> send(std::string method, std::string path, std::string body,
                                const crypto::identity* node = nullptr) {
    auto r = api_request(std::move(method), std::move(path), std::move(body), node, node ? "" : token, rt::unix_ms());
    auto resp = co_await http.request("localhost:" + std::to_string(listener.local_address()->port()), std::move(r));
    co_return or_599(std::move(resp));
  }
  rt::task<void> start() {
    std::string why;
    auto started = co_await service.start(&why);
    BOOST_REQUIRE_MESSAGE(started.has_value(), "api start: " << why);
  }
  rt::task<void> stop() {
    co_await http.close();
    server.shutdown();
    co_await scope.join();
  }
};

std::string register_body(const crypto::identity& node) {
  records::pending_record p{node.pk(), "n", {"192.0.2.1:51820"}, rt::unix_ms()};
  const auto owner = records::names("brood.test").pending_shard(records::shard_of(node.pk(), 16));
  return "{\"record\":\"" + records::encode(p, owner, node) + "\"}";
}

std::string temp_dir() {
  char t[] = "/tmp/brood-state-XXXXXX";
  return ::mkdtemp(t);
}
}  // namespace

static rt::task<void> cloudflare_flow() {
  test::cloudflare_fake_server cf;
  auto dns = std::move(*provider::cloudflare_provider::make(cf.options()));
  const auto state = temp_dir();
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(*dns, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  served_api a({"brood.test", token, state}, *dns, scout, key, cf.pki, cf.leaf);
  co_await a.start();
  const crypto::identity nodes[3] = {seeded(50), seeded(51), seeded(52)};
  for (auto& node : nodes) {
    auto r = co_await a.send("POST", "/register", register_body(node), &node);
    BOOST_TEST(r.status == 202, r.body);
    r = co_await a.send("POST", "/approve/" + node.id10(), "");
    BOOST_TEST(r.status == 200, r.body);
  }
  auto r = co_await a.send("POST", "/vlans", R"({"vni":100,"name":"blue","subnet":"10.200.0.0/24"})");
  BOOST_TEST(r.status == 201, r.body);
  r = co_await a.send("POST", "/vlans/100/members", "{\"id\":\"" + nodes[1].id10() + "\",\"ip\":\"10.200.0.5\"}");
  BOOST_TEST(r.status == 201, r.body);
  r = co_await a.send("DELETE", "/nodes/" + nodes[0].id10(), "");
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST_MESSAGE("Cloudflare calls: " << cf.fake.calls() << ", of which writes: " << cf.fake.writes());

  // Node 1, reading what Cloudflare holds: its _k opens to the new key, which decrypts the rest.
  records::names n("brood.test");
  auto k_texts = co_await dns->get(n.key(nodes[1].id10()), provider::rr_type::txt, &why);
  BOOST_REQUIRE((k_texts.has_value() && k_texts->size() == 1u));
  auto k = records::decode_key((*k_texts)[0], n.key(nodes[1].id10()), std::vector<crypto::public_key>{scout.pk()});
  BOOST_REQUIRE(k.has_value());
  BOOST_TEST(k->kv == 2u);
  auto opened = records::open_key(*k, nodes[1]);
  BOOST_REQUIRE(opened.has_value());
  records::trust_store t;
  t.scouts = {scout.pk()};
  t.keys = {*opened};
  records::view v;
  std::vector<records::problem> problems;
  auto texts_of = [&](const std::string& name) -> rt::task<records::texts> {
    return [](provider::cloudflare_provider* p, std::string nm) -> rt::task<records::texts> {
      std::string w;
      auto got = co_await p->get(nm, provider::rr_type::txt, &w);
      co_return got ? *got : records::texts{};
    }(dns.get(), name);
  };
  auto meta_texts = co_await texts_of(n.meta());
  records::apply_meta(v, t, n, meta_texts, problems);
  auto vl_texts = co_await texts_of(n.vlans());
  records::apply_vlans(v, t, n, vl_texts, problems);
  for (auto& s : records::all_shards(16)) {
    auto shard_texts = co_await texts_of(n.node_shard(s));
    records::apply_node_shard(v, t, n, s, shard_texts, problems);
  }
  const auto own = records::shard_of(nodes[1].pk(), 16);
  auto m_texts = co_await texts_of(n.member_shard(own, 100));
  records::apply_member_shard(v, t, n, own, 100, m_texts, problems);
  for (auto& p : problems) BOOST_TEST(false, p.owner << ": " << p.reason.message());
  BOOST_TEST(v.meta->kv == 2u);
  BOOST_TEST(v.nodes().size() == 2u);
  BOOST_TEST(!v.find_node(nodes[0].pk()));
  BOOST_TEST((v.memberships(nodes[1].pk()) == std::map<std::uint32_t, std::string>{{100, "10.200.0.5"}}));

  co_await a.stop();
  co_await dns->close();
  co_await cf.stop();
  std::filesystem::remove_all(state);
}

BROOD_RT_TEST(the_operator_flow_through_cloudflare) { co_await cloudflare_flow(); }

namespace {
rt::task<void> approve(served_api* a, std::string id, int* status) {
  auto r = co_await a->send("POST", "/approve/" + id, "");
  *status = r.status;
}
}  // namespace

static rt::task<void> two_apis() {
  const std::string secret(32, '\x44');
  test::dns_lab lab("", crypto::base64(crypto::bytes_of(secret)));
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  provider::rfc2136_options po;
  po.server = net::socket_address::ipv4_loopback(lab.knot_port);
  po.zone = "brood.test";
  po.key = {"brood-update", secret};
  po.attempts = 8;
  provider::rfc2136_provider dns1(po), dns2(po);
  const auto scout = seeded(1);
  api::brood_key key{1, crypto::random_secret_key()};
  std::string why;
  const api::bootstrap_params params{65077, "10.77.0.0/16"};
  auto boot = co_await api::bootstrap(dns1, records::names("brood.test"), scout, key, params, &why);
  BOOST_REQUIRE_MESSAGE(boot.has_value(), why);
  served_api a1({"brood.test", token, ""}, dns1, scout, key, lab.pki, lab.leaf);
  served_api a2({"brood.test", token, ""}, dns2, scout, key, lab.pki, lab.leaf);
  co_await a1.start();
  co_await a2.start();
  std::vector<crypto::identity> nodes;
  for (std::uint8_t i = 0; i < 6; ++i) {
    nodes.push_back(seeded(static_cast<std::uint8_t>(60 + i)));
    served_api* target = i % 2 ? &a1 : &a2;
    auto r = co_await target->send("POST", "/register", register_body(nodes.back()), &nodes.back());
    BOOST_TEST(r.status == 202, r.body);
  }
  int statuses[6] = {};
  {
    rt::task_scope s{rt::no_parent};
    for (int i = 0; i < 6; ++i) s.spawn(approve(i % 2 ? &a1 : &a2, nodes[static_cast<std::size_t>(i)].id10(), &statuses[i]));
    co_await s.join();
  }
  for (int st : statuses) BOOST_TEST(st == 200);
  auto r = co_await a1.send("GET", "/members", "");
  auto members = json::parse(r.body);
  BOOST_REQUIRE((members.has_value() && members->as_array()));
  BOOST_TEST(members->as_array()->size() == 6u);  // no approval lost
  std::set<std::string> ips;
  for (auto& m : *members->as_array()) ips.insert(*m.find("ip")->as_string());
  BOOST_TEST(ips.size() == 6u);  // and no address given twice
  co_await a1.stop();
  co_await a2.stop();
  co_await lab.stop();
}

BROOD_RT_TEST(two_apis_approving_at_once_lose_nothing) { co_await two_apis(); }

BOOST_AUTO_TEST_SUITE_END()
