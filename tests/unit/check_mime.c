/* check_mime.c: unit tests for mime (being written). */
#include "suites.h"

Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	return s;
}
