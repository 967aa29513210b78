// Private to the netlink area: what every routing-netlink request shares — libnl messages
// owned by a unique_ptr, the deadline, an aligned copy for libnl's parsers, "send and wait for
// the ACK", and the link and address parsers that requests and events both use.
#pragma once

#include <brood/net/ip_prefix.hpp>
#include <brood/netlink/link.hpp>
#include <brood/rt/io_op.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <utility>
#include <vector>

struct nl_msg;    // libnl's, which stays in the .cpp files
struct nlmsghdr;  // <linux/netlink.h>

namespace brood::netlink::detail {

struct msg_deleter {
  void operator()(nl_msg* m) const noexcept;
};
using msg_ptr = std::unique_ptr<nl_msg, msg_deleter>;

std::span<const std::uint8_t> bytes_of(nl_msg* m);
rt::io_options deadline(const call_options& o);

/// An aligned copy of one message, for libnl's parsers.
struct aligned {
  std::vector<std::uint64_t> storage;
  nlmsghdr* h;
  explicit aligned(std::span<const std::uint8_t> m);
};

/// Sends `m` (which asks for an ACK) and waits for the ACK.
rt::task<rt::result<void>> request_ack(nl_msg* m, call_options o);

/// Sends the dump request `m` and hands each answer of message type `type` to `each`, until
/// the kernel's NLMSG_DONE; an error the kernel answers ends it.
rt::task<rt::result<void>> dump(nl_msg* m, std::uint16_t type, std::function<void(std::span<const std::uint8_t>)> each,
                                call_options o);

/// An RTM_NEWLINK request that changes link `index` (attributes to be added), asking for an ACK.
msg_ptr link_change(int index);

/// An RTM_NEWLINK message.
rt::result<link_info> parse_link(std::span<const std::uint8_t> m);
/// An address message's link index and prefix.
rt::result<std::pair<int, net::ip_prefix>> parse_addr(std::span<const std::uint8_t> m);

}  // namespace brood::netlink::detail
