# BroodDependencies.cmake — finds brood's eight dependencies, all from Debian 12.
# A missing one stops the configure step with the Debian package that provides it.
find_package(Threads REQUIRED)
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkgconf")
endif()

# brood_pkg(<prefix> <debian-package> <module>...) -> PkgConfig::<prefix>
function(brood_pkg prefix debpkg)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${ARGN})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "brood needs ${ARGN}: apt-get install ${debpkg}")
  endif()
endfunction()

brood_pkg(liburing   liburing-dev       liburing>=2.3)
brood_pkg(libsodium  libsodium-dev      libsodium>=1.0.18)
brood_pkg(libcares   libc-ares-dev      libcares>=1.18)
brood_pkg(libnghttp2 libnghttp2-dev     libnghttp2>=1.52)
brood_pkg(libnl      "libnl-3-dev libnl-route-3-dev libnl-genl-3-dev"
                     libnl-3.0>=3.7 libnl-route-3.0>=3.7 libnl-genl-3.0>=3.7)

find_package(simdjson 3.0 QUIET CONFIG)
if(NOT simdjson_FOUND)
  message(FATAL_ERROR "brood needs simdjson >= 3.0: apt-get install libsimdjson-dev")
endif()
find_package(Boost 1.74 QUIET CONFIG COMPONENTS unit_test_framework)
if(NOT Boost_FOUND)
  message(FATAL_ERROR "brood needs Boost.Test >= 1.74: apt-get install libboost-test-dev")
endif()
find_package(BoringSSL QUIET)
if(NOT BoringSSL_FOUND)
  message(FATAL_ERROR "brood needs BoringSSL: apt-get install android-libboringssl-dev")
endif()

message(STATUS "brood deps: liburing ${liburing_VERSION}, libsodium ${libsodium_VERSION}, "
               "c-ares ${libcares_VERSION}, nghttp2 ${libnghttp2_VERSION}, "
               "libnl ${libnl_libnl-3.0_VERSION}, simdjson ${simdjson_VERSION}, "
               "Boost ${Boost_VERSION}, BoringSSL API ${BoringSSL_API_VERSION}")
