// Strict HTTP/1.1 request parsing (RFC 9112): the request head, and chunked bodies.
//
// Strict on purpose — what a proxy might read differently is refused: bare LF line ends,
// whitespace before a header colon, obsolete line folding, Content-Length with anything but
// digits or with conflicting copies, Transfer-Encoding other than "chunked", and both framing
// headers together (request smuggling). Everything is bounded by the caller's limits.
#pragma once

#include <brood/http/message.hpp>
#include <brood/rt/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brood::http {

using rt::result;

enum class body_framing { none, content_length, chunked };

struct request_head {
  request req;
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  body_framing framing = body_framing::none;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
};

/// Parses one request head: `head` runs from the request line to the blank line, inclusive
/// ("...\r\n\r\n"). Errors: std::errc::bad_message (400), std::errc::not_supported (501, an
/// unknown transfer coding).
result<request_head> parse_request_head(std::string_view head);

/// Where the head ends in `buf` (one past "\r\n\r\n"), or npos if it has not arrived yet.
std::size_t find_head_end(std::string_view buf) noexcept;

/// Incremental decoder of a chunked body. feed() consumes what it can and appends payload to
/// `out`; done() once the last chunk and the trailer section have been read.
class chunked_decoder {
 public:
  explicit chunked_decoder(std::size_t max_body) noexcept : _max(max_body) {}
  /// Bytes of `in` consumed, or bad_message / message_size (the body would exceed max_body).
  result<std::size_t> feed(std::string_view in, std::string& out);
  bool done() const noexcept { return _state == state::done; }

 private:
  enum class state { size, ext, size_lf, data, data_cr, data_lf, trailer_start, trailer_line, trailer_lf, last_lf, done };
  state _state = state::size;
  std::uint64_t _chunk = 0;
  int _digits = 0;
  std::size_t _line = 0;  // bytes in the current extension or trailer line (bounded)
  std::size_t _max;
  std::size_t _total = 0;
};

}  // namespace brood::http
