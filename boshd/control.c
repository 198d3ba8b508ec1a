/* control.c: boshd's commands on its control socket (common/PROTOCOL.md,
 * section 10.6), spoken by parleyctl's bosh commands: "session list",
 * "session terminate SID" and "stats". The socket, the framing, the
 * parsing of requests and the bounds on answers are common/ctl_server.c;
 * the sessions are sessions.c's. Nothing here changes a session except
 * "session terminate", which ends it through bosh_session_end_by_admin. */
#include <stdint.h>
#include <string.h>

#include "boshd.h"
#include "ctl_server.h"
#include "frame.h"

/* Longer than any sid boshd hands out: an operand this long names none. */
#define CONTROL_SID_MAX 128

/* Seconds left before inactivity ends the session. While requests are
   held the clock is stopped: then the whole period, which starts again
   when the last of them is answered. */
static uint64_t control_inactivity_left(const struct bosh_session_info *i,
					uint64_t now)
{
	if (i->inactivity_deadline == UINT64_MAX)
		return i->inactivity;
	if (i->inactivity_deadline <= now)
		return 0;
	return (i->inactivity_deadline - now + 999) / 1000;
}

static int control_list_one(const struct sessions_view *v, void *ctx)
{
	struct ctl_reply *r = ctx;
	struct bosh_session_info i;
	bosh_session_get_info(v->s, &i);
	ctl_field(r, "sid", bosh_session_sid(v->s));
	ctl_field(r, "jid", v->jid);
	ctl_number(r, "rid", i.last_rid);
	ctl_number(r, "held", i.unanswered);
	ctl_number(r, "queued", i.queued);
	ctl_number(r, "last_activity", v->idle_ms / 1000);
	ctl_number(r, "inactivity_left", control_inactivity_left(&i, v->now));
	ctl_number(r, "wait", i.wait);
	ctl_number(r, "hold", i.hold);
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
	sessions_foreach(control_list_one, r);
	return FRAME_CTL_OK;
}

static uint32_t control_session_terminate(struct ctl_reply *r,
					  const struct ctl_arg *args,
					  const char **msg)
{
	(void)r;
	char sid[CONTROL_SID_MAX];
	const struct ctl_arg *a = &args[0];
	if (a->len >= sizeof sid || memchr(a->p, '\0', a->len)) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	memcpy(sid, a->p, a->len);
	sid[a->len] = '\0';
	if (sessions_terminate(sid) < 0) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	return FRAME_CTL_OK;
}

struct control_totals {
	uint64_t sessions, held, queued;
};

static int control_count_one(const struct sessions_view *v, void *ctx)
{
	struct control_totals *t = ctx;
	struct bosh_session_info i;
	bosh_session_get_info(v->s, &i);
	t->sessions++;
	t->held += i.unanswered;
	t->queued += i.queued;
	return 0;
}

static uint32_t control_stats(struct ctl_reply *r, const struct ctl_arg *args,
			      const char **msg)
{
	(void)args;
	(void)msg;
	struct control_totals t = {0};
	sessions_foreach(control_count_one, &t);
	ctl_number(r, "sessions", t.sessions);
	ctl_number(r, "requests_held", t.held);
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

int boshd_control_setup(void)
{
	return ctl_server_setup(
		boshd_config.control_socket, "boshd", control_commands,
		sizeof control_commands / sizeof control_commands[0]);
}

void boshd_control_start(struct ev_loop *loop)
{
	ctl_server_start(loop);
}

void boshd_control_stop(struct ev_loop *loop)
{
	ctl_server_stop(loop);
}
