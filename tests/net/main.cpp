#define BOOST_TEST_MODULE brood_net
#include <boost/test/unit_test.hpp>
