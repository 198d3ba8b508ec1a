/* live.c: parley-load's live counters, for scripts that watch a run.
 *
 * With --stats-file PATH, the cumulative counters go to PATH as one JSON
 * object on one line: at the start, every LOAD_STATS_EVERY seconds, on
 * SIGUSR1 and at the very end. Each write goes to PATH.tmp, which is then
 * renamed over PATH, so a reader always sees one whole line, never half
 * of one. A script takes a snapshot before and after an event and
 * subtracts: the fault test does so around each restart and kill. The
 * object is flat (every value a number or a string), so that a shell can
 * read a field with sed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "log.h"

static void live_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	live_write(w->data);
}

void live_start(struct load *l)
{
	if (!l->cfg->stats_file)
		return;
	ev_timer_init(&l->stats_timer, live_tick, LOAD_STATS_EVERY,
		      LOAD_STATS_EVERY);
	l->stats_timer.data = l;
	ev_timer_start(l->loop, &l->stats_timer);
	live_write(l);
}

static void live_print(FILE *f, const struct load *l)
{
	const struct load_stats *st = &l->stats;
	unsigned long failed = 0;
	for (int k = 0; k < FAIL_KINDS; k++)
		failed += st->failed[k];
	fprintf(f,
		"{\"t\":%.3f,\"unix\":%.3f,\"phase\":\"%s\",\"users\":%ld,"
		"\"started\":%lu,\"online\":%lu,\"connected\":%lu,"
		"\"failed\":%lu,",
		ev_time() - l->t_begin, ev_time(), report_phase_name(l->phase),
		l->cfg->users, st->started, st->online, st->connected, failed);
	for (int k = 0; k < FAIL_KINDS; k++)
		fprintf(f, "\"failed_%s\":%lu,", fail_kind_name(k),
			st->failed[k]);
	fprintf(f,
		"\"sessions_lost\":%lu,\"relogin_attempts\":%lu,"
		"\"relogins\":%lu,\"refused\":%lu,\"resets\":%lu,"
		"\"http_5xx\":%lu,\"resent\":%lu,\"sent\":%lu,"
		"\"received\":%lu,\"duplicated\":%lu,\"unsent\":%lu,"
		"\"unsendable\":%lu,\"foreign\":%lu}\n",
		st->dropped, st->relogin_attempts, st->relogins, st->refused,
		st->resets, st->http_5xx, st->resent, st->sent, st->received,
		st->duplicated, st->unsent, st->unsendable, st->foreign);
}

void live_write(struct load *l)
{
	const char *path = l->cfg->stats_file;
	char tmp[4096];
	if (!path)
		return;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		log_warn("--stats-file: path too long");
		return;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		log_warn("%s: %s", tmp, strerror(errno));
		return;
	}
	live_print(f, l);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		log_warn("%s: %s", path, strerror(errno));
}
