#define BOOST_TEST_MODULE brood_agent
#include <boost/test/unit_test.hpp>
