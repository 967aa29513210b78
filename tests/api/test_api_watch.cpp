// GET /watch against curl as the watching node: only signed members may watch; each operator
// action arrives on the open stream as the sets the scout just wrote, byte for byte what DoH
// answers for those names afterwards; folded into a node's view with apply_pushed they give the
// same view a DoH read gives; a node's second stream replaces its first; a drain ends the stream
// cleanly.
#include "api/api_lab.hpp"

#include <brood/rt/wall_clock.hpp>
#include <brood/json/value.hpp>
#include <brood/records/view_reader.hpp>
#include <brood/rt/process.hpp>
#include <brood/rt/timer.hpp>

#include <algorithm>

using namespace brood;
using namespace brood::test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(api_watch)

namespace {

/// curl holding GET /watch open as `node`, its stdout read line by line.
struct watcher {
  rt::process p;
  std::string buf;

  static rt::result<watcher> start(const knot_api& k, const crypto::identity& node) {
    return start(k.lab.pki, k.l->local_address()->port(), node);
  }
  static rt::result<watcher> start(const test::test_pki& pki, std::uint16_t port, const crypto::identity& node) {
    http::request r;
    r.method = "GET";
    r.path = "/watch";
    auth::sign_request(r, node, "brood.test", rt::unix_ms());
    std::vector<std::string> argv{"curl", "-sS", "-N", "--http2", "--cacert", pki.ca_file()};
    for (auto& h : r.headers) {
      argv.push_back("-H");
      argv.push_back(h.name + ": " + h.value);
    }
    argv.push_back("https://localhost:" + std::to_string(port) + "/watch");
    rt::process_options o;
    o.out = rt::process_options::stdio::pipe;
    o.err = rt::process_options::stdio::null;
    auto p = rt::process::spawn(argv, o);
    if (!p) return p.error();
    return watcher{std::move(*p), {}};
  }

  /// The next line, within 5 s.
  rt::task<std::optional<std::string>> line() {
    const auto deadline = rt::clock::now() + 5s;
    std::byte chunk[8192];
    for (;;) {
      if (auto nl = buf.find('\n'); nl != std::string::npos) {
        std::string l = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        co_return l;
      }
      auto n = co_await rt::read(p.stdout_fd(), chunk, -1, rt::io_options{deadline});
      if (!n || *n == 0) co_return std::nullopt;
      buf.append(reinterpret_cast<const char*>(chunk), *n);
    }
  }

  /// The next write (a line with "sets"), skipping pings.
  rt::task<std::optional<json::value>> next_write() {
    for (int i = 0; i < 10; ++i) {
      auto l = co_await line();
      if (!l) co_return std::nullopt;
      auto doc = json::parse(*l);
      BOOST_REQUIRE_MESSAGE(doc.has_value(), *l);
      if (doc->find("sets")) co_return std::move(*doc);
    }
    co_return std::nullopt;
  }
};

/// The names and values of a pushed write.
std::map<std::string, std::vector<std::string>> sets_of(const json::value& write) {
  std::map<std::string, std::vector<std::string>> out;
  for (auto& s : *write.find("sets")->as_array()) {
    auto& values = out[*s.find("name")->as_string()];
    for (auto& v : *s.find("values")->as_array()) values.push_back(*v.as_string());
  }
  return out;
}

/// Folds a pushed write into `v` as the node would.
void fold(records::view& v, records::trust_store& t, const crypto::identity& self, const json::value& write) {
  std::vector<records::pushed_set> sets;
  for (auto& [name, values] : sets_of(write)) sets.push_back({name, values});
  std::vector<records::problem> problems;
  const auto self_pk = self.pk();
  BOOST_TEST(records::apply_pushed(v, t, records::names("brood.test"), &self_pk, sets, problems, rt::unix_ms()) > 0u);
  for (auto& p : problems) BOOST_ERROR("pushed " << p.owner << ": " << p.reason.message());
}

rt::task<void> watch_flow() {
  knot_api k;
  k.options.watch.keepalive = 200ms;  // pings show up within the test
  bool ready = co_await k.start();
  if (!ready) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto& c = *k.c;
  const auto a = seeded(30), b = seeded(31), stranger = seeded(32);
  for (auto* node : {&a, &b}) {
    auto r = co_await c.send("POST", "/register", register_body(*node, "n", "192.0.2.1:51820"), node, false);
    BOOST_REQUIRE(r.status == 202);
    r = co_await c.send("POST", "/approve/" + node->id10(), "", nullptr, true);
    BOOST_REQUIRE(r.status == 200);
  }
  auto r = co_await c.send("GET", "/watch", "", &stranger, false);
  BOOST_TEST(r.status == 403, r.body);
  r = co_await c.send("GET", "/watch", "", nullptr, false);
  BOOST_TEST(r.status == 401, r.body);

  // Node A's view, read through DoH before the watch starts.
  records::names n("brood.test");
  records::trust_store t;
  t.scouts = {k.scout.pk()};
  t.keys = {k.key.key};
  records::view v;
  auto doh = k.lab.client(false);
  (void)co_await records::read_view(*doh, n, a.pk(), t, v);
  BOOST_REQUIRE(v.nodes().size() == 2u);

  auto w = watcher::start(k, a);
  BOOST_REQUIRE(w.has_value());
  auto hello = co_await w->line();
  BOOST_REQUIRE(hello.has_value());
  BOOST_TEST(hello->starts_with("{\"hello\":{\"seq\":"), *hello);
  auto ping = co_await w->line();  // nothing written for 200 ms
  BOOST_TEST((ping && ping->starts_with("{\"ping\":")), ping.value_or("(none)"));

  // A vlan: the write that makes it arrives on the stream, as DoH will answer it.
  r = co_await c.send("POST", "/vlans", R"({"vni":100,"name":"blue","subnet":"10.200.0.0/24"})", nullptr, true);
  BOOST_REQUIRE(r.status == 201);
  auto vlan_write = co_await w->next_write();
  BOOST_REQUIRE(vlan_write.has_value());
  auto pushed = sets_of(*vlan_write);
  BOOST_REQUIRE(pushed.count(n.vlans()) == 1u);
  auto answer = co_await doh->txt(n.vlans());
  BOOST_REQUIRE(answer.has_value());
  std::vector<std::string> dns_texts;
  for (auto& rr : *answer) dns_texts.push_back(rr.text());
  std::sort(dns_texts.begin(), dns_texts.end());
  auto pushed_texts = pushed[n.vlans()];
  std::sort(pushed_texts.begin(), pushed_texts.end());
  BOOST_TEST(pushed_texts == dns_texts);
  fold(v, t, a, *vlan_write);
  BOOST_REQUIRE(v.vlans.has_value());
  BOOST_TEST((v.vlans->members.size() == 1u && v.vlans->members[0].name == "blue"));

  // A's membership: its _m shard arrives, and A's view holds it with no DNS read in between.
  r = co_await c.send("POST", "/vlans/100/members", "{\"id\":\"" + a.id10() + "\",\"ip\":\"10.200.0.10\"}", nullptr, true);
  BOOST_REQUIRE(r.status == 201);
  auto member_write = co_await w->next_write();
  BOOST_REQUIRE(member_write.has_value());
  BOOST_TEST(sets_of(*member_write).count(n.member_shard(records::shard_of(a.pk(), 16), 100)) == 1u);
  fold(v, t, a, *member_write);
  BOOST_TEST((v.memberships(a.pk()) == std::map<std::uint32_t, std::string>{{100, "10.200.0.10"}}));

  // The view built from the stream is the view a DoH read builds.
  records::view fresh;
  records::trust_store t2;
  t2.scouts = t.scouts;
  t2.keys = t.keys;
  (void)co_await records::read_view(*doh, n, a.pk(), t2, fresh);
  BOOST_TEST(fresh.memberships(a.pk()) == v.memberships(a.pk()));
  BOOST_TEST((fresh.vlans && fresh.vlans->header.digest == v.vlans->header.digest));
  BOOST_TEST(fresh.nodes().size() == v.nodes().size());
  BOOST_TEST(records::diff(fresh, v, a.pk()).empty());

  auto metrics = co_await c.send("GET", "/metrics", "", nullptr, false);
  BOOST_TEST(metrics.body.find("brood_api_watchers 1\n") != std::string::npos, metrics.body);

  // A's second stream replaces the first, which ends cleanly.
  auto w2 = watcher::start(k, a);
  BOOST_REQUIRE(w2.has_value());
  auto hello2 = co_await w2->line();
  BOOST_TEST((hello2 && hello2->starts_with("{\"hello\":")));
  auto rest = co_await rt::read_to_end(w->p.stdout_fd(), 1 << 20);
  BOOST_TEST(rest.has_value());
  auto first_exit = co_await w->p.wait();
  BOOST_TEST((first_exit.has_value() && first_exit->success()));

  // Shutting the server down ends the open stream cleanly too.
  co_await doh->close();
  co_await c.http.close();
  k.server->shutdown();
  co_await k.servers.join();
  auto second_exit = co_await w2->p.wait();
  BOOST_TEST((second_exit.has_value() && second_exit->success()));
  co_await k.lab.stop();
}

}  // namespace

BROOD_RT_TEST(operator_actions_are_pushed_to_watching_nodes) { co_await watch_flow(); }

// A removed node hears nothing more: its stream ends with the removal (the review's M9: it used
// to go on receiving every later write, and hold a watcher slot), at the process that removed it
// and at every other one once it reads the brood.
static rt::task<void> removed_node_watch() {
  rotation_lab rl;
  const bool ready = co_await rl.setup();
  if (!ready) BROOD_SKIP("the DNS lab did not start (packages knot, unbound, dnsdist)");
  co_await rl.serve();
  auto w = watcher::start(rl.lab.pki, rl.l->local_address()->port(), rl.nodes[0]);
  BOOST_REQUIRE(w.has_value());
  auto hello = co_await w->line();
  BOOST_REQUIRE(hello.has_value());
  auto r = co_await rl.c->send("DELETE", "/nodes/" + rl.nodes[0].id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  // What was queued before may still reach it; then the stream ends (bounded: 5 s a line).
  bool ended = false;
  for (int i = 0; i < 200 && !ended; ++i) ended = !(co_await w->line()).has_value();
  BOOST_TEST(ended);
  auto exit = co_await w->p.wait();
  BOOST_TEST((exit.has_value() && exit->success()));
  r = co_await rl.c->send("GET", "/metrics", "", nullptr, false);
  BOOST_TEST(r.body.find("brood_api_watchers 0\n") != std::string::npos, r.body);

  // Removed through another process of the scout: this one ends the stream at its next read.
  serving other;
  auto key = api::load_brood_key(rl.state + "/brood.key");
  BOOST_REQUIRE(key.has_value());
  auto second = std::make_unique<api::api>(api::api_options{"brood.test", token, rl.state}, *rl.dns, rl.scout, *key);
  co_await other.serve_api(std::move(second), rl.lab);
  auto w2 = watcher::start(rl.lab.pki, other.l->local_address()->port(), rl.nodes[1]);
  BOOST_REQUIRE(w2.has_value());
  hello = co_await w2->line();
  BOOST_REQUIRE(hello.has_value());
  r = co_await rl.c->send("DELETE", "/nodes/" + rl.nodes[1].id10(), "", nullptr, true);
  BOOST_TEST(r.status == 200, r.body);
  std::string why;
  auto refreshed = co_await other.service->refresh(&why);
  BOOST_TEST(refreshed.has_value(), why);
  ended = false;
  for (int i = 0; i < 200 && !ended; ++i) ended = !(co_await w2->line()).has_value();
  BOOST_TEST(ended);
  exit = co_await w2->p.wait();
  BOOST_TEST((exit.has_value() && exit->success()));
  co_await other.stop_serving();
  co_await rl.stop_serving();
  co_await rl.lab.stop();
}

BROOD_RT_TEST(a_removed_node_hears_nothing_more) { co_await removed_node_watch(); }

BOOST_AUTO_TEST_SUITE_END()
