// The Cloudflare provider against cloudflare_fake (tests/cloudflare_fake), served over TLS and
// HTTP/2 by brood's own server: sets made equal and read back, TXT split at 255 bytes, record
// ids kept across a change, SRV/A/AAAA, pagination and batches in chunks, Cloudflare's limits
// refusing a whole batch, auth errors in Cloudflare's words, our call budget keeping us under
// Cloudflare's rate limit, and what happens when a client without one goes over it.
#include "cloudflare_fake/fake_server.hpp"
#include "support/rt_test.hpp"

#include <brood/http/server.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/rt/task_scope.hpp>

#include <set>

using namespace brood;
using namespace brood::provider;

BOOST_AUTO_TEST_SUITE(cloudflare)

namespace {

using fake_api = test::cloudflare_fake_server;

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

BROOD_RT_TEST(sets_are_made_equal_with_one_batch_each) {
  fake_api api;
  auto p = std::move(*cloudflare_provider::make(api.options()));
  std::string why;
  const std::string long_text = "v=1 " + std::string(700, 'x') + "\"quoted\\";
  std::vector<rrset> want{{"_n.a.brood.test", rr_type::txt, 60, {"v=1 one", "v=1 two", long_text}}};
  auto w = co_await p->apply(want, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), w.error().message() << ": " << why);
  BOOST_TEST(w->added == 3u);
  BOOST_TEST(w->calls == 2u);  // one list, one batch
  auto got = co_await p->get("_n.a.brood.test", rr_type::txt, &why);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST((as_set(*got) == std::set<std::string>{"v=1 one", "v=1 two", long_text}));
  // Cloudflare keeps long TXT content split at 255 bytes.
  bool split = false;
  for (auto& r : api.fake.records())
    if (r.content.size() > 700) split = r.content.find("\" \"") != std::string::npos;
  BOOST_TEST(split);

  // The same again: a list and nothing else.
  w = co_await p->apply(want, &why);
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(w->calls == 1u);
  BOOST_TEST(w->unchanged_sets == 1u);

  // One value replaced: a patch, so the record keeps its id.
  std::set<std::string> ids_before;
  for (auto& r : api.fake.records()) ids_before.insert(r.id);
  want[0].values = {"v=1 one", "v=1 three", long_text};
  const auto writes = api.fake.writes();
  w = co_await p->apply(want, &why);
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(api.fake.writes() == writes + 1);
  std::set<std::string> ids_after;
  for (auto& r : api.fake.records()) ids_after.insert(r.id);
  BOOST_TEST((ids_before == ids_after));
  got = co_await p->get("_n.a.brood.test", rr_type::txt, &why);
  BOOST_TEST((as_set(*got) == std::set<std::string>{"v=1 one", "v=1 three", long_text}));

  // SRV, A, AAAA and a deletion, in one batch.
  std::vector<rrset> many{{"_brood._tcp.brood.test", rr_type::srv, 60, {"0 100 8443 abcdef0123.brood.test"}},
                          {"abcdef0123.brood.test", rr_type::a, 60, {"192.0.2.10"}},
                          {"abcdef0123.brood.test", rr_type::aaaa, 60, {"2001:db8::10"}},
                          {"_n.a.brood.test", rr_type::txt, 60, {}}};
  w = co_await p->apply(many, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), why);
  BOOST_TEST(w->calls == 5u);  // four lists, one batch
  got = co_await p->get("_brood._tcp.brood.test", rr_type::srv, &why);
  BOOST_TEST((got.has_value() && *got == std::vector<std::string>{"0 100 8443 abcdef0123.brood.test"}));
  BOOST_TEST(api.fake.records().size() == 3u);

  co_await p->close();
  co_await api.stop();
}

BROOD_RT_TEST(pages_and_chunks) {
  fake_api api;
  auto o = api.options();
  o.batch_limit = 200;  // Free's limit: 250 new records take two batches
  auto p = std::move(*cloudflare_provider::make(o));
  std::string why;
  rrset big{"_m.3.100.brood.test", rr_type::txt, 60, {}};
  for (int i = 0; i < 250; ++i) big.values.push_back("v=1 m" + std::to_string(i));
  std::vector<rrset> want{big};
  auto w = co_await p->apply(want, &why);
  BOOST_REQUIRE_MESSAGE(w.has_value(), why);
  BOOST_TEST(w->calls == 3u);  // one list, two batches
  auto got = co_await p->get(big.name, rr_type::txt, &why);  // three pages of 100
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->size() == 250u);
  co_await p->close();
  co_await api.stop();
}

BROOD_RT_TEST(cloudflares_limits_refuse_the_whole_batch_in_its_own_words) {
  fake_api api;
  auto p = std::move(*cloudflare_provider::make(api.options()));
  std::string why;
  rrset too_much{"_n.b.brood.test", rr_type::txt, 60, {}};
  for (int i = 0; i < 30; ++i) too_much.values.push_back("v=1 " + std::to_string(i) + std::string(300, 'y'));
  std::vector<rrset> want{{"_vl.brood.test", rr_type::txt, 60, {"v=1 fine"}}, too_much};
  auto w = co_await p->apply(want, &why);
  BOOST_TEST((w.error() == error::rejected));
  BOOST_TEST_MESSAGE(why);
  BOOST_TEST(why.find("8192") != std::string::npos);
  BOOST_TEST(api.fake.records().empty());  // _vl was not written either
  std::vector<rrset> huge{{"_vl.brood.test", rr_type::txt, 60, {std::string(4100, 'z')}}};
  w = co_await p->apply(huge, &why);
  BOOST_TEST((w.error() == error::rejected));
  BOOST_TEST(why.find("4096") != std::string::npos);
  co_await p->close();
  co_await api.stop();
}

BROOD_RT_TEST(auth_errors_carry_cloudflares_message) {
  fake_api api;
  std::string why;
  auto wrong = std::move(*cloudflare_provider::make(api.options("not-the-token")));
  auto g = co_await wrong->get("_meta.brood.test", rr_type::txt, &why);
  BOOST_TEST((g.error() == error::auth));
  BOOST_TEST(why == "Cloudflare 9109: Invalid access token");
  auto malformed = std::move(*cloudflare_provider::make(api.options("two words")));
  g = co_await malformed->get("_meta.brood.test", rr_type::txt, &why);
  BOOST_TEST((g.error() == error::auth));
  BOOST_TEST(why == "Cloudflare 6003: Invalid request headers (Invalid format for Authorization header)");
  co_await wrong->close();
  co_await malformed->close();
  co_await api.stop();
}

BROOD_RT_TEST(the_call_budget_keeps_brood_under_the_rate_limit) {
  fake_api api;
  std::string why;
  auto o = api.options();
  o.budget = 1000;
  o.timeout = std::chrono::seconds(2);  // the window frees a slot only after 5 minutes
  auto p = std::move(*cloudflare_provider::make(o));
  unsigned ok = 0;
  result<std::vector<std::string>> last = std::vector<std::string>{};
  for (int i = 0; i < 1001 && last; ++i) {
    last = co_await p->get("_meta.brood.test", rr_type::txt, &why);
    if (last) ++ok;
  }
  BOOST_TEST(ok == 1000u);
  BOOST_TEST((last.error() == error::rate_limited));
  BOOST_TEST(why.find("budget") != std::string::npos);
  BOOST_TEST(api.fake.calls() == 1000u);  // Cloudflare never had to say no

  // A client without that margin trips Cloudflare's limit, which then refuses everything.
  auto greedy_o = api.options();
  greedy_o.budget = 5000;
  greedy_o.timeout = std::chrono::seconds(2);
  auto greedy = std::move(*cloudflare_provider::make(greedy_o));
  for (int i = 0; i < 300 && last.error() != std::errc::operation_canceled; ++i) {
    last = co_await greedy->get("_meta.brood.test", rr_type::txt, &why);
    if (!last) break;
  }
  BOOST_TEST((last.error() == error::rate_limited));
  BOOST_TEST_MESSAGE(why);
  BOOST_TEST(why.find("971") != std::string::npos);
  BOOST_TEST(why.find("retry after 300 s") != std::string::npos);
  co_await p->close();
  co_await greedy->close();
  co_await api.stop();
}

namespace {
rt::task<void> add_one(cloudflare_provider* p, std::string value, result<write_stats>* out) {
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
  fake_api api;
  auto a = std::move(*cloudflare_provider::make(api.options()));
  auto b = std::move(*cloudflare_provider::make(api.options()));
  std::vector<result<write_stats>> results(6, std::errc::operation_canceled);
  {
    rt::task_scope s{rt::no_parent};
    for (int i = 0; i < 6; ++i) s.spawn(add_one(i % 2 ? a.get() : b.get(), "v=1 writer-" + std::to_string(i), &results[i]));
    co_await s.join();
  }
  for (auto& r : results) BOOST_TEST(r.has_value());
  std::string why;
  auto got = co_await a->get("_vl.brood.test", rr_type::txt, &why);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->size() == 6u);
  co_await a->close();
  co_await b->close();
  co_await api.stop();
}

BOOST_AUTO_TEST_CASE(txt_content_round_trips) {
  for (std::string text : {std::string("v=1 a"), std::string(600, 'q'), std::string("a\"b\\c"), std::string()}) {
    auto back = parse_txt_content(format_txt_content(text));
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(*back == text);
  }
  BOOST_TEST(*parse_txt_content("\"a\\065b\"") == "aAb");
  BOOST_TEST(*parse_txt_content("unquoted text") == "unquoted text");
  BOOST_TEST(!parse_txt_content("\"open").has_value());
  BOOST_TEST(!parse_txt_content("\"a\" b").has_value());
  BOOST_TEST(!parse_txt_content("\"\\99\"").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
