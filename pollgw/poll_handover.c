/* poll_handover.c: a polling session written out for the pollgw that
 * succeeds this one on a planned restart, and read back there
 * (common/HANDOVER.md, "pollgw"). Only a session at rest moves: no
 * request waiting (poll_session_release answered it), not over, and,
 * while its stream is open, both parsers between two top-level elements
 * (a client that sent half an element cannot move: it is ended). A
 * session whose stream's end waits for a poll (closing) moves without its
 * parsers, which it no longer uses. Times are Unix milliseconds, the same
 * clock in both processes. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "handover.h"
#include "poll_session_priv.h"

/* The characters of an identifier pollgw makes (it goes into headers). */
#define POLL_ID_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"

#define AT(member) offsetof(struct poll_session, member)
static const struct handover_number number_fields[] = {
	{"secure", HANDOVER_FLAG, AT(secure)},
	{"opened", HANDOVER_FLAG, AT(opened)},
	{"router_open", HANDOVER_FLAG, AT(router_open)},
	{"router_ended", HANDOVER_FLAG, AT(router_ended)},
	{"hdr_queued", HANDOVER_FLAG, AT(hdr_queued)},
	{"hdr_given", HANDOVER_FLAG, AT(hdr_given)},
	{"last_request", HANDOVER_U64, AT(last_request)},
	{"answered_at", HANDOVER_U64, AT(answered_at)},
};
#undef AT
#define NUMBER_FIELDS (sizeof number_fields / sizeof number_fields[0])

/* ---- saving */

/* The parsers' stream headers, for a session whose stream goes on. */
static int save_parsers(struct poll_session *s, struct buf *b)
{
	const char *chdr, *rhdr;
	size_t clen, rlen;
	if (xml_stream_suspend(s->cs, &chdr, &clen) < 0 ||
	    xml_stream_suspend(s->rs, &rhdr, &rlen) < 0)
		return -1;
	if (handover_put(b, "client_header", chdr, clen) < 0 ||
	    handover_put(b, "router_header", rhdr, rlen) < 0)
		return -1;
	return 0;
}

int poll_session_save(struct poll_session *s, struct buf *b)
{
	if (s->held || s->state == POLL_ENDED)
		return -1;
	int active = s->state == POLL_ACTIVE;
	if ((active && save_parsers(s, b) < 0) ||
	    handover_put_str(b, "id", s->id) < 0 ||
	    handover_put_str(b, "key", s->key) < 0 ||
	    handover_put_str(b, "state", active ? "active" : "closing") < 0 ||
	    handover_put(b, "queue", buf_head(&s->queue), s->queue.len) < 0 ||
	    handover_put(b, "unsent", buf_head(&s->unsent), s->unsent.len) <
		    0 ||
	    handover_put(b, "fwd", buf_head(&s->fwd), s->fwd.len) < 0 ||
	    handover_put_optional(b, "jid", s->jid) < 0 ||
	    handover_put_optional(b, "why", s->why) < 0)
		return -1;
	if (handover_put_numbers(b, s, number_fields, NUMBER_FIELDS) < 0)
		return -1;
	return 0;
}

/* ---- restoring */

struct poll_session *poll_session_restore_new(const struct poll_config *cfg)
{
	struct poll_session *s = poll_session_alloc(cfg);
	if (s) {
		s->id[0] = '\0';       /* the saved one comes */
		s->state = POLL_ENDED; /* until "state" says otherwise */
	}
	return s;
}

/* A string field into *out (malloc'd, replacing any), at most max bytes. */
static int restore_str(const struct handover_field *f, char **out, size_t max)
{
	if (f->len == 0 || f->len > max || memchr(f->value, '\0', f->len))
		return -1;
	char *v = strndup(f->value, f->len);
	if (!v)
		return -1;
	free(*out);
	*out = v;
	return 1;
}

static int restore_state(struct poll_session *s, const struct handover_field *f)
{
	char v[16];
	if (handover_field_str(f, v, sizeof v) < 0)
		return -1;
	if (strcmp(v, "active") == 0)
		s->state = POLL_ACTIVE;
	else if (strcmp(v, "closing") == 0)
		s->state = POLL_CLOSING;
	else
		return -1;
	return 1;
}

/* Appends a field to one of the session's buffers (bounded by its limit,
   which the configuration of this process sets). */
static int restore_buf(struct buf *b, const struct handover_field *f)
{
	return f->len == 0 || buf_append(b, f->value, f->len) == 0 ? 1 : -1;
}

static int restore_named(struct poll_session *s, const struct handover_field *f)
{
	if (handover_field_is(f, "id"))
		return handover_field_str(f, s->id, sizeof s->id) == 0 ? 1 : -1;
	if (handover_field_is(f, "key"))
		return handover_field_str(f, s->key, sizeof s->key) == 0 ? 1
									 : -1;
	if (handover_field_is(f, "state"))
		return restore_state(s, f);
	if (handover_field_is(f, "client_header"))
		return xml_stream_resume(s->cs, f->value, f->len) == 0 ? 1 : -1;
	if (handover_field_is(f, "router_header"))
		return xml_stream_resume(s->rs, f->value, f->len) == 0 ? 1 : -1;
	if (handover_field_is(f, "queue"))
		return restore_buf(&s->queue, f);
	if (handover_field_is(f, "unsent"))
		return restore_buf(&s->unsent, f);
	if (handover_field_is(f, "fwd"))
		return restore_buf(&s->fwd, f);
	if (handover_field_is(f, "jid"))
		return restore_str(f, &s->jid, POLL_JID_MAX);
	if (handover_field_is(f, "why")) {
		int r = restore_str(f, &s->why_kept, 256);
		s->why = s->why_kept;
		return r;
	}
	return 0;
}

int poll_session_restore_field(struct poll_session *s,
			       const struct handover_field *f)
{
	int r = restore_named(s, f);
	if (r != 0)
		return r;
	return handover_take_number(s, number_fields, NUMBER_FIELDS, f);
}

int poll_session_restore_done(struct poll_session *s, uint64_t now)
{
	/* no time from the future (a corrupt file, a clock step back) */
	if (s->last_request > now)
		s->last_request = now;
	if (s->answered_at > now)
		s->answered_at = now;
	if (!s->id[0] || s->id[strspn(s->id, POLL_ID_CHARS)] != '\0' ||
	    !s->key[0] || s->state == POLL_ENDED)
		return -1;
	/* the router's stream is open only between the client's first
	   header and the end of the stream */
	if (s->router_open && (!s->opened || s->state != POLL_ACTIVE))
		return -1;
	if (s->state == POLL_CLOSING && !s->why)
		s->why = "handed over";
	return 0;
}
