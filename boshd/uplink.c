/* uplink.c: boshd's connection to xmpp-routerd's gateway socket
 * (PROTOCOL.md 9). One framed connection carries every session's virtual
 * stream, one channel each. If it drops, every session ends with
 * remote-connection-failed and boshd reconnects with backoff, so that new
 * sessions work again as soon as the router is back. */
#include <errno.h>
#include <stddef.h>

#include "boshd.h"
#include "daemon.h"
#include "fconn.h"
#include "listen.h"
#include "log.h"

#define UPLINK_RETRY_MIN 0.05
#define UPLINK_RETRY_MAX 1.0

static struct fconn uplink_conn;
static int uplink_up;
static int uplink_warned;
static ev_timer uplink_retry;
static ev_tstamp uplink_backoff = UPLINK_RETRY_MIN;
static struct ev_loop *uplink_loop;

int uplink_is_up(void)
{
	return uplink_up;
}

int uplink_send(uint16_t type, uint32_t channel, const void *payload,
		size_t len)
{
	if (!uplink_up)
		return -1;
	return fconn_send(&uplink_conn, type, channel, payload, len);
}

static void uplink_schedule(void)
{
	if (daemon_is_stopping() || ev_is_active(&uplink_retry))
		return;
	ev_timer_set(&uplink_retry, uplink_backoff, 0);
	ev_timer_start(uplink_loop, &uplink_retry);
	uplink_backoff *= 2;
	if (uplink_backoff > UPLINK_RETRY_MAX)
		uplink_backoff = UPLINK_RETRY_MAX;
}

static void uplink_on_close(struct fconn *f, int error, const char *why)
{
	(void)error;
	log_warn("router connection lost: %s", why);
	fconn_close(f);
	uplink_up = 0;
	sessions_router_lost();
	uplink_schedule();
}

static int uplink_on_hello(struct fconn *f)
{
	log_info("connected to %s", f->peer_role);
	uplink_backoff = UPLINK_RETRY_MIN;
	uplink_warned = 0;
	return 0;
}

static int uplink_on_frame(struct fconn *f, const struct frame_header *h,
			   const unsigned char *payload)
{
	if (h->type == FRAME_STREAM_DATA) {
		sessions_from_router(h->channel, (const char *)payload,
				     h->length);
		return 0;
	}
	if (h->type == FRAME_STREAM_CLOSE) {
		sessions_router_closed(h->channel);
		return 0;
	}
	log_warn("router sent an unexpected %s frame",
		 frame_type_name(h->type));
	fconn_fail(f, "unexpected frame type");
	uplink_on_close(f, EPROTO, "protocol error");
	return -1;
}

static const struct fconn_ops uplink_ops = {
	.on_hello = uplink_on_hello,
	.on_frame = uplink_on_frame,
	.on_close = uplink_on_close,
};

static void uplink_connect(void)
{
	if (uplink_up || daemon_is_stopping())
		return;
	int fd = connect_unix(boshd_config.router);
	if (fd < 0) {
		if (!uplink_warned)
			log_warn("cannot connect to the router at %s: %m",
				 boshd_config.router);
		uplink_warned = 1;
		uplink_schedule();
		return;
	}
	fconn_init(&uplink_conn, uplink_loop, fd, &uplink_ops, NULL, "router",
		   "boshd", FRAME_MAX_PAYLOAD);
	uplink_up = 1;
}

static void uplink_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	uplink_connect();
}

void uplink_start(struct ev_loop *loop)
{
	uplink_loop = loop;
	ev_timer_init(&uplink_retry, uplink_on_retry, 0, 0);
	uplink_connect();
}

void uplink_stop(void)
{
	ev_timer_stop(uplink_loop, &uplink_retry);
	if (uplink_up)
		fconn_close(&uplink_conn);
	uplink_up = 0;
}
