/* gw_stop.c: a gateway's stop, with or without hand-over (gw_stop.h).
 * One repeating timer walks the phases; each phase ends when its
 * condition holds or its time is up. */
#include "gw_front.h"
#include "gw_stop.h"
#include "gw_uplink.h"
#include "handover.h"
#include "log.h"

#define GW_STOP_TICK 0.01

enum gw_stop_phase {
	GW_STOP_DRAINING,  /* waiting for HTTP_DRAINED from every http-filed */
	GW_STOP_HANDING,   /* waiting for STREAM_HANDOVER_OK */
	GW_STOP_FLUSHING,  /* waiting for the last bytes to go */
};

static struct ev_loop *gw_stop_loop;
static const struct gw_stop_ops *gw_stop_ops;
static enum gw_stop_phase gw_stop_phase;
static ev_tstamp gw_stop_since;
static ev_timer gw_stop_timer;
static char gw_stop_token[HANDOVER_TOKEN_LEN + 1];

static void gw_stop_enter(enum gw_stop_phase phase)
{
	gw_stop_phase = phase;
	gw_stop_since = ev_now(gw_stop_loop);
}

static void gw_stop_finish(void)
{
	gw_front_close_all();
	gw_uplink_stop();
	ev_timer_stop(gw_stop_loop, &gw_stop_timer);
}

static void gw_stop_handed(int ok)
{
	if (gw_stop_phase != GW_STOP_HANDING)
		return;
	if (!ok) {
		log_warn("stop: the router could not keep the streams: "
			 "ending every session");
		gw_stop_ops->end_all();
	} else if (gw_stop_ops->save(gw_stop_token) == 0) {
		gw_front_bounce(); /* a late request is for the successor */
	}
	gw_stop_enter(GW_STOP_FLUSHING);
}

/* http-filed sends nothing new: every request it sent is answered; the
   router is asked to keep the streams. */
static void gw_stop_hand_over(void)
{
	gw_stop_ops->release();
	gw_stop_enter(GW_STOP_HANDING);
	if (handover_token_make(gw_stop_token) < 0 ||
	    gw_uplink_handover(gw_stop_token, gw_stop_handed) < 0)
		gw_stop_handed(0);
}

static void gw_stop_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	ev_tstamp waited = ev_now(gw_stop_loop) - gw_stop_since;
	switch (gw_stop_phase) {
	case GW_STOP_DRAINING:
		if (gw_front_drained() || waited > GW_STOP_DRAIN_MAX)
			gw_stop_hand_over();
		break;
	case GW_STOP_HANDING:
		if (waited > GW_STOP_HANDOVER_MAX)
			gw_stop_handed(0);
		break;
	case GW_STOP_FLUSHING:
		if ((gw_front_flushed() && gw_uplink_is_flushed()) ||
		    waited > GW_STOP_FLUSH_MAX)
			gw_stop_finish();
		break;
	}
}

void gw_stop_begin(struct ev_loop *loop, const struct gw_stop_ops *ops,
		   int handover)
{
	gw_stop_loop = loop;
	gw_stop_ops = ops;
	gw_front_stop(loop);
	ev_timer_init(&gw_stop_timer, gw_stop_tick, GW_STOP_TICK,
		      GW_STOP_TICK);
	if (!handover || !gw_uplink_is_up()) {
		ops->end_all();
		gw_stop_enter(GW_STOP_FLUSHING);
	} else {
		log_info("stop: handing the sessions over");
		gw_front_drain();
		ops->release();
		gw_stop_enter(GW_STOP_DRAINING);
	}
	ev_timer_start(loop, &gw_stop_timer);
}
