/* gw_stop.h: a gateway's stop (boshd, pollgw), planned or not.
 *
 * With hand-over (the daemon has a state directory), nothing is lost on
 * a planned restart: http-filed is told to send nothing new (HTTP_DRAIN,
 * PROTOCOL.md 8.7) while every held request is answered, the router keeps
 * the streams (STREAM_HANDOVER, 9.7), the sessions are written for the
 * successor (HANDOVER.md), and only then do the connections close. Without
 * it, or if the router cannot keep the streams, every session ends
 * (system-shutdown) as before. Every wait is bounded. */
#ifndef PARLEY_GW_STOP_H
#define PARLEY_GW_STOP_H

#include <ev.h>

#define GW_STOP_DRAIN_MAX 2.0	 /* s for http-filed's HTTP_DRAINED */
#define GW_STOP_HANDOVER_MAX 3.0 /* s for the router's STREAM_HANDOVER_OK */
#define GW_STOP_FLUSH_MAX 2.0	 /* s for the last bytes to be written */

struct gw_stop_ops {
	/* Answers every request held, now (empty answers are fine). */
	void (*release)(void);
	/* Writes every session for the successor with the token, then
	   forgets them without a word to anyone; 0. If it cannot, it ends
	   them instead (they tell the router) and returns -1. */
	int (*save)(const char *token);
	/* Ends every session (system-shutdown). */
	void (*end_all)(void);
};

/* From the daemon's worker_stop. ops must outlive the loop. */
void gw_stop_begin(struct ev_loop *loop, const struct gw_stop_ops *ops,
		   int handover);

#endif
