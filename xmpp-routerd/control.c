/* control.c: xmpp-routerd's commands on its control socket
 * (common/PROTOCOL.md, section 10), spoken by parleyctl: "session list",
 * "session kick" and "stats". The socket, the framing, the parsing of
 * requests and the bounds on answers are common/ctl_server.c. Nothing
 * here changes a session except "session kick", which goes through
 * xstream_fail like any stream error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "ctl_server.h"
#include "frame.h"
#include "log.h"
#include "xmppd.h"

const char *control_presence_show(const char *presence)
{
	static const char *const shows[] = {"away", "chat", "dnd", "xa"};
	/* Our serialiser writes <show> without attributes in jabber:client. */
	const char *open = presence ? strstr(presence, "<show>") : NULL;
	if (!open)
		return "";
	open += strlen("<show>");
	const char *close = strstr(open, "</show>");
	if (!close)
		return "";
	for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++)
		if ((size_t)(close - open) == strlen(shows[i]) &&
		    memcmp(open, shows[i], strlen(shows[i])) == 0)
			return shows[i];
	return "";
}

static int control_session_is_listed(const struct session *s)
{
	return s->xs && s->xs->state != XS_CLOSING;
}

static int control_list_one(struct session *s, void *ctx)
{
	struct ctl_reply *r = ctx;
	const struct xstream *xs = s->xs;
	char priority[16];
	if (!control_session_is_listed(s))
		return 0;
	snprintf(priority, sizeof priority, "%d", s->priority);
	ctl_field(r, "jid", s->jid.full);
	ctl_field(r, "transport", xs->transport->name);
	ctl_field(r, "peer", xs->peer);
	ctl_number(r, "since", (uint64_t)xs->since);
	ctl_number(r, "bytes_in", xs->bytes_in);
	ctl_number(r, "bytes_out", xs->bytes_out);
	ctl_number(r, "stanzas_in", xs->stanzas_in);
	ctl_number(r, "stanzas_out", xs->stanzas_out);
	ctl_number(r, "available", s->available ? 1 : 0);
	ctl_field(r, "show",
		  s->available ? control_presence_show(s->presence) : "");
	ctl_field(r, "priority", priority);
	ctl_record_end(r);
	return ctl_reply_is_over(r);
}

static uint32_t control_session_list(struct ctl_reply *r,
				     const struct ctl_arg *args,
				     const char **msg)
{
	(void)args;
	(void)msg;
	session_foreach(control_list_one, r);
	return FRAME_CTL_OK;
}

/* Ends every listed session in the list starting at s (full: only the one
   equal to it). Returns how many. */
static size_t control_kick_sessions(struct session *s, const struct jid *full)
{
	size_t n = 0;
	while (s) {
		/* xstream_fail only schedules the end: s stays valid. */
		struct session *next = s->next_of_user;
		if (control_session_is_listed(s) &&
		    (!full || jid_equal(&s->jid, full))) {
			log_info("control: kicking %s", s->jid.full);
			xstream_fail(s->xs, "policy-violation",
				     "kicked by the administrator");
			n++;
		}
		s = next;
	}
	return n;
}

static uint32_t control_session_kick(struct ctl_reply *r,
				     const struct ctl_arg *args,
				     const char **msg)
{
	(void)r;
	struct jid j;
	if (jid_parse(&j, args[0].p, args[0].len) < 0) {
		*msg = errno == ENOMEM ? "out of memory" : "malformed JID";
		return errno == ENOMEM ? FRAME_CTL_FAILED
				       : FRAME_CTL_BAD_REQUEST;
	}
	size_t n = 0;
	const char *domain = j.full + j.domain_off;
	if (j.local_len > 0 && j.domain_len == strlen(xmppd_config.domain) &&
	    memcmp(domain, xmppd_config.domain, j.domain_len) == 0) {
		char user[JID_PART_MAX + 1];
		memcpy(user, j.full, j.local_len);
		user[j.local_len] = '\0';
		n = control_kick_sessions(session_find_user(user),
					  jid_has_resource(&j) ? &j : NULL);
	}
	jid_free(&j);
	if (n == 0) {
		*msg = "no such session";
		return FRAME_CTL_NOT_FOUND;
	}
	return FRAME_CTL_OK;
}

struct control_totals {
	uint64_t tcp, bosh, poll, stanzas_in, stanzas_out;
};

static int control_count_one(struct session *s, void *ctx)
{
	struct control_totals *t = ctx;
	if (!control_session_is_listed(s))
		return 0;
	const char *name = s->xs->transport->name;
	if (strcmp(name, "tcp") == 0)
		t->tcp++;
	else if (strcmp(name, "bosh") == 0)
		t->bosh++;
	else if (strcmp(name, "poll") == 0)
		t->poll++;
	t->stanzas_in += s->xs->stanzas_in;
	t->stanzas_out += s->xs->stanzas_out;
	return 0;
}

static uint32_t control_stats(struct ctl_reply *r, const struct ctl_arg *args,
			      const char **msg)
{
	(void)args;
	(void)msg;
	struct control_totals t = {0};
	session_foreach(control_count_one, &t);
	ctl_number(r, "sessions", t.tcp + t.bosh + t.poll);
	ctl_number(r, "sessions_tcp", t.tcp);
	ctl_number(r, "sessions_bosh", t.bosh);
	ctl_number(r, "sessions_poll", t.poll);
	ctl_number(r, "uptime", ctl_uptime());
	ctl_number(r, "stanzas_in", t.stanzas_in);
	ctl_number(r, "stanzas_out", t.stanzas_out);
	ctl_number(r, "stanzas_routed", router_stanzas_total());
	ctl_number(r, "stanzas_per_second", router_stanza_rate());
	ctl_number(r, "memory_kib", ctl_memory_kib());
	ctl_record_end(r);
	return FRAME_CTL_OK;
}

static const struct ctl_command control_commands[] = {
	{"session list", 0, control_session_list},
	{"session kick", 1, control_session_kick},
	{"stats", 0, control_stats},
};

int control_setup(void)
{
	return ctl_server_setup(
		xmppd_config.control_socket, "xmpp-routerd", control_commands,
		sizeof control_commands / sizeof control_commands[0]);
}

void control_start(struct ev_loop *loop)
{
	ctl_server_start(loop);
}

void control_stop(struct ev_loop *loop)
{
	ctl_server_stop(loop);
}
