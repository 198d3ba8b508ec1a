/* check_http_parse.c: unit tests for http_parse (being written). */
#include "suites.h"

Suite *http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	return s;
}
