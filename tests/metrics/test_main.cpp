#define BOOST_TEST_MODULE cwola metrics
#include <boost/test/unit_test.hpp>
