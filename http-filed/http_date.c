/* http_date.c: HTTP dates (RFC 9110 5.6.7) for Date, Last-Modified and
 * If-Modified-Since in http-filed.
 *
 * Formatting writes IMF-fixdate with our own day and month tables (never the
 * locale). Parsing accepts exactly the three forms, with names in their
 * canonical case; the week day must be a real day name but is not checked
 * against the date. RFC 850's two-digit year: 00-69 is 20xx, 70-99 is 19xx.
 * Fields out of range (day 31 in April, hour 24, ...) are refused; second 60
 * (a leap second) is accepted and counts as the next minute's second 0. */
#include <string.h>

#include "http_date.h"

static const char day_short[7][4] = {"Sun", "Mon", "Tue", "Wed",
				     "Thu", "Fri", "Sat"};
static const char *const day_long[7] = {"Sunday",    "Monday",	 "Tuesday",
					"Wednesday", "Thursday", "Friday",
					"Saturday"};
static const char month_name[12][4] = {"Jan", "Feb", "Mar", "Apr",
				       "May", "Jun", "Jul", "Aug",
				       "Sep", "Oct", "Nov", "Dec"};

static void digits_put(char *out, int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

void http_date_format(time_t t, char *out)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		time_t epoch = 0;
		gmtime_r(&epoch, &tm);
	}
	memcpy(out, day_short[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	digits_put(out + 5, tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, month_name[tm.tm_mon], 3);
	out[11] = ' ';
	digits_put(out + 12, tm.tm_year + 1900, 4);
	out[16] = ' ';
	digits_put(out + 17, tm.tm_hour, 2);
	out[19] = ':';
	digits_put(out + 20, tm.tm_min, 2);
	out[22] = ':';
	digits_put(out + 23, tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* Reads exactly n digits; -1 if any is not a digit. */
static int digits_get(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int month_get(const char *s, int *mon)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(s, month_name[i], 3) == 0) {
			*mon = i;
			return 0;
		}
	return -1;
}

static int day_short_is(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (memcmp(s, day_short[i], 3) == 0)
			return 1;
	return 0;
}

/* "08:49:37" */
static int time_get(const char *s, struct tm *tm)
{
	if (s[2] != ':' || s[5] != ':' || digits_get(s, 2, &tm->tm_hour) < 0 ||
	    digits_get(s + 3, 2, &tm->tm_min) < 0 ||
	    digits_get(s + 6, 2, &tm->tm_sec) < 0)
		return -1;
	return 0;
}

static int days_in_month(int mon, int year)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return days[mon] + (mon == 1 && leap);
}

/* tm_year here holds the full year until the end. */
static int fields_check(struct tm *tm)
{
	if (tm->tm_mday < 1 ||
	    tm->tm_mday > days_in_month(tm->tm_mon, tm->tm_year) ||
	    tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return -1;
	tm->tm_year -= 1900;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int imf_fixdate_parse(const char *s, size_t len, struct tm *tm)
{
	if (len != 29 || !day_short_is(s) || memcmp(s + 3, ", ", 2) != 0 ||
	    digits_get(s + 5, 2, &tm->tm_mday) < 0 || s[7] != ' ' ||
	    month_get(s + 8, &tm->tm_mon) < 0 || s[11] != ' ' ||
	    digits_get(s + 12, 4, &tm->tm_year) < 0 || s[16] != ' ' ||
	    time_get(s + 17, tm) < 0 || memcmp(s + 25, " GMT", 4) != 0)
		return -1;
	return fields_check(tm);
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static int rfc850_parse(const char *s, size_t len, struct tm *tm)
{
	const char *comma = memchr(s, ',', len < 10 ? len : 10);
	if (!comma)
		return -1;
	size_t d = (size_t)(comma - s);
	int known = 0;
	for (int i = 0; i < 7; i++)
		if (strlen(day_long[i]) == d && memcmp(s, day_long[i], d) == 0)
			known = 1;
	s += d;
	if (!known || len - d != 24 || s[1] != ' ' ||
	    digits_get(s + 2, 2, &tm->tm_mday) < 0 || s[4] != '-' ||
	    month_get(s + 5, &tm->tm_mon) < 0 || s[8] != '-' ||
	    digits_get(s + 9, 2, &tm->tm_year) < 0 || s[11] != ' ' ||
	    time_get(s + 12, tm) < 0 || memcmp(s + 20, " GMT", 4) != 0)
		return -1;
	tm->tm_year += tm->tm_year < 70 ? 2000 : 1900;
	return fields_check(tm);
}

/* "Sun Nov  6 08:49:37 1994" */
static int asctime_parse(const char *s, size_t len, struct tm *tm)
{
	if (len != 24 || !day_short_is(s) || s[3] != ' ' ||
	    month_get(s + 4, &tm->tm_mon) < 0 || s[7] != ' ' || s[10] != ' ' ||
	    time_get(s + 11, tm) < 0 || s[19] != ' ' ||
	    digits_get(s + 20, 4, &tm->tm_year) < 0)
		return -1;
	if (s[8] == ' ' ? digits_get(s + 9, 1, &tm->tm_mday) < 0
			: digits_get(s + 8, 2, &tm->tm_mday) < 0)
		return -1;
	return fields_check(tm);
}

static int (*const date_parsers[])(const char *, size_t, struct tm *) = {
	imf_fixdate_parse,
	rfc850_parse,
	asctime_parse,
};

int http_date_parse(const char *s, size_t len, time_t *t)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof date_parsers / sizeof date_parsers[0];
	     i++) {
		struct tm tm = {0};
		if (date_parsers[i](s, len, &tm) == 0) {
			*t = timegm(&tm);
			return 0;
		}
	}
	return -1;
}
