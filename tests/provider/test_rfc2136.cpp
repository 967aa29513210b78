// The RFC 2136 provider against real knotd (TSIG hmac-sha256 updates over TCP), every change
// read back through DoH (unbound in front of the same knotd): create, no-op, change, delete;
// TXT over 255 bytes, SRV, A/AAAA; several sets in one atomic update; a refused update that
// leaves nothing half-written; a wrong key; two writers editing the same set at once.
#include "support/dns_lab.hpp"
#include "support/rt_test.hpp"

#include <brood/crypto/box.hpp>
#include <brood/provider/rfc2136.hpp>
#include <brood/rt/task_scope.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>

using namespace brood;
using namespace brood::provider;

BOOST_AUTO_TEST_SUITE(rfc2136)

namespace {
const std::string secret_raw(32, '\x5c');

std::string secret_b64() { return crypto::base64(crypto::bytes_of(secret_raw)); }

rfc2136_options options(const test::dns_lab& lab, std::string secret = secret_raw) {
  rfc2136_options o;
  o.server = net::socket_address::ipv4_loopback(lab.knot_port);
  o.zone = "brood.test";
  o.key = {"brood-update", std::move(secret)};
  return o;
}

rt::task<std::set<std::string>> doh_txt(dns::doh_client* c, std::string name) {
  std::set<std::string> out;
  auto r = co_await c->txt(name);
  if (r)
    for (auto& t : *r) out.insert(t.text());
  co_return out;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }
}  // namespace

BROOD_RT_TEST(sets_are_made_equal_and_read_back_over_doh) {
  test::dns_lab lab("", secret_b64());
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto doh = lab.client(false);
  rfc2136_provider p(options(lab));
  std::string why;

  const std::string long_text = "v=1 " + std::string(700, 'x');
  std::vector<rrset> want{{"_n.a.brood.test", rr_type::txt, 60, {"v=1 one", "v=1 two", long_text}}};
  auto w = co_await p.apply(want, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), w.error().message() << ": " << why);
  BOOST_TEST(w->added == 3u);
  BOOST_TEST(w->changed_sets == 1u);
  auto seen = co_await doh_txt(doh.get(), "_n.a.brood.test");
  BOOST_TEST((seen == std::set<std::string>{"v=1 one", "v=1 two", long_text}));

  // The same again: read, nothing to write.
  w = co_await p.apply(want, &why);
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(w->added + w->removed == 0u);
  BOOST_TEST(w->unchanged_sets == 1u);
  BOOST_TEST(w->calls == 1u);  // one read, no update

  // A change: one record replaced, the others untouched.
  want[0].values = {"v=1 one", "v=1 three", long_text};
  w = co_await p.apply(want, &why);
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(w->added == 1u);
  BOOST_TEST(w->removed == 1u);
  seen = co_await doh_txt(doh.get(), "_n.a.brood.test");
  BOOST_TEST((seen == std::set<std::string>{"v=1 one", "v=1 three", long_text}));
  auto got = co_await p.get("_n.a.brood.test", rr_type::txt, &why);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST((as_set(*got) == seen));

  // Several kinds of set in one update: SRV, A, AAAA and a deletion.
  std::vector<rrset> many{{"_brood._tcp.brood.test", rr_type::srv, 60, {"0 100 8443 abcdef0123.brood.test"}},
                          {"abcdef0123.brood.test", rr_type::a, 60, {"192.0.2.10"}},
                          {"abcdef0123.brood.test", rr_type::aaaa, 60, {"2001:db8::10"}},
                          {"_n.a.brood.test", rr_type::txt, 60, {}}};
  w = co_await p.apply(many, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), w.error().message() << ": " << why);
  BOOST_TEST(w->added == 3u);
  BOOST_TEST(w->removed == 3u);
  auto srv = co_await doh->srv("_brood._tcp.brood.test");
  BOOST_REQUIRE(srv.has_value());
  BOOST_TEST((*srv)[0].port == 8443);
  got = co_await p.get("abcdef0123.brood.test", rr_type::aaaa, &why);
  BOOST_TEST((got.has_value() && *got == std::vector<std::string>{"2001:db8::10"}));
  auto gone = co_await doh->txt("_n.a.brood.test");
  BOOST_TEST(!gone.has_value());

  co_await doh->close();
  co_await lab.stop();
}

BROOD_RT_TEST(a_refused_update_leaves_nothing_half_written) {
  test::dns_lab lab("", secret_b64());
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto o = options(lab);
  o.attempts = 1;
  rfc2136_provider p(o);
  std::string why;
  // Values that cannot be written never leave the process, and take the rest of the edit along.
  std::vector<rrset> outside{{"_vl.brood.test", rr_type::txt, 60, {"v=1 vl"}},
                             {"_vl.elsewhere.test", rr_type::txt, 60, {"v=1 vl"}}};
  auto w = co_await p.apply(outside, &why);
  BOOST_TEST((w.error() == error::rejected));
  BOOST_TEST(why.find("outside the zone") != std::string::npos, why);
  std::vector<rrset> bad{{"_vl.brood.test", rr_type::txt, 60, {"v=1 vl"}},
                         {"x.brood.test", rr_type::a, 60, {"999.1.1.1"}}};
  w = co_await p.apply(bad, &why);
  BOOST_TEST((w.error() == error::rejected));
  auto got = co_await p.get("_vl.brood.test", rr_type::txt, &why);
  BOOST_TEST((got.has_value() && got->empty()));

  // The server refuses the whole update when one set changed after it was read (here by
  // knsupdate, between our read and our write): the other set is not written either.
  const std::string other_writer = "printf 'server 127.0.0.1 " + std::to_string(lab.knot_port) +
                                   "\\nzone brood.test.\\nupdate add _t.brood.test. 60 TXT \"v=1 theirs\"\\nsend\\n' | "
                                   "knsupdate -y hmac-sha256:brood-update:" + secret_b64() + " >/dev/null 2>&1";
  int calls = 0;
  brood::provider::provider::edit_fn racing = [&](const std::vector<rrset>& current) {
    if (calls++ == 0) BOOST_REQUIRE(std::system(other_writer.c_str()) == 0);
    auto next = current;
    next[0].values = {"v=1 ours"};
    next[1].values = {"v=1 ours too"};
    return next;
  };
  std::vector<rrset> two{{"_vl.brood.test", rr_type::txt, 60, {}}, {"_t.brood.test", rr_type::txt, 60, {}}};
  w = co_await p.edit(two, racing, &why);
  BOOST_TEST((w.error() == error::conflict), why);
  got = co_await p.get("_vl.brood.test", rr_type::txt, &why);
  BOOST_TEST((got.has_value() && got->empty()));  // nothing half-written
  got = co_await p.get("_t.brood.test", rr_type::txt, &why);
  BOOST_TEST((got.has_value() && *got == std::vector<std::string>{"v=1 theirs"}));  // theirs kept
  // With a second attempt the edit is computed again from what is there now.
  rfc2136_provider again(options(lab));
  calls = 1;
  w = co_await again.edit(two, racing, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), why);
  got = co_await p.get("_t.brood.test", rr_type::txt, &why);
  BOOST_TEST((got.has_value() && *got == std::vector<std::string>{"v=1 ours too"}));
  co_await lab.stop();
}

BROOD_RT_TEST(a_wrong_key_is_refused_with_the_servers_reason) {
  test::dns_lab lab("", secret_b64());
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  rfc2136_provider p(options(lab, std::string(32, '\x01')));
  std::string why;
  std::vector<rrset> want{{"_meta.brood.test", rr_type::txt, 60, {"v=1 x"}}};
  auto w = co_await p.apply(want, &why);
  BOOST_TEST((w.error() == error::auth));
  BOOST_TEST_MESSAGE("refused: " << why);
  BOOST_TEST(why.find("NOTAUTH") != std::string::npos);
  co_await lab.stop();
}

namespace {
rt::task<void> add_one(rfc2136_provider* p, std::string value, result<write_stats>* out) {
  std::vector<rrset> sets{{"_vl.brood.test", rr_type::txt, 60, {}}};
  brood::provider::provider::edit_fn fn = [value](const std::vector<rrset>& current) {
    auto next = current;
    next[0].values.push_back(value);
    return next;
  };
  std::string why;
  *out = co_await p->edit(std::move(sets), std::move(fn), &why);
}
}  // namespace

BROOD_RT_TEST(two_writers_editing_one_set_both_get_their_change_in) {
  test::dns_lab lab("", secret_b64());
  bool started = co_await lab.start();
  if (!started) BROOD_SKIP("knotd, unbound or dnsdist did not start (packages knot, unbound, dnsdist)");
  auto o = options(lab);
  o.attempts = 10;  // eight writers at once: each round lets at least one through
  rfc2136_provider a(o), b(o);
  std::vector<result<write_stats>> results(8, std::errc::operation_canceled);
  {
    rt::task_scope s{rt::no_parent};
    for (int i = 0; i < 8; ++i) s.spawn(add_one(i % 2 ? &a : &b, "v=1 writer-" + std::to_string(i), &results[i]));
    co_await s.join();
  }
  unsigned conflicts = 0;
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
    conflicts += r->conflicts;
  }
  std::string why;
  auto got = co_await a.get("_vl.brood.test", rr_type::txt, &why);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->size() == 8u);  // no change lost
  BOOST_TEST_MESSAGE("conflicts retried: " << conflicts);
  co_await lab.stop();
}

BOOST_AUTO_TEST_CASE(batches_keep_an_update_under_its_size_limit) {
  rfc2136_options o;
  o.zone = "brood.test";
  rfc2136_provider p(o);
  std::vector<rrset> sets;
  for (int i = 0; i < 99; ++i)  // a rotation's _k records
    sets.push_back({"_k." + std::to_string(1000000000 + i) + "._n.brood.test", rr_type::txt, 60,
                    {std::string(230, 'k')}});
  sets.push_back({"_n.0.brood.test", rr_type::txt, 60, {std::string(20000, 'n')}});  // larger than a batch
  sets.push_back({"_k.gone._n.brood.test", rr_type::txt, 60, {}});
  auto groups = batches(sets, p);
  std::vector<std::string> order;
  for (auto& g : groups) {
    std::size_t bytes = 0;
    for (auto& s : g) {
      order.push_back(s.name);
      for (auto& v : s.values) bytes += s.name.size() + v.size();
    }
    BOOST_TEST((bytes <= p.max_edit_bytes() || g.size() == 1u));
  }
  BOOST_TEST(groups.size() == 4u);  // 99 × ~260 B in two, the big set alone, the deletion
  BOOST_REQUIRE(order.size() == sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) BOOST_TEST(order[i] == sets[i].name);
}

BOOST_AUTO_TEST_SUITE_END()
