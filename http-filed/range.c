/* range.c: parses a single-range "Range: bytes=..." header (RFC 9110 14.2)
 * against a file size, for http-filed's GET responses.
 *
 * Accepted: "bytes=first-last", "bytes=first-", "bytes=-suffix", unit name
 * in any case, blanks around the value and around '='. Anything else,
 * including several ranges, a number that overflows uint64 and first > last,
 * is ignored (the whole file is sent), which RFC 9110 allows. A valid range
 * that no byte satisfies is unsatisfiable (416), even for an empty file. */
#include "range.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Reads one or more digits at s[*i] into *v; -1 if none or on overflow. */
static int number_read(const char *s, size_t len, size_t *i, uint64_t *v)
{
	size_t start = *i;
	*v = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		unsigned d = (unsigned)(s[*i] - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
		(*i)++;
	}
	return *i > start ? 0 : -1;
}

/* 1 if [s+i, s+len) begins with "bytes" (any case) then blanks and '='; *i
 * moves past them. */
static int unit_skip(const char *s, size_t len, size_t *i)
{
	static const char unit[] = "bytes";
	for (size_t k = 0; k < sizeof unit - 1; k++, (*i)++)
		if (*i >= len || ascii_lower((unsigned char)s[*i]) != unit[k])
			return 0;
	while (*i < len && is_blank(s[*i]))
		(*i)++;
	if (*i >= len || s[*i] != '=')
		return 0;
	(*i)++;
	while (*i < len && is_blank(s[*i]))
		(*i)++;
	return 1;
}

static enum range_result range_set(uint64_t f, uint64_t c, uint64_t *first,
				   uint64_t *count)
{
	*first = f;
	*count = c;
	return RANGE_OK;
}

enum range_result range_parse(const char *value, size_t len, uint64_t size,
			      uint64_t *first, uint64_t *count)
{
	size_t i = 0;
	uint64_t a = 0, b = 0;
	int suffix = 0, open_end = 0;

	*first = 0;
	*count = 0;
	if (!value)
		return RANGE_IGNORE;
	while (len > 0 && is_blank(value[len - 1]))
		len--;
	while (i < len && is_blank(value[i]))
		i++;
	if (!unit_skip(value, len, &i))
		return RANGE_IGNORE;
	if (i < len && value[i] == '-') {
		suffix = 1;
		i++;
	} else if (number_read(value, len, &i, &a) < 0 || i >= len ||
		   value[i++] != '-')
		return RANGE_IGNORE;
	if (!suffix && i == len)
		open_end = 1;
	else if (number_read(value, len, &i, &b) < 0)
		return RANGE_IGNORE;
	if (i != len || (!suffix && !open_end && a > b))
		return RANGE_IGNORE; /* trailing bytes, a list, or first > last
				      */

	if (suffix) {
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		if (b >= size)
			return range_set(0, size, first, count);
		return range_set(size - b, b, first, count);
	}
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	if (open_end || b >= size)
		b = size - 1;
	return range_set(a, b - a + 1, first, count);
}
