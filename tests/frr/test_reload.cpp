// frr::reloader: against a stand-in for frr-reload.py (a script: what it was given, its exit
// codes, a slow one cut by the deadline, its output kept as the error) and for bgpd's vty socket
// (a policy change sent line by line; refused, or nobody there, it is a full reload), and against
// real FRR daemons (zebra, bgpd, bfdd) in a network namespace of the test's own: a config applied
// and read back with vtysh, applied again only when it changed, clients' vlans changed on bgpd's
// vty socket alone to exactly the rendered text, and the config put back after bgpd restarts.
#include <brood/frr/reload.hpp>
#include <brood/frr/render.hpp>
#include <brood/frr/sessions.hpp>
#include <brood/frr/vty.hpp>

#include "support/netns.hpp"
#include "support/scratch_dir.hpp"
#include "support/rt_test.hpp"

#include <brood/net/listener.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/timer.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unistd.h>

using namespace brood;

BOOST_AUTO_TEST_SUITE(frr_reload)

namespace {
using scratch = test::scratch_dir;

/// A run directory that looks like FRR's, and a program that stands in for frr-reload.py.
frr::reload_options fake(const scratch& s, const std::string& script) {
  std::filesystem::create_directories(s.dir + "/run");
  for (const char* d : {"zebra", "bgpd", "bfdd"}) s.write(std::string("run/") + d + ".vty", "");
  s.write("run/bgpd.pid", "100\n");
  s.write("run/bfdd.pid", "101\n");
  s.write("reload", "#!/bin/sh\n" + script, true);
  frr::reload_options o;
  o.run_dir = s.dir + "/run";
  o.work_dir = s.dir;
  o.program = s.dir + "/reload";
  o.pathspace = "ps1";
  o.timeout = std::chrono::milliseconds(500);
  o.retry_after = std::chrono::milliseconds(0);
  return o;
}
}  // namespace

BROOD_RT_TEST(applied_once_per_text_and_again_after_a_restart) {
  scratch s;
  frr::reloader r(fake(s, "echo \"$@\" >>\"$(dirname \"$0\")/calls\"\n"));
  BOOST_TEST(r.present());
  const frr::config c;  // (the text is what is compared; the config plans policy changes)
  auto a = co_await r.apply(c, "router bgp 1\n");
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(*a);
  BOOST_TEST(s.read("frr.conf") == "router bgp 1\n");
  BOOST_TEST(s.read("calls") == "--reload --stdout --rundir " + s.dir + " --bindir /usr/bin --vty_socket " + s.dir +
                                    "/run " + s.dir + "/frr.conf\n");
  BOOST_TEST((frr::location_args("/run/frr/ps1", "ps1") == std::vector<std::string>{"--pathspace", "ps1"}));
  BOOST_TEST(frr::location_args("/run/frr", "").empty());
  a = co_await r.apply(c, "router bgp 1\n");
  BOOST_TEST((a.has_value() && !*a));  // unchanged: not run
  a = co_await r.apply(c, "router bgp 2\n");
  BOOST_TEST((a.has_value() && *a));
  s.write("run/bgpd.pid", "200\n");  // bgpd restarted: its config is gone
  a = co_await r.apply(c, "router bgp 2\n");
  BOOST_TEST((a.has_value() && *a));
  BOOST_TEST(r.applies() == 3u);
  std::filesystem::remove(s.dir + "/run/bgpd.vty");  // FRR gone
  a = co_await r.apply(c, "router bgp 3\n");
  BOOST_TEST((a.error() == std::errc::no_such_process));
}

BROOD_RT_TEST(a_failed_or_slow_reload_is_an_error_with_its_output) {
  const frr::config c;
  scratch s;
  frr::reloader r(fake(s, "echo 'line 3: % Unknown command: neighbor x' >&2\nexit 1\n"));
  auto a = co_await r.apply(c, "bad\n");
  BOOST_TEST((a.error() == std::errc::io_error));
  BOOST_TEST(r.last_error().find("exited 1") != std::string::npos, r.last_error());
  BOOST_TEST(r.last_error().find("% Unknown command") != std::string::npos, r.last_error());
  BOOST_TEST(r.failures() == 1u);

  scratch slow;
  frr::reloader late(fake(slow, "exec sleep 30\n"));
  const auto start = rt::clock::now();
  a = co_await late.apply(c, "router bgp 1\n");
  BOOST_TEST((a.error() == std::errc::io_error));
  BOOST_TEST(late.last_error().find("timed out") != std::string::npos, late.last_error());
  BOOST_TEST((rt::clock::now() - start < std::chrono::seconds(5)));
}

namespace {
frr::config reflector_with(std::vector<std::uint32_t> vnis) {
  frr::config c;
  c.asn = 65000;
  c.router_id = "10.100.0.1";
  c.route_reflector = true;
  c.neighbors = {{"10.100.0.7", "worker a", true, std::move(vnis), "aaaaaaaaaa"}};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) c.hostname = host;  // FRR's daemons take the host's
  return c;
}
}  // namespace

BROOD_RT_TEST(a_policy_change_no_bgpd_answers_is_applied_by_a_full_reload) {
  scratch s;
  // No daemon behind the fake run directory's bgpd.vty: frr-reload.py applies the change.
  frr::reloader r(fake(s, "echo \"$1\" >>\"$(dirname \"$0\")/calls\"\n"));
  auto one = reflector_with({100}), two = reflector_with({100, 200});
  auto t1 = frr::render(one), t2 = frr::render(two);
  BOOST_REQUIRE((t1 && t2));
  auto a = co_await r.apply(one, *t1);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  a = co_await r.apply(two, *t2);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(*a);
  BOOST_TEST(s.read("calls") == "--reload\n--reload\n");
  BOOST_TEST(r.policy_changes() == 0u);
  BOOST_TEST(s.read("frr.conf") == *t2);
}

namespace {
/// A stand-in for bgpd on its vty socket, for one connection: every command it is sent is kept,
/// and answered with status 0 — but those containing `refuse`, answered "% refused" and 2.
rt::task<void> fake_bgpd(net::listener* l, std::vector<std::string>* seen, std::string refuse) {
  auto c = co_await l->accept();
  if (!c) co_return;
  std::string in;
  std::byte b[4096];
  for (;;) {
    auto n = co_await c->recv(b);
    if (!n || *n == 0) co_return;
    in.append(reinterpret_cast<const char*>(b), static_cast<std::size_t>(*n));
    for (auto nul = in.find('\0'); nul != std::string::npos; nul = in.find('\0')) {
      std::string command = in.substr(0, nul);
      in.erase(0, nul + 1);
      const bool no = !refuse.empty() && command.find(refuse) != std::string::npos;
      seen->push_back(std::move(command));
      std::string answer = no ? std::string("% refused\n") + '\0' + '\0' + '\0' + '\2' : std::string(4, '\0');
      auto sent = co_await c->send_all(net::as_bytes(answer));
      if (!sent) co_return;
    }
  }
}

/// reflector_with({100}) applied, then {100, 200} sent to a fake bgpd that refuses `refuse`.
struct policy_case {
  scratch s;
  std::vector<std::string> seen;
  std::optional<frr::reloader> r;
  rt::task<rt::result<bool>> run(std::string refuse) {
    auto o = fake(s, "echo \"$1\" >>\"$(dirname \"$0\")/calls\"\n");
    std::filesystem::remove(o.run_dir + "/bgpd.vty");
    auto l = net::listener::bind(*net::socket_address::unix_path(o.run_dir + "/bgpd.vty"));
    BOOST_REQUIRE(l.has_value());
    rt::task_scope scope{rt::no_parent};
    scope.spawn(fake_bgpd(&*l, &seen, std::move(refuse)));
    r.emplace(o);
    auto one = reflector_with({100}), two = reflector_with({100, 200});
    auto t1 = frr::render(one), t2 = frr::render(two);
    auto a = co_await r->apply(one, *t1);
    BOOST_REQUIRE_MESSAGE(a.has_value(), r->last_error());
    a = co_await r->apply(two, *t2);
    scope.cancel();
    co_await scope.join();
    co_return a;
  }
};
}  // namespace

BROOD_RT_TEST(a_policy_change_is_sent_to_bgpd_line_by_line) {
  policy_case p;
  auto a = co_await p.run("");
  BOOST_REQUIRE_MESSAGE(a.has_value(), p.r->last_error());
  BOOST_TEST(*a);
  BOOST_TEST(p.r->policy_changes() == 1u);
  BOOST_TEST(p.s.read("calls") == "--reload\n");  // the first apply alone went through frr-reload.py
  BOOST_TEST((p.seen == std::vector<std::string>{"enable", "configure terminal",
                                                 "bgp extcommunity-list standard brood-aaaaaaaaaa-vnis seq 200 permit rt 65000:200",
                                                 "end", "clear bgp l2vpn evpn 10.100.0.7 soft"}));
  BOOST_TEST(p.s.read("frr-policy.log").find("seq 200 permit") != std::string::npos);
}

BROOD_RT_TEST(a_policy_change_bgpd_refuses_is_applied_by_a_full_reload) {
  policy_case p;
  auto a = co_await p.run("seq 200");
  BOOST_REQUIRE_MESSAGE(a.has_value(), p.r->last_error());
  BOOST_TEST(*a);
  BOOST_TEST(p.r->policy_changes() == 0u);
  BOOST_TEST(p.s.read("calls") == "--reload\n--reload\n");
  BOOST_TEST(p.seen.size() == 3u);  // nothing sent after the refused line
  BOOST_TEST(p.s.read("frr-policy.log").find("% refused") != std::string::npos);
}

namespace {
/// FRR's daemons in namespace `ns`, with pathspace `ns`; stopped by the destructor.
struct frr_daemons {
  std::string ns;
  bool ok = false;
  explicit frr_daemons(std::string n) : ns(std::move(n)) {}
  rt::task<bool> start() {
    std::string cmd = "set -e; mkdir -p /run/frr/" + ns + "; chown frr:frr /run/frr/" + ns + "; ";
    for (const char* d : {"zebra", "bfdd", "bgpd"})
      cmd += std::string("ip netns exec ") + ns + " /usr/lib/frr/" + d + " -d -N " + ns + " -P 0 -f /dev/null" +
             (std::string(d) == "zebra" ? " -s 90000000" : "") + " >/dev/null 2>&1; ";
    cmd += "for i in $(seq 100); do [ -S /run/frr/" + ns + "/bgpd.vty ] && [ -S /run/frr/" + ns +
           "/bfdd.vty ] && exit 0; sleep 0.05; done; exit 1";
    ok = co_await test::netns_lab::sh(cmd);
    co_return ok;
  }
  ~frr_daemons() {
    const std::string cmd = "for d in bgpd bfdd zebra; do f=/run/frr/" + ns + "/$d.pid; [ -f $f ] && kill $(cat $f) 2>/dev/null; done; sleep 0.3; rm -rf /run/frr/" + ns;
    (void)std::system(cmd.c_str());
  }
};
}  // namespace

BROOD_RT_TEST(real_frr_takes_the_config_and_gets_it_back_after_a_restart) {
  if (!test::netns_lab::available() || ::access("/usr/lib/frr/bgpd", X_OK) != 0 ||
      ::access("/usr/lib/frr/frr-reload.py", R_OK) != 0)
    BROOD_SKIP("needs root, ip netns and FRR");
  test::netns_lab lab("bfr");
  BOOST_REQUIRE(co_await lab.add("x"));
  const auto ns = lab.name("x");
  frr_daemons frr(ns);
  BOOST_REQUIRE_MESSAGE(co_await frr.start(), "FRR's daemons did not start in " << ns);
  scratch s;
  frr::reload_options o;
  o.run_dir = "/run/frr/" + ns;
  o.pathspace = ns;
  o.work_dir = s.dir;
  frr::reloader r(o);
  BOOST_TEST(r.present());

  auto c = reflector_with({100});
  auto text = frr::render(c);
  BOOST_REQUIRE(text.has_value());
  auto a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  const std::string show = "vtysh -N " + ns + " -c 'show running-config' 2>/dev/null";
  // What a full reload would still change, as frr-reload.py --test lists it; but vtysh's own
  // setting, which no daemon's running config shows.
  const std::string differs = "/usr/lib/frr/frr-reload.py --test --stdout --rundir " + s.dir + " --bindir /usr/bin --pathspace " +
                              ns + " " + s.dir + "/frr.conf 2>/dev/null | grep -v -e '^$' -e '^Lines To' -e '^===' " +
                              "-e '^service integrated-vtysh-config$' | grep -q .";
  BOOST_TEST(r.last_error().empty());
  BOOST_TEST(r.policy_changes() == 0u);  // the first apply is a full one
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^  neighbor 10.100.0.7 route-map brood-aaaaaaaaaa out'"));
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^  neighbor 10.100.0.7 route-map brood-aaaaaaaaaa in'"));
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^ match extcommunity brood-aaaaaaaaaa-vnis'"));
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^bgp extcommunity-list standard brood-aaaaaaaaaa-vnis seq 100 permit rt 65000:100'"));
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^  receive-interval 200'"));
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^ neighbor 10.100.0.7 bfd profile brood'"));
  BOOST_TEST(!(co_await lab.sh(differs)));

  // Read back on bgpd's and bfdd's vty sockets: the client's session, not up (nobody is there);
  // bfdd answers its show command (only in enable mode), and refuses one it does not know.
  frr::vty_options vo;
  vo.run_dir = o.run_dir;
  vo.pathspace = ns;
  auto sessions = co_await frr::read_sessions(vo);
  BOOST_REQUIRE_MESSAGE(sessions.has_value(), sessions.error().message());
  auto client = std::find_if(sessions->begin(), sessions->end(), [](const frr::session& x) { return x.peer == "10.100.0.7"; });
  BOOST_REQUIRE((client != sessions->end()));
  BOOST_TEST(client->bgp != "Established");
  const auto deadline = rt::clock::now() + std::chrono::seconds(5);
  std::string bfdd_socket = frr::vty_socket_path(o.run_dir, ns, "bfdd");
  auto bfdd = co_await frr::vty_client::connect(std::move(bfdd_socket), deadline);
  BOOST_REQUIRE_MESSAGE(bfdd.has_value(), bfdd.error().message());
  std::string peers = "show bfd peers json", nonsense = "show no such thing";
  auto answer = co_await bfdd->run(std::move(peers), deadline);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->status == 0);
  BOOST_TEST(answer->output.rfind("[", 0) == 0u);
  answer = co_await bfdd->run(std::move(nonsense), deadline);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->status != 0);
  BOOST_TEST(answer->output.find("Unknown command") != std::string::npos);

  // A membership more, then one less: the filter alone changes, on bgpd's socket, and FRR runs
  // exactly the rendered text (a full reload would find nothing to do).
  c = reflector_with({100, 200});
  text = frr::render(c);
  a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(r.policy_changes() == 1u);
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^bgp extcommunity-list standard brood-aaaaaaaaaa-vnis seq 200 permit rt 65000:200'"));
  BOOST_TEST(!(co_await lab.sh(differs)));
  a = co_await r.apply(c, *text);
  BOOST_TEST((a.has_value() && !*a));
  c = reflector_with({200});
  text = frr::render(c);
  a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(r.policy_changes() == 2u);
  BOOST_TEST(!(co_await lab.sh(show + " | grep -q 'seq 100 permit'")));
  BOOST_TEST(!(co_await lab.sh(differs)));
  // Its last vlan gone: no list at all, and the route-map matches nothing.
  c = reflector_with({});
  text = frr::render(c);
  a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(r.policy_changes() == 3u);
  BOOST_TEST(!(co_await lab.sh(show + " | grep -q 'extcommunity-list'")));
  BOOST_TEST(!(co_await lab.sh(differs)));
  c = reflector_with({100, 200});
  text = frr::render(c);
  a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());

  // bgpd killed and started again, empty: the next apply gives it its config back, whole.
  BOOST_REQUIRE(co_await lab.sh("kill $(cat /run/frr/" + ns + "/bgpd.pid); for i in $(seq 100); do [ -f /run/frr/" + ns +
                                "/bgpd.pid ] || break; sleep 0.05; done; ip netns exec " + ns + " /usr/lib/frr/bgpd -d -N " + ns +
                                " -P 0 -f /dev/null; for i in $(seq 100); do [ -S /run/frr/" + ns + "/bgpd.vty ] && exit 0; sleep 0.05; done; exit 1"));
  BOOST_TEST(!(co_await lab.sh(show + " | grep -q 'router bgp 65000'")));
  const auto policy_before = r.policy_changes();
  a = co_await r.apply(c, *text);
  BOOST_REQUIRE_MESSAGE(a.has_value(), r.last_error());
  BOOST_TEST(*a);
  BOOST_TEST(r.policy_changes() == policy_before);
  BOOST_TEST(co_await lab.sh(show + " | grep -q '^  neighbor 10.100.0.7 route-map brood-aaaaaaaaaa out'"));
  BOOST_TEST(!(co_await lab.sh(differs)));
}

BOOST_AUTO_TEST_SUITE_END()
