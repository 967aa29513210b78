#define BOOST_TEST_MODULE brood_dns
#include <boost/test/unit_test.hpp>
