// HTTP messages as brood's clients and handlers see them (HTTP/2 and HTTP/1.1 alike).
#pragma once

#include <brood/rt/task.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brood::http {

struct header {
  std::string name;  // lower case
  std::string value;
};

/// The first value of header `name` (lower case) in `headers`, or empty.
inline std::string_view find_header(const std::vector<header>& headers, std::string_view name) noexcept {
  for (auto& h : headers)
    if (h.name == name) return h.value;
  return {};
}

struct request {
  std::string method = "GET";
  std::string path = "/";
  std::string authority;  // host[:port]; filled in by the client when empty
  std::vector<header> headers;
  std::string body;
  std::string remote;  // server side: the client's address, "ip:port" ("[ip]:port" for IPv6)

  std::string_view header_value(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// A response body produced over time (brood's GET /watch). The server pulls chunks with next()
/// and sends each as it comes (HTTP/2 DATA frames, HTTP/1.1 chunks) until next() returns
/// nullopt. The server cancels next() (through the calling task's token) when the client goes
/// away (over HTTP/1.1, seen at the next write) or the server drains, and then ends the body
/// cleanly if the client is still there. A next() that throws, or a client that reads nothing
/// for the server's idle timeout, gets the stream reset (h2) or the connection closed without
/// the last chunk (HTTP/1.1). next() must be cancellable and is not called again after it
/// returned nullopt or was cancelled. Lifetime: shared by the response and the server, which
/// drops it when the stream ends.
class body_stream {
 public:
  virtual ~body_stream() = default;
  virtual rt::task<std::optional<std::string>> next() = 0;
};

struct response {
  int status = 0;
  std::vector<header> headers;
  std::string body;                    // the whole body, or what is sent before `stream`'s chunks
  std::shared_ptr<body_stream> stream;  // set: the body goes on with the stream's chunks

  std::string_view header_value(std::string_view name) const noexcept { return find_header(headers, name); }
};

}  // namespace brood::http
