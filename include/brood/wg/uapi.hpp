// wireguard-go's UAPI text protocol (wireguard.com/xplatform): the `set=1` request for a
// device_change and the strict parser for a `get=1` answer. Keys are lower-case hex; every line
// is key=value; an answer ends with `errno=N` and an empty line.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/wg/device.hpp>

#include <string>
#include <string_view>

namespace brood::wg {

/// "set=1\n…\n\n" for `c`: peers are written with replace_allowed_ips=true, removals with
/// remove=true.
std::string uapi_set_request(const device_change& c);

/// The device a `get=1` answer describes. Refused (std::errc::bad_message) when a line is not
/// key=value, a value does not parse, a peer attribute comes before any public_key, a key is
/// unknown, or the answer does not end with errno=0 and an empty line; a non-zero errno is that
/// error.
rt::result<device> parse_uapi_get(std::string_view answer);

/// The answer to a `set=1`: errno=0 and an empty line, or the error it names.
rt::result<void> parse_uapi_set(std::string_view answer);

}  // namespace brood::wg
