// provider: the DNS provider a scout writes a brood's records through (SPEC §5). One
// operation matters: make some RRsets equal what brood wants, changing only the difference,
// all at once where the provider can (so a failure leaves nothing half-written), idempotent
// (a retry, or a second scout making the same change, is harmless).
// Lifetime: a provider is used from one reactor; calls may overlap.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace brood::provider {

using rt::result;

enum class rr_type : std::uint16_t { a = 1, txt = 16, aaaa = 28, srv = 33 };

/// One name's records of one type, as brood sees them: TXT values are record texts (the
/// character-strings joined), SRV values `priority weight port target`, A/AAAA addresses.
struct rrset {
  std::string name;  // absolute, lower case, no trailing dot
  rr_type type = rr_type::txt;
  std::uint32_t ttl = 60;
  std::vector<std::string> values;  // empty: the RRset goes
};

struct write_stats {
  unsigned added = 0, removed = 0;  // records
  unsigned changed_sets = 0, unchanged_sets = 0;
  unsigned calls = 0;               // requests to the provider, reads included
  unsigned conflicts = 0;           // retries after someone else changed a set under us
};

enum class error {
  auth = 1,      // credentials refused (401/403, TSIG BADKEY/BADSIG, NOTAUTH, REFUSED)
  rate_limited,  // the provider asks us to slow down (429), after our own retries
  conflict,      // the sets kept changing under us, after our retries
  rejected,      // the provider refused the change (a limit, a bad value)
  unavailable,   // unreachable, timed out, 5xx
  bad_response,  // an answer we cannot read
};
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

class provider {
 public:
  virtual ~provider() = default;
  virtual std::string_view kind() const noexcept = 0;

  /// The values of (name, type) as the provider holds them now. `why` gets the provider's own
  /// words on failure.
  virtual rt::task<result<std::vector<std::string>>> get(std::string name, rr_type type, std::string* why) = 0;

  /// A read-modify-write of some sets: reads `sets` (each with its current values), asks `edit`
  /// for the sets it wants them to be, and writes only the difference. If another writer changed
  /// one of the sets meanwhile, reads and asks again — so two scouts editing the same set both
  /// get their change in, and none is lost. `edit` may be called several times and must not
  /// keep state between calls.
  using edit_fn = std::function<std::vector<rrset>(const std::vector<rrset>& current)>;
  virtual rt::task<result<write_stats>> edit(std::vector<rrset> sets, edit_fn edit, std::string* why) = 0;

  /// How many sets one edit should touch at most, for edits whose size is only known once the
  /// sets are read (RFC 2136: an UPDATE is at most 64 KiB, so one set per UPDATE).
  virtual std::size_t max_sets_per_edit() const noexcept { return 64; }
  /// How many bytes of names and values the sets of one edit should carry at most, for edits
  /// whose values are known beforehand (see batches()).
  virtual std::size_t max_edit_bytes() const noexcept { return SIZE_MAX; }

  /// Makes every set in `desired` equal its values (an edit that ignores what is there).
  rt::task<result<write_stats>> apply(std::vector<rrset> desired, std::string* why);
};

/// `sets` cut into consecutive groups of at most 64 sets and at most p.max_edit_bytes() bytes of
/// names and values each (a set larger than that on its own is a group of its own), in order.
std::vector<std::vector<rrset>> batches(std::vector<rrset> sets, const provider& p);

}  // namespace brood::provider

template <>
struct std::is_error_code_enum<brood::provider::error> : std::true_type {};
