/* run.c: the phases of a parley-load run, on one libev loop.
 *
 * RAMP: users start at --ramp per second; a progress line goes to stderr
 * every second; the ramp is over when every user is online or failed
 * (the login timeout bounds it), and --notify-fd then gets a newline.
 * RUN: --duration seconds (pairs: messages flow). GRACE (pairs only):
 * --grace seconds for messages in flight. CLOSE: every user closes
 * politely, for LOAD_CLOSE_SECONDS at most (no more relogins). SIGINT or
 * SIGTERM ends the phase at once: the run goes to GRACE (pairs) or CLOSE,
 * the others to CLOSE, CLOSE to the end; SIGUSR1 writes the live
 * counters. Then run_load returns and main prints the report. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "load.h"
#include "sasl.h"

#define RUN_RAMP_TICK 0.01
#define RUN_PROGRESS_EVERY 1.0

static void run_begin_close(struct load *l);

static void run_progress(const struct load *l, const char *what)
{
	unsigned long failed = 0;
	for (int k = 0; k < FAIL_KINDS; k++)
		failed += l->stats.failed[k];
	fprintf(stderr,
		"parley-load: %s: %lu/%ld online, %lu failed, %lu started, "
		"%.1f s\n",
		what, l->stats.online, l->cfg->users, failed, l->stats.started,
		ev_now(l->loop) - l->t_begin);
}

static void run_on_progress(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_progress(w->data, "ramp");
}

/* First logins started and neither online nor failed yet. */
static unsigned long run_logins_pending(const struct load *l)
{
	return l->stats.started - l->stats.connected - l->stats.login_failed;
}

/* Starts the users due by now at --ramp per second, holding back while
 * --max-pending logins are in flight (a server slower to log users in
 * than the ramp then sets the pace, instead of a backlog overflowing). */
static void run_ramp_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct load *l = w->data;
	size_t n = (size_t)l->cfg->users;
	unsigned long cap = (unsigned long)l->cfg->max_pending;
	double due = (ev_now(loop) - l->t_begin) * (double)l->cfg->ramp + 1;
	while (l->next_to_start < n && (double)l->next_to_start < due &&
	       (cap == 0 || run_logins_pending(l) < cap))
		user_start(&l->users[l->next_to_start++]);
	if (l->next_to_start == n) {
		ev_timer_stop(loop, w);
		run_login_settled(l); /* the last ones may all have failed */
	}
}

static void run_notify(struct load *l)
{
	if (l->cfg->notify_fd < 0)
		return;
	int fd = (int)l->cfg->notify_fd;
	if (write(fd, "\n", 1) != 1)
		perror("parley-load: notify-fd");
	close(fd);
}

static void run_on_phase_end(struct ev_loop *loop, ev_timer *w, int revents);

static void run_phase_timer(struct load *l, ev_tstamp after)
{
	ev_timer_stop(l->loop, &l->phase_timer);
	ev_timer_set(&l->phase_timer, after, 0);
	ev_timer_start(l->loop, &l->phase_timer);
}

static void run_begin_run(struct load *l)
{
	l->phase = PHASE_RUN;
	l->t_online = ev_now(l->loop);
	l->cpu_at_online = load_cpu_seconds();
	ev_timer_stop(l->loop, &l->progress_timer);
	run_progress(l, "ramp over");
	run_notify(l);
	scenario_start(l);
	run_phase_timer(l, (ev_tstamp)l->cfg->duration);
}

void run_login_settled(struct load *l)
{
	if (l->phase == PHASE_RAMP &&
	    l->next_to_start == (size_t)l->cfg->users &&
	    run_logins_pending(l) == 0)
		run_begin_run(l);
}

static void run_finish(struct load *l)
{
	l->phase = PHASE_DONE;
	ev_timer_stop(l->loop, &l->phase_timer);
	ev_break(l->loop, EVBREAK_ALL);
}

void run_close_settled(struct load *l)
{
	if (l->phase == PHASE_CLOSE && l->closing == 0)
		run_finish(l);
}

static void run_begin_close(struct load *l)
{
	if (l->phase >= PHASE_CLOSE)
		return;
	if (l->phase == PHASE_RAMP)
		l->t_online = ev_now(l->loop);
	ev_timer_stop(l->loop, &l->ramp_timer);
	ev_timer_stop(l->loop, &l->progress_timer);
	scenario_stop(l);
	relogin_stop(l);
	if (l->phase <= PHASE_RUN)
		l->t_run_end = ev_now(l->loop);
	l->stats.online_at_end = l->stats.online;
	l->phase = PHASE_CLOSE;
	run_phase_timer(l, LOAD_CLOSE_SECONDS);
	for (size_t i = 0; i < (size_t)l->cfg->users; i++)
		user_stop(&l->users[i]);
	run_close_settled(l);
}

/* Pairs: sending stops, messages in flight have --grace seconds. */
static void run_begin_grace(struct load *l)
{
	scenario_stop(l);
	l->t_run_end = ev_now(l->loop);
	l->phase = PHASE_GRACE;
	run_phase_timer(l, (ev_tstamp)l->cfg->grace);
}

static void run_on_phase_end(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct load *l = w->data;
	if (l->phase == PHASE_RUN && l->cfg->scenario == SCENARIO_PAIRS) {
		run_begin_grace(l);
	} else if (l->phase == PHASE_CLOSE) {
		run_finish(
			l); /* some did not finish closing: they are dropped */
	} else {
		run_begin_close(l);
	}
}

static void run_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	struct load *l = w->data;
	int grace = l->phase == PHASE_RUN && l->cfg->scenario == SCENARIO_PAIRS;
	fprintf(stderr, "parley-load: signal %d: %s\n", w->signum,
		grace ? "the grace time, then closing" : "closing");
	if (l->phase >= PHASE_CLOSE)
		run_finish(l);
	else if (grace)
		run_begin_grace(l);
	else
		run_begin_close(l);
}

/* SIGUSR1: the live counters now (--stats-file). */
static void run_on_usr1(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	live_write(w->data);
}

static void run_watchers(struct load *l)
{
	ev_timer_init(&l->ramp_timer, run_ramp_tick, 0, RUN_RAMP_TICK);
	ev_timer_init(&l->progress_timer, run_on_progress, RUN_PROGRESS_EVERY,
		      RUN_PROGRESS_EVERY);
	ev_timer_init(&l->phase_timer, run_on_phase_end, 0, 0);
	ev_signal_init(&l->sigint, run_on_signal, SIGINT);
	ev_signal_init(&l->sigterm, run_on_signal, SIGTERM);
	ev_signal_init(&l->sigusr1, run_on_usr1, SIGUSR1);
	l->ramp_timer.data = l->progress_timer.data = l->phase_timer.data = l;
	l->sigint.data = l->sigterm.data = l->sigusr1.data = l;
	ev_timer_start(l->loop, &l->ramp_timer);
	ev_timer_start(l->loop, &l->progress_timer);
	ev_signal_start(l->loop, &l->sigint);
	ev_signal_start(l->loop, &l->sigterm);
	ev_signal_start(l->loop, &l->sigusr1);
	live_start(l);
}

/* Frees what every user still holds (those that did not finish closing). */
static void run_release_all(struct load *l)
{
	for (size_t i = 0; i < (size_t)l->cfg->users; i++) {
		struct user *u = &l->users[i];
		if (u->conn)
			l->cfg->transport->drop(u);
		sasl_client_free(u->sasl);
		u->sasl = NULL;
		free(u->jid);
		u->jid = NULL;
	}
}

void run_load(struct load *l, const struct load_config *cfg)
{
	l->cfg = cfg;
	l->loop = ev_default_loop(EVFLAG_AUTO);
	if (!l->loop) {
		fprintf(stderr, "parley-load: cannot start libev\n");
		exit(111);
	}
	histo_init(&l->stats.latency);
	l->users = calloc((size_t)cfg->users, sizeof *l->users);
	if (!l->users || cfg->transport->init(l) < 0) {
		fprintf(stderr, "parley-load: out of memory\n");
		exit(111);
	}
	for (size_t i = 0; i < (size_t)cfg->users; i++)
		user_init(&l->users[i], l, (uint32_t)i);
	user_reaper_init(l);
	relogin_init(l);
	ev_now_update(l->loop);
	l->t_begin = ev_now(l->loop);
	run_watchers(l);
	ev_run(l->loop, 0);
	l->t_end = ev_time();
	run_release_all(l);
	relogin_free(l);
}
