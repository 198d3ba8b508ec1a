/* user.c: the life of one simulated user in parley-load.
 *
 * NEW -> LOGIN -> ONLINE -> CLOSING -> CLOSED, or FAILED from any state
 * before CLOSED; with --reconnect, FAILED -> LOGIN again when relogin.c
 * says so (a session lost after login, or a failed relogin). Counting
 * happens here, once per transition, so the statistics always add up:
 * started (first logins) = connected + login_failed + still logging in
 * for the first time; relogin_attempts = relogins + failed relogins +
 * relogins under way. A failed or closed user's transport state is freed
 * by the reaper (an ev_check watcher) after the callback that failed it
 * has returned, so no transport ever frees the object it is running in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "load.h"
#include "log.h"
#include "sasl.h"

static const char *const fail_kind_names[FAIL_KINDS] = {
	[FAIL_CONNECT] = "connect", [FAIL_AUTH] = "auth",
	[FAIL_BIND] = "bind",	    [FAIL_STREAM] = "stream",
	[FAIL_TIMEOUT] = "timeout", [FAIL_HTTP] = "http",
	[FAIL_CLOSED] = "closed",
};

const char *fail_kind_name(enum fail_kind k)
{
	return (unsigned)k < FAIL_KINDS ? fail_kind_names[k] : "?";
}

void user_init(struct user *u, struct load *l, uint32_t index)
{
	u->load = l;
	u->index = index;
	u->state = USER_NEW;
}

int user_is_gone(const struct user *u)
{
	return u->state == USER_FAILED || u->state == USER_CLOSED;
}

/* Hands u to the reaper, which frees its transport state. */
static void user_reap(struct user *u)
{
	if (u->reaping)
		return;
	u->reaping = 1;
	u->reap_next = u->load->reap_list;
	u->load->reap_list = u;
}

static void user_release(struct user *u)
{
	if (u->conn)
		u->load->cfg->transport->drop(u);
	sasl_client_free(u->sasl);
	u->sasl = NULL;
	free(u->jid);
	u->jid = NULL;
}

static void user_reaper_run(struct ev_loop *loop, ev_check *w, int revents)
{
	(void)loop;
	(void)revents;
	struct load *l = w->data;
	while (l->reap_list) {
		struct user *u = l->reap_list;
		l->reap_list = u->reap_next;
		u->reap_next = NULL;
		u->reaping = 0;
		user_release(u);
	}
}

static void user_login_expired(struct deadline_list *list,
			       struct deadline_entry *e)
{
	(void)list;
	struct user *u = (struct user *)e; /* the entry is the first member */
	user_fail(u, FAIL_TIMEOUT, "not logged in after %ld s",
		  u->load->cfg->timeout);
}

void user_reaper_init(struct load *l)
{
	ev_check_init(&l->reaper, user_reaper_run);
	l->reaper.data = l;
	ev_check_start(l->loop, &l->reaper);
	deadline_list_init(&l->login_deadlines, l->loop,
			   (ev_tstamp)l->cfg->timeout, user_login_expired);
}

void user_start(struct user *u)
{
	struct load *l = u->load;
	if (u->conn || u->sasl || u->jid) /* not reaped yet (cannot happen) */
		user_release(u);
	u->relogging = u->state == USER_FAILED;
	u->state = USER_LOGIN;
	u->step = 0;
	if (u->relogging)
		l->stats.relogin_attempts++;
	else
		l->stats.started++;
	deadline_touch(&l->login_deadlines, &u->deadline);
	(void)l->cfg->transport->start(u);
}

void user_online(struct user *u)
{
	struct load *l = u->load;
	if (u->state != USER_LOGIN)
		return;
	deadline_remove(&l->login_deadlines, &u->deadline);
	u->state = USER_ONLINE;
	u->backoff = 0;
	l->stats.online++;
	if (u->relogging) {
		l->stats.relogins++;
		return;
	}
	l->stats.connected++;
	run_login_settled(l);
}

static void user_log_failure(struct user *u, enum fail_kind kind,
			     const char *fmt, va_list ap)
{
	struct load *l = u->load;
	if (l->logged[kind]++ >= LOAD_LOGGED_FAILURES)
		return;
	char name[LOAD_NAME_MAX], why[256];
	config_user_name(l->cfg, u->index, name, sizeof name);
	vsnprintf(why, sizeof why, fmt, ap);
	log_warn("%s: %s failure: %s%s", name, fail_kind_name(kind), why,
		 l->logged[kind] == LOAD_LOGGED_FAILURES
			 ? " (further ones are only counted)"
			 : "");
}

void user_fail(struct user *u, enum fail_kind kind, const char *fmt, ...)
{
	struct load *l = u->load;
	enum user_state was = u->state;
	if (was == USER_NEW || user_is_gone(u))
		return;
	if (was == USER_CLOSING) { /* a rough end to a close: still a close */
		user_closed(u);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	user_log_failure(u, kind, fmt, ap);
	va_end(ap);
	l->stats.failed[kind]++;
	u->state = USER_FAILED;
	deadline_remove(&l->login_deadlines, &u->deadline);
	user_reap(u);
	int again =
		relogin_wanted(u, kind) && (was == USER_ONLINE || u->relogging);
	if (was == USER_ONLINE) {
		l->stats.online--;
		l->stats.dropped++;
	} else if (!u->relogging) {
		l->stats.login_failed++;
		run_login_settled(l);
	}
	if (again)
		relogin_schedule(u);
}

void user_closed(struct user *u)
{
	if (u->state != USER_CLOSING)
		return;
	u->state = USER_CLOSED;
	user_reap(u);
	u->load->closing--;
	run_close_settled(u->load);
}

void user_stop(struct user *u)
{
	struct load *l = u->load;
	if (u->state != USER_LOGIN && u->state != USER_ONLINE)
		return;
	if (u->state == USER_ONLINE)
		l->stats.online--;
	deadline_remove(&l->login_deadlines, &u->deadline);
	u->state = USER_CLOSING;
	l->closing++;
	l->cfg->transport->stop(u);
}
