// watch_stream: NDJSON lines of /watch → hello, pushed sets, overflow.
#include <brood/agent/watch_stream.hpp>

#include <brood/json/value.hpp>

#include <algorithm>

namespace brood::agent {

namespace {
std::optional<watch_stream::line> parse_line(std::string_view text) {
  auto j = json::parse(text);
  if (!j || !j->is_object()) return std::nullopt;
  watch_stream::line out;
  if (const auto* hello = j->find("hello")) {
    if (const auto* k = hello->find("keepalive"); k && k->as_int())
      out.keepalive_s = std::clamp<std::int64_t>(*k->as_int(), 1, 3600);
    return out;
  }
  out.overflow = j->find("overflow") != nullptr;
  if (const auto* sets = j->find("sets"); sets && sets->as_array()) {
    for (auto& set : *sets->as_array()) {
      const auto* name = set.find("name");
      const auto* values = set.find("values");
      if (!name || !name->as_string() || !values || !values->as_array()) continue;
      records::pushed_set p{*name->as_string(), {}};
      for (auto& v : *values->as_array())
        if (v.as_string()) p.values.push_back(*v.as_string());
      out.sets.push_back(std::move(p));
    }
  }
  if (!out.overflow && out.sets.empty()) return std::nullopt;
  return out;
}
}  // namespace

std::vector<watch_stream::line> watch_stream::feed(std::string_view chunk) {
  _buffer.append(chunk);
  std::vector<line> out;
  std::size_t start = 0, nl;
  while ((nl = _buffer.find('\n', start)) != std::string::npos) {
    if (auto l = parse_line(std::string_view(_buffer).substr(start, nl - start))) out.push_back(std::move(*l));
    start = nl + 1;
  }
  _buffer.erase(0, start);
  return out;
}

}  // namespace brood::agent
