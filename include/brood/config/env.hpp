// Configuration from the environment (SPEC §2): each program reads the variables it needs,
// every one has a documented default or is required, and a bad value stops the program at start
// with a message naming the variable.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brood::config {

/// Collects values and the first problem; read with the typed getters, then check ok().
class env {
 public:
  /// A required string (an error if unset or empty).
  std::string required(const char* name);
  std::string string(const char* name, std::string fallback);
  std::uint64_t integer(const char* name, std::uint64_t fallback, std::uint64_t min, std::uint64_t max);
  /// "30s", "500ms", "2m" or a bare number of seconds.
  std::chrono::milliseconds duration(const char* name, std::chrono::milliseconds fallback);
  /// A duration that may be negative or zero: "-90s", "+5m", "0".
  std::chrono::milliseconds offset(const char* name);
  /// One of `choices`.
  std::string choice(const char* name, std::string fallback, const std::vector<std::string>& choices);
  /// Records a problem found by the caller's own checks.
  void fail(const char* name, const std::string& why);

  bool ok() const noexcept { return _error.empty(); }
  /// "BROOD_X: why" for the first problem.
  const std::string& error() const noexcept { return _error; }
  /// The value, or nothing when the variable is unset or empty.
  std::optional<std::string> get(const char* name);

 private:
  std::string _error;
};

}  // namespace brood::config
