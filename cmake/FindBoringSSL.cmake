# FindBoringSSL.cmake — BoringSSL from Debian's android-libboringssl-dev (or BoringSSL_ROOT).
#
# Imported targets:  BoringSSL::Crypto  BoringSSL::SSL
# Result variables:  BoringSSL_FOUND BoringSSL_INCLUDE_DIR BoringSSL_API_VERSION
#
# Debian also ships OpenSSL 3 under the same header and library names, and the two must never mix:
#  * headers are located through openssl/is_boringssl.h, which only BoringSSL ships;
#  * libraries are searched with NO_DEFAULT_PATH and linked by absolute path, so a stray
#    -lssl/-lcrypto from /usr/lib can never be picked;
#  * a compile+link probe with BoringSSL-only symbols proves that headers and libraries agree.
include(FindPackageHandleStandardArgs)

set(_bssl_inc_hints "")
set(_bssl_lib_hints "")
if(BoringSSL_ROOT)
  list(APPEND _bssl_inc_hints "${BoringSSL_ROOT}/include")
  list(APPEND _bssl_lib_hints "${BoringSSL_ROOT}/lib" "${BoringSSL_ROOT}/lib64")
endif()

find_path(BoringSSL_INCLUDE_DIR NAMES openssl/is_boringssl.h
  HINTS ${_bssl_inc_hints} PATHS /usr/include/android NO_DEFAULT_PATH)
find_library(BoringSSL_CRYPTO_LIBRARY NAMES crypto
  HINTS ${_bssl_lib_hints} PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android NO_DEFAULT_PATH)
find_library(BoringSSL_SSL_LIBRARY NAMES ssl
  HINTS ${_bssl_lib_hints} PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android NO_DEFAULT_PATH)

if(BoringSSL_INCLUDE_DIR AND EXISTS "${BoringSSL_INCLUDE_DIR}/openssl/base.h")
  file(STRINGS "${BoringSSL_INCLUDE_DIR}/openssl/base.h" _bssl_api REGEX "^#define BORINGSSL_API_VERSION [0-9]+")
  string(REGEX REPLACE "^#define BORINGSSL_API_VERSION ([0-9]+).*" "\\1" BoringSSL_API_VERSION "${_bssl_api}")
endif()

find_package_handle_standard_args(BoringSSL
  REQUIRED_VARS BoringSSL_SSL_LIBRARY BoringSSL_CRYPTO_LIBRARY BoringSSL_INCLUDE_DIR
  VERSION_VAR BoringSSL_API_VERSION)

if(BoringSSL_FOUND AND NOT TARGET BoringSSL::Crypto)
  add_library(BoringSSL::Crypto SHARED IMPORTED)
  set_target_properties(BoringSSL::Crypto PROPERTIES
    IMPORTED_LOCATION "${BoringSSL_CRYPTO_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${BoringSSL_INCLUDE_DIR}")
  add_library(BoringSSL::SSL SHARED IMPORTED)
  set_target_properties(BoringSSL::SSL PROPERTIES
    IMPORTED_LOCATION "${BoringSSL_SSL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${BoringSSL_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES BoringSSL::Crypto)

  include(CheckCXXSourceCompiles)
  include(CMakePushCheckState)
  cmake_push_check_state(RESET)
  set(CMAKE_REQUIRED_LIBRARIES BoringSSL::SSL)
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles([=[
    #include <openssl/ssl.h>
    #include <openssl/curve25519.h>
    #if !defined(OPENSSL_IS_BORINGSSL) || defined(OPENSSL_VERSION_MAJOR)
    #error not BoringSSL
    #endif
    int main() {
      unsigned char pub[32], priv[32];
      X25519_keypair(pub, priv);
      SSL_CTX* c = SSL_CTX_new(TLS_method());
      int r = SSL_CTX_set_strict_cipher_list(c, "ALL");
      SSL_CTX_free(c);
      return r == 1 ? 0 : 1;
    }]=] BoringSSL_SANITY_OK)
  cmake_pop_check_state()
  if(NOT BoringSSL_SANITY_OK)
    message(FATAL_ERROR "BoringSSL found at ${BoringSSL_INCLUDE_DIR} / ${BoringSSL_SSL_LIBRARY}, but a "
                        "compile+link probe failed: are OpenSSL headers shadowing BoringSSL?")
  endif()
endif()

mark_as_advanced(BoringSSL_INCLUDE_DIR BoringSSL_CRYPTO_LIBRARY BoringSSL_SSL_LIBRARY)
