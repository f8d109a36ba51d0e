#define BOOST_TEST_MODULE cwola stats
#include <boost/test/unit_test.hpp>
