/* check_http_date.c: unit tests for http_date: known instants format to the
 * exact IMF-fixdate, formatting agrees with gmtime over many instants and
 * parses back to the same time, the three accepted forms give the same
 * instant, RFC 850 years pivot at 70, and out-of-range fields, wrong
 * names, wrong case, wrong spacing and wrong lengths are refused. */
#include <stdio.h>
#include <string.h>

#include "http_date.h"
#include "suites.h"

struct format_case {
	time_t t;
	const char *text;
};

static const struct format_case format_cases[] = {
	{0, "Thu, 01 Jan 1970 00:00:00 GMT"},
	{784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
	{951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
	{1483228799, "Sat, 31 Dec 2016 23:59:59 GMT"},
	{253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
	{-2203891200, "Thu, 01 Mar 1900 00:00:00 GMT"},
};

START_TEST(test_format)
{
	char out[HTTP_DATE_LEN + 1];
	memset(out, 'x', sizeof out);
	http_date_format(format_cases[_i].t, out);
	ck_assert_str_eq(out, format_cases[_i].text);
	ck_assert_uint_eq(strlen(out), HTTP_DATE_LEN);
}
END_TEST

/* Agrees with gmtime, and parses back, over 1970-2100 in odd steps. */
START_TEST(test_format_round_trip)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	for (time_t t = 0; t < 4102444800; t += 86400 * 3 + 3607) {
		char out[HTTP_DATE_LEN + 1], want[64];
		struct tm tm;
		http_date_format(t, out);
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		snprintf(want, sizeof want,
			 "%s, %02d %s %04d %02d:%02d:%02d GMT",
			 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		ck_assert_str_eq(out, want);
		time_t back = 1;
		ck_assert_int_eq(http_date_parse(out, HTTP_DATE_LEN, &back), 0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

struct parse_case {
	const char *text;
	int ok;
	time_t t;
};

static const struct parse_case parse_cases[] = {
	{"Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777},
	{"Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777},
	{"Sun Nov  6 08:49:37 1994", 1, 784111777},
	{"Sun Nov 06 08:49:37 1994", 1, 784111777},
	{"Tue, 29 Feb 2000 00:00:00 GMT", 1, 951782400},
	{"Tuesday, 29-Feb-00 00:00:00 GMT", 1, 951782400},
	{"Tue Feb 29 00:00:00 2000", 1, 951782400},
	{"Thursday, 01-Jan-70 00:00:00 GMT", 1, 0},
	{"Wednesday, 06-Nov-69 08:49:37 GMT", 1, 3150953377},
	{"Wednesday, 06-Nov-94 08:49:37 GMT", 1, 784111777}, /* day unchecked */
	{"Sat, 31 Dec 2016 23:59:60 GMT", 1, 1483228800},    /* leap second */
	{"Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799},
	/* refused */
	{"Sun, 06 Nov 1994 08:49:37 UTC", 0, 0},
	{"Sun, 06 Nov 1994 08:49:37 gmt", 0, 0},
	{"sun, 06 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 Nox 1994 08:49:37 GMT", 0, 0},
	{"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 6 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 Nov 94 08:49:37 GMT", 0, 0},
	{"Sun,  06 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 Nov 1994 08:49:37 GMT ", 0, 0},
	{" Sun, 06 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 Nov 1994 08:49:37", 0, 0},
	{"Sun, 06 Nov 1994 08-49-37 GMT", 0, 0},
	{"Sun, 06 Nov 1994 8:49:37 GMT", 0, 0},
	{"Sun, 00 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 31 Nov 1994 08:49:37 GMT", 0, 0},
	{"Sun, 32 Jan 1994 08:49:37 GMT", 0, 0},
	{"Sun, 29 Feb 1900 08:49:37 GMT", 0, 0},
	{"Sun, 29 Feb 1994 08:49:37 GMT", 0, 0},
	{"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0},
	{"Sun, 06 Nov 1994 23:60:00 GMT", 0, 0},
	{"Sun, 06 Nov 1994 23:59:61 GMT", 0, 0},
	{"Sun, 06 Nov 1994 +8:49:37 GMT", 0, 0},
	{"Sun, 06 Nov 19a4 08:49:37 GMT", 0, 0},
	{"Sunday, 06-Nov-1994 08:49:37 GMT", 0, 0},
	{"Sunday, 06 Nov 94 08:49:37 GMT", 0, 0},
	{"Sun, 06-Nov-94 08:49:37 GMT", 0, 0},
	{"Funday, 06-Nov-94 08:49:37 GMT", 0, 0},
	{"sunday, 06-Nov-94 08:49:37 GMT", 0, 0},
	{"Sunday, 31-Apr-94 08:49:37 GMT", 0, 0},
	{"Sunday,06-Nov-94 08:49:37 GMT ", 0, 0},
	{"Sun Nov 6 08:49:37 1994", 0, 0},
	{"Sun Nov  6 08:49:37 1994 ", 0, 0},
	{"Sun Nov  6 08:49:37 94", 0, 0},
	{"Sun Nov 31 08:49:37 1994", 0, 0},
	{"Sun Nov  0 08:49:37 1994", 0, 0},
	{"Sun Nov x6 08:49:37 1994", 0, 0},
	{"", 0, 0},
	{"Sun", 0, 0},
	{"Sunday,", 0, 0},
	{"0", 0, 0},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	time_t t = 12345;
	int r = http_date_parse(c->text, strlen(c->text), &t);
	if (!c->ok) {
		ck_assert_msg(r == -1, "\"%s\" accepted", c->text);
		return;
	}
	ck_assert_msg(r == 0, "\"%s\" refused", c->text);
	ck_assert_int_eq(t, c->t);
}
END_TEST

START_TEST(test_parse_bounded_by_len)
{
	time_t t;
	const char *s = "Sun, 06 Nov 1994 08:49:37 GMTXYZ";
	ck_assert_int_eq(http_date_parse(s, 29, &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(http_date_parse(s, 28, &t), -1);
	ck_assert_int_eq(http_date_parse(NULL, 0, &t), -1);
}
END_TEST

Suite *http_date_suite(void)
{
	Suite *s = suite_create("http_date");
	TCase *tc = tcase_create("http_date");
	tcase_add_loop_test(
		tc, test_format, 0,
		(int)(sizeof format_cases / sizeof format_cases[0]));
	tcase_add_test(tc, test_format_round_trip);
	tcase_add_loop_test(tc, test_parse, 0,
			    (int)(sizeof parse_cases / sizeof parse_cases[0]));
	tcase_add_test(tc, test_parse_bounded_by_len);
	suite_add_tcase(s, tc);
	return s;
}
