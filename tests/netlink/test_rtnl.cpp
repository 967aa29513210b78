// rtnl against the kernel, inside a network namespace of the test's own: links created, read,
// changed and deleted; addresses converged to a wanted set (and converging again changes
// nothing); events for links and addresses removed by `ip`; a missing link is no_such_device.
#include <brood/netlink/address.hpp>
#include <brood/netlink/watch.hpp>

#include "support/netns.hpp"
#include "support/rt_test.hpp"

#include <algorithm>

using namespace brood;

BOOST_AUTO_TEST_SUITE(rtnl)

namespace {
net::ip_prefix ip(const char* s) { return *net::ip_prefix::parse(s); }
std::vector<net::ip_prefix> without_link_local(std::vector<net::ip_prefix> v) {
  std::erase_if(v, [](const net::ip_prefix& a) { return a.family == AF_INET6 && a.addr[0] == 0xfe; });
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

static rt::task<void> links_and_addresses() {
  if (!test::netns_lab::available()) BROOD_SKIP("needs root and ip netns");
  test::netns_lab lab("bnl");
  BOOST_REQUIRE(co_await lab.add("x"));
  const auto x = lab.name("x");
  test::in_netns in(x);
  BOOST_REQUIRE(in.ok());

  auto missing = co_await netlink::get_link("br7");
  BOOST_TEST((missing.error() == std::errc::no_such_device), missing.error().message());
  auto made = co_await netlink::create_link("br7", "bridge");
  BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message());
  auto again = co_await netlink::create_link("br7", "bridge");
  BOOST_TEST((again.error() == std::errc::file_exists));
  auto l = co_await netlink::get_link("br7");
  BOOST_REQUIRE(l.has_value());
  BOOST_TEST(l->name == "br7");
  BOOST_TEST(l->kind == "bridge");
  BOOST_TEST(!l->up);

  auto w = netlink::link_watcher::open();
  BOOST_REQUIRE(w.has_value());

  std::vector<net::ip_prefix> want{ip("10.1.2.3/24"), ip("fd00::3/64")};
  auto changed = co_await netlink::converge_link(l->index, want, 1400);
  BOOST_REQUIRE_MESSAGE(changed.has_value(), changed.error().message());
  BOOST_TEST(*changed);
  auto have = co_await netlink::addresses(l->index);
  BOOST_REQUIRE(have.has_value());
  std::sort(want.begin(), want.end());
  BOOST_TEST((without_link_local(*have) == want));
  l = co_await netlink::get_link("br7");
  BOOST_TEST(l->up);
  BOOST_TEST(l->mtu == 1400u);
  changed = co_await netlink::converge_link(l->index, want, 1400);
  BOOST_REQUIRE(changed.has_value());
  BOOST_TEST(!*changed);  // nothing left to do

  // A stray address goes; a wanted one that was removed by hand comes back.
  BOOST_REQUIRE(co_await lab.sh("set -e; ip -n " + x + " addr add 10.9.9.9/32 dev br7; ip -n " + x +
                                " addr del 10.1.2.3/24 dev br7"));
  changed = co_await netlink::converge_link(l->index, want, 1400);
  BOOST_TEST((changed.has_value() && *changed));
  have = co_await netlink::addresses(l->index);
  BOOST_TEST((without_link_local(*have) == want));

  // Events: everything above was seen; then a deletion by hand arrives as link_del with the name.
  bool saw_addr_del = false;
  for (int i = 0; i < 50 && !saw_addr_del; ++i) {
    auto ev = co_await w->next(rt::io_options{rt::clock::now() + std::chrono::seconds(2)});
    BOOST_REQUIRE_MESSAGE(ev.has_value(), ev.error().message());
    for (auto& e : *ev) saw_addr_del = saw_addr_del || (e.kind == netlink::link_watcher::event::what::addr_del);
  }
  BOOST_TEST(saw_addr_del);
  const std::vector<std::string> del{"ip", "-n", x, "link", "del", "br7"};
  BOOST_REQUIRE(co_await lab.run(del));
  bool saw_link_del = false;
  for (int i = 0; i < 50 && !saw_link_del; ++i) {
    auto ev = co_await w->next(rt::io_options{rt::clock::now() + std::chrono::seconds(2)});
    BOOST_REQUIRE(ev.has_value());
    for (auto& e : *ev)
      saw_link_del = saw_link_del || (e.kind == netlink::link_watcher::event::what::link_del && e.name == "br7");
  }
  BOOST_TEST(saw_link_del);
  auto gone = co_await netlink::get_link("br7");
  BOOST_TEST((gone.error() == std::errc::no_such_device));
  auto bad = co_await netlink::delete_link(l->index);
  BOOST_TEST(!bad.has_value());
}

BROOD_RT_TEST(links_addresses_and_events) { co_await links_and_addresses(); }

BOOST_AUTO_TEST_SUITE_END()
