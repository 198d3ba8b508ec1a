/* check_buf.c: unit tests for buf (being written). */
#include "suites.h"

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	return s;
}
