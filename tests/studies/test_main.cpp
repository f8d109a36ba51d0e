#define BOOST_TEST_MODULE cwola studies
#include <boost/test/unit_test.hpp>
