// libFuzzer target: the HTTP/1.1 request head parser. Any input must parse or be refused with
// an error, never crash; what parses must respect the framing invariants.
#include <brood/http/http1_parser.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto end = brood::http::find_head_end(in);
  if (end == std::string_view::npos) return 0;
  auto head = brood::http::parse_request_head(in.substr(0, end));
  if (!head) return 0;
  // Invariants of an accepted head.
  if (head->req.path.empty() || head->req.method.empty()) std::abort();
  if (head->framing == brood::http::body_framing::content_length && head->content_length == 0) std::abort();
  bool has_host = false;  // HTTP/1.1 needs exactly one Host line (it may be empty)
  for (auto& h : head->req.headers) has_host |= h.name == "host";
  if (head->minor_version == 1 && !has_host) std::abort();
  if (head->framing == brood::http::body_framing::chunked && head->minor_version == 0) std::abort();
  return 0;
}
