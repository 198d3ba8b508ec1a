/* check_frame.c: unit tests for frame (being written). */
#include "suites.h"

Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	return s;
}
