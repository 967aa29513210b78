#define BOOST_TEST_MODULE brood_stun
#include <boost/test/unit_test.hpp>
