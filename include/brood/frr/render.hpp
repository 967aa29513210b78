// frr::render: a config as FRR's integrated configuration text (frr.conf, as `show
// running-config` prints it). Pure and deterministic, so "apply only when it changed" is a
// string compare and the golden files in tests/data/frr are the configuration brood runs.
#pragma once

#include <brood/frr/config.hpp>
#include <brood/rt/result.hpp>

#include <string>

namespace brood::frr {

/// std::errc::invalid_argument for a config FRR could misread: an empty or unsafe name, no ASN,
/// a router id or neighbour address that is not an IPv4 address.
rt::result<std::string> render(const config& c);

/// What render() writes per client on a route reflector: the route-map that it is sent and taken
/// from through (route_map_name), matching the list of its vlans' route targets (vni_list_name),
/// one line per VNI (vni_list_entry).
std::string route_map_name(const neighbor& n);
std::string vni_list_name(const neighbor& n);
std::string vni_list_entry(const config& c, const neighbor& n, std::uint32_t vni);

}  // namespace brood::frr
