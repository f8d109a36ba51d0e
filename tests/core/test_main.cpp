#define BOOST_TEST_MODULE cwola core
#include <boost/test/unit_test.hpp>
