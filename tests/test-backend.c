/* test-backend.c: a stand-in backend for the integration tests of
 * http-filed's backend routing (PROTOCOL.md, "HTTP gateway").
 *
 * Usage: test-backend [-t TAG] [-D MS] [-m MINOR] SOCKET_PATH [NOTIFY_FD].
 * Listens on a unix stream socket, speaks the framed protocol on every
 * connection (HELLO role "test-backend" with protocol 1.MINOR, the peer's
 * HELLO required first; with -t, HTTP_INSTANCE TAG once the peer's HELLO
 * says 1.3 or later, MS milliseconds after it with -D) and answers each
 * FRAME_HTTP_REQUEST by a table of routes on the path of its TARGET: echo,
 * status, delay (timers, never blocking), hang, die, big, drain, else 404.
 * Echo answers carry X-Backend-Instance, X-Backend-Conn and X-Backend-Pid.
 *
 * Planned restarts (PROTOCOL.md 8.7): /backend/drain sends HTTP_DRAIN on
 * the connection it came by; SIGUSR1 stops accepting, removes the socket
 * and sends HTTP_DRAIN on every connection, and the process exits 0 once
 * they are all closed. A draining connection is closed by us once the
 * peer's HTTP_DRAINED has come and no request is held on it. HTTP_RELEASE
 * answers every request held on its connection at once (200 "released").
 *
 * On stdout, one line per event: "abort CHANNEL", "drained CONN",
 * "release CONN", "request-after-drained CONN CHANNEL" (a protocol
 * violation by the peer). One log line per request on stderr; exits 0 on
 * SIGTERM. Single-threaded libev loop. */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "frame.h"
#include "instance.h"

#define TB_IN_LIMIT   (FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD)
#define TB_OUT_LIMIT  (64u * 1024 * 1024)
#define TB_READ_CHUNK (256u * 1024)
#define TB_BIG_MAX    4000000ul
#define TB_DELAY_MAX  3600000ul /* one hour, in ms */
#define TB_PING_MAX   64
#define TB_PATH_MAX   1024

struct tb_delay;

struct tb_conn {
	ev_io io;
	unsigned id;
	int hello_seen;
	unsigned peer_minor;
	int closing;  /* close once out has drained */
	int draining; /* we sent HTTP_DRAIN */
	int drained;  /* the peer answered HTTP_DRAINED */
	struct buf in, out;
	struct tb_delay *delays; /* requests held: delayed or hanging */
	ev_timer announce;	 /* -D: HTTP_INSTANCE later */
	struct tb_conn *next;	 /* in tb_conns */
};

/* A request held: until its timer fires (delay), or for ever (hang). */
struct tb_delay {
	ev_timer timer;
	struct tb_conn *conn;
	uint32_t channel;
	struct tb_delay *next;
};

struct tb_request {
	uint32_t channel;
	const unsigned char *payload;
	size_t len;
	struct attr method, target, peer, body;
	size_t headers;
	char path[TB_PATH_MAX];
};

static struct ev_loop *tb_loop;
static unsigned tb_next_id = 1;
static struct tb_conn *tb_conns;
static const char *tb_tag;			/* -t */
static double tb_announce_delay;		/* -D, in seconds */
static unsigned tb_minor = FRAME_VERSION_MINOR; /* -m */
static int tb_restarting; /* SIGUSR1: drain all, then exit */
static int tb_listen_fd = -1;
static const char *tb_socket_path;
static ev_io tb_accept_w;

__attribute__((format(printf, 1, 2))) static void tb_log(const char *fmt, ...)
{
	va_list ap;
	fputs("test-backend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Prints one event line on stdout, at once (the tests poll it). */
__attribute__((format(printf, 1, 2))) static void tb_event(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void tb_conn_close(struct tb_conn *c)
{
	while (c->delays) {
		struct tb_delay *d = c->delays;
		c->delays = d->next;
		ev_timer_stop(tb_loop, &d->timer);
		free(d);
	}
	for (struct tb_conn **pp = &tb_conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ev_timer_stop(tb_loop, &c->announce);
	ev_io_stop(tb_loop, &c->io);
	close(c->io.fd);
	buf_free(&c->in);
	buf_free(&c->out);
	tb_log("conn %u: closed", c->id);
	free(c);
	if (tb_restarting && !tb_conns)
		ev_break(tb_loop, EVBREAK_ALL);
}

/* A draining connection whose peer said HTTP_DRAINED and on which nothing
   is held any more is over: close it once its output is written. */
static void tb_conn_check_drained(struct tb_conn *c)
{
	if (c->drained && !c->delays && !c->closing) {
		tb_log("conn %u: drained, closing", c->id);
		c->closing = 1;
	}
}

/* Writes what the socket takes; -1 if the connection was closed. */
static int tb_conn_flush(struct tb_conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->io.fd, buf_head(&c->out), c->out.len);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			tb_log("conn %u: write: %s", c->id, strerror(errno));
			tb_conn_close(c);
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (c->closing && c->out.len == 0) {
		tb_conn_close(c);
		return -1;
	}
	int want = (c->closing ? 0 : EV_READ) | (c->out.len ? EV_WRITE : 0);
	if (want != (c->io.events & (EV_READ | EV_WRITE))) {
		ev_io_stop(tb_loop, &c->io);
		ev_io_set(&c->io, c->io.fd, want);
		ev_io_start(tb_loop, &c->io);
	}
	return 0;
}

/* Sends FRAME_ERROR with why and closes once it is written. */
static void tb_fail(struct tb_conn *c, const char *why)
{
	tb_log("conn %u: protocol error: %s", c->id, why);
	if (frame_append(&c->out, FRAME_ERROR, 0, why, strlen(why)) < 0)
		buf_reset(&c->out);
	c->closing = 1;
}

/* Appends the attribute "name: value" to payload p. */
static int tb_header(struct buf *p, const char *name, const void *v, size_t len)
{
	struct buf line;
	buf_init(&line, FRAME_MAX_PAYLOAD);
	int r = buf_printf(&line, "%s: %.*s", name, (int)len, (const char *)v);
	if (r == 0)
		r = attr_append(p, ATTR_HEADER, buf_head(&line), line.len);
	buf_free(&line);
	return r;
}

/* Sends the response in payload p (STATUS and headers) with body, and
 * frees p; a bare 500 if it is too big. -1 if nothing could be queued. */
static int tb_send(struct tb_conn *c, uint32_t channel, struct buf *p,
		   const void *body, size_t len)
{
	static const unsigned char bare500[] = {
		0, ATTR_STATUS, 0, 0, 0, 4, 0, 0, 500 >> 8, 500 & 0xff};
	int r = -1;
	if (len == 0 || attr_append(p, ATTR_BODY, body, len) == 0)
		r = frame_append(&c->out, FRAME_HTTP_RESPONSE, channel,
				 buf_head(p), p->len);
	buf_free(p);
	if (r < 0)
		r = frame_append(&c->out, FRAME_HTTP_RESPONSE, channel, bare500,
				 sizeof bare500);
	return r;
}

/* Starts a text/plain response payload in p with status. */
static void tb_begin(struct buf *p, unsigned status)
{
	buf_init(p, FRAME_MAX_PAYLOAD);
	attr_append_u32(p, ATTR_STATUS, status);
	tb_header(p, "Content-Type", "text/plain", 10);
}

static int tb_text(struct tb_conn *c, uint32_t channel, unsigned status,
		   const char *body)
{
	struct buf p;
	tb_begin(&p, status);
	return tb_send(c, channel, &p, body, strlen(body)) < 0 ? -1
							       : (int)status;
}

/* Parses all of s as a decimal number <= max; -1 if it is not one. */
static int tb_parse_number(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > max)
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*v = n;
	return n > max ? -1 : 0;
}

/* Removes c's timer for channel (any channel if d is given, that one). */
static struct tb_delay *tb_delay_unlink(struct tb_conn *c, uint32_t channel,
					const struct tb_delay *d)
{
	for (struct tb_delay **pp = &c->delays; *pp; pp = &(*pp)->next) {
		struct tb_delay *found = *pp;
		if (d ? found == d : found->channel == channel) {
			*pp = found->next;
			ev_timer_stop(tb_loop, &found->timer);
			return found;
		}
	}
	return NULL;
}

static void tb_delay_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tb_delay *d = (struct tb_delay *)w;
	struct tb_conn *c = d->conn;
	uint32_t channel = d->channel;
	(void)loop;
	(void)revents;
	free(tb_delay_unlink(c, 0, d));
	tb_log("conn %u: channel %u: delay over -> 200", c->id, channel);
	if (tb_text(c, channel, 200, "delayed\n") < 0) {
		tb_conn_close(c);
		return;
	}
	tb_conn_check_drained(c);
	tb_conn_flush(c);
}

/* Route handlers: the status sent, 0 if held for later, -1 to close. n is
 * the number at the end of the path, for the routes that take one. */
static int tb_route_echo(struct tb_conn *c, const struct tb_request *rq,
			 unsigned long n)
{
	struct buf p;
	char count[32];
	struct attr_iter it;
	struct attr a;
	(void)n;
	tb_begin(&p, 200);
	tb_header(&p, "X-Backend-Method", rq->method.value, rq->method.len);
	tb_header(&p, "X-Backend-Target", rq->target.value, rq->target.len);
	tb_header(&p, "X-Backend-Peer", rq->peer.value, rq->peer.len);
	int len = snprintf(count, sizeof count, "%zu", rq->headers);
	tb_header(&p, "X-Backend-Header-Count", count, (size_t)len);
	if (tb_tag)
		tb_header(&p, "X-Backend-Instance", tb_tag, strlen(tb_tag));
	len = snprintf(count, sizeof count, "%u", c->id);
	tb_header(&p, "X-Backend-Conn", count, (size_t)len);
	len = snprintf(count, sizeof count, "%ld", (long)getpid());
	tb_header(&p, "X-Backend-Pid", count, (size_t)len);
	attr_iter_init(&it, rq->payload, rq->len);
	while (attr_next(&it, &a) == 1)
		if (a.key == ATTR_HEADER && a.len >= 7 &&
		    strncasecmp((const char *)a.value, "X-Test-", 7) == 0)
			attr_append(&p, ATTR_HEADER, a.value, a.len);
	int r = tb_send(c, rq->channel, &p, rq->body.value, rq->body.len);
	return r < 0 ? -1 : 200;
}

static int tb_route_status(struct tb_conn *c, const struct tb_request *rq,
			   unsigned long n)
{
	char body[32];
	if (n < 100)
		return tb_text(c, rq->channel, 404, "no such test route\n");
	snprintf(body, sizeof body, "status %lu\n", n);
	return tb_text(c, rq->channel, (unsigned)n, body);
}

/* Holds rq: for n ms, or for ever if forever is set. */
static int tb_hold(struct tb_conn *c, const struct tb_request *rq,
		   unsigned long n, int forever)
{
	struct tb_delay *d = malloc(sizeof *d);
	if (!d)
		return tb_text(c, rq->channel, 503, "out of memory\n");
	d->conn = c;
	d->channel = rq->channel;
	d->next = c->delays;
	c->delays = d;
	ev_timer_init(&d->timer, tb_delay_fire, (double)n / 1000.0, 0.0);
	if (!forever)
		ev_timer_start(tb_loop, &d->timer);
	return 0;
}

static int tb_route_delay(struct tb_conn *c, const struct tb_request *rq,
			  unsigned long n)
{
	return tb_hold(c, rq, n, 0);
}

static int tb_route_hang(struct tb_conn *c, const struct tb_request *rq,
			 unsigned long n)
{
	return tb_hold(c, rq, n, 1);
}

/* Sends HTTP_DRAIN on c (a peer older than 1.4 cannot take it). */
static int tb_drain(struct tb_conn *c)
{
	if (c->draining)
		return 0;
	if (c->peer_minor < 4) {
		c->drained = 1; /* nothing to wait for */
		return 0;
	}
	c->draining = 1;
	tb_log("conn %u: draining", c->id);
	return frame_append(&c->out, FRAME_HTTP_DRAIN, 0, NULL, 0);
}

static int tb_route_drain(struct tb_conn *c, const struct tb_request *rq,
			  unsigned long n)
{
	(void)n;
	if (c->peer_minor < 4)
		return tb_text(c, rq->channel, 409, "peer older than 1.4\n");
	if (tb_text(c, rq->channel, 200, "draining\n") < 0 || tb_drain(c) < 0)
		return -1;
	return 200;
}

static int tb_route_die(struct tb_conn *c, const struct tb_request *rq,
			unsigned long n)
{
	(void)c;
	(void)rq;
	(void)n;
	exit(1);
}

static int tb_route_big(struct tb_conn *c, const struct tb_request *rq,
			unsigned long n)
{
	struct buf p;
	char *body = malloc(n ? n : 1);
	if (!body)
		return tb_text(c, rq->channel, 503, "out of memory\n");
	memset(body, 'x', n);
	tb_begin(&p, 200);
	int r = tb_send(c, rq->channel, &p, body, n);
	free(body);
	return r < 0 ? -1 : 200;
}

/* The routes, matched by prefix of the path; max > 0: the rest of the path
 * must be a number <= max. */
static const struct tb_route {
	const char *prefix;
	unsigned long max;
	int (*handle)(struct tb_conn *c, const struct tb_request *rq,
		      unsigned long n);
} tb_routes[] = {
	{"/backend/echo", 0, tb_route_echo},
	{"/backend/status/", 599, tb_route_status},
	{"/backend/delay/", TB_DELAY_MAX, tb_route_delay},
	{"/backend/hang", 0, tb_route_hang},
	{"/backend/die", 0, tb_route_die},
	{"/backend/big/", TB_BIG_MAX, tb_route_big},
	{"/backend/drain", 0, tb_route_drain},
};

/* Answers rq by the route table; the status, 0 if held, -1 to close. */
static int tb_route(struct tb_conn *c, const struct tb_request *rq)
{
	for (size_t i = 0; i < sizeof tb_routes / sizeof tb_routes[0]; i++) {
		const struct tb_route *r = &tb_routes[i];
		size_t len = strlen(r->prefix);
		unsigned long n = 0;
		if (strncmp(rq->path, r->prefix, len) != 0)
			continue;
		if (r->max > 0 &&
		    tb_parse_number(rq->path + len, r->max, &n) < 0)
			break;
		return r->handle(c, rq, n);
	}
	return tb_text(c, rq->channel, 404, "no such test route\n");
}

/* Fills rq from a request payload; -1 if the attribute list is broken. */
static int tb_request_parse(struct tb_request *rq, uint32_t channel,
			    const unsigned char *payload, size_t len)
{
	static const unsigned char empty[1];
	struct attr none = {.key = 0, .len = 0, .value = empty};
	*rq = (struct tb_request){.channel = channel,
				  .payload = payload,
				  .len = len,
				  .method = none,
				  .target = none,
				  .peer = none,
				  .body = none};
	struct attr_iter it;
	struct attr a;
	int r;
	attr_iter_init(&it, payload, len);
	while ((r = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_METHOD)
			rq->method = a;
		else if (a.key == ATTR_TARGET)
			rq->target = a;
		else if (a.key == ATTR_PEER)
			rq->peer = a;
		else if (a.key == ATTR_BODY)
			rq->body = a;
		else if (a.key == ATTR_HEADER)
			rq->headers++;
	}
	size_t plen = 0; /* the path: the target up to its query */
	while (plen < rq->target.len && rq->target.value[plen] != '?')
		plen++;
	if (plen >= sizeof rq->path)
		plen = sizeof rq->path - 1;
	memcpy(rq->path, rq->target.value, plen);
	rq->path[plen] = '\0';
	return r;
}

static int tb_on_request(struct tb_conn *c, const struct frame_header *h,
			 const unsigned char *payload)
{
	struct tb_request rq;
	if (h->channel == 0) {
		tb_fail(c, "HTTP_REQUEST on channel 0");
		return 0;
	}
	if (tb_request_parse(&rq, h->channel, payload, h->length) < 0) {
		tb_fail(c, "malformed attribute list");
		return 0;
	}
	if (c->drained)
		tb_event("request-after-drained %u %u", c->id, h->channel);
	int status = tb_route(c, &rq);
	tb_log("conn %u: channel %u: %.*s %.*s -> %d%s", c->id, rq.channel,
	       (int)rq.method.len, (const char *)rq.method.value,
	       (int)rq.target.len, (const char *)rq.target.value, status,
	       status == 0 ? " (held)" : "");
	return status < 0 ? -1 : 0;
}

static int tb_on_abort(struct tb_conn *c, const struct frame_header *h,
		       const unsigned char *payload)
{
	(void)payload;
	tb_event("abort %u", h->channel);
	free(tb_delay_unlink(c, h->channel, NULL));
	tb_log("conn %u: channel %u: aborted by peer", c->id, h->channel);
	tb_conn_check_drained(c);
	return 0;
}

static int tb_on_drained(struct tb_conn *c, const struct frame_header *h,
			 const unsigned char *payload)
{
	(void)payload;
	if (h->channel != 0 || h->length != 0 || !c->draining) {
		tb_fail(c, "unexpected HTTP_DRAINED");
		return 0;
	}
	tb_event("drained %u", c->id);
	c->drained = 1;
	tb_conn_check_drained(c);
	return 0;
}

/* HTTP_RELEASE: answers every request held on c now. */
static int tb_on_release(struct tb_conn *c, const struct frame_header *h,
			 const unsigned char *payload)
{
	(void)payload;
	if (h->channel != 0 || h->length != 0) {
		tb_fail(c, "malformed HTTP_RELEASE");
		return 0;
	}
	tb_event("release %u", c->id);
	while (c->delays) {
		struct tb_delay *d = tb_delay_unlink(c, 0, c->delays);
		uint32_t channel = d->channel;
		free(d);
		tb_log("conn %u: channel %u: released -> 200", c->id, channel);
		if (tb_text(c, channel, 200, "released\n") < 0)
			return -1;
	}
	tb_conn_check_drained(c);
	return 0;
}

static void tb_announce(struct tb_conn *c)
{
	if (frame_append(&c->out, FRAME_HTTP_INSTANCE, 0, tb_tag,
			 strlen(tb_tag)) == 0)
		tb_log("conn %u: announced instance %s", c->id, tb_tag);
}

static void tb_announce_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tb_conn *c =
		(struct tb_conn *)((char *)w -
				   offsetof(struct tb_conn, announce));
	(void)loop;
	(void)revents;
	tb_announce(c);
	tb_conn_flush(c);
}

static int tb_on_hello(struct tb_conn *c, const struct frame_header *h,
		       const unsigned char *payload)
{
	char role[33];
	const char *why;
	if (c->hello_seen)
		tb_fail(c, "second HELLO");
	else if (h->channel != 0)
		tb_fail(c, "HELLO not on channel 0");
	else if (frame_hello_check(payload, h->length, role, sizeof role,
				   &why) < 0)
		tb_fail(c, why);
	else {
		c->peer_minor = frame_hello_minor(payload, h->length);
		tb_log("conn %u: peer is %s 1.%u", c->id, role, c->peer_minor);
	}
	c->hello_seen = 1;
	if (tb_tag && c->peer_minor >= 3 && tb_announce_delay > 0)
		ev_timer_start(tb_loop, &c->announce);
	else if (tb_tag && c->peer_minor >= 3)
		tb_announce(c);
	if (tb_restarting && tb_drain(c) < 0)
		return -1;
	tb_conn_check_drained(c);
	return 0;
}

static int tb_on_error(struct tb_conn *c, const struct frame_header *h,
		       const unsigned char *payload)
{
	tb_log("conn %u: peer sent ERROR: %.*s", c->id, (int)h->length,
	       (const char *)payload);
	return -1;
}

static int tb_on_ping(struct tb_conn *c, const struct frame_header *h,
		      const unsigned char *payload)
{
	if (h->length > TB_PING_MAX)
		tb_fail(c, "PING payload over 64 bytes");
	else if (frame_append(&c->out, FRAME_PONG, h->channel, payload,
			      h->length) < 0)
		return -1;
	return 0;
}

/* What a backend does with each frame type it may receive. */
static const struct tb_handler {
	uint16_t type;
	int (*handle)(struct tb_conn *c, const struct frame_header *h,
		      const unsigned char *payload); /* NULL: ignore */
} tb_handlers[] = {
	{FRAME_HELLO, tb_on_hello},
	{FRAME_ERROR, tb_on_error},
	{FRAME_PING, tb_on_ping},
	{FRAME_PONG, NULL}, /* we send no PING, so ignore it */
	{FRAME_HTTP_REQUEST, tb_on_request},
	{FRAME_HTTP_ABORT, tb_on_abort},
	{FRAME_HTTP_DRAINED, tb_on_drained},
	{FRAME_HTTP_RELEASE, tb_on_release},
};

/* Handles one frame; -1 to close the connection now. */
static int tb_dispatch(struct tb_conn *c, const struct frame_header *h,
		       const unsigned char *payload)
{
	if (!c->hello_seen && h->type != FRAME_HELLO) {
		tb_fail(c, "expected HELLO first");
		return 0;
	}
	for (size_t i = 0; i < sizeof tb_handlers / sizeof tb_handlers[0]; i++)
		if (tb_handlers[i].type == h->type)
			return tb_handlers[i].handle
				       ? tb_handlers[i].handle(c, h, payload)
				       : 0;
	tb_fail(c, "unexpected frame type");
	return 0;
}

/* Handles every whole frame buffered; -1 to close the connection now. */
static int tb_conn_process(struct tb_conn *c)
{
	while (!c->closing) {
		struct frame_header h;
		const unsigned char *payload;
		const char *why;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)buf_head(&c->in), c->in.len,
			FRAME_MAX_PAYLOAD, &h, &payload, &why);
		if (r == FRAME_NEED_MORE)
			return 0;
		if (r == FRAME_BAD) {
			tb_fail(c, why);
			return 0;
		}
		if (tb_dispatch(c, &h, payload) < 0)
			return -1;
		buf_consume(&c->in, FRAME_HEADER_SIZE + h.length);
	}
	return 0;
}

static void tb_conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tb_conn *c = (struct tb_conn *)w;
	(void)loop;
	if (revents & EV_READ) {
		size_t room = c->in.limit - c->in.len;
		size_t want = room < TB_READ_CHUNK ? room : TB_READ_CHUNK;
		if (buf_reserve(&c->in, want) < 0) {
			tb_log("conn %u: %s", c->id, strerror(errno));
			tb_conn_close(c);
			return;
		}
		ssize_t n = read(w->fd, buf_tail(&c->in), want);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			tb_log("conn %u: %s", c->id,
			       n == 0 ? "closed by peer" : strerror(errno));
			tb_conn_close(c);
			return;
		}
		buf_commit(&c->in, (size_t)n);
		if (tb_conn_process(c) < 0) {
			tb_conn_close(c);
			return;
		}
	}
	tb_conn_flush(c);
}

/* Our HELLO, with the minor version -m asks for. */
static void tb_hello(struct buf *out)
{
	char hello[64];
	int n = snprintf(hello, sizeof hello, "parley %u.%u test-backend",
			 FRAME_VERSION_MAJOR, tb_minor);
	frame_append(out, FRAME_HELLO, 0, hello, (size_t)n);
}

static void tb_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				tb_log("accept: %s", strerror(errno));
			return;
		}
		struct tb_conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->id = tb_next_id++;
		c->next = tb_conns;
		tb_conns = c;
		buf_init(&c->in, TB_IN_LIMIT);
		buf_init(&c->out, TB_OUT_LIMIT);
		tb_hello(&c->out);
		ev_timer_init(&c->announce, tb_announce_cb, tb_announce_delay,
			      0);
		ev_io_init(&c->io, tb_conn_cb, fd, EV_READ);
		ev_io_start(loop, &c->io);
		tb_log("conn %u: accepted", c->id);
		tb_conn_flush(c);
	}
}

static void tb_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* SIGUSR1: a planned restart. No more connections (the successor will
   bind the path), HTTP_DRAIN everywhere, exit once every connection is
   closed. */
static void tb_restart_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	if (tb_restarting)
		return;
	tb_restarting = 1;
	tb_log("restart: draining every connection");
	ev_io_stop(loop, &tb_accept_w);
	close(tb_listen_fd);
	tb_listen_fd = -1;
	unlink(tb_socket_path);
	if (!tb_conns) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	for (struct tb_conn *c = tb_conns, *next; c; c = next) {
		next = c->next;
		if (c->hello_seen && tb_drain(c) < 0) {
			tb_conn_close(c);
			continue;
		}
		tb_conn_check_drained(c);
		tb_conn_flush(c);
	}
}

/* A listening unix socket at path, or -1 after logging why. */
static int tb_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		tb_log("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tb_log("socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 128) < 0) {
		tb_log("bind/listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int tb_usage(void)
{
	fprintf(stderr, "usage: test-backend [-t TAG] [-D MS] [-m MINOR] "
			"SOCKET_PATH [NOTIFY_FD]\n");
	return 100;
}

int main(int argc, char **argv)
{
	unsigned long notify_fd = 0, ms = 0, minor = FRAME_VERSION_MINOR;
	int opt;
	while ((opt = getopt(argc, argv, "t:D:m:")) != -1) {
		if (opt == 't' && instance_tag_is_valid(optarg, strlen(optarg)))
			tb_tag = optarg;
		else if (opt == 'D' &&
			 tb_parse_number(optarg, TB_DELAY_MAX, &ms) == 0)
			tb_announce_delay = (double)ms / 1000.0;
		else if (opt == 'm' && tb_parse_number(optarg, 99, &minor) == 0)
			tb_minor = (unsigned)minor;
		else
			return tb_usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2 ||
	    (argc == 2 &&
	     tb_parse_number(argv[1], 1024 * 1024, &notify_fd) < 0))
		return tb_usage();
	signal(SIGPIPE, SIG_IGN);
	tb_socket_path = argv[0];
	tb_listen_fd = tb_listen(tb_socket_path);
	if (tb_listen_fd < 0)
		return 111;
	tb_loop = ev_default_loop(0);
	ev_signal term_w, int_w, usr1_w;
	ev_io_init(&tb_accept_w, tb_accept_cb, tb_listen_fd, EV_READ);
	ev_io_start(tb_loop, &tb_accept_w);
	ev_signal_init(&term_w, tb_signal_cb, SIGTERM);
	ev_signal_start(tb_loop, &term_w);
	ev_signal_init(&int_w, tb_signal_cb, SIGINT);
	ev_signal_start(tb_loop, &int_w);
	ev_signal_init(&usr1_w, tb_restart_cb, SIGUSR1);
	ev_signal_start(tb_loop, &usr1_w);
	if (argc == 2) {
		if (write((int)notify_fd, "\n", 1) != 1)
			tb_log("notify fd %lu: %s", notify_fd, strerror(errno));
		close((int)notify_fd);
	}
	tb_log("listening on %s%s%s", tb_socket_path,
	       tb_tag ? ", instance " : "", tb_tag ? tb_tag : "");
	ev_run(tb_loop, 0);
	while (tb_conns)
		tb_conn_close(tb_conns);
	if (tb_restarting) {
		tb_log("exiting after the drain");
		return 0;
	}
	tb_log("exiting on signal");
	close(tb_listen_fd);
	unlink(tb_socket_path);
	return 0;
}
