/* path.c: request-target to a safe, normalised path (policy in path.h).
 *
 * Used by http-filed before it opens anything under the document root. The
 * path is walked one segment at a time; each segment is decoded twice, once
 * to check and measure it (and to recognise "." and ".." however escaped)
 * and once to copy it. While walking, out[0..o) is "" (the root) or
 * "/s1/.../sk" without a trailing slash; the slash and the NUL are added at
 * the end, so a refusal never leaves a half-made path that looks valid. */
#include <string.h>

#include "path.h"

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* 1 if s[0..len) starts with the lower-case ASCII prefix, ignoring case. */
static int has_prefix_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)s[i]) != prefix[i])
			return 0;
	return 1;
}

/* Decodes one byte (plain or %XX) at s[*i] into *c and advances *i.
 * -1 for a raw byte outside 0x21-0x7E, a bad or truncated escape, or an
 * escape decoding to NUL, '/', a control byte or DEL. */
static int byte_decode(const char *s, size_t len, size_t *i, unsigned char *c)
{
	unsigned char b = (unsigned char)s[*i];
	if (b < 0x21 || b > 0x7E)
		return -1;
	if (b != '%') {
		*c = b;
		*i += 1;
		return 0;
	}
	if (len - *i < 3)
		return -1;
	int hi = hex_value((unsigned char)s[*i + 1]);
	int lo = hex_value((unsigned char)s[*i + 2]);
	if (hi < 0 || lo < 0)
		return -1;
	*c = (unsigned char)(hi * 16 + lo);
	if (*c < 0x20 || *c == 0x7F || *c == '/')
		return -1;
	*i += 3;
	return 0;
}

/* Checks the raw segment [s, s+len): its decoded length in *dlen, and in
 * *dots 1 for ".", 2 for "..", 0 otherwise. */
static int segment_measure(const char *s, size_t len, size_t *dlen, int *dots)
{
	size_t i = 0, k = 0, ndot = 0;
	unsigned char c;
	while (i < len) {
		if (byte_decode(s, len, &i, &c) < 0)
			return -1;
		ndot += c == '.';
		k++;
	}
	*dlen = k;
	*dots = ndot == k && k <= 2 ? (int)k : 0;
	return 0;
}

/* Applies one raw segment to out[0..*o); 0 or the refusal status. */
static int segment_apply(const char *s, size_t len, char *out, size_t outsz,
			 size_t *o, int *trailing)
{
	size_t dlen;
	int dots;
	if (len == 0) {
		*trailing = 1; /* "//" merged, or a final '/' */
		return 0;
	}
	if (segment_measure(s, len, &dlen, &dots) < 0)
		return 400;
	*trailing = dots != 0;
	if (dots == 1)
		return 0;
	if (dots == 2) {
		if (*o == 0)
			return 400; /* above the root: refused, not clamped */
		while (out[--*o] != '/') /* back to the last segment's '/' */
			;
		return 0;
	}
	if (outsz < 2 || *o > outsz - 2 || dlen > outsz - 2 - *o)
		return 414; /* room for '/', the segment and the NUL */
	out[(*o)++] = '/';
	for (size_t i = 0; i < len;) {
		unsigned char c;
		byte_decode(s, len, &i, &c);
		out[(*o)++] = (char)c;
	}
	return 0;
}

/* Splits target into its path and its query; -1 for a form we refuse. */
static int target_split(const char *t, size_t len, const char **path,
			size_t *plen, const char **query, size_t *qlen)
{
	const char *hash = memchr(t, '#', len);
	if (hash)
		len = (size_t)(hash - t);
	size_t i;
	if (len > 0 && t[0] == '/')
		i = 0;
	else if (has_prefix_nocase(t, len, "http://") ||
		 has_prefix_nocase(t, len, "https://")) {
		i = t[4] == ':' ? 7 : 8;
		size_t a = i;
		while (i < len && t[i] != '/' && t[i] != '?') {
			unsigned char c = (unsigned char)t[i];
			if (c < 0x21 || c > 0x7E || c == '@')
				return -1; /* userinfo is refused (RFC
					      9110 4.2.4) */
			i++;
		}
		if (i == a)
			return -1;
	} else
		return -1;
	const char *q = memchr(t + i, '?', len - i);
	size_t end = q ? (size_t)(q - t) : len;
	*path = t + i;
	*plen = end - i;
	*query = q ? q + 1 : NULL;
	*qlen = q ? len - end - 1 : 0;
	return 0;
}

static int refuse(int code, char *out, size_t outsz, int *status)
{
	if (outsz > 0)
		out[0] = '\0';
	if (status)
		*status = code;
	return -1;
}

int path_normalize(const char *target, size_t len, char *out, size_t outsz,
		   int *ends_with_slash, const char **query, size_t *query_len,
		   int *status)
{
	const char *path, *q;
	size_t plen, qlen, o = 0;
	int trailing = 1, r = 0;

	if (ends_with_slash)
		*ends_with_slash = 0;
	if (query) {
		*query = NULL;
		*query_len = 0;
	}
	if (!target || target_split(target, len, &path, &plen, &q, &qlen) < 0)
		return refuse(400, out, outsz, status);
	/* path is "" (the root) or starts with '/': segments follow each '/' */
	for (size_t i = 1; i <= plen;) {
		const char *slash = memchr(path + i, '/', plen - i);
		size_t e = slash ? (size_t)(slash - path) : plen;
		r = segment_apply(path + i, e - i, out, outsz, &o, &trailing);
		if (r != 0)
			return refuse(r, out, outsz, status);
		i = e + 1;
	}
	if (trailing) {
		if (outsz < 2 || o > outsz - 2)
			return refuse(414, out, outsz, status);
		out[o++] = '/';
	}
	out[o] = '\0';
	if (ends_with_slash)
		*ends_with_slash = trailing;
	if (query) {
		*query = q;
		*query_len = qlen;
	}
	return 0;
}

int path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0)
		return 0;
	if (n > 0 && prefix[n - 1] == '/')
		return 1;
	return path[n] == '\0' || path[n] == '/';
}
