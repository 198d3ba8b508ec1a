/* memtrim.c: malloc_trim after bursts of frees (memtrim.h). */
#include <malloc.h>

#include "log.h"
#include "memtrim.h"

static struct ev_loop *memtrim_loop;
static ev_timer memtrim_timer;
static size_t memtrim_pending;
static ev_tstamp memtrim_last;

static void memtrim_run(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	size_t noted = memtrim_pending;
	memtrim_pending = 0;
	memtrim_last = ev_now(loop);
	int released = malloc_trim(0);
	log_debug("memtrim: %zu bytes freed since the last trim%s", noted,
		  released ? ", pages returned" : "");
}

void memtrim_start(struct ev_loop *loop)
{
	memtrim_loop = loop;
	memtrim_pending = 0;
	memtrim_last = 0;
	ev_timer_init(&memtrim_timer, memtrim_run, 0, 0);
}

void memtrim_stop(void)
{
	if (memtrim_loop)
		ev_timer_stop(memtrim_loop, &memtrim_timer);
	memtrim_loop = NULL;
}

void memtrim_note(size_t bytes)
{
	if (!memtrim_loop)
		return;
	memtrim_pending += bytes;
	if (memtrim_pending < MEMTRIM_THRESHOLD ||
	    ev_is_active(&memtrim_timer))
		return;
	ev_tstamp now = ev_now(memtrim_loop);
	ev_tstamp at = memtrim_last + MEMTRIM_INTERVAL;
	ev_timer_set(&memtrim_timer, at > now + 1.0 ? at - now : 1.0, 0);
	ev_timer_start(memtrim_loop, &memtrim_timer);
}
