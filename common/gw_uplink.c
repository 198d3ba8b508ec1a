/* gw_uplink.c: a gateway's connection to xmpp-routerd's gateway socket
 * (PROTOCOL.md 9), shared by boshd and pollgw (see gw_uplink.h). One
 * framed connection, one channel per client stream; the STREAM_* frames
 * are built here so that the gateways only speak of channels. While it is
 * down every send fails, and a timer retries with backoff (50 ms doubling
 * to 1 s, back to 50 ms once the router has said HELLO). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "attr.h"
#include "daemon.h"
#include "fconn.h"
#include "gw_uplink.h"
#include "listen.h"
#include "log.h"

#define GW_UPLINK_RETRY_MIN 0.05
#define GW_UPLINK_RETRY_MAX 1.0

static struct fconn gw_uplink_conn;
static int gw_uplink_up; /* connected or connecting: frames may be sent */
static int gw_uplink_warned;
static ev_timer gw_uplink_retry;
static ev_tstamp gw_uplink_backoff = GW_UPLINK_RETRY_MIN;
static struct ev_loop *gw_uplink_loop;
/* Set by gw_uplink_start; the strings are the daemon's and outlive us. */
static const char *gw_uplink_path, *gw_uplink_role;
static const struct gw_uplink_ops *gw_uplink_ops;
static void (*gw_uplink_handover_done)(int ok); /* a hand-over awaits OK */

int gw_uplink_is_up(void)
{
	return gw_uplink_up;
}

static int gw_uplink_send(uint16_t type, uint32_t channel, const void *payload,
			  size_t len)
{
	if (!gw_uplink_up)
		return -1;
	return fconn_send(&gw_uplink_conn, type, channel, payload, len);
}

/* ---- the stream frames */

int gw_uplink_open(uint32_t channel, const char *peer, const char *transport,
		   int secure)
{
	struct buf p;
	buf_init(&p, 3 * ATTR_HEADER_SIZE + strlen(peer) + strlen(transport) +
			     sizeof(uint32_t));
	attr_append_str(&p, ATTR_PEER, peer);
	attr_append_str(&p, ATTR_TRANSPORT, transport);
	attr_append_u32(&p, ATTR_SECURE, (uint32_t)secure);
	int rc =
		gw_uplink_send(FRAME_STREAM_OPEN, channel, buf_head(&p), p.len);
	buf_free(&p);
	return rc;
}

int gw_uplink_data(uint32_t channel, const char *data, size_t len)
{
	return gw_uplink_send(FRAME_STREAM_DATA, channel, data, len);
}

int gw_uplink_restart(uint32_t channel)
{
	return gw_uplink_send(FRAME_STREAM_RESTART, channel, NULL, 0);
}

/* PROTOCOL.md 9.5: the stanzas the client never got go back to the
   router, unless they do not fit in a frame. */
int gw_uplink_close(uint32_t channel, const char *undelivered, size_t len)
{
	struct buf payload;
	buf_init(&payload, len + ATTR_HEADER_SIZE);
	if (len &&
	    (len + ATTR_HEADER_SIZE > FRAME_MAX_PAYLOAD ||
	     attr_append(&payload, ATTR_UNDELIVERED, undelivered, len) < 0))
		log_warn("stream %u: %zu undelivered bytes lost", channel, len);
	else if (len)
		log_info("stream %u: %zu undelivered bytes back to the router",
			 channel, len);
	int rc = gw_uplink_send(FRAME_STREAM_CLOSE, channel, buf_head(&payload),
				payload.len);
	buf_free(&payload);
	return rc;
}

int gw_uplink_return(uint32_t channel, const char *data, size_t len)
{
	/* a 1.2 router would take the type as a protocol error */
	if (!gw_uplink_is_up() || gw_uplink_conn.peer_minor < 3)
		return -1;
	log_debug("stream %u: %zu bytes for a closed stream back to the router",
		  channel, len);
	return gw_uplink_send(FRAME_STREAM_RETURN, channel, data, len);
}

int gw_uplink_handover(const char *token, void (*done)(int ok))
{
	if (!gw_uplink_up || !gw_uplink_conn.hello_done ||
	    gw_uplink_conn.peer_minor < 4)
		return -1;
	if (gw_uplink_send(FRAME_STREAM_HANDOVER, 0, token, strlen(token)) < 0)
		return -1;
	gw_uplink_handover_done = done;
	return 0;
}

int gw_uplink_adopt(uint32_t channel, const char *token)
{
	return gw_uplink_send(FRAME_STREAM_ADOPT, channel, token,
			      strlen(token));
}

int gw_uplink_is_flushed(void)
{
	return !gw_uplink_up || conn_is_flushed(&gw_uplink_conn.conn);
}

/* Tells the waiting stop how the hand-over went, once. */
static void gw_uplink_handover_over(int ok)
{
	void (*done)(int) = gw_uplink_handover_done;
	gw_uplink_handover_done = NULL;
	if (done)
		done(ok);
}

/* ---- the connection */

static void gw_uplink_schedule(void)
{
	if (daemon_is_stopping() || ev_is_active(&gw_uplink_retry))
		return;
	ev_timer_set(&gw_uplink_retry, gw_uplink_backoff, 0);
	ev_timer_start(gw_uplink_loop, &gw_uplink_retry);
	gw_uplink_backoff *= 2;
	if (gw_uplink_backoff > GW_UPLINK_RETRY_MAX)
		gw_uplink_backoff = GW_UPLINK_RETRY_MAX;
}

static void gw_uplink_on_close(struct fconn *f, int error, const char *why)
{
	(void)error;
	log_warn("router connection lost: %s", why);
	fconn_close(f);
	gw_uplink_up = 0;
	gw_uplink_ops->on_lost();
	gw_uplink_schedule();
	gw_uplink_handover_over(0);
}

static int gw_uplink_on_hello(struct fconn *f)
{
	log_info("connected to %s", f->peer_role);
	gw_uplink_backoff = GW_UPLINK_RETRY_MIN;
	gw_uplink_warned = 0;
	if (gw_uplink_ops->on_up)
		gw_uplink_ops->on_up(f->peer_minor);
	return 0;
}

static int gw_uplink_on_frame(struct fconn *f, const struct frame_header *h,
			      const unsigned char *payload)
{
	if (h->type == FRAME_STREAM_DATA) {
		gw_uplink_ops->on_data(h->channel, (const char *)payload,
				       h->length);
		return 0;
	}
	if (h->type == FRAME_STREAM_CLOSE) {
		gw_uplink_ops->on_close(h->channel);
		return 0;
	}
	if (h->type == FRAME_STREAM_HANDOVER_OK && gw_uplink_handover_done) {
		gw_uplink_handover_over(1);
		return 0;
	}
	log_warn("router sent an unexpected %s frame",
		 frame_type_name(h->type));
	fconn_fail(f, "unexpected frame type");
	gw_uplink_on_close(f, EPROTO, "protocol error");
	return -1;
}

static const struct fconn_ops gw_uplink_fconn_ops = {
	.on_hello = gw_uplink_on_hello,
	.on_frame = gw_uplink_on_frame,
	.on_close = gw_uplink_on_close,
};

static void gw_uplink_connect(void)
{
	if (gw_uplink_up || daemon_is_stopping())
		return;
	int fd = connect_unix(gw_uplink_path);
	if (fd < 0) {
		if (!gw_uplink_warned)
			log_warn("cannot connect to the router at %s: %m",
				 gw_uplink_path);
		gw_uplink_warned = 1;
		gw_uplink_schedule();
		return;
	}
	fconn_init(&gw_uplink_conn, gw_uplink_loop, fd, &gw_uplink_fconn_ops,
		   NULL, "router", gw_uplink_role, FRAME_MAX_PAYLOAD);
	gw_uplink_up = 1;
}

static void gw_uplink_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	gw_uplink_connect();
}

void gw_uplink_start(struct ev_loop *loop, const char *path, const char *role,
		     const struct gw_uplink_ops *ops)
{
	gw_uplink_loop = loop;
	gw_uplink_path = path;
	gw_uplink_role = role;
	gw_uplink_ops = ops;
	ev_timer_init(&gw_uplink_retry, gw_uplink_on_retry, 0, 0);
	gw_uplink_connect();
}

void gw_uplink_stop(void)
{
	ev_timer_stop(gw_uplink_loop, &gw_uplink_retry);
	if (gw_uplink_up)
		fconn_close(&gw_uplink_conn);
	gw_uplink_up = 0;
}
