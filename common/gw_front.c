/* gw_front.c: a gateway's side facing http-filed (PROTOCOL.md 8), shared
 * by boshd and pollgw (see gw_front.h). Keeps the list of http-filed
 * connections (at most GW_FRONT_MAX_CONNS, each with an id that is never
 * reused while the daemon runs), turns HTTP_REQUEST frames into struct
 * gw_request and HTTP_ABORT into on_abort, and writes HTTP_RESPONSE frames
 * with the headers every gateway answer carries. What a request means is
 * the daemon's business, through its gw_front_ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "attr.h"
#include "daemon.h"
#include "fconn.h"
#include "gw_front.h"
#include "instance.h"
#include "listen.h"
#include "log.h"

/* Room for the status and the three fixed headers of every answer. */
#define GW_FRONT_FIXED_HEADERS 1024
#define GW_FRONT_LINE_MAX 256

struct gw_front_conn {
	struct fconn f; /* first member */
	uint32_t id;
	struct gw_front_conn *next;
	int drained; /* it said HTTP_DRAINED: no new request will come */
};

static int gw_front_fd = -1;
static ev_io gw_front_watcher;
static struct gw_front_conn *gw_front_conns;
static uint32_t gw_front_next_id;
static size_t gw_front_nconns;
/* Set by gw_front_start; the strings are the daemon's and outlive us. */
static const char *gw_front_role, *gw_front_instance, *gw_front_cors_origin;
static const struct gw_front_ops *gw_front_ops;
static int gw_front_bouncing; /* the sessions are gone to a successor */
static int gw_front_draining; /* a planned stop: HTTP_DRAIN sent */

static uint64_t gw_front_handle(const struct gw_front_conn *c, uint32_t channel)
{
	return (uint64_t)c->id << 32 | channel;
}

static struct gw_front_conn *gw_front_find(uint32_t id)
{
	for (struct gw_front_conn *c = gw_front_conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- answers */

/* The bytes the extra header lines take as attributes. */
static size_t gw_front_extra_size(const char *headers)
{
	size_t n = 0;
	if (headers)
		for (const char *e = headers; *e; e += strlen(e) + 1)
			n += strlen(e) + ATTR_HEADER_SIZE;
	return n;
}

static void gw_front_append_line(struct buf *p, const char *name,
				 const char *value)
{
	char line[GW_FRONT_LINE_MAX];
	snprintf(line, sizeof line, "%s: %s", name, value);
	attr_append_str(p, ATTR_HEADER, line);
}

void gw_front_respond(uint64_t handle, unsigned status,
		      const char *content_type, const char *headers,
		      const char *body, size_t len)
{
	struct gw_front_conn *c = gw_front_find((uint32_t)(handle >> 32));
	if (!c)
		return;
	struct buf p;
	buf_init(&p,
		 len + GW_FRONT_FIXED_HEADERS + gw_front_extra_size(headers));
	attr_append_u32(&p, ATTR_STATUS, status);
	gw_front_append_line(&p, "Content-Type", content_type);
	gw_front_append_line(&p, "Access-Control-Allow-Origin",
			     gw_front_cors_origin);
	attr_append_str(&p, ATTR_HEADER, "Cache-Control: no-store");
	if (headers)
		for (const char *e = headers; *e; e += strlen(e) + 1)
			attr_append_str(&p, ATTR_HEADER, e);
	if (len)
		attr_append(&p, ATTR_BODY, body, len);
	fconn_send(&c->f, FRAME_HTTP_RESPONSE, (uint32_t)handle, buf_head(&p),
		   p.len);
	buf_free(&p);
}

/* ---- requests */

int gw_request_is(const struct gw_request *r, const char *method)
{
	return r->method_len == strlen(method) &&
	       memcmp(r->method, method, r->method_len) == 0;
}

static int gw_front_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The value of the header line v[0..n) if it is "name: value"; else NULL. */
static const char *gw_front_header_value(const char *v, size_t n,
					 const char *name, size_t *len)
{
	size_t name_len = strlen(name);
	if (n <= name_len || v[name_len] != ':' ||
	    strncasecmp(v, name, name_len) != 0)
		return NULL;
	size_t start = name_len + 1;
	while (start < n && gw_front_is_blank(v[start]))
		start++;
	while (n > start && gw_front_is_blank(v[n - 1]))
		n--;
	*len = n - start;
	return v + start;
}

const char *gw_request_header(const struct gw_request *r, const char *name,
			      size_t *len)
{
	struct attr_iter it;
	struct attr a;
	attr_iter_init(&it, r->headers, r->headers_len);
	while (attr_next(&it, &a) == 1) {
		if (a.key != ATTR_HEADER)
			continue;
		const char *v = gw_front_header_value((const char *)a.value,
						      a.len, name, len);
		if (v)
			return v;
	}
	*len = 0;
	return NULL;
}

/* The client reached http-filed from loopback: "127.x.y.z:port" or
   "[::1]:port" as http-filed writes it. */
static int gw_front_peer_is_loopback(const char *peer, size_t len)
{
	return (len >= 4 && memcmp(peer, "127.", 4) == 0) ||
	       (len >= 5 && memcmp(peer, "[::1]", 5) == 0);
}

/* Widens r's header span to take the HEADER attribute a. */
static void gw_front_take_header(struct gw_request *r, const struct attr *a)
{
	const unsigned char *start = a->value - ATTR_HEADER_SIZE;
	if (!r->headers)
		r->headers = start;
	r->headers_len = (size_t)(a->value + a->len - r->headers);
}

static void gw_front_take(struct gw_request *r, const struct attr *a)
{
	const char *v = (const char *)a->value;
	switch (a->key) {
	case ATTR_METHOD:
		r->method = v;
		r->method_len = a->len;
		break;
	case ATTR_TARGET:
		r->target = v;
		r->target_len = a->len;
		break;
	case ATTR_PEER:
		r->peer = v;
		r->peer_len = a->len;
		break;
	case ATTR_BODY:
		r->body = v;
		r->body_len = a->len;
		break;
	case ATTR_HEADER:
		gw_front_take_header(r, a);
		break;
	}
}

/* Fills r from an HTTP_REQUEST payload; -1 if it is malformed or has no
   method. Absent strings are "" (never NULL). */
static int gw_front_parse(const unsigned char *payload, size_t len,
			  struct gw_request *r)
{
	struct attr_iter it;
	struct attr a;
	int rc;
	memset(r, 0, sizeof *r);
	r->target = r->peer = r->body = "";
	attr_iter_init(&it, payload, len);
	while ((rc = attr_next(&it, &a)) == 1)
		gw_front_take(r, &a);
	if (rc < 0 || !r->method)
		return -1;
	r->loopback = gw_front_peer_is_loopback(r->peer, r->peer_len);
	return 0;
}

static void gw_front_on_close(struct fconn *f, int error, const char *why);

uint32_t gw_front_handle_conn(uint64_t handle)
{
	return (uint32_t)(handle >> 32);
}

static int gw_front_on_frame(struct fconn *f, const struct frame_header *h,
			     const unsigned char *payload)
{
	struct gw_front_conn *c = (struct gw_front_conn *)f;
	struct gw_request r;
	if (h->type == FRAME_HTTP_ABORT) { /* the browser went away */
		gw_front_ops->on_abort(gw_front_handle(c, h->channel));
		return 0;
	}
	if ((h->type == FRAME_HTTP_DRAINED || h->type == FRAME_HTTP_RELEASE) &&
	    (h->channel != 0 || h->length != 0)) {
		log_warn("http-filed connection %u: bad %s: closing it", c->id,
			 frame_type_name(h->type));
		fconn_fail(f, "protocol error");
		gw_front_on_close(f, EPROTO, "protocol error");
		return -1;
	}
	if (h->type == FRAME_HTTP_DRAINED) {
		c->drained = 1;
		return 0;
	}
	if (h->type == FRAME_HTTP_RELEASE) { /* that http-filed is stopping */
		log_info("http-filed connection %u releases its requests",
			 c->id);
		gw_front_ops->on_release(c->id);
		return 0;
	}
	if (h->type != FRAME_HTTP_REQUEST ||
	    gw_front_parse(payload, h->length, &r) < 0) {
		log_warn("http-filed sent a bad frame (%s)",
			 frame_type_name(h->type));
		return 0;
	}
	r.handle = gw_front_handle(c, h->channel);
	if (gw_front_bouncing) /* late: the client tries again, next door */
		gw_front_respond(r.handle, 503, "text/plain", "Retry-After: 1\0",
				 "", 0);
	else
		gw_front_ops->on_request(&r);
	return 0;
}

/* ---- connections */

static void gw_front_free(struct gw_front_conn *c)
{
	struct gw_front_conn **p = &gw_front_conns;
	while (*p && *p != c)
		p = &(*p)->next;
	if (*p)
		*p = c->next;
	fconn_close(&c->f);
	free(c);
	gw_front_nconns--;
}

static void gw_front_on_close(struct fconn *f, int error, const char *why)
{
	(void)error;
	log_info("http-filed connection %u gone: %s",
		 ((struct gw_front_conn *)f)->id, why);
	gw_front_free((struct gw_front_conn *)f);
}

/* Tells http-filed which session keys are ours (several instances of one
   gateway may share it). */
static int gw_front_on_hello(struct fconn *f)
{
	if (instance_announce(f, gw_front_instance) < 0) {
		gw_front_on_close(f, errno, "send failed");
		return -1;
	}
	struct gw_front_conn *c = (struct gw_front_conn *)f;
	if (gw_front_draining && !c->drained && f->peer_minor >= 4 &&
	    fconn_send(f, FRAME_HTTP_DRAIN, 0, NULL, 0) < 0) {
		gw_front_on_close(f, errno, "send failed");
		return -1;
	}
	return 0;
}

static const struct fconn_ops gw_front_fconn_ops = {
	.on_hello = gw_front_on_hello,
	.on_frame = gw_front_on_frame,
	.on_close = gw_front_on_close,
};

static void gw_front_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = listen_accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	struct gw_front_conn *c = gw_front_nconns < GW_FRONT_MAX_CONNS
					  ? calloc(1, sizeof *c)
					  : NULL;
	if (!c) {
		log_warn("refusing an http-filed connection (limit %d)",
			 GW_FRONT_MAX_CONNS);
		close(fd);
		return;
	}
	c->id = ++gw_front_next_id;
	c->next = gw_front_conns;
	gw_front_conns = c;
	gw_front_nconns++;
	fconn_init(&c->f, loop, fd, &gw_front_fconn_ops, c, "http-filed",
		   gw_front_role, FRAME_MAX_PAYLOAD);
}

int gw_front_setup(const char *path)
{
	if (listen_fd_is_listening(0)) {
		if (fd_set_nonblocking(0) < 0)
			return DAEMON_EXIT_TEMPORARY;
		gw_front_fd = 0;
		log_info("http-filed connects to the socket given as fd 0");
		return 0;
	}
	gw_front_fd = listen_unix(path, 0600);
	if (gw_front_fd < 0) {
		log_error("socket %s: %m", path);
		return DAEMON_EXIT_USAGE;
	}
	log_info("http-filed connects to %s", path);
	return 0;
}

void gw_front_start(struct ev_loop *loop, const char *role,
		    const char *instance, const char *cors_origin,
		    const struct gw_front_ops *ops)
{
	gw_front_role = role;
	gw_front_instance = instance;
	gw_front_cors_origin = cors_origin;
	gw_front_ops = ops;
	ev_io_init(&gw_front_watcher, gw_front_on_accept, gw_front_fd, EV_READ);
	ev_io_start(loop, &gw_front_watcher);
}

void gw_front_stop(struct ev_loop *loop)
{
	if (gw_front_fd < 0)
		return;
	ev_io_stop(loop, &gw_front_watcher);
	close(gw_front_fd);
	gw_front_fd = -1;
}

void gw_front_drain(void)
{
	gw_front_draining = 1;
	for (struct gw_front_conn *c = gw_front_conns; c; c = c->next) {
		if (!c->f.hello_done)
			continue; /* its HELLO will get the HTTP_DRAIN */
		if (c->f.peer_minor < 4 ||
		    fconn_send(&c->f, FRAME_HTTP_DRAIN, 0, NULL, 0) < 0)
			c->drained = 1; /* an older http-filed cannot */
	}
}

void gw_front_bounce(void)
{
	gw_front_bouncing = 1;
}

int gw_front_drained(void)
{
	for (struct gw_front_conn *c = gw_front_conns; c; c = c->next)
		if (!c->drained)
			return 0;
	return 1;
}

int gw_front_flushed(void)
{
	for (struct gw_front_conn *c = gw_front_conns; c; c = c->next)
		if (!c->f.conn.closed && !conn_is_flushed(&c->f.conn))
			return 0;
	return 1;
}

void gw_front_close_all(void)
{
	while (gw_front_conns)
		gw_front_free(gw_front_conns);
}
