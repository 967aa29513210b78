#define BOOST_TEST_MODULE brood_rt
#include <boost/test/unit_test.hpp>
