// provider: the DNS provider a scout writes a brood's records through (SPEC §5). One
// operation matters: make some RRsets equal what brood wants, changing only the difference,
// all at once where the provider can (so a failure leaves nothing half-written), idempotent
// (a retry, or a second scout making the same change, is harmless).
// Lifetime: a provider is used from one reactor; calls may overlap.
#pragma once

#include <brood/rt/reactor.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <chrono>

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

/// One value as the provider holds it, with what the provider needs to change it later: a
/// Cloudflare record id, the RDATA an RFC 2136 prerequisite or deletion names.
struct held_value {
  std::string value;
  std::string native;
};
/// A set as read for an edit: `set.values` are `held`'s values.
struct held_set {
  rrset set;
  std::vector<held_value> held;
};
/// How one set must change: the held values to remove and the values to add.
struct set_change {
  const rrset* want = nullptr;
  const held_set* have = nullptr;  // the set as read (no values: it does not exist yet)
  std::vector<const held_value*> remove;
  std::vector<std::string> add;
};

class provider {
 public:
  virtual ~provider() = default;
  virtual std::string_view kind() const noexcept = 0;

  /// The values of (name, type) as the provider holds them now. `why` gets the provider's own
  /// words on failure.
  virtual rt::task<result<std::vector<std::string>>> get(std::string name, rr_type type, std::string* why) = 0;
  /// Several sets at once, each with its values, in the order given, as an edit reads them (one
  /// connection for RFC 2136, a listing of the zone for Cloudflare).
  rt::task<result<std::vector<rrset>>> read(std::vector<rrset> sets, std::string* why);

  /// A read-modify-write of some sets: reads `sets` (each with its current values), asks `edit`
  /// for the sets it wants them to be, and writes only the difference. If another writer changed
  /// one of the sets meanwhile, reads and asks again — so two scouts editing the same set both
  /// get their change in, and none is lost. `edit` may be called several times and must not
  /// keep state between calls. The loop is the same for every provider; reading the sets as
  /// held and writing a difference are each provider's own (read_held, write).
  using edit_fn = std::function<std::vector<rrset>(const std::vector<rrset>& current)>;
  rt::task<result<write_stats>> edit(std::vector<rrset> sets, edit_fn edit, std::string* why);

  /// How many sets one edit should touch at most, for edits whose size is only known once the
  /// sets are read (RFC 2136: an UPDATE is at most 64 KiB, so one set per UPDATE).
  virtual std::size_t max_sets_per_edit() const noexcept { return 64; }
  /// How many bytes of names and values the sets of one edit should carry at most, for edits
  /// whose values are known beforehand (see batches()).
  virtual std::size_t max_edit_bytes() const noexcept { return SIZE_MAX; }

  /// Makes every set in `desired` equal its values (an edit that ignores what is there).
  rt::task<result<write_stats>> apply(std::vector<rrset> desired, std::string* why);

  // The two halves of an edit, each provider's own (edit() is the loop around them, and a
  // provider that wraps another forwards them).
  /// An edit's deadline from its start (reads, writes and retries included), and how many times
  /// it reads again after a conflict.
  virtual std::chrono::milliseconds edit_timeout() const noexcept { return std::chrono::seconds(30); }
  virtual unsigned edit_attempts() const noexcept { return 4; }
  /// The sets as held now (names outside what the provider serves: rejected).
  virtual rt::task<result<std::vector<held_set>>> read_held(const std::vector<rrset>& sets,
                                                            rt::clock::time_point deadline, write_stats& stats,
                                                            std::string* why) = 0;
  /// Writes `changes` (never empty) — in one transaction where the provider has them — or
  /// error::conflict when a set changed since it was read, and the edit reads again.
  virtual rt::task<result<void>> write(const std::vector<set_change>& changes, rt::clock::time_point deadline,
                                       write_stats& stats, std::string* why) = 0;

 protected:
  /// Sets the caller's `why` (which may be null) to the provider's own words.
  static void say(std::string* why, std::string text) {
    if (why) *why = std::move(text);
  }
};

/// `sets` cut into consecutive groups of at most 64 sets and at most p.max_edit_bytes() bytes of
/// names and values each (a set larger than that on its own is a group of its own), in order.
std::vector<std::vector<rrset>> batches(std::vector<rrset> sets, const provider& p);

}  // namespace brood::provider

template <>
struct std::is_error_code_enum<brood::provider::error> : std::true_type {};
