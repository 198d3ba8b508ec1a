/* check_range.c: unit tests for range: each accepted form with the exact
 * first byte and count, clamping, suffixes larger than the file, every
 * unsatisfiable case (416) and every malformed or multi-range value that
 * must be ignored (200 with the whole file). */
#include <string.h>

#include "range.h"
#include "suites.h"

struct range_case {
	const char *value;
	uint64_t size;
	enum range_result result;
	uint64_t first, count;
};

static const struct range_case range_cases[] = {
	{"bytes=0-499", 1000, RANGE_OK, 0, 500},
	{"bytes=500-999", 1000, RANGE_OK, 500, 500},
	{"bytes=500-", 1000, RANGE_OK, 500, 500},
	{"bytes=-500", 1000, RANGE_OK, 500, 500},
	{"bytes=0-0", 1, RANGE_OK, 0, 1},
	{"bytes=0-", 1, RANGE_OK, 0, 1},
	{"bytes=0-9999", 1000, RANGE_OK, 0, 1000},
	{"bytes=999-", 1000, RANGE_OK, 999, 1},
	{"bytes=999-999", 1000, RANGE_OK, 999, 1},
	{"bytes=-1", 1000, RANGE_OK, 999, 1},
	{"bytes=-1000", 1000, RANGE_OK, 0, 1000},
	{"bytes=-5000", 1000, RANGE_OK, 0, 1000},
	{"bytes=007-008", 1000, RANGE_OK, 7, 2},
	{"BYTES=1-2", 10, RANGE_OK, 1, 2},
	{"Bytes = 1-2 ", 10, RANGE_OK, 1, 2},
	{" \tbytes=1-2\t", 10, RANGE_OK, 1, 2},
	{"bytes=0-18446744073709551615", 10, RANGE_OK, 0, 10},
	{"bytes=-18446744073709551615", 10, RANGE_OK, 0, 10},
	{"bytes=1-", UINT64_MAX, RANGE_OK, 1, UINT64_MAX - 1},
	{"bytes=1000-", 1000, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=1000-2000", 1000, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-0", 1000, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-0", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-1", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=18446744073709551615-", UINT64_MAX, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=5-4", 10, RANGE_IGNORE, 0, 0},
	{"bytes=5-4", 0, RANGE_IGNORE, 0, 0},
	{"bytes=0-1,3-4", 10, RANGE_IGNORE, 0, 0},
	{"bytes=0-1, 3-4", 10, RANGE_IGNORE, 0, 0},
	{"bytes=0-,3-4", 10, RANGE_IGNORE, 0, 0},
	{"bytes=-1,0-1", 10, RANGE_IGNORE, 0, 0},
	{"bytes=0-1,", 10, RANGE_IGNORE, 0, 0},
	{"bytes=-", 10, RANGE_IGNORE, 0, 0},
	{"bytes=", 10, RANGE_IGNORE, 0, 0},
	{"bytes", 10, RANGE_IGNORE, 0, 0},
	{"", 10, RANGE_IGNORE, 0, 0},
	{"items=0-1", 10, RANGE_IGNORE, 0, 0},
	{"bytesx=0-1", 10, RANGE_IGNORE, 0, 0},
	{"byte=0-1", 10, RANGE_IGNORE, 0, 0},
	{"bytes=a-1", 10, RANGE_IGNORE, 0, 0},
	{"bytes=1-a", 10, RANGE_IGNORE, 0, 0},
	{"bytes=1-2x", 10, RANGE_IGNORE, 0, 0},
	{"bytes=+1-2", 10, RANGE_IGNORE, 0, 0},
	{"bytes=1 - 2", 10, RANGE_IGNORE, 0, 0},
	{"bytes=--1", 10, RANGE_IGNORE, 0, 0},
	{"bytes=1--2", 10, RANGE_IGNORE, 0, 0},
	{"bytes=18446744073709551616-", 10, RANGE_IGNORE, 0, 0},
	{"bytes=0-18446744073709551616", 10, RANGE_IGNORE, 0, 0},
	{"bytes=-18446744073709551616", 10, RANGE_IGNORE, 0, 0},
	{"bytes=99999999999999999999999-", 10, RANGE_IGNORE, 0, 0},
};

START_TEST(test_range)
{
	const struct range_case *c = &range_cases[_i];
	uint64_t first = 77, count = 77;
	enum range_result r = range_parse(c->value, strlen(c->value), c->size,
					  &first, &count);
	ck_assert_msg(r == c->result, "\"%s\" size %llu: %d, want %d", c->value,
		      (unsigned long long)c->size, r, c->result);
	if (r == RANGE_OK) {
		ck_assert_uint_eq(first, c->first);
		ck_assert_uint_eq(count, c->count);
		ck_assert_uint_le(first + count, c->size);
	}
}
END_TEST

START_TEST(test_range_bounded_by_len)
{
	uint64_t first, count;
	/* the ",5-6" after len bytes is not read */
	ck_assert_int_eq(range_parse("bytes=1-2,5-6", 9, 10, &first, &count),
			 RANGE_OK);
	ck_assert_uint_eq(first, 1);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(range_parse("bytes=1-2", 8, 10, &first, &count),
			 RANGE_OK);
	ck_assert_uint_eq(count, 9); /* "bytes=1-" */
	ck_assert_int_eq(range_parse(NULL, 0, 10, &first, &count),
			 RANGE_IGNORE);
}
END_TEST

Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("range");
	tcase_add_loop_test(tc, test_range, 0,
			    (int)(sizeof range_cases / sizeof range_cases[0]));
	tcase_add_test(tc, test_range_bounded_by_len);
	suite_add_tcase(s, tc);
	return s;
}
