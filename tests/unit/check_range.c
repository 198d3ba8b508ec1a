/* check_range.c: unit tests for range (being written). */
#include "suites.h"

Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	return s;
}
