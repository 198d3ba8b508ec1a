/* check_attr.c: unit tests for attr (being written). */
#include "suites.h"

Suite *attr_suite(void)
{
	Suite *s = suite_create("attr");
	return s;
}
