// netlink addresses (RTM_*ADDR) on a link, and a link converged to the addresses, MTU and up
// state it should have.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/netlink/link.hpp>

#include <vector>

namespace brood::netlink {

/// The addresses on link `index` (with their prefix lengths), both families.
rt::task<rt::result<std::vector<net::ip_prefix>>> addresses(int index, call_options o = {});
rt::task<rt::result<void>> add_address(int index, net::ip_prefix a, call_options o = {});
rt::task<rt::result<void>> delete_address(int index, net::ip_prefix a, call_options o = {});

/// Makes link `index` carry exactly `wanted` among addresses of the families `wanted` uses
/// (others it holds, like IPv6 link-local, are left alone), with MTU `mtu`, up. Returns
/// whether it changed anything.
rt::task<rt::result<bool>> converge_link(int index, std::vector<net::ip_prefix> wanted, std::uint32_t mtu,
                                         call_options o = {});

}  // namespace brood::netlink
