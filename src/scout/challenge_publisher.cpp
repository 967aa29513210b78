// DNS-01 values through the provider, waited for on every authoritative server.
#include <brood/scout/challenge_publisher.hpp>

#include <brood/dns/message.hpp>
#include <brood/dns/resolver.hpp>
#include <brood/rt/timer.hpp>

#include <algorithm>

namespace brood::scout {

namespace {
std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

rt::task<rt::result<void>> challenge_publisher::change(std::string owner, std::string value, bool add) {
  std::vector<provider::rrset> sets{{owner, provider::rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [value, add](const std::vector<provider::rrset>& current) {
    auto next = current;
    auto& v = next[0].values;
    auto at = std::find(v.begin(), v.end(), value);
    if (add && at == v.end()) v.push_back(value);
    if (!add && at != v.end()) v.erase(at);
    return next;
  };
  std::string why;
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  if (!w) {
    _why = std::string(add ? "writing " : "removing ") + owner + " TXT through " + std::string(_p.kind()) + ": " +
           w.error().message() + (why.empty() ? "" : ": " + why);
    co_return w.error();
  }
  co_return rt::result<void>{};
}

rt::task<rt::result<std::vector<std::string>>> challenge_publisher::servers() {
  if (!_servers.empty()) co_return _servers;
  if (!_o.servers.empty()) {
    _servers = _o.servers;
    co_return _servers;
  }
  auto system = dns::resolver::make();
  if (!system) co_return system.error();
  auto answer = co_await (*system)->query(_o.zone, dns::record_type::ns);
  auto hosts = answer ? dns::parse_ns(bytes(*answer)) : rt::result<std::vector<std::string>>(answer.error());
  if (!hosts) {
    _why = "the name servers of " + _o.zone + ": " + hosts.error().message();
    co_return hosts.error();
  }
  for (auto& h : *hosts) {
    auto addresses = co_await (*system)->lookup(h, 53);
    if (!addresses) continue;
    for (auto& a : *addresses) _servers.push_back(a.to_string());
  }
  if (_servers.empty()) {
    _why = "no address for any name server of " + _o.zone;
    co_return std::errc::host_unreachable;
  }
  co_return _servers;
}

rt::task<rt::result<void>> challenge_publisher::wait_visible(std::string owner, std::string value) {
  auto list = co_await servers();
  if (!list) co_return list.error();
  std::vector<std::unique_ptr<dns::resolver>> each;
  for (auto& s : *list) {
    dns::resolver_options o;
    o.servers = s;
    o.timeout = std::chrono::milliseconds(2000);
    o.tries = 1;
    auto r = dns::resolver::make(o);
    if (!r) co_return r.error();
    each.push_back(std::move(*r));
  }
  std::vector<bool> seen(each.size(), false);
  const auto deadline = rt::clock::now() + _o.visible_within;
  for (;;) {
    for (std::size_t i = 0; i < each.size(); ++i) {
      if (seen[i]) continue;
      auto answer = co_await each[i]->query(owner, dns::record_type::txt);
      if (!answer) continue;  // NXDOMAIN or no answer yet: look again
      auto texts = dns::parse_txt(bytes(*answer));
      if (texts)
        for (auto& t : *texts) seen[i] = seen[i] || t.text() == value;
    }
    if (std::all_of(seen.begin(), seen.end(), [](bool b) { return b; })) co_return rt::result<void>{};
    if (rt::clock::now() + _o.poll >= deadline) break;
    auto slept = co_await rt::sleep_for(_o.poll);
    if (!slept) co_return slept.error();
  }
  std::string missing;
  for (std::size_t i = 0; i < each.size(); ++i)
    if (!seen[i]) missing += (missing.empty() ? "" : ", ") + (*list)[i];
  _why = owner + " TXT written but not visible on " + missing + " within " +
         std::to_string(_o.visible_within.count() / 1000) + " s";
  co_return std::errc::timed_out;
}

rt::task<rt::result<void>> challenge_publisher::publish(std::string name, std::string value) {
  const std::string owner = "_acme-challenge." + name;
  auto w = co_await change(owner, value, true);
  if (!w) co_return w.error();
  co_return co_await wait_visible(owner, value);
}

rt::task<rt::result<void>> challenge_publisher::withdraw(std::string name, std::string value) {
  co_return co_await change("_acme-challenge." + name, value, false);
}

}  // namespace brood::scout
