/* http_parse.h: the HTTP/1.x request-head parser, the only HTTP parser in
 * Parley.
 *
 * Sans-I/O: it is given the bytes received so far on a connection and says
 * whether they start with a complete, valid request head. It never reads a
 * socket and never allocates: the parsed request points into the caller's
 * bytes. It is strict where leniency enables request smuggling (see
 * http_parse.c) and returns the HTTP status that the error deserves. */
#ifndef PARLEY_HTTP_PARSE_H
#define PARLEY_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Hard caps; the configured limits below may only be smaller. */
#define HTTP_MAX_HEADERS 64
/* Empty lines tolerated before the request line (RFC 9112 2.2); more: 400. */
#define HTTP_MAX_EMPTY_LINES 4

enum http_method {
	HTTP_METHOD_OTHER = 0, /* a valid token we do not implement: 501 */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_CONNECT,
};

struct http_limits {
	size_t max_request_line; /* longer request line: 414 */
	size_t max_head;         /* longer head (line + headers): 431 */
	size_t max_headers;      /* more header fields: 431 (<= HTTP_MAX_HEADERS) */
};

struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing blanks removed */
	size_t value_len;
};

struct http_request {
	enum http_method method;
	const char *method_str;
	size_t method_len;
	const char *target; /* raw request-target as sent */
	size_t target_len;
	int version_minor;  /* HTTP/1.0 -> 0, HTTP/1.1 -> 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	size_t head_len;    /* bytes of the head, final empty line included */

	/* Derived from the headers: */
	int keep_alive;          /* 1.1 unless "close"; 1.0 only with keep-alive */
	int has_content_length;
	uint64_t content_length; /* 0 when absent */
	int has_transfer_encoding;
	int expect_continue;     /* "Expect: 100-continue" */
	const char *host;        /* Host header value, NULL if absent */
	size_t host_len;
};

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE = 0, /* need more bytes */
	HTTP_PARSE_DONE = 1,       /* *req describes a complete head */
	HTTP_PARSE_ERROR = -1,     /* *status says which error to answer */
};

/* Parses the request head at the start of [p, p+n).
 * INCOMPLETE: the head is not finished and no limit is exceeded yet.
 * DONE: req is filled; the head is req->head_len bytes and the body (if
 *   any) follows it. The caller reads content_length body bytes.
 * ERROR: *status is 400 (malformed, smuggling-prone: CL+TE, duplicate or
 *   invalid Content-Length, missing Host in 1.1, duplicate Host or one with
 *   bytes outside reg-name/IP-literal/port, obs-fold, bare CR, a control
 *   byte), 414 (request line too long), 431 (head too long or too
 *   many headers), 501 (Transfer-Encoding, which we do not accept on
 *   requests) or 505 (not HTTP/1.0 or 1.1).
 * Leading empty lines before the request line are skipped (RFC 9112 2.2);
 * they count in head_len and max_head. Lines may end in CRLF or bare LF.
 * Only complete lines are judged, so every prefix of a valid head is
 * INCOMPLETE unless it already exceeds a limit; the caller may call again on
 * the same, grown buffer (the parser re-scans from the start).
 * Policy details: a second Content-Length is 400 even if equal, and so is a
 * list ("1,1"); HTTP-version other than 1.0/1.1 but well-formed ("HTTP/2.0",
 * "HTTP/1.2") is 505; an Expect other than 100-continue is ignored, as is
 * any Expect in HTTP/1.0. max_headers above HTTP_MAX_HEADERS counts as
 * HTTP_MAX_HEADERS. *req is meaningful only after DONE; *status is
 * set only on ERROR. */
enum http_parse_result http_parse_request(const char *p, size_t n,
					  const struct http_limits *lim,
					  struct http_request *req,
					  int *status);

/* The value of the first header named name (case-insensitive), or NULL.
 * *len receives its length. */
const char *http_header_get(const struct http_request *req, const char *name,
			    size_t *len);

/* 1 if the comma-separated header value contains token (case-insensitive,
 * as a whole list element, e.g. "gzip" in "br, gzip;q=1"), else 0. Elements
 * with q=0 do not count. */
int http_list_has_token(const char *value, size_t len, const char *token);

#endif
