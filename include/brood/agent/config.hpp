// brood-agent's configuration (SPEC §2): environment variables, each with a default, checked
// at start with a message that names the variable. A node needs only BROOD_DOMAIN.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brood::agent {

struct config {
  std::string domain;                          // BROOD_DOMAIN (required)
  std::string state_dir = "/var/lib/brood";    // BROOD_STATE_DIR: node.key, agent.json, status.json
  std::string doh_url;                         // BROOD_DOH (Cloudflare's resolver)
  std::string ca_file;                         // BROOD_CA_FILE: extra trust anchors (labs)
  std::string api_url;                         // BROOD_API: https://host:port, instead of the SRV record
  std::vector<std::string> stun;               // BROOD_STUN: ip:port[,ip:port] (none: no STUN)
  std::vector<std::string> endpoints;          // BROOD_ENDPOINT: ip:port[,...] announced as they are
  std::uint16_t wg_port = 51820;               // BROOD_WG_PORT
  std::string wg_interface = "wg0";            // BROOD_WG_INTERFACE
  std::uint32_t wg_mtu = 1420;                 // BROOD_WG_MTU
  std::string wireguard_go = "wireguard-go";   // BROOD_WIREGUARD_GO: run when the kernel lacks WireGuard
  std::string uapi_dir = "/var/run/wireguard"; // BROOD_WG_UAPI_DIR
  std::chrono::milliseconds sync_interval{30000};  // BROOD_SYNC_INTERVAL
  std::chrono::milliseconds stale_after{90000};    // BROOD_STALE_AFTER (when _meta says nothing)
  bool watch = true;                           // BROOD_WATCH (on|off): the /watch fast path
  std::string key_file;                        // BROOD_KEY_FILE: a scout's brood.key
  std::string hostname;                        // BROOD_HOSTNAME (the host's name)
  // FRR beside the agent (docs/frr.md): found through its run directory, driven when it is there.
  bool frr = true;                             // BROOD_FRR (auto|off)
  std::string frr_pathspace;                   // BROOD_FRR_PATHSPACE: FRR's -N, if it runs with one
  std::string frr_run_dir;                     // BROOD_FRR_RUN_DIR (/run/frr[/<pathspace>]): vty sockets, pid files
  std::string frr_reload = "/usr/lib/frr/frr-reload.py";  // BROOD_FRR_RELOAD
};

/// The configuration from the environment, or why not ("BROOD_X: ...").
std::optional<config> config_from_env(std::string* error);

}  // namespace brood::agent
