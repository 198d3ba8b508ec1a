/* check_http_date.c: unit tests for http_date (being written). */
#include "suites.h"

Suite *http_date_suite(void)
{
	Suite *s = suite_create("http_date");
	return s;
}
