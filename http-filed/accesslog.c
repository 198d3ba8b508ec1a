/* accesslog.c: the access log in combined log format, one line per
 * response, on stderr, an inherited descriptor ("fd:N") or a file (reopened
 * on SIGHUP for rotation), or off. Lines are gathered in a buffer and
 * written once per event-loop iteration, so the log costs one write(2) per
 * batch rather than per request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"

#define ACCESSLOG_BUF (64 * 1024)
#define ACCESSLOG_FIELD_MAX 512

static int accesslog_fd = -1;
static const char *accesslog_path; /* non-NULL for a reopenable file */
static char accesslog_buf[ACCESSLOG_BUF];
static size_t accesslog_len;
static ev_prepare accesslog_prepare;
static char accesslog_time[40];
static time_t accesslog_time_second = -1;

int accesslog_is_on(void)
{
	return accesslog_fd >= 0;
}

static int accesslog_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		log_error("access log %s: %m", path);
	return fd;
}

int accesslog_open(const char *dest)
{
	if (!dest || strcmp(dest, "off") == 0)
		return 0;
	if (strcmp(dest, "stderr") == 0) {
		accesslog_fd = STDERR_FILENO;
		return 0;
	}
	if (strncmp(dest, "fd:", 3) == 0) {
		char *end;
		long fd = strtol(dest + 3, &end, 10);
		if (*end || end == dest + 3 || fd < 0 ||
		    fcntl((int)fd, F_GETFD) < 0) {
			log_error("access log %s: not an open descriptor",
				  dest);
			return -1;
		}
		accesslog_fd = (int)fd;
		return 0;
	}
	accesslog_path = dest;
	accesslog_fd = accesslog_open_file(dest);
	return accesslog_fd < 0 ? -1 : 0;
}

void accesslog_flush(void)
{
	size_t off = 0;
	while (off < accesslog_len) {
		ssize_t w = write(accesslog_fd, accesslog_buf + off,
				  accesslog_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* a full or broken log must not stop serving */
		off += (size_t)w;
	}
	accesslog_len = 0;
}

static void accesslog_on_prepare(struct ev_loop *loop, ev_prepare *w,
				 int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (accesslog_len)
		accesslog_flush();
}

void accesslog_start(struct ev_loop *loop)
{
	if (accesslog_fd < 0)
		return;
	ev_prepare_init(&accesslog_prepare, accesslog_on_prepare);
	ev_prepare_start(loop, &accesslog_prepare);
	ev_unref(loop);
}

void accesslog_reopen(void)
{
	if (!accesslog_path)
		return;
	accesslog_flush();
	int fd = accesslog_open_file(accesslog_path);
	if (fd < 0)
		return;
	close(accesslog_fd);
	accesslog_fd = fd;
}

static const char *accesslog_now(void)
{
	time_t now = time(NULL);
	if (now != accesslog_time_second) {
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(accesslog_time, sizeof accesslog_time,
			 "%d/%b/%Y:%H:%M:%S %z", &tm);
		accesslog_time_second = now;
	}
	return accesslog_time;
}

/* Copies a field for a quoted log value: '"', '\\' and control bytes are
   escaped as \xHH so a client cannot forge log lines. */
static size_t accesslog_escape(char *out, const char *s, size_t n)
{
	size_t o = 0;
	if (n > ACCESSLOG_FIELD_MAX)
		n = ACCESSLOG_FIELD_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			o += (size_t)sprintf(out + o, "\\x%02X", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return o;
}

void access_entry_from_request(struct access_entry *e, const char *peer,
			       const struct http_request *req)
{
	memset(e, 0, sizeof *e);
	e->peer = peer;
	if (!req)
		return;
	const char *line = req->method_str;
	const char *end = memchr(line, '\n', req->head_len);
	size_t n = end ? (size_t)(end - line) : 0;
	if (n && line[n - 1] == '\r')
		n--;
	e->request_line = line;
	e->request_line_len = n;
	e->referer = http_header_get(req, "Referer", &e->referer_len);
	e->agent = http_header_get(req, "User-Agent", &e->agent_len);
}

void accesslog_write(const struct access_entry *e)
{
	if (accesslog_fd < 0)
		return;
	static char rl[ACCESSLOG_FIELD_MAX * 4 + 1],
		ref[ACCESSLOG_FIELD_MAX * 4 + 1],
		ua[ACCESSLOG_FIELD_MAX * 4 + 1];
	if (e->request_line)
		accesslog_escape(rl, e->request_line, e->request_line_len);
	else
		strcpy(rl, "-");
	if (e->referer)
		accesslog_escape(ref, e->referer, e->referer_len);
	else
		strcpy(ref, "-");
	if (e->agent)
		accesslog_escape(ua, e->agent, e->agent_len);
	else
		strcpy(ua, "-");
	if (accesslog_len > ACCESSLOG_BUF - 3 * sizeof rl - 256)
		accesslog_flush();
	/* %h is the address alone: "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1"
	 */
	const char *host = e->peer;
	const char *colon = strrchr(host, ':');
	int host_len = colon ? (int)(colon - host) : (int)strlen(host);
	if (host[0] == '[' && host_len >= 2) {
		host++;
		host_len -= 2;
	}
	int n = snprintf(accesslog_buf + accesslog_len,
			 ACCESSLOG_BUF - accesslog_len,
			 "%.*s - - [%s] \"%s\" %d %llu \"%s\" \"%s\"\n",
			 host_len, host, accesslog_now(), rl, e->status,
			 (unsigned long long)e->bytes, ref, ua);
	if (n > 0 && (size_t)n < ACCESSLOG_BUF - accesslog_len)
		accesslog_len += (size_t)n;
}
