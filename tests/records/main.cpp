#define BOOST_TEST_MODULE brood_records
#include <boost/test/unit_test.hpp>
