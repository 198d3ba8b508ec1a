/* control.c: pollgw's commands on its control socket (common/PROTOCOL.md,
 * section 10), spoken by parleyctl's poll commands: "session list",
 * "session terminate ID" and "stats". The socket, the framing, the
 * parsing of requests and the bounds on answers are common/ctl_server.c;
 * the sessions are sessions.c's. Nothing here changes a session except
 * "session terminate", which ends it through poll_session_end. */
#include <stdint.h>
#include <string.h>

#include "ctl_server.h"
#include "frame.h"
#include "pollgw.h"

/* Seconds left before inactivity ends the session; while a request waits
   for the shortest interval the clock is stopped: the whole period. */
static uint64_t control_inactivity_left(const struct poll_session_info *i,
					uint64_t now)
{
	if (i->inactivity_deadline == UINT64_MAX)
		return pollgw_config.poll.inactivity;
	if (i->inactivity_deadline <= now)
		return 0;
	return (i->inactivity_deadline - now + 999) / 1000;
}

static int control_list_one(const struct pollgw_view *v, void *ctx)
{
	struct ctl_reply *r = ctx;
	struct poll_session_info i;
	poll_session_get_info(v->s, &i);
	uint64_t idle = v->now > i.last_request ? v->now - i.last_request : 0;
	ctl_field(r, "id", poll_session_id(v->s));
	ctl_field(r, "jid", poll_session_jid(v->s));
	ctl_number(r, "last_poll", idle / 1000);
	ctl_number(r, "queued", i.queued);
	ctl_number(r, "waiting", (uint64_t)i.waiting);
	ctl_number(r, "inactivity_left", control_inactivity_left(&i, v->now));
	ctl_field(r, "peer", v->peer);
	ctl_number(r, "since", v->created);
	ctl_record_end(r);
	return ctl_reply_is_over(r);
}

static uint32_t control_session_list(struct ctl_reply *r,
				     const struct ctl_arg *args,
				     const char **msg)
{
	(void)args;
	(void)msg;
	pollgw_sessions_foreach(control_list_one, r);
	return FRAME_CTL_OK;
}

static uint32_t control_session_terminate(struct ctl_reply *r,
					  const struct ctl_arg *args,
					  const char **msg)
{
	(void)r;
	char id[POLL_ID_MAX + 1];
	const struct ctl_arg *a = &args[0];
	if (a->len >= sizeof id || memchr(a->p, '\0', a->len)) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	memcpy(id, a->p, a->len);
	id[a->len] = '\0';
	if (pollgw_sessions_terminate(id) < 0) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	return FRAME_CTL_OK;
}

struct control_totals {
	uint64_t sessions, waiting, queued, bound;
};

static int control_count_one(const struct pollgw_view *v, void *ctx)
{
	struct control_totals *t = ctx;
	struct poll_session_info i;
	poll_session_get_info(v->s, &i);
	t->sessions++;
	t->waiting += (uint64_t)i.waiting;
	t->queued += i.queued;
	t->bound += *poll_session_jid(v->s) != '\0';
	return 0;
}

static uint32_t control_stats(struct ctl_reply *r, const struct ctl_arg *args,
			      const char **msg)
{
	(void)args;
	(void)msg;
	struct control_totals t = {0};
	pollgw_sessions_foreach(control_count_one, &t);
	ctl_number(r, "sessions", t.sessions);
	ctl_number(r, "sessions_bound", t.bound);
	ctl_number(r, "requests_waiting", t.waiting);
	ctl_number(r, "bytes_queued", t.queued);
	ctl_number(r, "memory_kib", ctl_memory_kib());
	ctl_number(r, "uptime", ctl_uptime());
	ctl_record_end(r);
	return FRAME_CTL_OK;
}

static const struct ctl_command control_commands[] = {
	{"session list", 0, control_session_list},
	{"session terminate", 1, control_session_terminate},
	{"stats", 0, control_stats},
};

int pollgw_control_setup(void)
{
	return ctl_server_setup(
		pollgw_config.control_socket, "pollgw", control_commands,
		sizeof control_commands / sizeof control_commands[0]);
}

void pollgw_control_start(struct ev_loop *loop)
{
	ctl_server_start(loop);
}

void pollgw_control_stop(struct ev_loop *loop)
{
	ctl_server_stop(loop);
}
