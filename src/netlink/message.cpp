// NLMSG_ERROR parsing, bounds checked before the header is read.
#include <brood/netlink/message.hpp>

#include <linux/netlink.h>

#include <cstring>

namespace brood::netlink {

rt::result<int> ack_status(std::span<const std::uint8_t> msg) {
  if (msg.size() < NLMSG_LENGTH(sizeof(nlmsgerr))) return std::errc::bad_message;
  nlmsghdr h;
  std::memcpy(&h, msg.data(), sizeof h);
  if (h.nlmsg_type != NLMSG_ERROR || h.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return std::errc::bad_message;
  nlmsgerr e;
  std::memcpy(&e, msg.data() + NLMSG_HDRLEN, sizeof e);
  return e.error;
}

rt::result<void> ack_result(std::span<const std::uint8_t> msg) {
  auto st = ack_status(msg);
  if (!st) return st.error();
  if (*st == 0) return {};
  if (*st > 0 || *st < -4095) return std::errc::bad_message;
  return std::error_code(-*st, std::system_category());
}

}  // namespace brood::netlink
