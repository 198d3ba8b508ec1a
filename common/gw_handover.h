/* gw_handover.h: a gateway's (boshd's, pollgw's) side of a planned
 * restart without loss, once for both (PROTOCOL.md 8.7 and 9.7,
 * common/HANDOVER.md). With a state directory:
 *  - at start, gw_handover_restore reads <dir>/<role>.handover if the
 *    previous process left one: the instance tag, the token, and one
 *    record per session, each restored by the daemon; the streams are
 *    asked for (STREAM_ADOPT) once the router has said HELLO
 *    (gw_handover_router_up), and only from a router that speaks 1.4;
 *  - at SIGTERM, gw_handover_stop runs common/gw_stop.c: http-filed is
 *    drained, held requests answered, the router keeps the streams, and
 *    the sessions are written; they are freed only once the file is
 *    whole on disk; if it cannot be written they end (system-shutdown)
 *    and the router routes what they held elsewhere.
 * The state directory is locked (flock on <dir>/<role>.lock) for the
 * life of the process: two instances cannot share one by mistake. */
#ifndef PARLEY_GW_HANDOVER_H
#define PARLEY_GW_HANDOVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define GW_HANDOVER_ROUTER_WAIT 5.0

struct handover_reader;

struct gw_handover_ops {
	const char *role;			/* "boshd", "pollgw" */
	const char *(*instance)(void);		/* the current tag */
	int (*take_instance)(const char *tag);	/* 0, or -1 if bad */
	size_t (*count)(void);			/* sessions now */
	void (*release_all)(void);		/* answer held requests */
	/* Appends every session that can move to b (a "session" record
	   each) and ends the others; frees nothing. How many it wrote. */
	size_t (*save_all)(struct buf *b);
	void (*forget_all)(void); /* frees every session without a word */
	void (*end_all)(void);	  /* ends every session: system-shutdown */
	/* Restores the session whose "session" field (channel) r has just
	   read, reading up to its "end" field even when the record is
	   refused. 1 restored, 0 refused (logged), -1 if r is malformed. */
	int (*restore)(struct handover_reader *r, uint32_t channel);
	/* Sends STREAM_ADOPT for every session restored (token), or, with
	   token NULL, ends them (no router can give their streams back). */
	void (*adopt_all)(const char *token);
};

/* At configuration: locks dir (NULL: no hand-over). 0, or an exit code
   after logging (the directory is in use by another process, or not
   writable). */
int gw_handover_setup(const char *dir, const struct gw_handover_ops *ops);
/* At start, before the router connection is started. */
void gw_handover_restore(void);
/* Calls open_front (which starts taking http-filed's requests) now if no
   session was taken over; else once their streams have been asked for
   (STREAM_ADOPT goes before any request can send data on them), or after
   GW_HANDOVER_ROUTER_WAIT seconds without the router (the sessions then
   end). Meanwhile http-filed holds the requests (--backend-wait). */
void gw_handover_open_front(struct ev_loop *loop, void (*open_front)(void));
/* The router said HELLO with this minor version: adopt (once). */
void gw_handover_router_up(unsigned minor);
/* From worker_stop. */
void gw_handover_stop(struct ev_loop *loop);

#endif
