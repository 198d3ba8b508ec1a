/* tcp.c: the XMPP-over-TCP transport of parley-load (RFC 6120, no TLS).
 *
 * One non-blocking socket per user with its libev watcher, an xml_stream
 * parser (common/) that is compacted whenever the stream is between
 * stanzas, so an idle user costs a few hundred bytes, and an output
 * buffer that holds only what the kernel did not take (LOAD_OUT_MAX at
 * most). Reads go through the one shared buffer of net.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "load.h"
#include "xml_stream.h"

struct tcp_conn {
	struct user *user;
	ev_io io;
	int fd;
	int events; /* what io watches */
	int connected;
	int closing; /* our </stream:stream> is queued */
	struct xml_stream *xs;
	struct buf out;
};

static void tcp_queue_header(struct tcp_conn *c);

static void tcp_watch(struct tcp_conn *c, int events)
{
	struct ev_loop *loop = c->user->load->loop;
	if (events == c->events)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	if (events)
		ev_io_start(loop, &c->io);
	c->events = events;
}

/* Writes what the kernel takes; 0, or -1 after user_fail. */
static int tcp_flush(struct tcp_conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, buf_head(&c->out), c->out.len,
				 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			net_count_error(c->user->load, errno);
			user_fail(c->user, FAIL_CLOSED, "write: %s",
				  strerror(errno));
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
	}
	tcp_watch(c, EV_READ | (c->out.len ? EV_WRITE : 0));
	return 0;
}

static int tcp_append(struct tcp_conn *c, const char *data, size_t len)
{
	if (buf_append(&c->out, data, len) < 0)
		return -1;
	if (c->connected)
		return tcp_flush(c);
	return 0;
}

/* ---- the parser's callbacks ---- */

static int tcp_on_open(void *ctx, const struct xml_node *root,
		       const char *default_ns)
{
	(void)ctx;
	(void)root;
	(void)default_ns;
	return 0;
}

static int tcp_on_stanza(void *ctx, struct xml_node *stanza)
{
	struct tcp_conn *c = ctx;
	return xmpp_on_element(c->user, stanza);
}

static void tcp_on_close(void *ctx)
{
	struct tcp_conn *c = ctx;
	if (c->closing)
		user_closed(c->user);
	else
		user_fail(c->user, FAIL_STREAM, "the server closed the stream");
}

static void tcp_on_error(void *ctx, enum xml_stream_error err)
{
	struct tcp_conn *c = ctx;
	user_fail(c->user, FAIL_STREAM, "bad XML from the server: %s",
		  xml_stream_error_condition(err));
}

static const struct xml_stream_ops tcp_stream_ops = {
	.on_open = tcp_on_open,
	.on_stanza = tcp_on_stanza,
	.on_close = tcp_on_close,
	.on_error = tcp_on_error,
};

static const struct xml_stream_limits tcp_stream_limits = {
	.max_stanza = LOAD_STANZA_MAX,
	.max_depth = LOAD_STANZA_DEPTH,
};

/* ---- events ---- */

static void tcp_on_connected(struct tcp_conn *c)
{
	if (net_connect_result(c->fd) < 0) {
		net_count_error(c->user->load, errno);
		user_fail(c->user, FAIL_CONNECT, "connect: %s",
			  strerror(errno));
		return;
	}
	c->connected = 1;
	tcp_queue_header(c);
	(void)tcp_flush(c);
}

static void tcp_on_readable(struct tcp_conn *c)
{
	char *data = net_read_buffer();
	ssize_t n = recv(c->fd, data, LOAD_READ_CHUNK, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			net_count_error(c->user->load, errno);
		if (c->closing)
			user_closed(c->user);
		else
			user_fail(c->user, FAIL_CLOSED, "%s",
				  n == 0 ? "the server closed the connection"
					 : strerror(errno));
		return;
	}
	if (xml_stream_feed(c->xs, data, (size_t)n) == 0)
		(void)xml_stream_compact(c->xs);
}

static void tcp_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct tcp_conn *c = w->data;
	if (!c->connected) {
		tcp_on_connected(c);
		return;
	}
	if ((revents & EV_WRITE) && tcp_flush(c) < 0)
		return;
	if (revents & EV_READ)
		tcp_on_readable(c);
}

/* ---- the transport ---- */

static void tcp_queue_header(struct tcp_conn *c)
{
	char header[512];
	int n = snprintf(
		header, sizeof header,
		"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		"xmlns:stream='http://etherx.jabber.org/streams' to='%s' "
		"version='1.0' xml:lang='en'>",
		c->user->load->cfg->domain);
	if (n < 0 || (size_t)n >= sizeof header ||
	    tcp_append(c, header, (size_t)n) < 0)
		user_fail(c->user, FAIL_STREAM,
			  "cannot queue the stream header");
}

static unsigned tcp_fds_per_user(enum load_scenario s)
{
	(void)s;
	return 1;
}

static int tcp_start(struct user *u)
{
	struct tcp_conn *c = calloc(1, sizeof *c);
	if (!c) {
		user_fail(u, FAIL_CONNECT, "out of memory");
		return -1;
	}
	c->user = u;
	c->fd = -1;
	buf_init(&c->out, LOAD_OUT_MAX);
	u->conn = c;
	c->xs = xml_stream_new(&tcp_stream_limits, &tcp_stream_ops, c);
	if (!c->xs) {
		user_fail(u, FAIL_CONNECT, "out of memory");
		return -1;
	}
	c->fd = net_connect(u->load->cfg, &u->load->cfg->server);
	if (c->fd < 0) {
		net_count_error(u->load, errno);
		user_fail(u, FAIL_CONNECT, "connect: %s", strerror(errno));
		return -1;
	}
	ev_io_init(&c->io, tcp_on_io, c->fd, 0);
	c->io.data = c;
	tcp_watch(c, EV_WRITE);
	return 0;
}

static int tcp_send(struct user *u, const char *xml, size_t len)
{
	struct tcp_conn *c = u->conn;
	return c ? tcp_append(c, xml, len) : -1;
}

static void tcp_restart(struct user *u)
{
	struct tcp_conn *c = u->conn;
	xml_stream_reset(c->xs); /* after this element */
	tcp_queue_header(c);
}

static void tcp_stop(struct user *u)
{
	struct tcp_conn *c = u->conn;
	if (!c || !c->connected) {
		user_closed(u);
		return;
	}
	c->closing = 1;
	static const char end[] = "</stream:stream>";
	if (tcp_append(c, end, sizeof end - 1) < 0)
		user_closed(u);
}

static void tcp_drop(struct user *u)
{
	struct tcp_conn *c = u->conn;
	if (!c)
		return;
	if (c->fd >= 0) {
		ev_io_stop(u->load->loop, &c->io);
		close(c->fd);
	}
	xml_stream_free(c->xs);
	xmpp_count_unsent(u, buf_head(&c->out), c->out.len);
	buf_free(&c->out);
	free(c);
	u->conn = NULL;
}

static int tcp_init(struct load *l)
{
	(void)l;
	return 0;
}

const struct transport transport_tcp = {
	.name = "tcp",
	.init = tcp_init,
	.fds_per_user = tcp_fds_per_user,
	.start = tcp_start,
	.send = tcp_send,
	.restart = tcp_restart,
	.stop = tcp_stop,
	.drop = tcp_drop,
};
