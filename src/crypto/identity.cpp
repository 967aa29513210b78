// identity: node.key handling, Ed25519 signing, X25519 derivation, base64 helpers.
#include <brood/crypto/box.hpp>
#include <brood/crypto/identity.hpp>

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace brood::crypto {

namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

std::error_code last_error() { return {errno, std::system_category()}; }

std::string encode(std::span<const std::uint8_t> b, int variant) {
  std::string out(sodium_base64_encoded_len(b.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

result<std::string> decode(std::string_view text, int variant) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, variant) != 0 ||
      end != text.data() + text.size())
    return std::errc::invalid_argument;
  out.resize(len);
  return out;
}

/// base64url without padding, table-driven: records carry only public values, and a reader
/// decodes a few hundred per sync, where libsodium's constant-time decoder (kept for the
/// secret in node.key) costs more than the rest of the parsing. Just as strict: a length of
/// 4k+1 and non-zero bits after the last full byte are refused, so every value has one spelling.
result<std::string> decode_url(std::string_view text) {
  static constexpr auto table = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return t;
  }();
  if (text.size() % 4 == 1) return std::errc::invalid_argument;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (char c : text) {
    auto v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::errc::invalid_argument;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::errc::invalid_argument;
  return out;
}

}  // namespace

std::string base64(std::span<const std::uint8_t> b) { return encode(b, sodium_base64_VARIANT_ORIGINAL); }
result<std::string> from_base64(std::string_view t) { return decode(t, sodium_base64_VARIANT_ORIGINAL); }
std::string base64url(std::span<const std::uint8_t> b) { return encode(b, sodium_base64_VARIANT_URLSAFE_NO_PADDING); }
result<std::string> from_base64url(std::string_view t) { return decode_url(t); }

std::string id10(const public_key& pk) {
  ensure_sodium();
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, pk.data(), pk.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string(hex, 10);
}

result<x25519_key> wireguard_public_key(const public_key& pk) {
  ensure_sodium();
  x25519_key x{};
  if (crypto_sign_ed25519_pk_to_curve25519(x.data(), pk.data()) != 0) return std::errc::invalid_argument;
  return x;
}

bool verify(const public_key& pk, std::span<const std::uint8_t> message, const signature& sig) noexcept {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), pk.data()) == 0;
}

identity identity::from_seed(const std::array<std::uint8_t, 32>& seed) {
  ensure_sodium();
  identity id;
  crypto_sign_seed_keypair(id._pk.data(), id._sk.data(), seed.data());
  // Both conversions succeed for a key libsodium itself generated.
  (void)!crypto_sign_ed25519_sk_to_curve25519(id._xsk.data(), id._sk.data());
  (void)!crypto_sign_ed25519_pk_to_curve25519(id._xpk.data(), id._pk.data());
  return id;
}

result<identity> identity::load_or_create(const std::string& path) {
  ensure_sodium();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
      ::mkdir(path.substr(0, slash).c_str(), 0700);  // the state dir; an existing one is left as is
    std::array<std::uint8_t, 32> seed{};
    randombytes_buf(seed.data(), seed.size());
    std::string line = base64(seed) + "\n";
    sodium_memzero(seed.data(), seed.size());
    int w = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (w < 0) return last_error();
    bool ok = ::write(w, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(w) == 0;
    ::close(w);
    sodium_memzero(line.data(), line.size());
    if (!ok) {
      ::unlink(path.c_str());
      return std::errc::io_error;
    }
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) return last_error();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::errc::invalid_argument;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {  // readable by others: refuse to use it
    ::close(fd);
    return std::errc::permission_denied;
  }
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return std::errc::invalid_argument;
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto seed = from_base64(text);
  sodium_memzero(buf, sizeof buf);
  if (!seed || seed->size() != 32) return std::errc::invalid_argument;
  std::array<std::uint8_t, 32> s{};
  std::copy(seed->begin(), seed->end(), s.begin());
  sodium_memzero(seed->data(), seed->size());
  auto id = from_seed(s);
  sodium_memzero(s.data(), s.size());
  return id;
}

identity::identity(identity&& o) noexcept : _sk(o._sk), _pk(o._pk), _xsk(o._xsk), _xpk(o._xpk) {
  sodium_memzero(o._sk.data(), o._sk.size());
  sodium_memzero(o._xsk.data(), o._xsk.size());
}

identity& identity::operator=(identity&& o) noexcept {
  if (this != &o) {
    _sk = o._sk;
    _pk = o._pk;
    _xsk = o._xsk;
    _xpk = o._xpk;
    sodium_memzero(o._sk.data(), o._sk.size());
    sodium_memzero(o._xsk.data(), o._xsk.size());
  }
  return *this;
}

identity::~identity() {
  sodium_memzero(_sk.data(), _sk.size());
  sodium_memzero(_xsk.data(), _xsk.size());
}

signature identity::sign(std::span<const std::uint8_t> message) const noexcept {
  signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), _sk.data());
  return sig;
}

std::string identity::wireguard_private_base64() const { return base64(_xsk); }
std::string identity::wireguard_public_base64() const { return base64(_xpk); }

result<std::string> identity::open_sealed(std::span<const std::uint8_t> box) const {
  if (box.size() < crypto_box_SEALBYTES) return std::errc::bad_message;
  std::string out(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(out.data()), box.data(), box.size(), _xpk.data(),
                           _xsk.data()) != 0)
    return std::errc::bad_message;
  return out;
}

secret_key random_secret_key() {
  ensure_sodium();
  secret_key k{};
  crypto_secretbox_keygen(k.data());
  return k;
}

std::string secretbox_seal(const secret_key& key, std::span<const std::uint8_t> plaintext) {
  ensure_sodium();
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(p, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES, plaintext.data(), plaintext.size(), p, key.data());
  return out;
}

result<std::string> secretbox_open(const secret_key& key, std::span<const std::uint8_t> box) {
  if (box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return std::errc::bad_message;
  std::string out(box.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), box.data() + crypto_secretbox_NONCEBYTES,
                                 box.size() - crypto_secretbox_NONCEBYTES, box.data(), key.data()) != 0)
    return std::errc::bad_message;
  return out;
}

std::string seal_to(const x25519_key& recipient, std::span<const std::uint8_t> plaintext) {
  ensure_sodium();
  std::string out(crypto_box_SEALBYTES + plaintext.size(), '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()), plaintext.data(), plaintext.size(), recipient.data());
  return out;
}

}  // namespace brood::crypto
