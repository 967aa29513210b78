// Private to the HTTP layer: an nghttp2 header field viewing two strings (nghttp2 copies them
// when the frame is submitted, so the views need only live until then).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string_view>

namespace brood::http::detail {

inline nghttp2_nv make_nv(std::string_view name, std::string_view value) noexcept {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace brood::http::detail
