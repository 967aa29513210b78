// Reading and validating environment variables.
#include <brood/config/env.hpp>

#include <charconv>
#include <cstdlib>

namespace brood::config {

std::optional<std::string> env::get(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

void env::fail(const char* name, const std::string& why) {
  if (_error.empty()) _error = std::string(name) + ": " + why;
}

std::string env::required(const char* name) {
  auto v = get(name);
  if (!v) fail(name, "must be set");
  return v.value_or("");
}

std::string env::string(const char* name, std::string fallback) { return get(name).value_or(std::move(fallback)); }

std::uint64_t env::integer(const char* name, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) {
  auto v = get(name);
  if (!v) return fallback;
  std::uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max) {
    fail(name, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got \"" + *v + "\"");
    return fallback;
  }
  return out;
}

std::chrono::milliseconds env::duration(const char* name, std::chrono::milliseconds fallback) {
  auto v = get(name);
  if (!v) return fallback;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  std::string_view unit(p, static_cast<std::size_t>(v->data() + v->size() - p));
  std::uint64_t scale = unit.empty() || unit == "s" ? 1000 : unit == "ms" ? 1 : unit == "m" ? 60'000 : 0;
  if (ec != std::errc() || scale == 0 || n == 0 || n > 86'400'000) {
    fail(name, "expected a duration such as 30s, 500ms or 2m, got \"" + *v + "\"");
    return fallback;
  }
  return std::chrono::milliseconds(n * scale);
}

std::chrono::milliseconds env::offset(const char* name) {
  auto v = get(name);
  if (!v || *v == "0") return std::chrono::milliseconds(0);
  std::string_view text = *v;
  const bool back = text.starts_with('-');
  if (back || text.starts_with('+')) text.remove_prefix(1);
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  std::uint64_t scale = unit.empty() || unit == "s" ? 1000 : unit == "ms" ? 1 : unit == "m" ? 60'000 : 0;
  if (ec != std::errc() || scale == 0 || n > 86'400'000) {
    fail(name, "expected a duration such as 300s, -90s or +5m, got \"" + *v + "\"");
    return std::chrono::milliseconds(0);
  }
  const auto ms = static_cast<std::int64_t>(n * scale);
  return std::chrono::milliseconds(back ? -ms : ms);
}

std::string env::choice(const char* name, std::string fallback, const std::vector<std::string>& choices) {
  auto v = get(name).value_or(fallback);
  for (auto& c : choices)
    if (c == v) return v;
  std::string list;
  for (auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  fail(name, "expected one of " + list + ", got \"" + v + "\"");
  return fallback;
}

}  // namespace brood::config
