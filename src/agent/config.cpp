// brood-agent's environment, validated at start.
#include <brood/agent/config.hpp>

#include <brood/config/env.hpp>
#include <brood/dns/canonical_name.hpp>
#include <brood/dns/doh_client.hpp>
#include <brood/net/socket_address.hpp>

#include <unistd.h>

namespace brood::agent {

namespace {
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size() && !s.empty()) {
    auto comma = s.find(',', at);
    auto item = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}
}  // namespace

std::optional<config> config_from_env(std::string* error) {
  brood::config::env e;
  config c;
  c.domain = dns::canonical_name(e.required("BROOD_DOMAIN"));  // the one spelling signatures cover
  c.state_dir = e.string("BROOD_STATE_DIR", c.state_dir);
  c.doh_url = e.string("BROOD_DOH", dns::default_doh_url());
  if (!c.doh_url.starts_with("https://")) e.fail("BROOD_DOH", "expected an https:// URL");
  c.ca_file = e.string("BROOD_CA_FILE", "");
  c.api_url = e.string("BROOD_API", "");
  if (!c.api_url.empty() && !c.api_url.starts_with("https://")) e.fail("BROOD_API", "expected https://host:port");
  c.stun = split_list(e.string("BROOD_STUN", ""));
  for (auto& s : c.stun)
    if (!net::socket_address::parse(s)) e.fail("BROOD_STUN", "expected ip:port[,ip:port], got " + s);
  c.endpoints = split_list(e.string("BROOD_ENDPOINT", ""));
  for (auto& s : c.endpoints)
    if (!net::socket_address::parse(s)) e.fail("BROOD_ENDPOINT", "expected ip:port[,ip:port], got " + s);
  c.wg_port = static_cast<std::uint16_t>(e.integer("BROOD_WG_PORT", 51820, 1, 65535));
  c.wg_interface = e.string("BROOD_WG_INTERFACE", "wg0");
  if (c.wg_interface.empty() || c.wg_interface.size() > 15) e.fail("BROOD_WG_INTERFACE", "1 to 15 characters");
  c.wg_mtu = static_cast<std::uint32_t>(e.integer("BROOD_WG_MTU", 1420, 1280, 9000));
  c.wireguard_go = e.string("BROOD_WIREGUARD_GO", "wireguard-go");
  c.uapi_dir = e.string("BROOD_WG_UAPI_DIR", "/var/run/wireguard");
  c.sync_interval = e.duration("BROOD_SYNC_INTERVAL", std::chrono::seconds(30));
  if (c.sync_interval < std::chrono::milliseconds(100)) e.fail("BROOD_SYNC_INTERVAL", "at least 100ms");
  c.stale_after = e.duration("BROOD_STALE_AFTER", std::chrono::seconds(90));
  c.watch = e.choice("BROOD_WATCH", "on", {"on", "off"}) == "on";
  c.key_file = e.string("BROOD_KEY_FILE", "");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  c.hostname = e.string("BROOD_HOSTNAME", host[0] ? host : "node");
  c.frr = e.choice("BROOD_FRR", "auto", {"auto", "off"}) == "auto";
  c.frr_pathspace = e.string("BROOD_FRR_PATHSPACE", "");
  if (c.frr_pathspace.find('/') != std::string::npos || c.frr_pathspace == "." || c.frr_pathspace == "..")
    e.fail("BROOD_FRR_PATHSPACE", "a name, not a path");
  c.frr_run_dir = e.string("BROOD_FRR_RUN_DIR", c.frr_pathspace.empty() ? "/run/frr" : "/run/frr/" + c.frr_pathspace);
  c.frr_reload = e.string("BROOD_FRR_RELOAD", c.frr_reload);
  if (!e.ok()) {
    if (error) *error = e.error();
    return std::nullopt;
  }
  return c;
}

}  // namespace brood::agent
