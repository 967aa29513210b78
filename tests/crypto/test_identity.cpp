// Node identity: node.key creation and permissions, id10, the WireGuard key pair checked
// against real `wg pubkey`, signatures, secretbox and sealed boxes.
#include "support/rt_test.hpp"
#include "support/scratch_dir.hpp"

#include <brood/crypto/box.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/rt/process.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace brood;
using namespace brood::crypto;

BOOST_AUTO_TEST_SUITE(identity_suite)

using temp_dir = test::scratch_dir;

BOOST_AUTO_TEST_CASE(node_key_is_created_0600_and_reloaded_unchanged) {
  temp_dir d;
  const std::string key = d.dir + "/state/node.key";
  auto a = identity::load_or_create(key);
  BOOST_REQUIRE_MESSAGE(a.has_value(), a.error().message());
  struct stat st {};
  BOOST_REQUIRE(::stat(key.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  auto b = identity::load_or_create(key);
  BOOST_REQUIRE(b.has_value());
  BOOST_TEST((a->pk() == b->pk()));
  BOOST_TEST(a->id10().size() == 10u);
  BOOST_TEST(a->id10().find_first_not_of("0123456789abcdef") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_key_others_can_read_is_refused) {
  temp_dir d;
  const std::string key = d.dir + "/node.key";
  BOOST_REQUIRE(identity::load_or_create(key).has_value());
  ::chmod(key.c_str(), 0640);
  BOOST_TEST((identity::load_or_create(key).error() == std::errc::permission_denied));
  ::chmod(key.c_str(), 0604);
  BOOST_TEST((identity::load_or_create(key).error() == std::errc::permission_denied));
  ::chmod(key.c_str(), 0600);
  std::ofstream(key, std::ios::trunc) << "not base64 at all\n";
  BOOST_TEST((identity::load_or_create(key).error() == std::errc::invalid_argument));
  std::ofstream(key, std::ios::trunc) << "AAAA\n";  // valid base64, wrong length
  BOOST_TEST((identity::load_or_create(key).error() == std::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(id10_and_derivations_match_known_values) {
  std::array<std::uint8_t, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  auto id = identity::from_seed(seed);
  // Peers derive the WireGuard key from pk alone; it must equal the node's own derivation.
  auto derived = wireguard_public_key(id.pk());
  BOOST_REQUIRE(derived.has_value());
  BOOST_TEST((*derived == id.x25519_public()));
  BOOST_TEST(base64(*derived) == id.wireguard_public_base64());
  BOOST_TEST(id.wireguard_public_base64().size() == 44u);
  // id10 is sha256(pk)'s first 10 hex digits: a different key gives a different id.
  seed[0] ^= 1;
  BOOST_TEST(identity::from_seed(seed).id10() != id.id10());
}

static rt::task<std::string> wg_pubkey(std::string priv) {
  rt::process_options o;
  o.in = o.out = rt::process_options::stdio::pipe;
  auto p = rt::process::spawn({"wg", "pubkey"}, o);
  if (!p) co_return std::string();
  std::string line = priv + "\n";
  auto w = co_await rt::write(p->stdin_fd(), std::as_bytes(std::span(line.data(), line.size())));
  (void)w;
  p->close_stdin();
  auto out = co_await rt::read_to_end(p->stdout_fd());
  auto st = co_await p->wait();
  (void)st;
  co_return out ? *out : std::string();
}

BROOD_RT_TEST(wg_pubkey_agrees_with_our_derivation) {
  if (::access("/usr/bin/wg", X_OK) != 0) BROOD_SKIP("wireguard-tools not installed");
  for (int i = 0; i < 5; ++i) {
    std::array<std::uint8_t, 32> seed{};
    for (auto& b : seed) b = static_cast<std::uint8_t>(i * 37 + (&b - seed.data()));
    auto id = identity::from_seed(seed);
    auto out = co_await wg_pubkey(id.wireguard_private_base64());
    BOOST_TEST(out == id.wireguard_public_base64() + "\n");
  }
}

BOOST_AUTO_TEST_CASE(signatures_verify_only_for_the_signed_bytes_and_key) {
  auto a = identity::from_seed({1});
  auto b = identity::from_seed({2});
  std::string msg = "brood1 _n ab12cd34ef pk=... ts=1";
  auto sig = a.sign(bytes_of(msg));
  BOOST_TEST(verify(a.pk(), bytes_of(msg), sig));
  BOOST_TEST(!verify(b.pk(), bytes_of(msg), sig));
  msg.back() = '2';
  BOOST_TEST(!verify(a.pk(), bytes_of(msg), sig));
}

BOOST_AUTO_TEST_CASE(boxes_open_only_with_the_right_key) {
  auto key = random_secret_key();
  auto box = secretbox_seal(key, bytes_of("192.0.2.7:51820"));
  auto opened = secretbox_open(key, bytes_of(box));
  BOOST_TEST((opened.has_value() && *opened == "192.0.2.7:51820"));
  auto other = random_secret_key();
  BOOST_TEST((secretbox_open(other, bytes_of(box)).error() == std::errc::bad_message));
  box[30] ^= 1;
  BOOST_TEST((secretbox_open(key, bytes_of(box)).error() == std::errc::bad_message));
  BOOST_TEST(!secretbox_open(key, bytes_of("short")).has_value());

  auto node = identity::from_seed({9});
  auto stranger = identity::from_seed({10});
  auto sealed = seal_to(node.x25519_public(), std::span(key));
  auto got = node.open_sealed(bytes_of(sealed));
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST((std::equal(got->begin(), got->end(), reinterpret_cast<const char*>(key.data()))));
  BOOST_TEST(!stranger.open_sealed(bytes_of(sealed)).has_value());
}

BOOST_AUTO_TEST_CASE(base64_forms_round_trip_and_reject_garbage) {
  std::array<std::uint8_t, 5> raw{0xfb, 0xff, 0x00, 0x10, 0x7f};
  BOOST_TEST(base64(raw) == "+/8AEH8=");
  BOOST_TEST(base64url(raw) == "-_8AEH8");
  BOOST_TEST(*from_base64url("-_8AEH8") == std::string(reinterpret_cast<char*>(raw.data()), raw.size()));
  BOOST_TEST(!from_base64("+/8AEH8").has_value());  // padding is required in the standard form
  BOOST_TEST(!from_base64url("-_8A EH8").has_value());
  BOOST_TEST(!from_base64url("-_8AEH8=").has_value());  // no padding in the url form
  BOOST_TEST(!from_base64url("+/8AEH8").has_value());   // nor the standard alphabet
  BOOST_TEST(!from_base64url("A").has_value());         // 4k+1 characters hold no whole byte
  BOOST_TEST(!from_base64url("AB").has_value());        // bits after the last byte must be zero
  BOOST_TEST(from_base64url("AA").has_value());
  BOOST_TEST(from_base64url("")->empty());
  // Every length round-trips, and agrees with libsodium's encoder.
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    auto enc = base64url(bytes_of(bytes));
    BOOST_TEST(enc.find('=') == std::string::npos);
    auto dec = from_base64url(enc);
    BOOST_REQUIRE(dec.has_value());
    BOOST_TEST(*dec == bytes);
    bytes += static_cast<char>(n * 37 + 11);
  }
}

BOOST_AUTO_TEST_SUITE_END()
