#define BOOST_TEST_MODULE cwola training
#include <boost/test/unit_test.hpp>
