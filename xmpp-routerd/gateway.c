/* gateway.c: the unix socket where boshd and pollgw carry their clients'
 * XMPP streams (common/PROTOCOL.md, section 9).
 *
 * Each gateway connection (struct gateway) multiplexes virtual streams,
 * one per channel (struct vstream). A virtual stream is a struct xstream
 * like a TCP client's, with a transport that sends STREAM_DATA frames, so
 * SASL, binding, routing and limits are the same code. When a gateway
 * disconnects, all its streams end and their users go offline, unless it
 * announced a hand-over first (PROTOCOL.md 9.7): then its streams are kept
 * for --handover-grace seconds, what the router sends them is held, and
 * its successor adopts them one by one with the token. Streams
 * closed from inside another stream's processing are freed from an
 * ev_prepare watcher, never in the middle of someone else's work. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attr.h"
#include "daemon.h"
#include "fconn.h"
#include "listen.h"
#include "log.h"
#include "xmppd.h"

#define GATEWAY_BUCKETS 1024
#define GATEWAY_MAX_STREAMS 100000 /* per gateway connection */
#define GATEWAY_NAME_MAX 48
#define GATEWAY_TOMBS 1024	   /* closed streams remembered (9.6) */
#define GATEWAY_TOMB_SECONDS 60.0 /* for this long */
#define GATEWAY_HELD_MAX (1024u * 1024) /* held for a detached stream */
#define GATEWAY_HELD_TOTAL_MAX (256u * 1024 * 1024) /* for all of them */
#define GATEWAY_TOKEN_MAX 64

struct gateway;

struct vstream {
	struct xstream xs;
	struct gateway *gw;
	uint32_t channel;
	struct vstream *next;	   /* in its bucket */
	struct vstream *reap_next; /* on the reap list */
	struct buf held;	   /* sent while its gateway hands over */
	unsigned closing : 1;
	unsigned on_reap : 1;
};

/* A stream the gateway closed while bound: what it returns for the
   channel (STREAM_RETURN, PROTOCOL.md 9.6) is the user's. */
struct gateway_tomb {
	uint32_t channel;
	ev_tstamp at;
	char *user; /* malloc; NULL: a free slot */
};

struct gateway {
	struct fconn f; /* first member */
	struct gateway *prev, *next;
	struct vstream *buckets[GATEWAY_BUCKETS];
	size_t nstreams;
	struct gateway_tomb tombs[GATEWAY_TOMBS]; /* a ring */
	size_t next_tomb;
	char name[GATEWAY_NAME_MAX];
	/* Hand-over (9.7): set by STREAM_HANDOVER; from then on what the
	   router sends its streams is held until a successor adopts them. */
	char token[GATEWAY_TOKEN_MAX + 1];
	int detached;
	ev_timer grace; /* runs once the connection is gone */
};

static int gateway_fd = -1;
static ev_io gateway_watcher;
static struct ev_loop *gateway_loop;
static struct gateway *gateways;
static struct vstream *gateway_reap_list;
static size_t gateway_held_total; /* bytes held for every detached stream */
static ev_prepare gateway_reaper;

static const char gateway_header[] =
	"<stream:stream xmlns='jabber:client' "
	"xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='";

static struct vstream **gateway_slot(struct gateway *gw, uint32_t channel)
{
	struct vstream **p = &gw->buckets[channel % GATEWAY_BUCKETS];
	while (*p && (*p)->channel != channel)
		p = &(*p)->next;
	return p;
}

/* Ends a stream now: its session ends; the struct is freed. */
static void vstream_free(struct vstream *v)
{
	if (v->on_reap) {
		struct vstream **p = &gateway_reap_list;
		while (*p && *p != v)
			p = &(*p)->reap_next;
		if (*p)
			*p = v->reap_next;
	}
	struct vstream **slot = gateway_slot(v->gw, v->channel);
	if (*slot == v)
		*slot = v->next;
	v->gw->nstreams--;
	char user[JID_PART_MAX + 1] = "";
	if (v->held.len && v->xs.session && v->xs.user)
		snprintf(user, sizeof user, "%s", v->xs.user);
	xstream_gone(&v->xs);
	/* what was held for a successor that never came goes elsewhere */
	if (user[0])
		redeliver_stanzas(user, buf_head(&v->held), v->held.len);
	gateway_held_total -= v->held.len;
	buf_free(&v->held);
	free(v);
}

static void vstream_close(struct xstream *xs);

/* Holds what the router sends a stream whose gateway is handing over.
   Past the stream's or everyone's limit the stream ends, keeping this
   last piece too (one stanza at most past the limit), and all it held is
   routed again when it goes (vstream_free). */
static int vstream_hold(struct vstream *v, const char *data, size_t len)
{
	if (v->closing)
		return -1;
	if (v->held.len + len > v->held.limit ||
	    gateway_held_total + len > GATEWAY_HELD_TOTAL_MAX) {
		log_warn("%s: stream %u: too much held for the successor: "
			 "ending it",
			 v->gw->name, v->channel);
		v->held.limit = v->held.len + len;
		if (buf_append(&v->held, data, len) == 0)
			gateway_held_total += len;
		vstream_close(&v->xs); /* reaped: the session ends there */
		return -1;
	}
	if (buf_append(&v->held, data, len) < 0)
		return -1;
	gateway_held_total += len;
	return 0;
}

static int vstream_send(struct xstream *xs, const char *data, size_t len)
{
	struct vstream *v = xs->owner;
	if (v->gw->detached)
		return vstream_hold(v, data, len);
	if (!v->gw->f.conn.closed && fconn_send(&v->gw->f, FRAME_STREAM_DATA,
						v->channel, data, len) == 0)
		return 0;
	return -1;
}

static void vstream_close(struct xstream *xs)
{
	struct vstream *v = xs->owner;
	if (v->closing)
		return;
	v->closing = 1;
	if (!v->gw->detached && !v->gw->f.conn.closed) {
		struct buf b;
		buf_init(&b, 256);
		if (xs->condition)
			attr_append_str(&b, ATTR_CONDITION, xs->condition);
		fconn_send(&v->gw->f, FRAME_STREAM_CLOSE, v->channel,
			   buf_head(&b), b.len);
		buf_free(&b);
	}
	v->on_reap = 1;
	v->reap_next = gateway_reap_list;
	gateway_reap_list = v;
	ev_prepare_start(gateway_loop, &gateway_reaper);
}

static const struct xstream_transport vstream_bosh = {
	.name = "bosh", .send = vstream_send, .close = vstream_close};
static const struct xstream_transport vstream_poll = {
	.name = "poll", .send = vstream_send, .close = vstream_close};

static void gateway_reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	while (gateway_reap_list)
		vstream_free(gateway_reap_list);
	ev_prepare_stop(loop, w);
}

/* Feeds the stream the header a client would have sent. */
static void vstream_begin(struct vstream *v)
{
	struct buf b;
	buf_init(&b, 4096);
	buf_append_str(&b, gateway_header);
	xml_escape_attr(&b, xmppd_config.domain, strlen(xmppd_config.domain));
	buf_append_str(&b, "'>");
	xstream_feed(&v->xs, buf_head(&b), b.len);
	buf_free(&b);
}

static int gateway_open(struct gateway *gw, uint32_t channel,
			const unsigned char *payload, size_t len)
{
	char peer[XMPPD_PEER_MAX] = "?";
	const struct xstream_transport *t = &vstream_bosh;
	uint32_t secure = 0;
	struct attr_iter it;
	struct attr a;
	int rc;
	attr_iter_init(&it, payload, len);
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_PEER && a.len < sizeof peer) {
			memcpy(peer, a.value, a.len);
			peer[a.len] = '\0';
		} else if (a.key == ATTR_TRANSPORT && a.len == 4 &&
			   memcmp(a.value, "poll", 4) == 0) {
			t = &vstream_poll;
		} else if (a.key == ATTR_SECURE) {
			attr_get_u32(&a, &secure);
		}
	}
	if (rc < 0 || channel == 0 || *gateway_slot(gw, channel) ||
	    gw->nstreams >= GATEWAY_MAX_STREAMS) {
		log_warn("%s: bad STREAM_OPEN on channel %u", gw->name,
			 channel);
		return -1;
	}
	struct vstream *v = calloc(1, sizeof *v);
	if (!v || xstream_init(&v->xs, t, v, peer, secure != 0, 0) < 0) {
		free(v);
		fconn_send(&gw->f, FRAME_STREAM_CLOSE, channel, NULL, 0);
		return 0;
	}
	v->gw = gw;
	v->channel = channel;
	buf_init(&v->held, GATEWAY_HELD_MAX);
	*gateway_slot(gw, channel) = v;
	gw->nstreams++;
	vstream_begin(v);
	return 0;
}

/* Remembers that the gateway closed channel, bound to user ("" if it was
   not bound: nothing to remember). */
static void gateway_bury(struct gateway *gw, uint32_t channel,
			 const char *user)
{
	if (!user[0])
		return;
	struct gateway_tomb *t = &gw->tombs[gw->next_tomb];
	gw->next_tomb = (gw->next_tomb + 1) % GATEWAY_TOMBS;
	free(t->user);
	t->user = strdup(user); /* NULL (no memory): not remembered */
	t->channel = channel;
	t->at = ev_now(gateway_loop);
}

/* The gateway's client is gone: the session ends, then what the gateway
   could not hand to the client is routed again (PROTOCOL.md 9.5). */
static void vstream_closed_by_gateway(struct vstream *v,
				      const unsigned char *payload, size_t len)
{
	const unsigned char *undelivered = NULL;
	size_t n = 0;
	struct attr_iter it;
	struct attr a;
	attr_iter_init(&it, payload, len);
	while (attr_next(&it, &a) == 1)
		if (a.key == ATTR_UNDELIVERED) {
			undelivered = a.value;
			n = a.len;
		}
	char user[JID_PART_MAX + 1] = "";
	if (v->xs.session && v->xs.user)
		snprintf(user, sizeof user, "%s", v->xs.user);
	gateway_bury(v->gw, v->channel, user);
	v->closing = 1;
	vstream_free(v);
	if (n && user[0])
		redeliver_stanzas(user, (const char *)undelivered, n);
}

/* STREAM_RETURN: data the router sent after the gateway closed the
   stream goes to the stream's user as undelivered stanzas. */
static void gateway_on_return(struct gateway *gw, uint32_t channel,
			      const unsigned char *payload, size_t len)
{
	ev_tstamp now = ev_now(gateway_loop);
	for (size_t i = 0; i < GATEWAY_TOMBS; i++) {
		struct gateway_tomb *t = &gw->tombs[i];
		if (t->user && t->channel == channel &&
		    now - t->at <= GATEWAY_TOMB_SECONDS) {
			redeliver_stanzas(t->user, (const char *)payload, len);
			return;
		}
	}
	log_warn("%s: %zu bytes returned for stream %u, which is not "
		 "remembered: dropped",
		 gw->name, len, channel);
}

static void gateway_on_stream_frame(struct gateway *gw,
				    const struct frame_header *h,
				    const unsigned char *payload)
{
	struct vstream *v = *gateway_slot(gw, h->channel);
	if (!v || v->closing)
		return; /* a stream that just ended: drop */
	switch (h->type) {
	case FRAME_STREAM_DATA:
		xstream_feed(&v->xs, (const char *)payload, h->length);
		break;
	case FRAME_STREAM_RESTART:
		if (v->xs.state != XS_HEADER) {
			xstream_fail(&v->xs, "not-authorized",
				     "unexpected restart");
			break;
		}
		vstream_begin(v);
		break;
	case FRAME_STREAM_CLOSE:
		log_debug("%s: stream %u closed by the gateway", gw->name,
			  h->channel);
		vstream_closed_by_gateway(v, payload, h->length);
		break;
	}
}

static void gateway_free(struct gateway *gw)
{
	ev_timer_stop(gateway_loop, &gw->grace);
	for (size_t i = 0; i < GATEWAY_TOMBS; i++)
		free(gw->tombs[i].user);
	for (size_t i = 0; i < GATEWAY_BUCKETS; i++)
		while (gw->buckets[i]) {
			gw->buckets[i]->closing = 1;
			vstream_free(gw->buckets[i]);
		}
	if (gw->prev)
		gw->prev->next = gw->next;
	else
		gateways = gw->next;
	if (gw->next)
		gw->next->prev = gw->prev;
	fconn_close(&gw->f);
	free(gw);
}

/* ---- hand-over to a successor (PROTOCOL.md 9.7) */

/* STREAM_HANDOVER: the gateway is leaving on purpose; its streams wait
   for a successor that names the token. */
static int gateway_on_handover(struct gateway *gw, const unsigned char *p,
			       size_t len)
{
	if (len == 0 || len > GATEWAY_TOKEN_MAX || memchr(p, '\0', len) ||
	    gw->detached)
		return -1;
	memcpy(gw->token, p, len);
	gw->token[len] = '\0';
	gw->detached = 1;
	/* the grace runs from now, whether or not the gateway closes */
	ev_timer_set(&gw->grace, (double)xmppd_config.handover_grace, 0);
	ev_timer_start(gateway_loop, &gw->grace);
	log_info("%s: hands its %zu streams over", gw->name, gw->nstreams);
	fconn_send(&gw->f, FRAME_STREAM_HANDOVER_OK, 0, NULL, 0);
	return 0;
}

static struct gateway *gateway_find_detached(const unsigned char *token,
					     size_t len)
{
	for (struct gateway *gw = gateways; gw; gw = gw->next)
		if (gw->detached && strlen(gw->token) == len &&
		    memcmp(gw->token, token, len) == 0)
			return gw;
	return NULL;
}

/* Sends a stream's held data to its new gateway, in frames no larger
   than the peer accepts. */
static void vstream_flush_held(struct vstream *v)
{
	while (v->held.len) {
		size_t n = v->held.len;
		if (n > FRAME_MAX_PAYLOAD)
			n = FRAME_MAX_PAYLOAD;
		if (fconn_send(&v->gw->f, FRAME_STREAM_DATA, v->channel,
			       buf_head(&v->held), n) < 0)
			return; /* the rest is redelivered when v goes */
		buf_consume(&v->held, n);
		gateway_held_total -= n;
	}
	buf_free(&v->held);
	buf_init(&v->held, GATEWAY_HELD_MAX);
}

/* The departed gateway has nothing left to hand over: it goes, from
   its timer, never in the middle of another gateway's frame (the caller
   may be walking the gateway list). */
static void gateway_check_empty(struct gateway *old)
{
	if (old->detached && old->nstreams == 0 && old->f.conn.closed) {
		ev_timer_stop(gateway_loop, &old->grace);
		ev_timer_set(&old->grace, 0, 0);
		ev_timer_start(gateway_loop, &old->grace);
	}
}

/* STREAM_ADOPT: gw takes channel over from the departed gateway that
   holds the token; if there is none, or it has no such stream, the
   stream is over (STREAM_CLOSE). */
static void gateway_on_adopt(struct gateway *gw, uint32_t channel,
			     const unsigned char *token, size_t len)
{
	struct gateway *old = gateway_find_detached(token, len);
	struct vstream *v = old ? *gateway_slot(old, channel) : NULL;
	if (!v || v->closing || old == gw || *gateway_slot(gw, channel) ||
	    gw->nstreams >= GATEWAY_MAX_STREAMS) {
		log_info("%s: stream %u cannot be adopted: ended", gw->name,
			 channel);
		fconn_send(&gw->f, FRAME_STREAM_CLOSE, channel, NULL, 0);
		return;
	}
	*gateway_slot(old, channel) = v->next;
	old->nstreams--;
	v->next = NULL;
	v->gw = gw;
	*gateway_slot(gw, channel) = v;
	gw->nstreams++;
	vstream_flush_held(v);
	gateway_check_empty(old);
}

static void gateway_on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct gateway *gw = w->data;
	if (gw->nstreams == 0)
		log_info("%s: every stream adopted", gw->name);
	else
		log_warn("%s: %zu streams not adopted within %ld s: ending "
			 "them",
			 gw->name, gw->nstreams, xmppd_config.handover_grace);
	gateway_free(gw);
}

static int gateway_on_frame(struct fconn *f, const struct frame_header *h,
			    const unsigned char *payload)
{
	struct gateway *gw = (struct gateway *)f;
	if (h->type == FRAME_STREAM_OPEN) {
		if (gateway_open(gw, h->channel, payload, h->length) == 0)
			return 0;
	} else if (h->type == FRAME_STREAM_RETURN) {
		gateway_on_return(gw, h->channel, payload, h->length);
		return 0;
	} else if (h->type == FRAME_STREAM_ADOPT) {
		gateway_on_adopt(gw, h->channel, payload, h->length);
		return 0;
	} else if (h->type == FRAME_STREAM_HANDOVER && h->channel == 0) {
		if (gateway_on_handover(gw, payload, h->length) == 0)
			return 0;
		log_warn("%s: bad STREAM_HANDOVER", gw->name);
	} else if (h->type >= FRAME_STREAM_DATA &&
		   h->type <= FRAME_STREAM_CLOSE) {
		gateway_on_stream_frame(gw, h, payload);
		return 0;
	} else {
		log_warn("%s: unexpected %s frame", gw->name,
			 frame_type_name(h->type));
	}
	fconn_fail(f, "protocol error");
	gateway_free(gw);
	return -1;
}

static void gateway_on_close(struct fconn *f, int error, const char *why)
{
	struct gateway *gw = (struct gateway *)f;
	(void)error;
	if (gw->detached && gw->nstreams > 0) {
		log_info("%s: gone (%s), keeping its %zu streams for %ld s",
			 gw->name, why, gw->nstreams,
			 xmppd_config.handover_grace);
		fconn_close(f);
		return; /* the grace timer runs since STREAM_HANDOVER */
	}
	log_info("%s: gone (%s), ending its %zu streams", gw->name, why,
		 gw->nstreams);
	gateway_free(gw);
}

static int gateway_on_hello(struct fconn *f)
{
	struct gateway *gw = (struct gateway *)f;
	char name[GATEWAY_NAME_MAX];
	snprintf(name, sizeof name, "gateway %s", f->peer_role);
	memcpy(gw->name, name, sizeof name);
	log_info("%s: connected", gw->name);
	return 0;
}

static const struct fconn_ops gateway_fconn_ops = {
	.on_hello = gateway_on_hello,
	.on_frame = gateway_on_frame,
	.on_close = gateway_on_close,
};

static void gateway_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = listen_accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	struct gateway *gw = calloc(1, sizeof *gw);
	if (!gw) {
		close(fd);
		return;
	}
	snprintf(gw->name, sizeof gw->name, "gateway fd %d", fd);
	ev_timer_init(&gw->grace, gateway_on_grace, 0, 0);
	gw->grace.data = gw;
	gw->next = gateways;
	if (gateways)
		gateways->prev = gw;
	gateways = gw;
	fconn_init(&gw->f, loop, fd, &gateway_fconn_ops, gw, gw->name,
		   "xmpp-routerd", FRAME_MAX_PAYLOAD);
}

/* The gateway socket given as a listening fd (s6-fdholder-retrieve and
   fdmove), instead of a path to bind. */
static int gateway_take_fd(int fd)
{
	if (!listen_fd_is_listening(fd) || fd_set_nonblocking(fd) < 0) {
		log_error("--gateway-fd %d is not a listening socket", fd);
		return DAEMON_EXIT_USAGE;
	}
	gateway_fd = fd;
	log_info("gateways connect to the socket given as fd %d", fd);
	return 0;
}

int gateway_setup(void)
{
	if (xmppd_config.gateway_fd >= 0)
		return gateway_take_fd((int)xmppd_config.gateway_fd);
	if (!xmppd_config.gateway_socket)
		return 0;
	gateway_fd = listen_unix(xmppd_config.gateway_socket, 0600);
	if (gateway_fd < 0) {
		log_error("gateway socket %s: %m", xmppd_config.gateway_socket);
		return DAEMON_EXIT_USAGE;
	}
	log_info("gateways connect to %s", xmppd_config.gateway_socket);
	return 0;
}

void gateway_start(struct ev_loop *loop)
{
	gateway_loop = loop;
	ev_prepare_init(&gateway_reaper, gateway_reap);
	if (gateway_fd < 0)
		return;
	ev_io_init(&gateway_watcher, gateway_on_accept, gateway_fd, EV_READ);
	ev_io_start(loop, &gateway_watcher);
}

/* Reads and routes what gw has already sent; 0, or -1 if gw is gone. */
static int gateway_read_last(struct gateway *gw)
{
	for (int i = 0; i < XMPPD_LAST_READS; i++) {
		if (gw->f.conn.closed || gw->f.conn.paused)
			return 0;
		if (conn_read_now(&gw->f.conn) < 0)
			return -1;
	}
	return 0;
}

void gateway_stop(struct ev_loop *loop)
{
	if (gateway_fd >= 0) {
		ev_io_stop(loop, &gateway_watcher);
		close(gateway_fd);
		gateway_fd = -1;
	}
	for (struct gateway *gw = gateways, *next; gw; gw = next) {
		next = gw->next;
		if (gateway_read_last(gw) < 0)
			continue;
		for (size_t i = 0; i < GATEWAY_BUCKETS; i++)
			for (struct vstream *v = gw->buckets[i]; v; v = v->next)
				xstream_fail(&v->xs, "system-shutdown", NULL);
	}
	while (gateways)
		gateway_free(gateways);
}
