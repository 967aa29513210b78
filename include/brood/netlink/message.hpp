// Netlink message helpers shared by rtnl and the kernel WireGuard backend, free of sockets so
// that parsers built on them can be fuzzed alone.
#pragma once

#include <brood/rt/result.hpp>

#include <cstdint>
#include <span>

namespace brood::netlink {

/// The status of an NLMSG_ERROR message (0: an ACK, else -errno); std::errc::bad_message for
/// anything else.
rt::result<int> ack_status(std::span<const std::uint8_t> msg);

/// An ACK as a result: ok for 0, the kernel's error otherwise.
rt::result<void> ack_result(std::span<const std::uint8_t> msg);

}  // namespace brood::netlink
