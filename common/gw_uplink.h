/* gw_uplink.h: a gateway's connection to xmpp-routerd's gateway socket
 * (PROTOCOL.md 9), shared by boshd and pollgw.
 *
 * One framed connection carries every client's virtual stream, one channel
 * each. If it drops, on_lost tells the daemon (every session must end with
 * the transport's "remote connection failed") and it reconnects with
 * backoff (50 ms doubling to 1 s), so that new sessions work as soon as
 * the router is back. */
#ifndef PARLEY_GW_UPLINK_H
#define PARLEY_GW_UPLINK_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

struct gw_uplink_ops {
	/* STREAM_DATA from the router on channel. */
	void (*on_data)(uint32_t channel, const char *data, size_t len);
	/* STREAM_CLOSE from the router: that stream is over. */
	void (*on_close)(uint32_t channel);
	/* The connection is gone: every stream is over. */
	void (*on_lost)(void);
	/* The router said HELLO, with this protocol minor version (may be
	   NULL). */
	void (*on_up)(unsigned minor);
};

/* role: the HELLO role ("boshd", "pollgw"). */
/* path, role and ops are kept, not copied: they must live as long as the
   daemon. The callbacks may call gw_uplink_* themselves; on_lost is called
   after the connection is closed, so every send from it fails. */
void gw_uplink_start(struct ev_loop *loop, const char *path, const char *role,
		     const struct gw_uplink_ops *ops);
void gw_uplink_stop(void);
int gw_uplink_is_up(void);
/* "Up" from the moment a connect has been started, before the router's
   HELLO: frames sent then wait in the connection's queue; if the connect
   then fails, on_lost follows. */

/* Each 0, or -1 if the router cannot be reached. */
/* -1 also (errno EMSGSIZE) for a payload larger than FRAME_MAX_PAYLOAD,
   the connection staying up: the daemon should end that stream. */
/* STREAM_OPEN: transport "bosh" or "poll"; secure: PLAIN may be offered. */
int gw_uplink_open(uint32_t channel, const char *peer, const char *transport,
		   int secure);
int gw_uplink_data(uint32_t channel, const char *data, size_t len);
int gw_uplink_restart(uint32_t channel);
/* STREAM_CLOSE, with the stanzas the client never got (may be empty;
   logged and dropped if too large for a frame). */
int gw_uplink_close(uint32_t channel, const char *undelivered, size_t len);
/* STREAM_RETURN (PROTOCOL.md 9.6): data the router sent on a channel this
   gateway no longer knows (it closed the stream) goes back, so that the
   router delivers it elsewhere. Call it from on_data for unknown channels. */
int gw_uplink_return(uint32_t channel, const char *data, size_t len);


/* ---- hand-over to a successor on a planned stop (PROTOCOL.md 9.7) */

/* STREAM_HANDOVER with token: the router keeps this gateway's streams for
   a successor. done(1) when the router has said STREAM_HANDOVER_OK (it
   sends nothing more: the connection may be closed), done(0) if the
   connection is lost first. -1 if the router cannot be reached now or
   speaks a protocol older than 1.4. */
int gw_uplink_handover(const char *token, void (*done)(int ok));
/* STREAM_ADOPT: this process takes its predecessor's stream channel over;
   the router answers STREAM_CLOSE if it is gone. Send it before anything
   else on that channel. */
int gw_uplink_adopt(uint32_t channel, const char *token);
/* 1 if everything sent has been written to the socket (or it is down). */
int gw_uplink_is_flushed(void);

#endif
