/* check_http_parse.c: unit tests for http_parse: valid heads give the
 * expected fields, every prefix of a valid head is INCOMPLETE and the full
 * head then parses identically, pipelined heads are separated by head_len,
 * each limit holds at exactly its value and fails one past it, and each
 * malformed or smuggling-prone head gets its exact status. Also
 * http_header_get and http_list_has_token. */
#include <stdio.h>
#include <string.h>

#include "http_parse.h"
#include "suites.h"

static const struct http_limits default_limits = {8192, 16384, 64};

struct valid_case {
	const char *in;
	enum http_method method;
	const char *target;
	int minor;
	size_t nheaders;
	int keep_alive;
	int has_content_length;
	uint64_t content_length;
	int expect_continue;
	const char *host; /* NULL if none */
};

static const struct valid_case valid_cases[] = {
	{"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", HTTP_METHOD_GET, "/", 1,
	 1, 1, 0, 0, 0, "example.com"},
	{"GET /index.html HTTP/1.0\r\n\r\n", HTTP_METHOD_GET, "/index.html", 0,
	 0, 0, 0, 0, 0, NULL},
	{"POST /http-bind HTTP/1.1\r\nHost: chat.example:5280\r\n"
	 "Content-Type: text/xml; charset=utf-8\r\nContent-Length: 123\r\n"
	 "Connection: keep-alive\r\n\r\n",
	 HTTP_METHOD_POST, "/http-bind", 1, 4, 1, 1, 123, 0,
	 "chat.example:5280"},
	{"HEAD /a?b=c HTTP/1.1\nHost: h\nConnection: close\n\n",
	 HTTP_METHOD_HEAD, "/a?b=c", 1, 2, 0, 0, 0, 0, "h"},
	{"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_METHOD_GET, "/", 1,
	 1, 1, 0, 0, 0, "h"},
	{"\nGET / HTTP/1.1\nHost: h\r\n\n", HTTP_METHOD_GET, "/", 1, 1, 1, 0, 0,
	 0, "h"},
	{"GET / HTTP/1.1\r\nHost: h\r\nX-Name: \t caf\xc3\xa9 \t\r\n"
	 "X-Empty:\r\nX-Tab:\tin\tside\r\n\r\n",
	 HTTP_METHOD_GET, "/", 1, 4, 1, 0, 0, 0, "h"},
	{"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_METHOD_OPTIONS, "*", 1,
	 1, 1, 0, 0, 0, "h"},
	{"PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
	 "Content-Length: 0\r\n\r\n",
	 HTTP_METHOD_PUT, "/f", 1, 3, 1, 1, 0, 1, "h"},
	{"GET http://example.com/x?y#z HTTP/1.1\r\nHost: example.com\r\n\r\n",
	 HTTP_METHOD_GET, "http://example.com/x?y#z", 1, 1, 1, 0, 0, 0,
	 "example.com"},
	{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", HTTP_METHOD_GET,
	 "/", 0, 1, 1, 0, 0, 0, NULL},
	{"BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_METHOD_OTHER, "/pot", 1,
	 1, 1, 0, 0, 0, "h"},
	{"get / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_METHOD_OTHER, "/", 1, 1, 1,
	 0, 0, 0, "h"},
	{"DELETE /x HTTP/1.1\r\nHOST: [::1]:8080\r\ncontent-length: "
	 "007\r\n\r\n",
	 HTTP_METHOD_DELETE, "/x", 1, 2, 1, 1, 7, 0, "[::1]:8080"},
	{"PATCH /p HTTP/1.1\r\nHost:\r\n\r\n", HTTP_METHOD_PATCH, "/p", 1, 1, 1,
	 0, 0, 0, ""},
	{"TRACE / HTTP/1.1\r\nHost: h\r\nContent-Length: "
	 "18446744073709551615\r\n\r\n",
	 HTTP_METHOD_TRACE, "/", 1, 2, 1, 1, UINT64_MAX, 0, "h"},
	{"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\nExpect: 100-continue\r\n"
	 "Expect: something-else\r\n\r\n",
	 HTTP_METHOD_CONNECT, "h:443", 1, 3, 1, 0, 0, 1, "h:443"},
	{"GET / HTTP/1.0\r\nExpect: 100-continue\r\nHost: h\r\n\r\n",
	 HTTP_METHOD_GET, "/", 0, 2, 0, 0, 0, 0, "h"},
	{"GET /~a!$&'()*+,;=:@-._ HTTP/1.1\r\nHost: h\r\nA!#$%&'*+-.^_`|~0: "
	 "v\r\n"
	 "\r\n",
	 HTTP_METHOD_GET, "/~a!$&'()*+,;=:@-._", 1, 2, 1, 0, 0, 0, "h"},
};

#define NVALID (sizeof valid_cases / sizeof valid_cases[0])

static void expect_valid(const struct valid_case *c,
			 const struct http_request *r, size_t len)
{
	ck_assert_int_eq(r->method, c->method);
	ck_assert_uint_eq(r->target_len, strlen(c->target));
	ck_assert_mem_eq(r->target, c->target, r->target_len);
	ck_assert_int_eq(r->version_minor, c->minor);
	ck_assert_uint_eq(r->nheaders, c->nheaders);
	ck_assert_int_eq(r->keep_alive, c->keep_alive);
	ck_assert_int_eq(r->has_content_length, c->has_content_length);
	ck_assert_uint_eq(r->content_length, c->content_length);
	ck_assert_int_eq(r->expect_continue, c->expect_continue);
	ck_assert_int_eq(r->has_transfer_encoding, 0);
	ck_assert_uint_eq(r->head_len, len);
	if (c->host) {
		ck_assert_ptr_nonnull(r->host);
		ck_assert_uint_eq(r->host_len, strlen(c->host));
		ck_assert_mem_eq(r->host, c->host, r->host_len);
	} else
		ck_assert_ptr_null(r->host);
}

START_TEST(test_valid)
{
	const struct valid_case *c = &valid_cases[_i];
	struct http_request r;
	int status = 0;
	size_t len = strlen(c->in);
	ck_assert_int_eq(
		http_parse_request(c->in, len, &default_limits, &r, &status),
		HTTP_PARSE_DONE);
	expect_valid(c, &r, len);
	ck_assert_int_eq(status, 0);
}
END_TEST

/* Two parses of the same head must agree on every field. */
static void expect_same(const struct http_request *a,
			const struct http_request *b)
{
	ck_assert_int_eq(a->method, b->method);
	ck_assert_ptr_eq(a->method_str, b->method_str);
	ck_assert_uint_eq(a->method_len, b->method_len);
	ck_assert_ptr_eq(a->target, b->target);
	ck_assert_uint_eq(a->target_len, b->target_len);
	ck_assert_int_eq(a->version_minor, b->version_minor);
	ck_assert_uint_eq(a->nheaders, b->nheaders);
	for (size_t i = 0; i < a->nheaders; i++) {
		ck_assert_ptr_eq(a->headers[i].name, b->headers[i].name);
		ck_assert_uint_eq(a->headers[i].name_len,
				  b->headers[i].name_len);
		ck_assert_ptr_eq(a->headers[i].value, b->headers[i].value);
		ck_assert_uint_eq(a->headers[i].value_len,
				  b->headers[i].value_len);
	}
	ck_assert_uint_eq(a->head_len, b->head_len);
	ck_assert_int_eq(a->keep_alive, b->keep_alive);
	ck_assert_int_eq(a->has_content_length, b->has_content_length);
	ck_assert_uint_eq(a->content_length, b->content_length);
	ck_assert_int_eq(a->expect_continue, b->expect_continue);
	ck_assert_ptr_eq(a->host, b->host);
}

/* Every prefix is INCOMPLETE; the whole, parsed again on the same buffer
 * after the prefixes, gives the same result as a fresh parse. */
START_TEST(test_valid_split_every_offset)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->in);
	struct http_request fresh, r;
	int status = 0;
	ck_assert_int_eq(http_parse_request(c->in, len, &default_limits, &fresh,
					    &status),
			 HTTP_PARSE_DONE);
	for (size_t k = 0; k < len; k++) {
		status = 0;
		ck_assert_msg(http_parse_request(c->in, k, &default_limits, &r,
						 &status) ==
				      HTTP_PARSE_INCOMPLETE,
			      "prefix %zu of case %d not INCOMPLETE", k, _i);
		ck_assert_int_eq(status, 0);
	}
	ck_assert_int_eq(
		http_parse_request(c->in, len, &default_limits, &r, &status),
		HTTP_PARSE_DONE);
	expect_same(&fresh, &r);
	expect_valid(c, &r, len);
}
END_TEST

/* A head followed by a body or another head: head_len stops at its end. */
START_TEST(test_trailing_bytes_after_head)
{
	const struct valid_case *c = &valid_cases[_i];
	size_t len = strlen(c->in);
	char buf[1024];
	ck_assert_uint_lt(len + 20, sizeof buf);
	memcpy(buf, c->in, len);
	memcpy(buf + len, "GET /x HTTP/1.1\r\n\r\n", 20);
	struct http_request r;
	int status = 0;
	ck_assert_int_eq(
		http_parse_request(buf, len + 19, &default_limits, &r, &status),
		HTTP_PARSE_DONE);
	ck_assert_uint_eq(r.head_len, len);
}
END_TEST

START_TEST(test_pipelined)
{
	const char in[] =
		"GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
		"POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		"\r\nhello"
		"\r\nGET /three HTTP/1.0\r\n\r\n";
	size_t n = sizeof in - 1, off = 0;
	struct http_request r;
	int status = 0;

	ck_assert_int_eq(
		http_parse_request(in, n, &default_limits, &r, &status),
		HTTP_PARSE_DONE);
	ck_assert_uint_eq(r.head_len, 30);
	ck_assert_mem_eq(r.target, "/one", 4);
	off += r.head_len;
	ck_assert_int_eq(http_parse_request(in + off, n - off, &default_limits,
					    &r, &status),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(r.method, HTTP_METHOD_POST);
	ck_assert_uint_eq(r.target_len, 4);
	ck_assert_mem_eq(r.target, "/two", 4);
	ck_assert_uint_eq(r.content_length, 5);
	ck_assert_mem_eq(in + off + r.head_len, "hello", 5);
	off += r.head_len + r.content_length;
	/* the stray CRLF after a body is skipped as a leading empty line */
	ck_assert_int_eq(http_parse_request(in + off, n - off, &default_limits,
					    &r, &status),
			 HTTP_PARSE_DONE);
	ck_assert_uint_eq(r.target_len, 6);
	ck_assert_mem_eq(r.target, "/three", 6);
	ck_assert_uint_eq(off + r.head_len, n);
}
END_TEST

struct error_case {
	const char *in;
	int status;
};

#define H11 "GET / HTTP/1.1\r\nHost: h\r\n"

static const struct error_case error_cases[] = {
	/* request line */
	{"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
	{" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET /\tx HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\n\r\n", 400}, /* no Host */
	{"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET /\r\n\r\n", 400},
	{"GET / HTXP/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET / http/1.1\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/11\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.01\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
	{"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505},
	{"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
	{"GET / HTTP/3.0\r\n", 505}, /* known before the head ends */
	/* bare CR */
	{"GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
	{"GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{H11 "X: a\rb\r\n\r\n", 400},
	{H11 "X: a\r\r\n\r\n", 400},
	{H11 "\r\r\n", 400},
	{"\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	{"\r\n\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	/* leading empty lines: a few only */
	{"\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
	/* header syntax */
	{H11 "X : a\r\n\r\n", 400},
	{H11 "X\t: a\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
	{H11 "Content-Length : 5\r\n\r\n", 400},
	{H11 "X: a\r\n b\r\n\r\n", 400},  /* obs-fold */
	{H11 "X: a\r\n\tb\r\n\r\n", 400}, /* obs-fold */
	{"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
	{H11 "NoColon\r\n\r\n", 400},
	{H11 ": empty name\r\n\r\n", 400},
	{H11 "(X): a\r\n\r\n", 400},
	{H11 "X: a\x01"
	     "b\r\n\r\n",
	 400},
	{H11 "X: a\x7f\r\n\r\n", 400},
	{H11 "X: \x1b[31m\r\n\r\n", 400},
	{H11 "X\xc3\xa9: a\r\n\r\n", 400},
	/* Host */
	{"GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", 400},
	{"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
	{"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400},
	/* smuggling: Content-Length and Transfer-Encoding */
	{H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	{H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400},
	{H11 "Transfer-Encoding: chunked\r\n\r\n", 501},
	{H11 "Transfer-Encoding: identity\r\n\r\n", 501},
	{H11 "transfer-encoding: gzip, chunked\r\n\r\n", 501},
	{"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
	{H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400},
	{H11 "Content-Length: 5\r\ncontent-length: 6\r\n\r\n", 400},
	{H11 "Content-Length: 1,1\r\n\r\n", 400},
	{H11 "Content-Length: 1, 1\r\n\r\n", 400},
	{H11 "Content-Length: +1\r\n\r\n", 400},
	{H11 "Content-Length: -1\r\n\r\n", 400},
	{H11 "Content-Length: 1 2\r\n\r\n", 400},
	{H11 "Content-Length: 1\t2\r\n\r\n", 400},
	{H11 "Content-Length: 0x10\r\n\r\n", 400},
	{H11 "Content-Length: 1e3\r\n\r\n", 400},
	{H11 "Content-Length:\r\n\r\n", 400},
	{H11 "Content-Length: 18446744073709551616\r\n\r\n", 400},
	{H11 "Content-Length: 99999999999999999999999\r\n\r\n", 400},
};

#define NERROR (sizeof error_cases / sizeof error_cases[0])

START_TEST(test_error)
{
	const struct error_case *c = &error_cases[_i];
	struct http_request r;
	int status = 0;
	ck_assert_msg(http_parse_request(c->in, strlen(c->in), &default_limits,
					 &r, &status) == HTTP_PARSE_ERROR,
		      "case %d not an error", _i);
	ck_assert_msg(status == c->status, "case %d: status %d, want %d", _i,
		      status, c->status);
}
END_TEST

/* NUL bytes cannot sit in the string table above. */
static const char nul_value[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
static const char nul_name[] = "GET / HTTP/1.1\r\nHost: h\r\nX\0: a\r\n\r\n";
static const char nul_target[] = "GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n";
static const char nul_method[] = "GET\0/ HTTP/1.1\r\nHost: h\r\n\r\n";
static const char nul_host[] = "GET / HTTP/1.1\r\nHost: h\0\r\n\r\n";
static const char nul_first[] = "\0GET / HTTP/1.1\r\nHost: h\r\n\r\n";

START_TEST(test_nul_bytes)
{
	static const struct {
		const char *in;
		size_t len;
	} heads[] = {
		{nul_value, sizeof nul_value - 1},
		{nul_name, sizeof nul_name - 1},
		{nul_target, sizeof nul_target - 1},
		{nul_method, sizeof nul_method - 1},
		{nul_host, sizeof nul_host - 1},
		{nul_first, sizeof nul_first - 1},
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		struct http_request r;
		int status = 0;
		ck_assert_ptr_nonnull(memchr(heads[i].in, '\0', heads[i].len));
		ck_assert_int_eq(http_parse_request(heads[i].in, heads[i].len,
						    &default_limits, &r,
						    &status),
				 HTTP_PARSE_ERROR);
		ck_assert_int_eq(status, 400);
	}
}
END_TEST

static enum http_parse_result
parse_with(const char *in, size_t n, const struct http_limits *lim, int *status)
{
	struct http_request r;
	*status = 0;
	return http_parse_request(in, n, lim, &r, status);
}

START_TEST(test_request_line_limit)
{
	/* "GET /aaaa...a HTTP/1.1" is exactly 32 bytes with 18 a's */
	const char *ok = "GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *over =
		"GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *over_lf = "GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\nHost: h\n\n";
	struct http_limits lim = {32, 1024, 8};
	int status;

	ck_assert_uint_eq((size_t)(strchr(ok, '\r') - ok), 32);
	ck_assert_uint_eq((size_t)(strchr(over, '\r') - over), 33);

	ck_assert_int_eq(parse_with(ok, strlen(ok), &lim, &status),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(parse_with(over, strlen(over), &lim, &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 414);
	ck_assert_int_eq(parse_with(over_lf, strlen(over_lf), &lim, &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 414);
	/* early: 32 bytes, then 32 + CR, may still end well */
	ck_assert_int_eq(parse_with(ok, 32, &lim, &status),
			 HTTP_PARSE_INCOMPLETE);
	ck_assert_int_eq(parse_with(ok, 33, &lim, &status),
			 HTTP_PARSE_INCOMPLETE);
	/* early: 33 bytes without a line end cannot */
	ck_assert_int_eq(parse_with(over, 33, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 414);
	ck_assert_int_eq(parse_with(over, 32, &lim, &status),
			 HTTP_PARSE_INCOMPLETE);
	/* garbage without any line end is refused once past the limit */
	char junk[40];
	memset(junk, 'A', sizeof junk);
	ck_assert_int_eq(parse_with(junk, sizeof junk, &lim, &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 414);
}
END_TEST

START_TEST(test_head_limit)
{
	const char *in =
		"GET / HTTP/1.1\r\nHost: h\r\nX-Long: 0123456789\r\n\r\n";
	size_t n = strlen(in);
	struct http_limits lim = {1024, n, 8};
	int status;

	ck_assert_int_eq(parse_with(in, n, &lim, &status), HTTP_PARSE_DONE);
	lim.max_head = n - 1;
	ck_assert_int_eq(parse_with(in, n, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* early: max_head bytes of an unfinished head are still INCOMPLETE,
	 * one more byte without the end of the head is 431 */
	lim.max_head = 30;
	ck_assert_int_eq(parse_with(in, 30, &lim, &status),
			 HTTP_PARSE_INCOMPLETE);
	ck_assert_int_eq(parse_with(in, 31, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* a request line longer than the head limit: 431 as soon as known */
	lim.max_head = 10;
	ck_assert_int_eq(parse_with(in, 11, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* bytes after a complete head do not count */
	char buf[256];
	memcpy(buf, in, n);
	memset(buf + n, 'x', 100);
	lim.max_head = n;
	ck_assert_int_eq(parse_with(buf, n + 100, &lim, &status),
			 HTTP_PARSE_DONE);
	/* leading empty lines count */
	buf[0] = '\n';
	memcpy(buf + 1, in, n);
	ck_assert_int_eq(parse_with(buf, n + 1, &lim, &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	lim.max_head = n + 1;
	ck_assert_int_eq(parse_with(buf, n + 1, &lim, &status),
			 HTTP_PARSE_DONE);
}
END_TEST

/* A head with the request line and then nheaders "X-n: v" fields. */
static size_t head_with_headers(char *buf, size_t size, size_t nheaders)
{
	size_t n = (size_t)snprintf(buf, size, "GET / HTTP/1.0\r\n");
	for (size_t i = 0; i < nheaders; i++)
		n += (size_t)snprintf(buf + n, size - n, "X-%zu: v\r\n", i);
	n += (size_t)snprintf(buf + n, size - n, "\r\n");
	ck_assert_uint_lt(n, size);
	return n;
}

START_TEST(test_header_count_limit)
{
	char buf[4096];
	struct http_limits lim = {1024, sizeof buf, 3};
	int status;
	size_t n = head_with_headers(buf, sizeof buf, 3);
	ck_assert_int_eq(parse_with(buf, n, &lim, &status), HTTP_PARSE_DONE);
	n = head_with_headers(buf, sizeof buf, 4);
	ck_assert_int_eq(parse_with(buf, n, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* detected as soon as the extra field line is complete */
	ck_assert_int_eq(parse_with(buf, n - 2, &lim, &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* a configured limit above the hard cap is capped */
	lim.max_headers = 1000;
	n = head_with_headers(buf, sizeof buf, HTTP_MAX_HEADERS);
	ck_assert_int_eq(parse_with(buf, n, &lim, &status), HTTP_PARSE_DONE);
	n = head_with_headers(buf, sizeof buf, HTTP_MAX_HEADERS + 1);
	ck_assert_int_eq(parse_with(buf, n, &lim, &status), HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 431);
	/* zero headers allowed: only a 1.0 head without any */
	lim.max_headers = 0;
	n = head_with_headers(buf, sizeof buf, 0);
	ck_assert_int_eq(parse_with(buf, n, &lim, &status), HTTP_PARSE_DONE);
}
END_TEST

struct keep_alive_case {
	const char *in;
	int keep_alive;
};

static const struct keep_alive_case keep_alive_cases[] = {
	{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1},
	{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0},
	{"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", 0},
	{"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, close\r\n\r\n",
	 0},
	{"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n"
	 "Connection: close\r\n\r\n",
	 0},
	{"GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", 1},
	{"GET / HTTP/1.1\r\nHost: h\r\nX-Connection: close\r\n\r\n", 1},
	{"GET / HTTP/1.0\r\n\r\n", 0},
	{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
	{"GET / HTTP/1.0\r\nConnection: te, keep-alive\r\n\r\n", 1},
	{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0},
	{"GET / HTTP/1.0\r\nConnection: keep-aliveish\r\n\r\n", 0},
};

START_TEST(test_keep_alive)
{
	const struct keep_alive_case *c = &keep_alive_cases[_i];
	struct http_request r;
	int status = 0;
	ck_assert_int_eq(http_parse_request(c->in, strlen(c->in),
					    &default_limits, &r, &status),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(r.keep_alive, c->keep_alive);
}
END_TEST

START_TEST(test_method_table)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
		{"GET", HTTP_METHOD_GET},
		{"HEAD", HTTP_METHOD_HEAD},
		{"POST", HTTP_METHOD_POST},
		{"OPTIONS", HTTP_METHOD_OPTIONS},
		{"PUT", HTTP_METHOD_PUT},
		{"DELETE", HTTP_METHOD_DELETE},
		{"PATCH", HTTP_METHOD_PATCH},
		{"TRACE", HTTP_METHOD_TRACE},
		{"CONNECT", HTTP_METHOD_CONNECT},
		{"GETS", HTTP_METHOD_OTHER},
		{"GE", HTTP_METHOD_OTHER},
		{"Get", HTTP_METHOD_OTHER},
		{"M-SEARCH", HTTP_METHOD_OTHER},
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		char buf[128];
		int n = snprintf(buf, sizeof buf,
				 "%s / HTTP/1.1\r\nHost: h\r\n\r\n",
				 methods[i].name);
		struct http_request r;
		int status = 0;
		ck_assert_int_eq(http_parse_request(buf, (size_t)n,
						    &default_limits, &r,
						    &status),
				 HTTP_PARSE_DONE);
		ck_assert_int_eq(r.method, methods[i].method);
		ck_assert_uint_eq(r.method_len, strlen(methods[i].name));
		ck_assert_ptr_eq(r.method_str, buf);
	}
}
END_TEST

START_TEST(test_header_fields_trimmed)
{
	const char *in = "GET / HTTP/1.1\r\nHost:h\r\nA: \t x y \t \r\n"
			 "B:\t\r\nC:z\n\r\n";
	struct http_request r;
	int status = 0;
	ck_assert_int_eq(http_parse_request(in, strlen(in), &default_limits, &r,
					    &status),
			 HTTP_PARSE_DONE);
	ck_assert_uint_eq(r.nheaders, 4);
	ck_assert_uint_eq(r.headers[1].name_len, 1);
	ck_assert_mem_eq(r.headers[1].name, "A", 1);
	ck_assert_uint_eq(r.headers[1].value_len, 3);
	ck_assert_mem_eq(r.headers[1].value, "x y", 3);
	ck_assert_uint_eq(r.headers[2].value_len, 0);
	ck_assert_uint_eq(r.headers[3].value_len, 1);
	ck_assert_mem_eq(r.headers[3].value, "z", 1);
	ck_assert_uint_eq(r.host_len, 1);
	ck_assert_mem_eq(r.host, "h", 1);
}
END_TEST

START_TEST(test_transfer_encoding_flag)
{
	const char *in = H11 "Transfer-Encoding: chunked\r\n\r\n";
	struct http_request r;
	int status = 0;
	ck_assert_int_eq(http_parse_request(in, strlen(in), &default_limits, &r,
					    &status),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(status, 501);
	/* every prefix of it is INCOMPLETE: the verdict waits for the head */
	for (size_t k = 0; k < strlen(in); k++)
		ck_assert_int_eq(
			http_parse_request(in, k, &default_limits, &r, &status),
			HTTP_PARSE_INCOMPLETE);
}
END_TEST

START_TEST(test_header_get)
{
	const char *in = "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\n"
			 "accept: b\r\nAccept-Encoding: gzip\r\n\r\n";
	struct http_request r;
	int status = 0;
	size_t len = 99;
	ck_assert_int_eq(http_parse_request(in, strlen(in), &default_limits, &r,
					    &status),
			 HTTP_PARSE_DONE);
	const char *v = http_header_get(&r, "ACCEPT", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(v[0], 'a');
	v = http_header_get(&r, "accept-encoding", &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(v, "gzip", 4);
	ck_assert_ptr_null(http_header_get(&r, "Accept-Enc", &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(http_header_get(&r, "Range", &len));
}
END_TEST

struct token_case {
	const char *value;
	const char *token;
	int has;
};

static const struct token_case token_cases[] = {
	{"gzip, br", "br", 1},
	{"gzip, br", "gzip", 1},
	{"gzip,br", "BR", 1},
	{" Close ", "close", 1},
	{"br;q=0", "br", 0},
	{"br; q=0.000", "br", 0},
	{"br;Q=0.", "br", 0},
	{"br;q=0.001", "br", 1},
	{"br;q=0.0000", "br", 1}, /* not a valid qvalue: not a refusal */
	{"br;q=1", "br", 1},
	{"br ; q=0.5", "br", 1},
	{"gzip;q=1, br;q=0", "br", 0},
	{"br;q=0, br", "br", 1},
	{"gzipx", "gzip", 0},
	{"x-gzip", "gzip", 0},
	{"gzip x", "gzip", 0},
	{"", "gzip", 0},
	{",,close,", "close", 1},
	{"\"a,close\"", "close", 0},
	{"foo;p=\"x,close\", bar", "close", 0},
	{"foo;p=\"x,\\\"close\", close", "close", 1},
	{"keep-alive", "keep-alive", 1},
	{"keep-alive", "alive", 0},
};

START_TEST(test_list_has_token)
{
	const struct token_case *c = &token_cases[_i];
	ck_assert_msg(http_list_has_token(c->value, strlen(c->value),
					  c->token) == c->has,
		      "\"%s\" has \"%s\": want %d", c->value, c->token, c->has);
}
END_TEST

START_TEST(test_list_has_token_bounded)
{
	/* only len bytes are read: "close" lies past the end */
	const char *v = "gzip, close";
	ck_assert_int_eq(http_list_has_token(v, 4, "gzip"), 1);
	ck_assert_int_eq(http_list_has_token(v, 6, "close"), 0);
	ck_assert_int_eq(http_list_has_token(v, 10, "close"), 0);
	ck_assert_int_eq(http_list_has_token(v, 11, "close"), 1);
	ck_assert_int_eq(http_list_has_token(NULL, 0, "close"), 0);
}
END_TEST

Suite *http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("valid");
	tcase_add_loop_test(tc, test_valid, 0, (int)NVALID);
	tcase_add_loop_test(tc, test_valid_split_every_offset, 0, (int)NVALID);
	tcase_add_loop_test(tc, test_trailing_bytes_after_head, 0, (int)NVALID);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_method_table);
	tcase_add_test(tc, test_header_fields_trimmed);
	tcase_add_loop_test(
		tc, test_keep_alive, 0,
		(int)(sizeof keep_alive_cases / sizeof keep_alive_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_error, 0, (int)NERROR);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_transfer_encoding_flag);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_request_line_limit);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_header_count_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_header_get);
	tcase_add_loop_test(tc, test_list_has_token, 0,
			    (int)(sizeof token_cases / sizeof token_cases[0]));
	tcase_add_test(tc, test_list_has_token_bounded);
	suite_add_tcase(s, tc);
	return s;
}
