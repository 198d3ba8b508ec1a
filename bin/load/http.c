/* http.c: keep-alive HTTP/1.1 connections for parley-load's BOSH
 * transport (http.h).
 *
 * A connection is CLOSED, IDLE (connected, kept alive) or BUSY (one
 * request out, or waiting to be sent again). The request stays in out
 * until its response is complete, so that it can be sent again: at once
 * on a new connection when it was lost to a keep-alive race (the server
 * closed the idle connection as we reused it: no response byte came);
 * after a delay, LOAD_RESENDS times at most, after a network error or a
 * 5xx status (the k-th resend waits on the client's k-th deadline list,
 * LOAD_RESEND_DELAY * 2^(k-1) seconds). The input buffer is freed after
 * every response, so an idle connection costs no buffer. Every request
 * has a timeout on the client's one deadline list, resends included. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

static void http_deadline_expired(struct deadline_list *list,
				  struct deadline_entry *e);
static void http_resend_due(struct deadline_list *list,
			    struct deadline_entry *e);

void http_client_init(struct http_client *hc, struct load *l, ev_tstamp timeout)
{
	hc->loop = l->loop;
	hc->load = l;
	hc->cfg = l->cfg;
	deadline_list_init(&hc->deadlines, l->loop, timeout,
			   http_deadline_expired);
	ev_tstamp delay = LOAD_RESEND_DELAY;
	for (int k = 0; k < LOAD_RESENDS; k++, delay *= 2)
		deadline_list_init(&hc->resend[k], l->loop, delay,
				   http_resend_due);
}

static void http_on_io(struct ev_loop *loop, ev_io *w, int revents);
static void http_lost(struct http_conn *c, int err, const char *why);

void http_conn_init(struct http_conn *c, struct http_client *hc,
		    const struct http_conn_ops *ops, void *owner)
{
	memset(c, 0, sizeof *c);
	c->client = hc;
	c->ops = ops;
	c->owner = owner;
	c->fd = -1;
	c->state = HTTP_CLOSED;
	ev_io_init(&c->io, http_on_io, -1, 0);
	c->io.data = c;
	buf_init(&c->out, HTTP_MAX_HEAD + HTTP_MAX_BODY);
	buf_init(&c->in, HTTP_MAX_HEAD + HTTP_MAX_BODY);
}

int http_conn_is_busy(const struct http_conn *c)
{
	return c->state == HTTP_BUSY;
}

int http_conn_is_open(const struct http_conn *c)
{
	return c->fd >= 0;
}

static void http_watch(struct http_conn *c, int events)
{
	if (events == c->events)
		return;
	ev_io_stop(c->client->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	if (events)
		ev_io_start(c->client->loop, &c->io);
	c->events = (uint8_t)events;
}

/* Closes the socket; the request (out) is kept for a resend. */
static void http_close_socket(struct http_conn *c)
{
	if (c->fd >= 0) {
		http_watch(c, 0);
		close(c->fd);
	}
	c->fd = -1;
	c->connected = 0;
	buf_free(&c->in);
}

/* Takes c off the resend list it waits on, if any. */
static void http_unschedule(struct http_conn *c)
{
	for (int k = 0; k < LOAD_RESENDS; k++)
		deadline_remove(&c->client->resend[k], &c->resend_at);
}

void http_conn_close(struct http_conn *c)
{
	http_close_socket(c);
	deadline_remove(&c->client->deadlines, &c->deadline);
	http_unschedule(c);
	buf_free(&c->out);
	c->state = HTTP_CLOSED;
}

/* The request ends without a response: report it. */
static void http_fail(struct http_conn *c, enum fail_kind kind, const char *why)
{
	http_conn_close(c);
	c->ops->on_error(c, kind, why);
}

static int http_connect(struct http_conn *c)
{
	c->fd = net_connect(c->client->cfg, &c->client->cfg->bosh_server);
	if (c->fd < 0)
		return -1;
	c->connected = 0;
	c->reused = 0;
	http_watch(c, EV_WRITE);
	return 0;
}

/* Writes the rest of the request; then waits for the response. */
static void http_write(struct http_conn *c)
{
	while (c->written < c->out.len) {
		ssize_t n = send(c->fd, buf_head(&c->out) + c->written,
				 c->out.len - c->written, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			http_watch(c, EV_READ | EV_WRITE);
			return;
		}
		if (n < 0) {
			http_lost(c, errno, strerror(errno));
			return;
		}
		c->written += (size_t)n;
	}
	http_watch(c, EV_READ);
}

/* The kept request goes out again from its first byte, on the open
   connection if there is one, else on a new one. */
static void http_send_again(struct http_conn *c)
{
	c->written = 0;
	c->got_bytes = 0;
	if (c->fd >= 0) {
		c->reused = 1;
		http_write(c);
	} else if (http_connect(c) < 0) {
		http_lost(c, errno, strerror(errno));
	}
}

/* Schedules the next resend of the kept request, or fails it when
   LOAD_RESENDS are spent. */
static void http_resend_later(struct http_conn *c, enum fail_kind kind,
			      const char *why)
{
	if (c->resends >= LOAD_RESENDS) {
		http_fail(c, kind, why);
		return;
	}
	deadline_touch(&c->client->resend[c->resends], &c->resend_at);
	c->resends++;
	c->client->load->stats.resent++;
}

static void http_resend_due(struct deadline_list *list,
			    struct deadline_entry *e)
{
	(void)list;
	struct http_conn *c =
		(struct http_conn *)((char *)e -
				     offsetof(struct http_conn, resend_at));
	http_send_again(c);
}

/* The connection failed under the request (err: the errno, or 0 for an
   end of file): at once on a new connection if a kept-alive connection
   was closed before any response byte (the server closed it as it was
   reused), else later (http_resend_later). */
static void http_lost(struct http_conn *c, int err, const char *why)
{
	int race = c->reused && !c->got_bytes && err != ECONNREFUSED;
	net_count_error(c->client->load, err);
	http_close_socket(c);
	if (race && http_connect(c) == 0) {
		c->written = 0;
		c->client->load->stats.resent++;
		return;
	}
	http_resend_later(c, err == ECONNREFUSED ? FAIL_CONNECT : FAIL_CLOSED,
			  why);
}

int http_conn_post(struct http_conn *c, const char *body, size_t len)
{
	const struct load_config *cfg = c->client->cfg;
	buf_reset(&c->out);
	if (buf_printf(&c->out,
		       "POST %s HTTP/1.1\r\nHost: %s\r\n"
		       "Content-Type: text/xml; charset=utf-8\r\n"
		       "Content-Length: %zu\r\n\r\n",
		       cfg->bosh_path, cfg->bosh_host, len) < 0 ||
	    buf_append(&c->out, body, len) < 0)
		return -1;
	c->resends = 0;
	c->state = HTTP_BUSY;
	deadline_touch(&c->client->deadlines, &c->deadline);
	http_send_again(c);
	return 0;
}

/* A whole response is in c->in: hand it over and go idle; or, for a 5xx
   with resends left, send the request again later. */
static void http_deliver(struct http_conn *c, const struct http_resp *r)
{
	if (r->status / 100 == 5) {
		c->client->load->stats.http_5xx++;
		if (c->resends < LOAD_RESENDS) {
			http_close_socket(c); /* frees in; a new one later */
			http_resend_later(c, FAIL_HTTP, "HTTP 5xx");
			return;
		}
	}
	deadline_remove(&c->client->deadlines, &c->deadline);
	buf_free(&c->out);
	c->state = HTTP_IDLE;
	struct buf in = c->in; /* the callback may reuse c */
	buf_init(&c->in, in.limit);
	if (r->close) {
		http_close_socket(c);
		c->state = HTTP_CLOSED;
	}
	c->ops->on_response(c, r->status, buf_head(&in) + r->head_len,
			    r->body_len);
	buf_free(&in);
}

static void http_on_readable(struct http_conn *c)
{
	char *data = net_read_buffer();
	ssize_t n = recv(c->fd, data, LOAD_READ_CHUNK, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		const char *why = n == 0 ? "the server closed the connection"
					 : strerror(errno);
		if (c->state == HTTP_BUSY)
			http_lost(c, n == 0 ? 0 : errno, why);
		else
			http_conn_close(c); /* an idle keep-alive ends */
		return;
	}
	if (c->state != HTTP_BUSY) {
		http_conn_close(c); /* bytes nobody asked for */
		return;
	}
	c->got_bytes = 1;
	if (buf_append(&c->in, data, (size_t)n) < 0) {
		http_fail(c, FAIL_HTTP, "response too large");
		return;
	}
	struct http_resp r;
	int rc = http_resp_parse(buf_head(&c->in), c->in.len, &r);
	if (rc < 0)
		http_fail(c, FAIL_HTTP, "malformed or unsupported response");
	else if (rc > 0)
		http_deliver(c, &r);
}

static void http_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct http_conn *c = w->data;
	if (!c->connected && c->fd >= 0 && c->state == HTTP_BUSY) {
		if (net_connect_result(c->fd) < 0) {
			http_lost(c, errno, strerror(errno));
			return;
		}
		c->connected = 1;
		http_write(c);
		return;
	}
	if ((revents & EV_WRITE) && c->state == HTTP_BUSY) {
		http_write(c);
		if (c->state != HTTP_BUSY)
			return;
	}
	if (revents & EV_READ)
		http_on_readable(c);
}

static void http_deadline_expired(struct deadline_list *list,
				  struct deadline_entry *e)
{
	(void)list;
	struct http_conn *c = (struct http_conn *)e; /* the first member */
	http_fail(c, FAIL_TIMEOUT, "no HTTP response in time");
}
