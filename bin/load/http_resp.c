/* http_resp.c: parses one HTTP/1.x response head for parley-load's client
 * (http.h). Sans-I/O: bytes in, the status and the framing out.
 *
 * Understood: the status line, Content-Length, Connection (close,
 * keep-alive) and Transfer-Encoding (refused: a BOSH connection manager
 * answers with a length). A response without Content-Length has an empty
 * body only if its status says so (1xx, 204, 304); otherwise it is
 * refused, since reading to the end of the connection would defeat
 * keep-alive. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

struct http_header {
	const char *name, *value;
	size_t name_len, value_len;
};

/* Splits "Name: value" (line without CRLF); -1 if there is no colon. */
static int http_split_header(const char *line, size_t len,
			     struct http_header *h)
{
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return -1;
	h->name = line;
	h->name_len = (size_t)(colon - line);
	const char *v = colon + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	h->value = v;
	h->value_len = (size_t)(end - v);
	return 0;
}

static int http_header_is(const struct http_header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	       strncasecmp(h->name, name, h->name_len) == 0;
}

static int http_value_is(const struct http_header *h, const char *value)
{
	return h->value_len == strlen(value) &&
	       strncasecmp(h->value, value, h->value_len) == 0;
}

/* Content-Length: digits only, at most HTTP_MAX_BODY. */
static int http_content_length(const struct http_header *h, size_t *out)
{
	size_t v = 0;
	if (h->value_len == 0 || h->value_len > 9)
		return -1;
	for (size_t i = 0; i < h->value_len; i++) {
		if (!isdigit((unsigned char)h->value[i]))
			return -1;
		v = v * 10 + (size_t)(h->value[i] - '0');
	}
	if (v > HTTP_MAX_BODY)
		return -1;
	*out = v;
	return 0;
}

/* "HTTP/1.x SSS reason"; sets status and the HTTP/1.0 default. */
static int http_status_line(const char *line, size_t len, struct http_resp *r)
{
	if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 ||
	    (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
	    !isdigit((unsigned char)line[9]) ||
	    !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]))
		return -1;
	r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
		    (line[11] - '0');
	r->close = line[7] == '0';
	return 0;
}

/* Applies one header line to r; -1 if it is malformed or unsupported. */
static int http_header_line(const char *line, size_t len, struct http_resp *r,
			    int *have_length)
{
	struct http_header h;
	if (http_split_header(line, len, &h) < 0)
		return -1;
	if (http_header_is(&h, "Content-Length")) {
		*have_length = 1;
		return http_content_length(&h, &r->body_len);
	}
	if (http_header_is(&h, "Transfer-Encoding"))
		return -1;
	if (http_header_is(&h, "Connection")) {
		if (http_value_is(&h, "close"))
			r->close = 1;
		else if (http_value_is(&h, "keep-alive"))
			r->close = 0;
	}
	return 0;
}

static int http_body_may_be_absent(int status)
{
	return status / 100 == 1 || status == 204 || status == 304;
}

int http_resp_parse(const char *data, size_t len, struct http_resp *r)
{
	size_t scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	const char *end = memmem(data, scan, "\r\n\r\n", 4);
	if (!end)
		return len >= HTTP_MAX_HEAD ? -1 : 0;
	memset(r, 0, sizeof *r);
	r->head_len = (size_t)(end - data) + 4;
	int have_length = 0;
	const char *line = data;
	for (int first = 1; line < end + 2; first = 0) {
		const char *eol =
			memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		size_t n = (size_t)(eol - line);
		int rc = first ? http_status_line(line, n, r)
			       : http_header_line(line, n, r, &have_length);
		if (rc < 0)
			return -1;
		line = eol + 2;
	}
	if (!have_length && !http_body_may_be_absent(r->status))
		return -1;
	return len >= r->head_len + r->body_len ? 1 : 0;
}
