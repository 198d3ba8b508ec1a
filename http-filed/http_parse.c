/* http_parse.c: the HTTP/1.x request-head parser (RFC 9112 2-5, 9110 5-7).
 *
 * Sans-I/O and allocation-free: the caller passes every byte received so far
 * and the parser re-scans from the start, which is cheap because heads are
 * bounded by struct http_limits. Lines are found with memchr and checked
 * against one byte-class table; only complete lines are judged, so a prefix
 * of a valid head is always INCOMPLETE. Smuggling policy: one Content-Length
 * of plain digits (a duplicate or a list is 400 even when the values agree),
 * no Transfer-Encoding at all (501 alone, 400 beside Content-Length), exactly
 * one valid Host in HTTP/1.1, no obs-fold, no bare CR, no control bytes. */
#include <string.h>

#include "http_parse.h"

/* Byte classes, one bit each, in char_class[] below. */
enum {
	C_TCHAR = 0x01,	  /* token character (RFC 9110 5.6.2) */
	C_VISIBLE = 0x02, /* 0x21-0x7E: allowed in a request-target */
	C_FIELD = 0x04,	  /* in a field value: HTAB, SP, VCHAR, obs-text */
	C_HOST = 0x08,	  /* in Host: reg-name, IP-literal, ':' port */
};

static const unsigned char char_class[256] = {
	/* 0x00 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 0x08 */ 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 0x10 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 0x18 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 0x20 */ 0x04, 0x0F, 0x06, 0x07, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x28 */ 0x0E, 0x0E, 0x0F, 0x0F, 0x0E, 0x0F, 0x0F, 0x06,
	/* 0x30 */ 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x38 */ 0x0F, 0x0F, 0x0E, 0x0E, 0x06, 0x0E, 0x06, 0x06,
	/* 0x40 */ 0x06, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x48 */ 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x50 */ 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x58 */ 0x0F, 0x0F, 0x0F, 0x0E, 0x06, 0x0E, 0x07, 0x0F,
	/* 0x60 */ 0x07, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x68 */ 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x70 */ 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F,
	/* 0x78 */ 0x0F, 0x0F, 0x0F, 0x06, 0x07, 0x06, 0x0F, 0x00,
	/* 0x80 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0x88 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0x90 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0x98 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xA0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xA8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xB0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xB8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xC0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xC8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xD0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xD8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xE0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xE8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xF0 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
	/* 0xF8 */ 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
};

/* Internal step results: 0 is success, STEP_MORE asks for more bytes, and
 * any other value is the HTTP status of the error. */
enum { STEP_OK = 0, STEP_MORE = 1 };

struct method_name {
	const char *name;
	size_t len;
	enum http_method method;
};

static const struct method_name method_table[] = {
	{"GET", 3, HTTP_METHOD_GET},
	{"HEAD", 4, HTTP_METHOD_HEAD},
	{"POST", 4, HTTP_METHOD_POST},
	{"OPTIONS", 7, HTTP_METHOD_OPTIONS},
	{"PUT", 3, HTTP_METHOD_PUT},
	{"DELETE", 6, HTTP_METHOD_DELETE},
	{"PATCH", 5, HTTP_METHOD_PATCH},
	{"TRACE", 5, HTTP_METHOD_TRACE},
	{"CONNECT", 7, HTTP_METHOD_CONNECT},
};

/* What the header fields said, gathered while they are parsed. */
struct head_facts {
	int content_lengths;
	int hosts;
	int conn_close;
	int conn_keep_alive;
	int expect_continue;
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* 1 if a[0..n) equals b[0..n) ignoring ASCII case. */
static int ascii_case_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Looks for the LF ending the line at pos within scan bytes. On STEP_OK the
 * line's content is [pos, *end) (a CR before the LF removed) and the next
 * line starts at *next. */
static int line_find(const char *p, size_t pos, size_t scan, size_t *end,
		     size_t *next)
{
	const char *lf = scan ? memchr(p + pos, '\n', scan) : NULL;
	if (!lf)
		return STEP_MORE;
	size_t e = (size_t)(lf - p);
	*next = e + 1;
	if (e > pos && p[e - 1] == '\r')
		e--;
	*end = e;
	return STEP_OK;
}

/* Skips up to HTTP_MAX_EMPTY_LINES empty lines at the start of [p, p+n). */
static int empty_lines_skip(const char *p, size_t n, size_t *pos)
{
	size_t i = 0;
	for (int lines = 0;; lines++) {
		if (i < n && p[i] == '\n')
			i += 1;
		else if (i < n && p[i] == '\r') {
			if (i + 1 == n)
				return STEP_MORE;
			if (p[i + 1] != '\n')
				return 400; /* bare CR */
			i += 2;
		} else
			break;
		if (lines == HTTP_MAX_EMPTY_LINES)
			return 400;
	}
	if (i == n)
		return STEP_MORE;
	*pos = i;
	return STEP_OK;
}

static enum http_method method_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof method_table / sizeof method_table[0];
	     i++)
		if (method_table[i].len == len &&
		    memcmp(method_table[i].name, s, len) == 0)
			return method_table[i].method;
	return HTTP_METHOD_OTHER;
}

/* "HTTP/1.1" -> 1 in *minor; 505 for another well-formed version, 400 for
 * anything else. */
static int version_parse(const char *s, size_t len, int *minor)
{
	if (len != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' ||
	    s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		return 400;
	if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
		return 505;
	*minor = s[7] - '0';
	return STEP_OK;
}

/* method SP request-target SP HTTP-version, in [s, s+len). */
static int request_line_parse(const char *s, size_t len,
			      struct http_request *req)
{
	size_t i = 0;
	while (i < len && (char_class[(unsigned char)s[i]] & C_TCHAR))
		i++;
	if (i == 0 || i == len || s[i] != ' ')
		return 400;
	req->method_str = s;
	req->method_len = i;
	req->method = method_lookup(s, i);

	size_t t = ++i;
	while (i < len && (char_class[(unsigned char)s[i]] & C_VISIBLE))
		i++;
	if (i == t || i == len || s[i] != ' ')
		return 400;
	req->target = s + t;
	req->target_len = i - t;
	i++;
	return version_parse(s + i, len - i, &req->version_minor);
}

/* 1 if none of the 8 bytes at s is below 0x20 or DEL: a field value's
 * common case, tested a word at a time. (x - 0x20 in each byte) & ~x has a
 * byte's high bit set when some byte of x is below 0x20; the same test on
 * x ^ 0x7F..7F finds a byte equal to 0x7F. Exact for "any byte", which is
 * all that is asked. */
static int word_is_plain(const char *s)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t x, d;
	memcpy(&x, s, sizeof x);
	d = x ^ (ones * 0x7F);
	return (((x - ones * 0x20) & ~x) | ((d - ones) & ~d)) & high ? 0 : 1;
}

/* Index of the first byte from i on that is not allowed in a field value
 * (a control other than HTAB, or DEL), or len. */
static size_t field_value_end(const char *s, size_t i, size_t len)
{
	while (i < len) {
		if (len - i >= 8 && word_is_plain(s + i)) {
			i += 8;
			continue;
		}
		size_t stop = len - i >= 8 ? i + 8 : len;
		for (; i < stop; i++)
			if (!(char_class[(unsigned char)s[i]] & C_FIELD))
				return i;
	}
	return len;
}

/* name ":" OWS value OWS, in [s, s+len); the line is not empty. */
static int header_line_parse(const char *s, size_t len, struct http_header *h)
{
	size_t i = 0;
	while (i < len && (char_class[(unsigned char)s[i]] & C_TCHAR))
		i++;
	/* Also refuses obs-fold (a leading blank) and "Name :" */
	if (i == 0 || i == len || s[i] != ':')
		return 400;
	h->name = s;
	h->name_len = i;
	i++;
	while (i < len && is_blank(s[i]))
		i++;
	size_t v = i;
	i = field_value_end(s, i, len);
	if (i != len)
		return 400; /* a control byte, bare CR or NUL */
	while (i > v && is_blank(s[i - 1]))
		i--;
	h->value = s + v;
	h->value_len = i - v;
	return STEP_OK;
}

static int content_length_apply(struct http_request *req, struct head_facts *f,
				const struct http_header *h)
{
	if (++f->content_lengths > 1 || h->value_len == 0)
		return 400;
	uint64_t v = 0;
	for (size_t i = 0; i < h->value_len; i++) {
		unsigned d = (unsigned char)h->value[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 400;
		v = v * 10 + d;
	}
	req->has_content_length = 1;
	req->content_length = v;
	return STEP_OK;
}

static int transfer_encoding_apply(struct http_request *req,
				   struct head_facts *f,
				   const struct http_header *h)
{
	(void)f;
	(void)h;
	req->has_transfer_encoding = 1;
	return STEP_OK;
}

static int host_apply(struct http_request *req, struct head_facts *f,
		      const struct http_header *h)
{
	if (++f->hosts > 1)
		return 400;
	for (size_t i = 0; i < h->value_len; i++)
		if (!(char_class[(unsigned char)h->value[i]] & C_HOST))
			return 400;
	req->host = h->value;
	req->host_len = h->value_len;
	return STEP_OK;
}

static int connection_apply(struct http_request *req, struct head_facts *f,
			    const struct http_header *h)
{
	(void)req;
	if (http_list_has_token(h->value, h->value_len, "close"))
		f->conn_close = 1;
	if (http_list_has_token(h->value, h->value_len, "keep-alive"))
		f->conn_keep_alive = 1;
	return STEP_OK;
}

static int expect_apply(struct http_request *req, struct head_facts *f,
			const struct http_header *h)
{
	(void)req;
	if (h->value_len == 12 &&
	    ascii_case_equal(h->value, "100-continue", 12))
		f->expect_continue = 1;
	return STEP_OK;
}

struct header_rule {
	const char *name;
	size_t len;
	int (*apply)(struct http_request *req, struct head_facts *f,
		     const struct http_header *h);
};

/* The fields the parser itself interprets. */
static const struct header_rule header_rules[] = {
	{"content-length", 14, content_length_apply},
	{"transfer-encoding", 17, transfer_encoding_apply},
	{"host", 4, host_apply},
	{"connection", 10, connection_apply},
	{"expect", 6, expect_apply},
};

static int header_apply(struct http_request *req, struct head_facts *f,
			const struct http_header *h)
{
	for (size_t i = 0; i < sizeof header_rules / sizeof header_rules[0];
	     i++) {
		const struct header_rule *r = &header_rules[i];
		if (r->len == h->name_len &&
		    ascii_case_equal(r->name, h->name, r->len))
			return r->apply(req, f, h);
	}
	return STEP_OK;
}

/* The checks that need the whole head. */
static int head_finish(struct http_request *req, const struct head_facts *f)
{
	if (req->version_minor == 1 && f->hosts == 0)
		return 400;
	if (req->has_transfer_encoding)
		return req->has_content_length ? 400 : 501;
	if (req->version_minor == 1)
		req->keep_alive = !f->conn_close;
	else
		req->keep_alive = f->conn_keep_alive && !f->conn_close;
	req->expect_continue = req->version_minor == 1 && f->expect_continue;
	return STEP_OK;
}

static void request_reset(struct http_request *req)
{
	req->method = HTTP_METHOD_OTHER;
	req->method_str = NULL;
	req->method_len = 0;
	req->target = NULL;
	req->target_len = 0;
	req->version_minor = 0;
	req->nheaders = 0;
	req->head_len = 0;
	req->keep_alive = 0;
	req->has_content_length = 0;
	req->content_length = 0;
	req->has_transfer_encoding = 0;
	req->expect_continue = 0;
	req->host = NULL;
	req->host_len = 0;
}

/* Finds and parses the request line; *pos moves to the first header line. */
static int request_line_step(const char *p, size_t window,
			     const struct http_limits *lim, size_t *pos,
			     struct http_request *req)
{
	size_t start = *pos, avail = window - start, scan = avail, end, next;
	if (lim->max_request_line < avail && avail - lim->max_request_line > 2)
		scan = lim->max_request_line + 2; /* line, CR, LF */
	if (line_find(p, start, scan, &end, &next) != STEP_OK) {
		size_t have = scan;
		if (have > 0 && p[start + have - 1] == '\r')
			have--;
		return have > lim->max_request_line ? 414 : STEP_MORE;
	}
	if (end - start > lim->max_request_line)
		return 414;
	*pos = next;
	return request_line_parse(p + start, end - start, req);
}

/* Parses header lines up to the empty line; *pos moves past it. */
static int header_lines_step(const char *p, size_t window, size_t max_headers,
			     size_t *pos, struct http_request *req,
			     struct head_facts *f)
{
	size_t end, next;
	for (;;) {
		if (line_find(p, *pos, window - *pos, &end, &next) != STEP_OK)
			return STEP_MORE;
		if (end == *pos) {
			*pos = next;
			return STEP_OK;
		}
		if (req->nheaders == max_headers)
			return 431;
		struct http_header *h = &req->headers[req->nheaders++];
		int r = header_line_parse(p + *pos, end - *pos, h);
		if (r == STEP_OK)
			r = header_apply(req, f, h);
		if (r != STEP_OK)
			return r;
		*pos = next;
	}
}

enum http_parse_result http_parse_request(const char *p, size_t n,
					  const struct http_limits *lim,
					  struct http_request *req, int *status)
{
	size_t window = n < lim->max_head ? n : lim->max_head;
	size_t max_headers = lim->max_headers < HTTP_MAX_HEADERS
				     ? lim->max_headers
				     : HTTP_MAX_HEADERS;
	struct head_facts facts = {0};
	size_t pos = 0;

	request_reset(req);
	int r = empty_lines_skip(p, window, &pos);
	if (r == STEP_OK)
		r = request_line_step(p, window, lim, &pos, req);
	if (r == STEP_OK)
		r = header_lines_step(p, window, max_headers, &pos, req,
				      &facts);
	if (r == STEP_OK)
		r = head_finish(req, &facts);
	if (r == STEP_MORE && n > lim->max_head)
		r = 431; /* the head cannot end within max_head bytes */
	if (r == STEP_MORE)
		return HTTP_PARSE_INCOMPLETE;
	if (r != STEP_OK) {
		*status = r;
		return HTTP_PARSE_ERROR;
	}
	req->head_len = pos;
	return HTTP_PARSE_DONE;
}

const char *http_header_get(const struct http_request *req, const char *name,
			    size_t *len)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];
		if (h->name_len == nlen &&
		    ascii_case_equal(h->name, name, nlen)) {
			if (len)
				*len = h->value_len;
			return h->value;
		}
	}
	if (len)
		*len = 0;
	return NULL;
}

/* End of the list element starting at i: the next ',' outside a
 * quoted-string, or len. */
static size_t list_element_end(const char *v, size_t i, size_t len)
{
	int quoted = 0;
	for (; i < len; i++) {
		if (quoted && v[i] == '\\')
			i++;
		else if (v[i] == '"')
			quoted = !quoted;
		else if (!quoted && v[i] == ',')
			return i;
	}
	return len;
}

/* 1 if the parameter [s, s+len) is q=0, q=0., q=0.0 ... q=0.000. */
static int param_is_q_zero(const char *s, size_t len)
{
	while (len > 0 && is_blank(*s))
		s++, len--;
	if (len < 3 || ascii_lower((unsigned char)s[0]) != 'q' || s[1] != '=' ||
	    s[2] != '0')
		return 0;
	size_t i = 3;
	if (i < len && s[i] == '.')
		for (i++; i < len && i < 7 && s[i] == '0'; i++)
			;
	while (i < len && is_blank(s[i]))
		i++;
	return i == len;
}

/* 1 if the list element [s, s+len) is token, with no q=0 parameter. */
static int list_element_matches(const char *s, size_t len, const char *token,
				size_t tlen)
{
	size_t i = 0;
	while (i < len && is_blank(s[i]))
		i++;
	size_t t = i;
	while (i < len && s[i] != ';' && !is_blank(s[i]))
		i++;
	if (i - t != tlen || !ascii_case_equal(s + t, token, tlen))
		return 0;
	while (i < len && is_blank(s[i]))
		i++;
	while (i < len && s[i] == ';') {
		size_t pstart = ++i;
		while (i < len && s[i] != ';')
			i++;
		if (param_is_q_zero(s + pstart, i - pstart))
			return 0;
	}
	return i == len;
}

int http_list_has_token(const char *value, size_t len, const char *token)
{
	size_t tlen = strlen(token);
	if (!value || tlen == 0)
		return 0;
	for (size_t i = 0; i <= len;) {
		size_t e = list_element_end(value, i, len);
		if (list_element_matches(value + i, e - i, token, tlen))
			return 1;
		i = e + 1;
	}
	return 0;
}
