#define BOOST_TEST_MODULE brood_frr
#include <boost/test/unit_test.hpp>
