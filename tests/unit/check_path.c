/* check_path.c: unit tests for path (being written). */
#include "suites.h"

Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	return s;
}
