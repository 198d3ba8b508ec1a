/* response.c: builds HTTP response heads in one scratch buffer per process
 * (one response is built at a time; it is sent or copied before the next).
 * The Date value is formatted at most once per second. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_date.h"
#include "httpd.h"

#define RESPONSE_SCRATCH (HTTPD_SMALL_FILE + 16 * 1024)

static char response_scratch[RESPONSE_SCRATCH];
static char response_date[HTTP_DATE_LEN + 1];
static time_t response_date_second = -1;

struct status_reason {
	int status;
	const char *reason;
};

static const struct status_reason status_reasons[] = {
	{100, "Continue"},
	{200, "OK"},
	{201, "Created"},
	{202, "Accepted"},
	{204, "No Content"},
	{206, "Partial Content"},
	{301, "Moved Permanently"},
	{302, "Found"},
	{303, "See Other"},
	{304, "Not Modified"},
	{307, "Temporary Redirect"},
	{308, "Permanent Redirect"},
	{400, "Bad Request"},
	{401, "Unauthorized"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{408, "Request Timeout"},
	{409, "Conflict"},
	{411, "Length Required"},
	{413, "Content Too Large"},
	{414, "URI Too Long"},
	{415, "Unsupported Media Type"},
	{416, "Range Not Satisfiable"},
	{417, "Expectation Failed"},
	{429, "Too Many Requests"},
	{431, "Request Header Fields Too Large"},
	{500, "Internal Server Error"},
	{501, "Not Implemented"},
	{502, "Bad Gateway"},
	{503, "Service Unavailable"},
	{504, "Gateway Timeout"},
	{505, "HTTP Version Not Supported"},
};

const char *response_reason(int status)
{
	size_t n = sizeof status_reasons / sizeof status_reasons[0];
	for (size_t i = 0; i < n; i++)
		if (status_reasons[i].status == status)
			return status_reasons[i].reason;
	return "Unknown";
}

static void response_put(struct response *r, const char *s, size_t n)
{
	if (n > r->cap - r->len)
		n = r->cap - r->len; /* heads are bounded well below cap */
	memcpy(r->p + r->len, s, n);
	r->len += n;
}

static const char *response_date_now(void)
{
	time_t now = time(NULL);
	if (now != response_date_second) {
		http_date_format(now, response_date);
		response_date_second = now;
	}
	return response_date;
}

void response_begin(struct response *r, int version_minor, int status)
{
	r->p = response_scratch;
	r->cap = sizeof response_scratch;
	r->len = 0;
	char line[64];
	int n = snprintf(line, sizeof line, "HTTP/1.%d %d ",
			 version_minor ? 1 : 0, status);
	response_put(r, line, (size_t)n);
	const char *reason = response_reason(status);
	response_put(r, reason, strlen(reason));
	response_put(r, "\r\nDate: ", 8);
	response_put(r, response_date_now(), HTTP_DATE_LEN);
	static const char server[] =
		"\r\nServer: parley-http-filed/" PARLEY_VERSION "\r\n";
	response_put(r, server, sizeof server - 1);
}

void response_header_n(struct response *r, const char *name, const char *value,
		       size_t len)
{
	response_put(r, name, strlen(name));
	response_put(r, ": ", 2);
	response_put(r, value, len);
	response_put(r, "\r\n", 2);
}

void response_header(struct response *r, const char *name, const char *value)
{
	response_header_n(r, name, value, strlen(value));
}

void response_header_u64(struct response *r, const char *name, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
	response_header_n(r, name, num, (size_t)n);
}

void response_end(struct response *r, int version_minor, int keep_alive)
{
	if (!keep_alive)
		response_put(r, "Connection: close\r\n", 19);
	else if (version_minor == 0)
		response_put(r, "Connection: keep-alive\r\n", 24);
	response_put(r, "\r\n", 2);
}

char *response_body_room(struct response *r, size_t n)
{
	if (n > r->cap - r->len)
		return NULL;
	return r->p + r->len;
}
