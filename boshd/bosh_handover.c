/* bosh_handover.c: a BOSH session written out for the boshd that
 * succeeds this one on a planned restart, and read back there
 * (common/HANDOVER.md, "boshd"). Only a session at rest moves: no
 * request held (bosh_session_release answered them), not ending, the
 * router's stream between two stanzas. Times are Unix milliseconds, the
 * same clock in both processes. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bosh_session_priv.h"
#include "handover.h"

#define NUM(name, kind, member) {name, kind, offsetof(struct bosh_session, member)}
static const struct handover_number number_fields[] = {
	NUM("create_rid", HANDOVER_U64, create_rid),
	NUM("last_rid", HANDOVER_U64, last_rid),
	NUM("wait", HANDOVER_UNSIGNED, wait),
	NUM("hold", HANDOVER_UNSIGNED, hold),
	NUM("requests", HANDOVER_UNSIGNED, requests),
	NUM("inactivity", HANDOVER_UNSIGNED, inactivity),
	NUM("polling", HANDOVER_UNSIGNED, polling),
	NUM("ver_major", HANDOVER_UNSIGNED, ver_major),
	NUM("ver_minor", HANDOVER_UNSIGNED, ver_minor),
	NUM("has_ver", HANDOVER_FLAG, has_ver),
	NUM("ack", HANDOVER_FLAG, ack),
	NUM("secure", HANDOVER_FLAG, secure),
	NUM("polling_session", HANDOVER_FLAG, polling_session),
	NUM("queue_has_stream", HANDOVER_FLAG, queue_has_stream),
	NUM("stream_error", HANDOVER_FLAG, stream_error),
	NUM("hdr_unsent", HANDOVER_FLAG, hdr_unsent),
	NUM("router_closed", HANDOVER_FLAG, router_closed),
	NUM("last_response", HANDOVER_U64, last_response),
	NUM("pause", HANDOVER_UNSIGNED, pause),
	NUM("prev_arrival", HANDOVER_U64, prev_arrival),
	NUM("prev_empty", HANDOVER_FLAG, prev_empty),
	NUM("prev_answer_empty", HANDOVER_FLAG, prev_answer_empty),
	NUM("prev_rid", HANDOVER_U64, prev_rid),
	NUM("report_rid", HANDOVER_U64, report_rid),
	NUM("report_ms", HANDOVER_U64, report_ms),
};
#undef NUM
#define NUMBER_FIELDS (sizeof number_fields / sizeof number_fields[0])

static int save_kept(const struct bosh_session *s, struct buf *b)
{
	for (size_t i = 0; i < s->nkept; i++)
		if (handover_put_u64(b, "kept_rid", s->kept[i].rid) < 0 ||
		    handover_put_u64(b, "kept_at", s->kept[i].sent_at) < 0 ||
		    handover_put(b, "kept_body", s->kept[i].body,
				 s->kept[i].len) < 0)
			return -1;
	return 0;
}

int bosh_session_save(struct bosh_session *s, struct buf *b)
{
	const char *hdr;
	size_t hdr_len;
	if (s->state != BOSH_ACTIVE || s->nheld || s->npending ||
	    xml_stream_suspend(s->rs, &hdr, &hdr_len) < 0)
		return -1;
	if (handover_put_str(b, "sid", s->sid) < 0 ||
	    handover_put(b, "router_header", hdr, hdr_len) < 0 ||
	    handover_put(b, "queue", buf_head(&s->queue), s->queue.len) < 0 ||
	    handover_put_optional(b, "key", s->key) < 0 ||
	    handover_put_optional(b, "authid", s->authid) < 0 ||
	    handover_put_optional(b, "xmpp_version", s->xmpp_ver) < 0 ||
	    save_kept(s, b) < 0)
		return -1;
	if (handover_put_numbers(b, s, number_fields, NUMBER_FIELDS) < 0)
		return -1;
	return 0;
}

struct bosh_session *bosh_session_restore_new(const struct bosh_config *cfg)
{
	struct bosh_session *s = bosh_session_alloc(cfg);
	if (s)
		s->sid[0] = '\0'; /* the saved one comes */
	return s;
}

/* A string field into *out (malloc'd, replacing any). */
static int restore_str(const struct handover_field *f, char **out)
{
	if (memchr(f->value, '\0', f->len))
		return -1;
	char *v = strndup(f->value, f->len);
	if (!v)
		return -1;
	free(*out);
	*out = v;
	return 1;
}

/* kept_rid, kept_at, kept_body come in threes, in this order. */
static int restore_kept(struct bosh_session *s, const struct handover_field *f)
{
	uint64_t v = 0;
	if (handover_field_is(f, "kept_rid")) {
		if (s->nkept >= BOSH_REQUESTS_MAX ||
		    handover_field_u64(f, &v) < 0)
			return -1;
		s->kept[s->nkept++] = (struct bosh_kept){v, NULL, 0, 0};
		return 1;
	}
	struct bosh_kept *k = s->nkept ? &s->kept[s->nkept - 1] : NULL;
	if (handover_field_is(f, "kept_at"))
		return k && handover_field_u64(f, &k->sent_at) == 0 ? 1 : -1;
	if (!k || k->body)
		return -1;
	k->body = malloc(f->len + 1);
	if (!k->body)
		return -1;
	memcpy(k->body, f->value, f->len);
	k->body[f->len] = '\0';
	k->len = f->len;
	return 1;
}

static int restore_named(struct bosh_session *s, const struct handover_field *f)
{
	if (handover_field_is(f, "sid"))
		return handover_field_str(f, s->sid, sizeof s->sid) == 0 ? 1
									 : -1;
	if (handover_field_is(f, "router_header"))
		return xml_stream_resume(s->rs, f->value, f->len) == 0 ? 1 : -1;
	if (handover_field_is(f, "queue"))
		return buf_append(&s->queue, f->value, f->len) == 0 ? 1 : -1;
	if (handover_field_is(f, "key"))
		return restore_str(f, &s->key);
	if (handover_field_is(f, "authid"))
		return restore_str(f, &s->authid);
	if (handover_field_is(f, "xmpp_version"))
		return restore_str(f, &s->xmpp_ver);
	if (handover_field_is(f, "kept_rid") ||
	    handover_field_is(f, "kept_at") ||
	    handover_field_is(f, "kept_body"))
		return restore_kept(s, f);
	return 0;
}

int bosh_session_restore_field(struct bosh_session *s,
			       const struct handover_field *f)
{
	int r = restore_named(s, f);
	if (r != 0)
		return r;
	return handover_take_number(s, number_fields, NUMBER_FIELDS, f);
}

static uint64_t clamp_u64(uint64_t v, uint64_t max)
{
	return v > max ? max : v;
}

/* What this process's configuration allows, whatever the file says: a
   corrupt file (or a smaller limit since) cannot make a session that
   waits, holds or idles longer than allowed, nor one from the future. */
static void restore_clamp(struct bosh_session *s, uint64_t now)
{
	const struct bosh_config *c = s->cfg;
	unsigned max_hold = c->max_hold < BOSH_HOLD_MAX ? c->max_hold
							: BOSH_HOLD_MAX;
	s->wait = (unsigned)clamp_u64(s->wait, c->max_wait);
	s->hold = (unsigned)clamp_u64(s->hold, max_hold);
	s->requests = s->hold + 1;
	s->polling = c->polling;
	s->inactivity = (unsigned)clamp_u64(
		s->inactivity, (uint64_t)c->inactivity + c->poll_inactivity_extra);
	s->pause = (unsigned)clamp_u64(s->pause, c->maxpause);
	s->last_response = clamp_u64(s->last_response, now);
	s->prev_arrival = clamp_u64(s->prev_arrival, now);
	s->report_ms = clamp_u64(s->report_ms, now);
	for (size_t i = 0; i < s->nkept; i++)
		s->kept[i].sent_at = clamp_u64(s->kept[i].sent_at, now);
}

int bosh_session_restore_done(struct bosh_session *s, uint64_t now)
{
	if (!s->sid[0] || s->last_rid < s->create_rid ||
	    s->nkept > BOSH_REQUESTS_MAX)
		return -1;
	for (size_t i = 0; i < s->nkept; i++)
		if (!s->kept[i].body)
			return -1;
	restore_clamp(s, now);
	s->state = BOSH_ACTIVE;
	return 0;
}
