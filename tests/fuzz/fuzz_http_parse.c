/* fuzz_http_parse.c: libFuzzer target for http-filed's request handling:
 * http_parse_request under two sets of limits, on the whole input and on
 * prefixes of it (which must agree with the whole), then, on a parsed head,
 * path_normalize on the target, range_parse on Range, http_date_parse on
 * If-Modified-Since, http_list_has_token on Connection and mime_type_for on
 * the path; also path_normalize on the raw input, and session_key_find
 * (the body sniffing that routes a request to a backend instance). Broken invariants abort,
 * which the fuzzer and fuzz-replay (make check) report as crashes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"
#include "http_date.h"
#include "http_parse.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "session_key.h"

/* Inputs up to this size have every prefix parsed; longer ones a few. */
#define FUZZ_ALL_PREFIXES_MAX 512
/* Fri, 31 Dec 9999 23:59:59 GMT */
#define FUZZ_LAST_FORMATTABLE_TIME 253402300799

static const struct http_limits fuzz_limits[] = {
	{8192, 16384, HTTP_MAX_HEADERS},
	{40, 200, 4},
};

static void fuzz_require(int ok)
{
	if (!ok)
		abort();
}

static int inside(const char *x, size_t xlen, const char *p, size_t n)
{
	return x >= p && xlen <= n && x - p <= (ptrdiff_t)(n - xlen);
}

/* Checks a normalised path: starts with '/', no "//", "/./", "/../", no
 * trailing "/." or "/..", and fits. */
static void path_check(const char *out, size_t outsz, int slash)
{
	size_t len = strlen(out);
	fuzz_require(len < outsz && out[0] == '/');
	fuzz_require(!strstr(out, "//") && !strstr(out, "/./") &&
		     !strstr(out, "/../"));
	fuzz_require(!(len >= 2 && strcmp(out + len - 2, "/.") == 0));
	fuzz_require(!(len >= 3 && strcmp(out + len - 3, "/..") == 0));
	fuzz_require(slash == (out[len - 1] == '/'));
	for (size_t i = 0; i < len; i++)
		fuzz_require((unsigned char)out[i] >= 0x20 && out[i] != 0x7F);
}

static void path_exercise(const char *target, size_t len, size_t outsz)
{
	char out[4096];
	const char *query;
	size_t qlen;
	int slash, status = 0;
	if (outsz > sizeof out)
		outsz = sizeof out;
	if (path_normalize(target, len, out, outsz, &slash, &query, &qlen,
			   &status) < 0) {
		fuzz_require(status == 400 || status == 414);
		return;
	}
	path_check(out, outsz, slash);
	fuzz_require(!query || inside(query, qlen, target, len));
	fuzz_require(mime_type_for(out) != NULL);
}

static void range_exercise(const char *v, size_t len)
{
	static const uint64_t sizes[] = {0, 1, 1000, UINT64_MAX};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t first, count;
		enum range_result r =
			range_parse(v, len, sizes[i], &first, &count);
		if (r == RANGE_OK)
			fuzz_require(count > 0 && first < sizes[i] &&
				     count <= sizes[i] - first);
		else
			fuzz_require(r == RANGE_IGNORE ||
				     r == RANGE_UNSATISFIABLE);
	}
}

static void date_exercise(const char *v, size_t len)
{
	time_t t, back;
	char out[HTTP_DATE_LEN + 1];
	if (http_date_parse(v, len, &t) < 0)
		return;
	http_date_format(t, out);
	fuzz_require(strlen(out) == HTTP_DATE_LEN);
	fuzz_require(http_date_parse(out, HTTP_DATE_LEN, &back) == 0);
	/* a leap second on 31 Dec 9999 parses into year 10000 */
	fuzz_require(back == t || t > FUZZ_LAST_FORMATTABLE_TIME);
}

/* Everything a server would do next with a parsed head. */
static void request_exercise(const struct http_request *r, const char *p,
			     size_t n)
{
	size_t len;
	const char *v;
	fuzz_require(r->head_len > 0 && r->head_len <= n);
	fuzz_require(inside(r->target, r->target_len, p, r->head_len));
	fuzz_require(inside(r->method_str, r->method_len, p, r->head_len));
	fuzz_require(r->version_minor == 0 || r->version_minor == 1);
	fuzz_require(r->nheaders <= HTTP_MAX_HEADERS);
	fuzz_require(!r->has_transfer_encoding);
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct http_header *h = &r->headers[i];
		fuzz_require(h->name_len > 0);
		fuzz_require(inside(h->name, h->name_len, p, r->head_len));
		fuzz_require(inside(h->value, h->value_len, p, r->head_len));
	}
	path_exercise(r->target, r->target_len, 4096);
	path_exercise(r->target, r->target_len, 16);
	if ((v = http_header_get(r, "Range", &len)))
		range_exercise(v, len);
	if ((v = http_header_get(r, "If-Modified-Since", &len)))
		date_exercise(v, len);
	if ((v = http_header_get(r, "Connection", &len))) {
		int close = http_list_has_token(v, len, "close");
		fuzz_require(!close || !r->keep_alive);
		http_list_has_token(v, len, "keep-alive");
	}
	if ((v = http_header_get(r, "Accept-Encoding", &len)))
		http_list_has_token(v, len, "gzip");
}

/* A prefix must be INCOMPLETE or give exactly the whole input's result. */
static void prefix_check(const char *p, size_t k, const struct http_limits *lim,
			 enum http_parse_result whole,
			 const struct http_request *wreq, int wstatus)
{
	struct http_request r;
	int status = 0;
	enum http_parse_result res = http_parse_request(p, k, lim, &r, &status);
	if (res == HTTP_PARSE_INCOMPLETE)
		return;
	fuzz_require(res == whole);
	if (res == HTTP_PARSE_DONE)
		fuzz_require(r.head_len == wreq->head_len && r.head_len <= k);
	else
		fuzz_require(status == wstatus);
}

static void parse_with_limits(const char *p, size_t n,
			      const struct http_limits *lim)
{
	static struct http_request req; /* large: keep it off the stack */
	int status = 0;
	enum http_parse_result res =
		http_parse_request(p, n, lim, &req, &status);
	if (res == HTTP_PARSE_DONE)
		request_exercise(&req, p, n);
	else if (res == HTTP_PARSE_ERROR)
		fuzz_require(status == 400 || status == 414 || status == 431 ||
			     status == 501 || status == 505);
	if (n <= FUZZ_ALL_PREFIXES_MAX) {
		for (size_t k = 0; k < n; k++)
			prefix_check(p, k, lim, res, &req, status);
	} else {
		size_t samples[] = {n / 4, n / 2, n - 1, 1};
		for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
			prefix_check(p, samples[i], lim, res, &req, status);
	}
}

void fuzz_http_parse_run(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	for (size_t i = 0; i < sizeof fuzz_limits / sizeof fuzz_limits[0]; i++)
		parse_with_limits(p, size, &fuzz_limits[i]);
	path_exercise(p, size, 4096);
	path_exercise(p, size, 8);
	range_exercise(p, size);
	date_exercise(p, size);
	http_list_has_token(p, size, "close");
	char key[SESSION_KEY_MAX + 1];
	size_t key_len = session_key_find(p, size, key);
	fuzz_require(key_len <= SESSION_KEY_MAX &&
		     (key_len == 0 || strlen(key) == key_len));
	if (size > 0 && memchr(p, '\0', size) == NULL && p[size - 1] != '\0') {
		char name[256];
		size_t k = size < sizeof name ? size : sizeof name - 1;
		memcpy(name, p, k);
		name[k] = '\0';
		fuzz_require(mime_type_for(name) != NULL);
	}
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http_parse_run(data, size);
	return 0;
}
#endif
