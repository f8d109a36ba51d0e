#define BOOST_TEST_MODULE cwola_report
#include <boost/test/unit_test.hpp>
