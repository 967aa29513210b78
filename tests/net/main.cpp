#define BOOST_TEST_MODULE brood_net
#include <boost/test/unit_test.hpp>

#include "support/rt_test.hpp"

// Every net suite uses multishot accept (5.19) or multishot recvmsg over a provided-buffer ring
// (6.0): on an older kernel the whole executable reports itself skipped.
struct require_kernel {
  require_kernel() {
    if (!brood::test::kernel_at_least(6, 0)) BROOD_SKIP("multishot accept and recvmsg need Linux 6.0");
  }
};
BOOST_TEST_GLOBAL_FIXTURE(require_kernel);
