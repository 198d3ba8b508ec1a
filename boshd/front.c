/* front.c: boshd's side facing http-filed (PROTOCOL.md 8): a unix socket
 * where each http-filed worker connects; every HTTP request routed to
 * /http-bind arrives as a frame. POST bodies are parsed (bosh_body.c)
 * and handed to their session; OPTIONS gets the CORS preflight answer;
 * GET a short notice. A request is known by a handle made of its
 * connection's id and its channel, so a late answer for a connection that
 * has gone is dropped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "boshd.h"
#include "daemon.h"
#include "fconn.h"
#include "instance.h"
#include "listen.h"
#include "log.h"

#define FRONT_MAX_CONNS 256
#define FRONT_MAX_CHILDREN 256
#define FRONT_MAX_DEPTH 32

struct front_conn {
	struct fconn f; /* first member */
	uint32_t id;
	struct front_conn *next;
};

static int front_fd = -1;
static ev_io front_watcher;
static struct front_conn *front_conns;
static uint32_t front_next_id;
static size_t front_nconns;

static struct front_conn *front_find(uint32_t id)
{
	for (struct front_conn *c = front_conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void front_send(struct front_conn *c, uint32_t channel, unsigned status,
		       const char *content_type, const char *extra,
		       const char *body, size_t len)
{
	struct buf p;
	char line[256];
	buf_init(&p, len + 1024);
	attr_append_u32(&p, ATTR_STATUS, status);
	snprintf(line, sizeof line, "Content-Type: %s", content_type);
	attr_append_str(&p, ATTR_HEADER, line);
	snprintf(line, sizeof line, "Access-Control-Allow-Origin: %s",
		 boshd_config.cors_origin);
	attr_append_str(&p, ATTR_HEADER, line);
	attr_append_str(&p, ATTR_HEADER, "Cache-Control: no-store");
	if (extra)
		for (const char *e = extra; *e; e += strlen(e) + 1)
			attr_append_str(&p, ATTR_HEADER, e);
	if (len)
		attr_append(&p, ATTR_BODY, body, len);
	fconn_send(&c->f, FRAME_HTTP_RESPONSE, channel, buf_head(&p), p.len);
	buf_free(&p);
}

void front_respond(uint64_t req, unsigned status, const char *body, size_t len)
{
	struct front_conn *c = front_find((uint32_t)(req >> 32));
	if (c)
		front_send(c, (uint32_t)req, status, "text/xml; charset=utf-8",
			   NULL, body, len);
}

struct front_request {
	const unsigned char *method, *body, *peer;
	size_t method_len, body_len, peer_len;
};

static int front_parse(const unsigned char *payload, size_t len,
		       struct front_request *r)
{
	struct attr_iter it;
	struct attr a;
	int rc;
	memset(r, 0, sizeof *r);
	attr_iter_init(&it, payload, len);
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_METHOD) {
			r->method = a.value;
			r->method_len = a.len;
		} else if (a.key == ATTR_BODY) {
			r->body = a.value;
			r->body_len = a.len;
		} else if (a.key == ATTR_PEER) {
			r->peer = a.value;
			r->peer_len = a.len;
		}
	}
	return rc < 0 || !r->method ? -1 : 0;
}

static int front_is(const struct front_request *r, const char *method)
{
	return r->method_len == strlen(method) &&
	       memcmp(r->method, method, r->method_len) == 0;
}

/* The client reached http-filed from loopback (PLAIN may be offered). */
static int front_peer_is_loopback(const struct front_request *r)
{
	return (r->peer_len >= 4 && memcmp(r->peer, "127.", 4) == 0) ||
	       (r->peer_len >= 5 && memcmp(r->peer, "[::1]", 5) == 0);
}

static void front_post(struct front_conn *c, uint32_t channel,
		       const struct front_request *r)
{
	uint64_t req = (uint64_t)c->id << 32 | channel;
	struct bosh_body_limits lim = {
		.max_bytes = (size_t)boshd_config.max_body,
		.max_children = FRONT_MAX_CHILDREN,
		.max_depth = FRONT_MAX_DEPTH,
	};
	struct bosh_body *body = NULL;
	enum bosh_body_error err;
	if (bosh_body_parse((const char *)r->body, r->body_len, &lim, &body,
			    &err) < 0) {
		log_info("bad BOSH body from %.*s: %s", (int)r->peer_len,
			 (const char *)r->peer, bosh_body_error_condition(err));
		front_send(c, channel, 400, "text/plain; charset=utf-8", NULL,
			   "400 Bad Request\n", 16);
		return;
	}
	char peer[48];
	snprintf(peer, sizeof peer, "%.*s", (int)r->peer_len,
		 r->peer ? (const char *)r->peer : "?");
	sessions_request(body, peer, front_peer_is_loopback(r), req);
}

static int front_on_frame(struct fconn *f, const struct frame_header *h,
			  const unsigned char *payload)
{
	struct front_conn *c = (struct front_conn *)f;
	struct front_request r;
	if (h->type == FRAME_HTTP_ABORT) { /* the browser went away */
		sessions_abort((uint64_t)c->id << 32 | h->channel);
		return 0;
	}
	if (h->type != FRAME_HTTP_REQUEST ||
	    front_parse(payload, h->length, &r) < 0) {
		log_warn("http-filed sent a bad frame (%s)",
			 frame_type_name(h->type));
		return 0;
	}
	static const char preflight[] =
		"Access-Control-Allow-Methods: POST, GET, OPTIONS\0"
		"Access-Control-Allow-Headers: Content-Type\0"
		"Access-Control-Max-Age: 86400\0";
	static const char notice[] =
		"boshd: a BOSH connection manager (XEP-0124, XEP-0206); "
		"POST <body/> elements here.\n";
	if (front_is(&r, "POST"))
		front_post(c, h->channel, &r);
	else if (front_is(&r, "OPTIONS"))
		front_send(c, h->channel, 200, "text/plain; charset=utf-8",
			   preflight, "", 0);
	else if (front_is(&r, "GET") || front_is(&r, "HEAD"))
		front_send(c, h->channel, 200, "text/plain; charset=utf-8",
			   NULL, notice, sizeof notice - 1);
	else
		front_send(c, h->channel, 405, "text/plain; charset=utf-8",
			   "Allow: POST, GET, OPTIONS\0",
			   "405 Method Not Allowed\n", 23);
	return 0;
}

static void front_free(struct front_conn *c)
{
	struct front_conn **p = &front_conns;
	while (*p && *p != c)
		p = &(*p)->next;
	if (*p)
		*p = c->next;
	fconn_close(&c->f);
	free(c);
	front_nconns--;
}

static void front_on_close(struct fconn *f, int error, const char *why)
{
	(void)error;
	log_info("http-filed connection %u gone: %s",
		 ((struct front_conn *)f)->id, why);
	front_free((struct front_conn *)f);
}

/* Tells http-filed which sids are ours (several boshd may share it). */
static int front_on_hello(struct fconn *f)
{
	if (instance_announce(f, boshd_config.bosh.instance) < 0) {
		front_on_close(f, errno, "send failed");
		return -1;
	}
	return 0;
}

static const struct fconn_ops front_ops = {
	.on_hello = front_on_hello,
	.on_frame = front_on_frame,
	.on_close = front_on_close,
};

static void front_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = listen_accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	struct front_conn *c =
		front_nconns < FRONT_MAX_CONNS ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		log_warn("refusing an http-filed connection (limit %d)",
			 FRONT_MAX_CONNS);
		close(fd);
		return;
	}
	c->id = ++front_next_id;
	c->next = front_conns;
	front_conns = c;
	front_nconns++;
	fconn_init(&c->f, loop, fd, &front_ops, c, "http-filed", "boshd",
		   FRAME_MAX_PAYLOAD);
}

int front_setup(void)
{
	front_fd = listen_unix(boshd_config.socket, 0600);
	if (front_fd < 0) {
		log_error("socket %s: %m", boshd_config.socket);
		return DAEMON_EXIT_USAGE;
	}
	log_info("http-filed connects to %s", boshd_config.socket);
	return 0;
}

void front_start(struct ev_loop *loop)
{
	ev_io_init(&front_watcher, front_on_accept, front_fd, EV_READ);
	ev_io_start(loop, &front_watcher);
}

void front_stop(struct ev_loop *loop)
{
	ev_io_stop(loop, &front_watcher);
	close(front_fd);
}

void front_close_all(void)
{
	while (front_conns)
		front_free(front_conns);
}
