#define BOOST_TEST_MODULE cwola physics
#include <boost/test/unit_test.hpp>
