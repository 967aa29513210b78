// The kernel WireGuard family's generic netlink messages (linux/wireguard.h), as bytes: built
// and parsed with libnl, sent and received by kernel_backend on the reactor. Kept apart from
// the socket so that they can be checked on a kernel without WireGuard.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/wg/device.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace brood::wg::genl {

using bytes = std::vector<std::uint8_t>;

/// CTRL_CMD_GETFAMILY for "wireguard" (to GENL_ID_CTRL).
bytes get_family_request(std::uint32_t seq);
/// The family id in a CTRL_CMD_GETFAMILY answer; the kernel's error if it sent one
/// (ENOENT: no WireGuard).
rt::result<std::uint16_t> parse_family_reply(std::span<const std::uint8_t> msg);

/// WG_CMD_GET_DEVICE (a dump) for `ifname`.
bytes get_device_request(std::uint16_t family, const std::string& ifname, std::uint32_t seq);
/// Folds one message of a WG_CMD_GET_DEVICE dump into `d`. A peer continued from the previous
/// message (same public key, more allowed IPs) is merged into it. std::errc::interrupted when
/// the kernel marked the message NLM_F_DUMP_INTR (the device changed during the dump: read
/// it again).
rt::result<void> parse_device_reply(std::span<const std::uint8_t> msg, device& d);

/// WG_CMD_SET_DEVICE messages for `c`, each at most `max_bytes` (1 KiB to about 59 KiB: an
/// attribute's length is 16 bits): the first carries the device's own attributes, every one
/// names the interface, and peers go in order (removals first). A peer whose allowed IPs do not
/// fit continues in the next message under its key with the rest of them, added to the first
/// part's (which alone replaces the old ones and sets the endpoint and keepalive). Each asks
/// for an ACK.
std::vector<bytes> set_device_requests(std::uint16_t family, const std::string& ifname, const device_change& c,
                                       std::uint32_t first_seq, std::size_t max_bytes = 32768);

}  // namespace brood::wg::genl
