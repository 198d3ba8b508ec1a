/* c2s.c: the TCP client listener of xmpp-routerd (port 5222).
 *
 * Each accepted socket becomes a struct c2s_client: a buffered connection
 * (common/conn.c) carrying one XMPP stream (xstream.c). Bytes read go to
 * the stream; bytes the stream sends are queued on the connection. A
 * client silent for --idle-timeout, or not bound after --auth-timeout, is
 * closed (connection-timeout). The listening socket is fd 0 when s6 hands
 * one over, else it is bound here. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "daemon.h"
#include "deadline.h"
#include "listen.h"
#include "log.h"
#include "tls.h"
#include "xmppd.h"

#define C2S_IN_LIMIT (64 * 1024)
#define C2S_ACCEPTS_PER_WAKEUP 64
/* Read rate limit per connection (a token bucket): a client may send
   C2S_READ_BURST bytes at once and C2S_READ_RATE bytes per second after
   that; past it, reading pauses until the bucket refills. */
#define C2S_READ_RATE (128.0 * 1024)
#define C2S_READ_BURST (512.0 * 1024)

struct c2s_client {
	struct conn conn; /* first member */
	struct xstream xs;
	struct deadline_entry idle;
	struct deadline_entry auth;
	struct c2s_client *prev, *next;
	struct c2s_client *reap_next; /* on the reap list while on_reap */
	struct tls_session *tls;      /* after STARTTLS */
	double tokens;		      /* read budget, bytes */
	ev_tstamp refilled;
	ev_timer throttle; /* resumes reading when paused */
	unsigned closing : 1;
	unsigned on_reap : 1;
};

static int c2s_fd = -1;
static struct tls_ctx *c2s_tls_ctx; /* NULL: no certificate, no STARTTLS */
/* Scratch for TLS: decrypted input, and records to send. */
static struct buf c2s_plain, c2s_net;
static ev_io c2s_watcher;
static struct c2s_client *c2s_clients;
static size_t c2s_count;
static struct deadline_list c2s_idle_list, c2s_auth_list;
/* Clients closed from another client's callback (a conflict, a failed
   send) are freed from here, before the loop next waits, never in the
   middle of someone else's work. */
static struct c2s_client *c2s_reap_list;
static ev_prepare c2s_reaper;
static struct ev_loop *c2s_loop;

int c2s_setup(void)
{
	if (xmppd_config.tls_cert) {
		c2s_tls_ctx = tls_ctx_new(xmppd_config.tls_cert,
					  xmppd_config.tls_key);
		if (!c2s_tls_ctx)
			return DAEMON_EXIT_USAGE;
	}
	buf_init(&c2s_plain, C2S_IN_LIMIT);
	buf_init(&c2s_net, XMPPD_OUT_HIGH);
	if (listen_fd_is_listening(0)) {
		if (fd_set_nonblocking(0) < 0)
			return DAEMON_EXIT_TEMPORARY;
		c2s_fd = 0;
		log_info("accepting clients on the socket given as fd 0");
		return 0;
	}
	char port[16];
	snprintf(port, sizeof port, "%ld", xmppd_config.port);
	c2s_fd = listen_tcp(xmppd_config.address, port, 0);
	if (c2s_fd < 0) {
		log_error("listen on %s:%s: %m", xmppd_config.address, port);
		return errno == EADDRNOTAVAIL || errno == EACCES
			       ? DAEMON_EXIT_USAGE
			       : DAEMON_EXIT_TEMPORARY;
	}
	log_info("listening for clients on %s:%s", xmppd_config.address, port);
	return 0;
}

static struct c2s_client *c2s_of_xs(struct xstream *xs)
{
	return xs->owner;
}

static void c2s_reap_unlink(struct c2s_client *c)
{
	struct c2s_client **p = &c2s_reap_list;
	while (*p && *p != c)
		p = &(*p)->reap_next;
	if (*p)
		*p = c->reap_next;
	c->on_reap = 0;
}

/* Frees the client: the stream is told first (its session ends). */
static void c2s_free(struct c2s_client *c)
{
	if (c->on_reap)
		c2s_reap_unlink(c);
	xstream_gone(&c->xs);
	deadline_remove(&c2s_idle_list, &c->idle);
	deadline_remove(&c2s_auth_list, &c->auth);
	if (c->prev)
		c->prev->next = c->next;
	else
		c2s_clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ev_timer_stop(c->conn.loop, &c->throttle);
	conn_close(&c->conn);
	tls_session_free(c->tls);
	free(c);
	c2s_count--;
}

static void c2s_close(struct xstream *xs)
{
	struct c2s_client *c = c2s_of_xs(xs);
	c->closing = 1;
	conn_pause(&c->conn);
	if (!c->on_reap) {
		c->on_reap = 1;
		c->reap_next = c2s_reap_list;
		c2s_reap_list = c;
		ev_prepare_start(c2s_loop, &c2s_reaper);
	}
}

static int c2s_send(struct xstream *xs, const char *data, size_t len)
{
	struct c2s_client *c = c2s_of_xs(xs);
	if (c->conn.closed)
		return -1;
	if (c->tls) {
		buf_reset(&c2s_net);
		int rc = tls_session_send(c->tls, data, len, &c2s_net);
		if (rc == 0 && c2s_net.len)
			rc = conn_write(&c->conn, buf_head(&c2s_net),
					c2s_net.len, 0);
		if (rc < 0) {
			log_info("%s: cannot send (%m), closing", xs->peer);
			c2s_close(xs);
		}
		return rc;
	}
	if (conn_write(&c->conn, data, len, 0) < 0) {
		log_info("%s: cannot send (%m), closing", xs->peer);
		c2s_close(xs);
		return -1;
	}
	return 0;
}

/* After <proceed/> (sent in the clear): everything from now on is TLS. */
static int c2s_starttls(struct xstream *xs)
{
	struct c2s_client *c = c2s_of_xs(xs);
	c->tls = tls_session_new(c2s_tls_ctx);
	if (!c->tls)
		return -1;
	log_info("%s: STARTTLS", xs->peer);
	xstream_tls_started(xs);
	return 0;
}

static const struct xstream_transport c2s_transport = {
	.name = "tcp",
	.send = c2s_send,
	.close = c2s_close,
	.starttls = c2s_starttls,
};

/* After any callback: a client marked closing whose output is flushed
   goes away now. Returns -1 if it was freed. */
static int c2s_settle(struct c2s_client *c)
{
	if (c->closing && (conn_is_flushed(&c->conn) || c->conn.closed)) {
		c2s_free(c);
		return -1;
	}
	if (c->xs.state == XS_ACTIVE)
		deadline_remove(&c2s_auth_list, &c->auth);
	return 0;
}

static void c2s_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	while (c2s_reap_list) {
		struct c2s_client *c = c2s_reap_list;
		c2s_reap_list = c->reap_next;
		c->on_reap = 0;
		c2s_settle(c); /* frees it, or on_drain will */
	}
	ev_prepare_stop(loop, w);
}

/* Decrypts what arrived and feeds the plaintext to the stream. Returns
   how many bytes were taken, or -1 after closing on a TLS failure. */
static ssize_t c2s_tls_read(struct c2s_client *c, const char *data, size_t len)
{
	const char *why = NULL;
	ssize_t taken = 0, n;
	do {
		buf_reset(&c2s_plain);
		buf_reset(&c2s_net);
		n = tls_session_receive(c->tls, data, len, &c2s_plain, &c2s_net,
					&why);
		if (c2s_net.len)
			conn_write(&c->conn, buf_head(&c2s_net), c2s_net.len,
				   0);
		if (n < 0) {
			log_info("%s: TLS: %s", c->xs.peer,
				 why ? why : "failed");
			c2s_close(&c->xs);
			return (ssize_t)len;
		}
		if (data)
			taken = n;
		if (c2s_plain.len)
			xstream_feed(&c->xs, buf_head(&c2s_plain),
				     c2s_plain.len);
		data = NULL;
		len = 0;
	} while (tls_session_has_input(c->tls) && !c->closing);
	return taken;
}

static void c2s_unthrottle(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct c2s_client *c =
		(struct c2s_client *)((char *)w -
				      offsetof(struct c2s_client, throttle));
	if (!c->closing)
		conn_resume(&c->conn);
}

/* Charges len bytes to the client's read budget; past it, pauses reading
   for as long as the bucket needs to refill. */
static void c2s_charge(struct c2s_client *c, size_t len)
{
	ev_tstamp now = ev_now(c->conn.loop);
	c->tokens += (now - c->refilled) * C2S_READ_RATE;
	if (c->tokens > C2S_READ_BURST)
		c->tokens = C2S_READ_BURST;
	c->refilled = now;
	c->tokens -= (double)len;
	if (c->tokens >= 0)
		return;
	log_debug("%s: reading too fast, pausing", c->xs.peer);
	conn_pause(&c->conn);
	ev_timer_set(&c->throttle, -c->tokens / C2S_READ_RATE, 0);
	ev_timer_start(c->conn.loop, &c->throttle);
}

static ssize_t c2s_on_read(struct conn *conn, const char *data, size_t len)
{
	struct c2s_client *c = (struct c2s_client *)conn;
	deadline_touch(&c2s_idle_list, &c->idle);
	c2s_charge(c, len);
	if (c->tls) {
		ssize_t taken = c2s_tls_read(c, data, len);
		if (c2s_settle(c) < 0)
			return -1;
		return taken;
	}
	xstream_feed(&c->xs, data, len);
	if (c2s_settle(c) < 0)
		return -1;
	return (ssize_t)len;
}

static int c2s_on_drain(struct conn *conn)
{
	return c2s_settle((struct c2s_client *)conn);
}

static int c2s_on_eof(struct conn *conn)
{
	struct c2s_client *c = (struct c2s_client *)conn;
	log_debug("%s: connection closed by the client", c->xs.peer);
	c2s_free(c);
	return -1;
}

static void c2s_on_close(struct conn *conn, int error)
{
	struct c2s_client *c = (struct c2s_client *)conn;
	if (error && error != ECONNRESET && error != EPIPE)
		log_info("%s: %s", c->xs.peer, strerror(error));
	c2s_free(c);
}

static const struct conn_ops c2s_conn_ops = {
	.on_read = c2s_on_read,
	.on_eof = c2s_on_eof,
	.on_drain = c2s_on_drain,
	.on_close = c2s_on_close,
};

static void c2s_expire(struct deadline_list *l, struct deadline_entry *e)
{
	struct c2s_client *c;
	if (l == &c2s_idle_list)
		c = (struct c2s_client *)((char *)e -
					  offsetof(struct c2s_client, idle));
	else
		c = (struct c2s_client *)((char *)e -
					  offsetof(struct c2s_client, auth));
	log_info("%s: %s timeout", c->xs.peer,
		 l == &c2s_idle_list ? "idle" : "authentication");
	xstream_fail(&c->xs, "connection-timeout", NULL);
	c2s_settle(c);
}

static int c2s_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return ss->ss_family == AF_UNIX;
}

static void c2s_start_client(struct ev_loop *loop, int fd,
			     const struct sockaddr_storage *ss, socklen_t len)
{
	struct c2s_client *c = calloc(1, sizeof *c);
	char peer[XMPPD_PEER_MAX];
	sockaddr_format(ss, len, peer, sizeof peer);
	int secure = c2s_is_loopback(ss) || xmppd_config.allow_plaintext;
	if (!c || xstream_init(&c->xs, &c2s_transport, c, peer, secure,
			       c2s_tls_ctx != NULL) < 0) {
		log_warn("out of memory, dropping %s", peer);
		free(c);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	conn_init(&c->conn, loop, fd, &c2s_conn_ops, c, C2S_IN_LIMIT,
		  XMPPD_OUT_LIMIT, XMPPD_OUT_HIGH);
	c->tokens = C2S_READ_BURST;
	c->refilled = ev_now(loop);
	ev_timer_init(&c->throttle, c2s_unthrottle, 0, 0);
	c->next = c2s_clients;
	if (c2s_clients)
		c2s_clients->prev = c;
	c2s_clients = c;
	c2s_count++;
	deadline_touch(&c2s_idle_list, &c->idle);
	deadline_touch(&c2s_auth_list, &c->auth);
	log_debug("%s: connected", peer);
}

static void c2s_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	for (int i = 0; i < C2S_ACCEPTS_PER_WAKEUP; i++) {
		struct sockaddr_storage ss;
		unsigned len = sizeof ss;
		int fd = listen_accept(w->fd, &ss, &len);
		if (fd < 0)
			return;
		if (c2s_count >= (size_t)xmppd_config.max_connections) {
			log_warn("connection limit (%ld) reached, refusing one",
				 xmppd_config.max_connections);
			close(fd);
			continue;
		}
		c2s_start_client(loop, fd, &ss, len);
	}
}

int c2s_start(struct ev_loop *loop, int index)
{
	(void)index;
	c2s_loop = loop;
	ev_prepare_init(&c2s_reaper, c2s_reap);
	deadline_list_init(&c2s_idle_list, loop,
			   (ev_tstamp)xmppd_config.idle_timeout, c2s_expire);
	deadline_list_init(&c2s_auth_list, loop,
			   (ev_tstamp)xmppd_config.auth_timeout, c2s_expire);
	ev_io_init(&c2s_watcher, c2s_on_accept, c2s_fd, EV_READ);
	ev_io_start(loop, &c2s_watcher);
	return 0;
}

/* Reads and routes what c has already sent; 0, or -1 if c is gone. */
static int c2s_read_last(struct c2s_client *c)
{
	for (int i = 0; i < XMPPD_LAST_READS; i++) {
		if (c->closing || c->conn.closed || c->conn.paused)
			return 0;
		if (conn_read_now(&c->conn) < 0)
			return -1;
	}
	return 0;
}

void c2s_stop(struct ev_loop *loop)
{
	ev_io_stop(loop, &c2s_watcher);
	close(c2s_fd);
	struct c2s_client *c = c2s_clients, *next;
	for (; c; c = next) {
		next = c->next;
		/* what it sent until now is routed (stored offline if its
		   peer has gone already), not dropped with the connection */
		if (c2s_read_last(c) < 0)
			continue;
		xstream_fail(&c->xs, "system-shutdown", NULL);
		c2s_settle(c);
	}
}
