/* check_opt.c: unit tests for opt (being written). */
#include "suites.h"

Suite *opt_suite(void)
{
	Suite *s = suite_create("opt");
	return s;
}
