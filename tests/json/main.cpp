#define BOOST_TEST_MODULE brood_json
#include <boost/test/unit_test.hpp>
