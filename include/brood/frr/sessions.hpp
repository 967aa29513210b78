// frr sessions: the state of each BGP EVPN session and its BFD session, as FRR reports them
// (`show bgp l2vpn evpn summary json`, `show bfd peers json`) — parsed strictly and read from
// bgpd's and bfdd's vty sockets with a deadline.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brood::frr {

struct session {
  std::string peer;       // the neighbour's address
  std::string bgp;        // "Established", "Active", "Idle", ...
  std::string bfd;        // "up", "down", "init", "" when FRR has no BFD session for it
  std::int64_t prefixes = 0;  // EVPN prefixes received
  friend bool operator==(const session&, const session&) = default;
};

/// The sessions in the two JSON answers, by peer address; std::errc::bad_message when either
/// is not what FRR 8.4 prints.
rt::result<std::vector<session>> parse_sessions(std::string_view bgp_summary_json, std::string_view bfd_peers_json);

struct vty_options {
  std::string run_dir;    // the daemons' vty sockets; "" for FRR's own
  std::string pathspace;  // FRR's -N, if any
  std::chrono::milliseconds timeout{5'000};
};

/// Asks bgpd and bfdd for both answers and parses them; std::errc::no_such_process when a
/// daemon does not answer, std::errc::protocol_error when it refuses the command.
rt::task<rt::result<std::vector<session>>> read_sessions(vty_options o);

}  // namespace brood::frr
