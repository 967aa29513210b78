#define BOOST_TEST_MODULE brood_netlink
#include <boost/test/unit_test.hpp>
