// watch_stream: the /watch stream's NDJSON (docs/api.md) cut into what each line carries — the
// scout's hello with its keepalive, signed sets it just wrote, an overflow notice. Pure: bytes
// in, lines out; the agent verifies the sets as it verifies DNS answers.
// Lifetime: one per stream; a reconnect starts a new one.
#pragma once

#include <brood/records/view_update.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brood::agent {

class watch_stream {
 public:
  /// A partial line past this is not a scout's: the stream is dropped (and DNS read instead).
  static constexpr std::size_t max_line = std::size_t{1} << 20;

  struct line {
    std::optional<std::int64_t> keepalive_s;  // from a hello, clamped to 1 s–1 h
    bool overflow = false;                    // the scout dropped pushes for this stream
    std::vector<records::pushed_set> sets;    // as sent, not yet verified
  };

  /// Takes the next chunk; returns the lines it completed, in order. A line that is not a JSON
  /// object, or carries nothing known, is skipped; a set without a name or values is left out.
  std::vector<line> feed(std::string_view chunk);
  bool too_long() const noexcept { return _buffer.size() > max_line; }

 private:
  std::string _buffer;
};

}  // namespace brood::agent
