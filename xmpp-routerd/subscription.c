/* subscription.c: presence subscriptions between local users (RFC 6121 3).
 *
 * Every subscription stanza is two events, one per roster: OUT_* on the
 * sender's item about the recipient, then, if the sender's table says to
 * route it, IN_* on the recipient's item about the sender. Both go
 * through subscription_table, a transcription of RFC 6121 Appendix A.2
 * and A.3 over its nine states. What follows a delivery (an approval sends
 * the approver's presence, a cancellation unavailable presence) is done
 * here; broadcasts afterwards follow the stored subscription (router.c).
 * The recursion is bounded: an inbound subscribe may answer one
 * 'subscribed' or 'unsubscribed', which never answers anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "roster.h"
#include "subscription.h"
#include "xmppd.h"

#define SUB_GENERATED_MAX (4 * JID_FULL_MAX + 128) /* escaped JIDs + markup */

/* ---- the state tables of RFC 6121 Appendix A ----------------------------- */

/* The nine states of RFC 6121 A.1 ("None + Pending Out" is NONE_OUT). */
enum sub_state {
	ST_NONE,
	ST_NONE_OUT,
	ST_NONE_IN,
	ST_NONE_OUT_IN,
	ST_TO,
	ST_TO_IN,
	ST_FROM,
	ST_FROM_OUT,
	ST_BOTH,
	ST_COUNT,
};

static const struct {
	enum store_sub sub;
	int ask;
} sub_state_fields[ST_COUNT] = {
	[ST_NONE] = {STORE_SUB_NONE, 0},
	[ST_NONE_OUT] = {STORE_SUB_NONE, STORE_ASK_OUT},
	[ST_NONE_IN] = {STORE_SUB_NONE, STORE_ASK_IN},
	[ST_NONE_OUT_IN] = {STORE_SUB_NONE, STORE_ASK_OUT | STORE_ASK_IN},
	[ST_TO] = {STORE_SUB_TO, 0},
	[ST_TO_IN] = {STORE_SUB_TO, STORE_ASK_IN},
	[ST_FROM] = {STORE_SUB_FROM, 0},
	[ST_FROM_OUT] = {STORE_SUB_FROM, STORE_ASK_OUT},
	[ST_BOTH] = {STORE_SUB_BOTH, 0},
};

/* (sub, ask) -> state; ask bits the subscription makes meaningless (out
   with 'to', in with 'from') are dropped. */
static const enum sub_state sub_state_by_fields[4][4] = {
	[STORE_SUB_NONE] = {ST_NONE, ST_NONE_OUT, ST_NONE_IN, ST_NONE_OUT_IN},
	[STORE_SUB_TO] = {ST_TO, ST_TO, ST_TO_IN, ST_TO_IN},
	[STORE_SUB_FROM] = {ST_FROM, ST_FROM_OUT, ST_FROM, ST_FROM_OUT},
	[STORE_SUB_BOTH] = {ST_BOTH, ST_BOTH, ST_BOTH, ST_BOTH},
};

struct sub_rule {
	enum sub_state next;
	int deliver; /* route (OUT_*) or deliver (IN_*) */
	int reply;   /* answer 'subscribed' instead (IN_SUBSCRIBE) */
};

/* One row per event, one entry per existing state, as in the RFC's
   tables: A.2.1-A.2.4 for OUT_*, A.3.1-A.3.4 for IN_*. */
static const struct sub_rule subscription_table[SUB_EVENT_COUNT][ST_COUNT] =
	{
		[SUB_OUT_SUBSCRIBE] =
			{
				[ST_NONE] = {ST_NONE_OUT, 1, 0},
				[ST_NONE_OUT] = {ST_NONE_OUT, 1, 0},
				[ST_NONE_IN] = {ST_NONE_OUT_IN, 1, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_OUT_IN, 1, 0},
				[ST_TO] = {ST_TO, 1, 0},
				[ST_TO_IN] = {ST_TO_IN, 1, 0},
				[ST_FROM] = {ST_FROM_OUT, 1, 0},
				[ST_FROM_OUT] = {ST_FROM_OUT, 1, 0},
				[ST_BOTH] = {ST_BOTH, 1, 0},
			},
		[SUB_OUT_SUBSCRIBED] =
			{
				[ST_NONE] = {ST_NONE, 0, 0},
				[ST_NONE_OUT] = {ST_NONE_OUT, 0, 0},
				[ST_NONE_IN] = {ST_FROM, 1, 0},
				[ST_NONE_OUT_IN] = {ST_FROM_OUT, 1, 0},
				[ST_TO] = {ST_TO, 0, 0},
				[ST_TO_IN] = {ST_BOTH, 1, 0},
				[ST_FROM] = {ST_FROM, 0, 0},
				[ST_FROM_OUT] = {ST_FROM_OUT, 0, 0},
				[ST_BOTH] = {ST_BOTH, 0, 0},
			},
		[SUB_OUT_UNSUBSCRIBE] =
			{
				[ST_NONE] = {ST_NONE, 1, 0},
				[ST_NONE_OUT] = {ST_NONE, 1, 0},
				[ST_NONE_IN] = {ST_NONE_IN, 1, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_IN, 1, 0},
				[ST_TO] = {ST_NONE, 1, 0},
				[ST_TO_IN] = {ST_NONE_IN, 1, 0},
				[ST_FROM] = {ST_FROM, 1, 0},
				[ST_FROM_OUT] = {ST_FROM, 1, 0},
				[ST_BOTH] = {ST_FROM, 1, 0},
			},
		[SUB_OUT_UNSUBSCRIBED] =
			{
				[ST_NONE] = {ST_NONE, 0, 0},
				[ST_NONE_OUT] = {ST_NONE_OUT, 0, 0},
				[ST_NONE_IN] = {ST_NONE, 1, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_OUT, 1, 0},
				[ST_TO] = {ST_TO, 0, 0},
				[ST_TO_IN] = {ST_TO, 1, 0},
				[ST_FROM] = {ST_NONE, 1, 0},
				[ST_FROM_OUT] = {ST_NONE_OUT, 1, 0},
				[ST_BOTH] = {ST_TO, 1, 0},
			},
		[SUB_IN_SUBSCRIBE] =
			{
				[ST_NONE] = {ST_NONE_IN, 1, 0},
				[ST_NONE_OUT] = {ST_NONE_OUT_IN, 1, 0},
				[ST_NONE_IN] = {ST_NONE_IN, 0, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_OUT_IN, 0, 0},
				[ST_TO] = {ST_TO_IN, 1, 0},
				[ST_TO_IN] = {ST_TO_IN, 0, 0},
				[ST_FROM] = {ST_FROM, 0, 1},
				[ST_FROM_OUT] = {ST_FROM_OUT, 0, 1},
				[ST_BOTH] = {ST_BOTH, 0, 1},
			},
		[SUB_IN_SUBSCRIBED] =
			{
				[ST_NONE] = {ST_NONE, 0, 0},
				[ST_NONE_OUT] = {ST_TO, 1, 0},
				[ST_NONE_IN] = {ST_NONE_IN, 0, 0},
				[ST_NONE_OUT_IN] = {ST_TO_IN, 1, 0},
				[ST_TO] = {ST_TO, 0, 0},
				[ST_TO_IN] = {ST_TO_IN, 0, 0},
				[ST_FROM] = {ST_FROM, 0, 0},
				[ST_FROM_OUT] = {ST_BOTH, 1, 0},
				[ST_BOTH] = {ST_BOTH, 0, 0},
			},
		[SUB_IN_UNSUBSCRIBE] =
			{
				[ST_NONE] = {ST_NONE, 0, 0},
				[ST_NONE_OUT] = {ST_NONE_OUT, 0, 0},
				[ST_NONE_IN] = {ST_NONE, 1, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_OUT, 1, 0},
				[ST_TO] = {ST_TO, 0, 0},
				[ST_TO_IN] = {ST_TO, 1, 0},
				[ST_FROM] = {ST_NONE, 1, 0},
				[ST_FROM_OUT] = {ST_NONE_OUT, 1, 0},
				[ST_BOTH] = {ST_TO, 1, 0},
			},
		[SUB_IN_UNSUBSCRIBED] =
			{
				[ST_NONE] = {ST_NONE, 0, 0},
				[ST_NONE_OUT] = {ST_NONE, 1, 0},
				[ST_NONE_IN] = {ST_NONE_IN, 0, 0},
				[ST_NONE_OUT_IN] = {ST_NONE_IN, 1, 0},
				[ST_TO] = {ST_NONE, 1, 0},
				[ST_TO_IN] = {ST_NONE_IN, 1, 0},
				[ST_FROM] = {ST_FROM, 0, 0},
				[ST_FROM_OUT] = {ST_FROM, 1, 0},
				[ST_BOTH] = {ST_FROM, 1, 0},
			},
};

int subscription_step(enum store_sub sub, int ask, enum subscription_event ev,
		      struct subscription_result *out)
{
	if ((unsigned)sub > STORE_SUB_BOTH || ask < 0 ||
	    ask > (STORE_ASK_OUT | STORE_ASK_IN) ||
	    (unsigned)ev >= SUB_EVENT_COUNT) {
		errno = EINVAL;
		return -1;
	}
	const struct sub_rule *r =
		&subscription_table[ev][sub_state_by_fields[sub][ask]];
	out->sub = sub_state_fields[r->next].sub;
	out->ask = sub_state_fields[r->next].ask;
	out->deliver = r->deliver;
	out->auto_reply = r->reply;
	return 0;
}

static const struct {
	const char *type;
	enum subscription_event out, in;
} subscription_types[] = {
	{"subscribe", SUB_OUT_SUBSCRIBE, SUB_IN_SUBSCRIBE},
	{"subscribed", SUB_OUT_SUBSCRIBED, SUB_IN_SUBSCRIBED},
	{"unsubscribe", SUB_OUT_UNSUBSCRIBE, SUB_IN_UNSUBSCRIBE},
	{"unsubscribed", SUB_OUT_UNSUBSCRIBED, SUB_IN_UNSUBSCRIBED},
};

int subscription_event_of(const char *type, int inbound)
{
	for (size_t i = 0; type && i < sizeof subscription_types /
						   sizeof subscription_types[0];
	     i++)
		if (strcmp(type, subscription_types[i].type) == 0)
			return (int)(inbound ? subscription_types[i].in
					     : subscription_types[i].out);
	return -1;
}

int subscription_item_is_visible(const struct store_roster_item *it)
{
	return !(it->sub == STORE_SUB_NONE && it->ask == STORE_ASK_IN &&
		 !it->name && it->ngroups == 0);
}

/* ---- the two parties ------------------------------------------------------
 */

/* A local account: its prepared localpart and its bare JID. */
struct sub_party {
	char user[JID_PART_MAX + 1];
	char bare[2 * JID_PART_MAX + 2];
};

/* Fills p for the localpart user (at most JID_PART_MAX bytes). */
static void sub_party_set(struct sub_party *p, const char *user, size_t len)
{
	memcpy(p->user, user, len);
	p->user[len] = '\0';
	snprintf(p->bare, sizeof p->bare, "%s@%s", p->user,
		 xmppd_config.domain);
}

/* Fills p from a JID of our domain with a localpart; -1 otherwise. */
static int sub_party_from_jid(struct sub_party *p, const struct jid *j)
{
	const char *dom = xmppd_config.domain;
	if (!j->local_len || j->domain_len != strlen(dom) ||
	    memcmp(j->full + j->domain_off, dom, j->domain_len) != 0)
		return -1;
	sub_party_set(p, j->full, j->local_len);
	return 0;
}

/* ---- sending --------------------------------------------------------------
 */

/* Sends xml to every available resource of user. */
static void sub_send_to_user(const char *user, const char *xml)
{
	struct session *next;
	for (struct session *r = session_find_user(user); r; r = next) {
		next = r->next_of_user;
		if (r->available)
			xstream_send_stanza(r->xs, xml, strlen(xml));
	}
}

/* Sends the last presence of each available resource of from to the
   available resources of to (what follows an approval, RFC 6121 3.1.5). */
static void sub_send_presence(const struct sub_party *from,
			      const struct sub_party *to)
{
	for (struct session *r = session_find_user(from->user); r;
	     r = r->next_of_user)
		if (r->available && r->presence)
			sub_send_to_user(to->user, r->presence);
}

/* Sends unavailable presence from each available resource of from to the
   available resources of to (what follows a cancellation, RFC 6121 3.2,
   3.3). */
static void sub_send_unavailable(const struct sub_party *from,
				 const struct sub_party *to)
{
	for (struct session *r = session_find_user(from->user); r;
	     r = r->next_of_user) {
		if (!r->available)
			continue;
		struct buf b;
		buf_init(&b, SUB_GENERATED_MAX);
		if (buf_append_str(&b, "<presence type='unavailable' from='") ==
			    0 &&
		    xml_escape_attr(&b, r->jid.full, strlen(r->jid.full)) ==
			    0 &&
		    buf_append_str(&b, "' to='") == 0 &&
		    xml_escape_attr(&b, to->bare, strlen(to->bare)) == 0 &&
		    buf_append(&b, "'/>", 4) == 0) /* with the NUL */
			sub_send_to_user(to->user, buf_head(&b));
		buf_free(&b);
	}
}

/* ---- one roster item ------------------------------------------------------
 */

/* 1 if a client would see a difference between a and b. */
static int sub_shown_differs(const struct store_roster_item *a,
			     const struct store_roster_item *b)
{
	return a->sub != b->sub ||
	       (a->ask & STORE_ASK_OUT) != (b->ask & STORE_ASK_OUT) ||
	       subscription_item_is_visible(a) !=
		       subscription_item_is_visible(b);
}

/* Stores next (user's item, now in its new state) and pushes it if the
   user can see the change. An item that was hidden (or absent) and now
   holds nothing at all is deleted rather than stored. 0 or -1 (logged
   unless a refusal such as EDQUOT). */
static int sub_store(const char *user, const struct store_roster_item *old,
		     int existed, const struct store_roster_item *next)
{
	int was_visible = existed && subscription_item_is_visible(old);
	int64_t version;
	if (!was_visible && next->sub == STORE_SUB_NONE && next->ask == 0 &&
	    !next->name && next->ngroups == 0) {
		if (existed && store_roster_remove(xmppd_config.store, user,
						   next->jid, NULL) < 0)
			return -1;
		return 0;
	}
	if (store_roster_put(xmppd_config.store, user, next, &version) < 0)
		return -1;
	if (!existed ? subscription_item_is_visible(next)
		     : sub_shown_differs(old, next))
		roster_push(user, next, !subscription_item_is_visible(next),
			    version);
	return 0;
}

/* Applies ev to user's item about contact (a bare JID), storing and
   pushing the change; pending is the request an IN_SUBSCRIBE leaves for
   the user's answer. The outcome goes to *res. 0, or -1 (store error). */
static int sub_apply(const char *user, const char *contact,
		     enum subscription_event ev, const char *pending,
		     struct subscription_result *res)
{
	struct store_roster_item old;
	int rc = store_roster_get_item(xmppd_config.store, user, contact, &old);
	if (rc < 0)
		return -1;
	int existed = rc == 0;
	if (!existed)
		memset(&old, 0, sizeof old);
	if (subscription_step(old.sub, old.ask, ev, res) < 0) {
		store_roster_item_free(&old);
		return -1;
	}
	int err = 0;
	if (res->sub != old.sub || res->ask != old.ask) {
		char *jid = strdup(contact);
		char *stanza = pending ? strdup(pending) : NULL;
		struct store_roster_item next = old; /* borrows old's strings */
		next.jid = jid;
		next.sub = res->sub;
		next.ask = res->ask;
		if (!(res->ask & STORE_ASK_IN))
			next.pending_stanza = NULL;
		else if (!(old.ask & STORE_ASK_IN) || !old.pending_stanza)
			next.pending_stanza = stanza;
		if (!jid || (pending && !stanza))
			err = -1;
		else
			err = sub_store(user, &old, existed, &next);
		free(jid);
		free(stanza);
	}
	store_roster_item_free(&old);
	return err;
}

/* ---- one stanza, on both sides --------------------------------------------
 */

static void sub_generate(const struct sub_party *from,
			 const struct sub_party *to, const char *type);

/* rcpt receives xml, a subscription stanza of event ev from sender. */
static void sub_inbound(const struct sub_party *rcpt,
			const struct sub_party *sender,
			enum subscription_event ev, const char *xml)
{
	if (store_user_exists(xmppd_config.store, rcpt->user) != 0) {
		/* No such account: refuse a request as RFC 6121 3.1.3 says
		   a server does; anything else is dropped. */
		if (ev == SUB_IN_SUBSCRIBE)
			sub_generate(rcpt, sender, "unsubscribed");
		return;
	}
	struct subscription_result res;
	if (sub_apply(rcpt->user, sender->bare, ev,
		      ev == SUB_IN_SUBSCRIBE ? xml : NULL, &res) < 0) {
		log_info("%s: %s from %s dropped: %m", rcpt->user,
			 subscription_types[ev - SUB_IN_SUBSCRIBE].type,
			 sender->bare);
		return;
	}
	if (res.auto_reply)
		sub_generate(rcpt, sender, "subscribed");
	if (!res.deliver)
		return;
	sub_send_to_user(rcpt->user, xml);
	if (ev == SUB_IN_SUBSCRIBED) /* rcpt now sees sender's presence */
		sub_send_presence(sender, rcpt);
	else if (ev == SUB_IN_UNSUBSCRIBED) /* rcpt no longer does */
		sub_send_unavailable(sender, rcpt);
	else if (ev == SUB_IN_UNSUBSCRIBE) /* sender no longer sees rcpt's */
		sub_send_unavailable(rcpt, sender);
}

/* The server sends <presence type=type/> from one party to the other on
   the first's behalf (an answer, or a roster removal): only the
   recipient's side is processed. */
static void sub_generate(const struct sub_party *from,
			 const struct sub_party *to, const char *type)
{
	struct buf b;
	buf_init(&b, SUB_GENERATED_MAX);
	if (buf_printf(&b, "<presence type='%s' from='", type) == 0 &&
	    xml_escape_attr(&b, from->bare, strlen(from->bare)) == 0 &&
	    buf_append_str(&b, "' to='") == 0 &&
	    xml_escape_attr(&b, to->bare, strlen(to->bare)) == 0 &&
	    buf_append(&b, "'/>", 4) == 0) /* with the NUL */
		sub_inbound(
			to, from,
			(enum subscription_event)subscription_event_of(type, 1),
			buf_head(&b));
	else
		log_warn("%s to %s not built: %m", type, to->bare);
	buf_free(&b);
}

void subscription_outbound(struct session *s, struct xml_node *st,
			   const struct jid *to)
{
	const char *type = xml_node_attr(st, "type");
	int ev = subscription_event_of(type, 0);
	struct sub_party user, contact;
	if (ev < 0 || sub_party_from_jid(&contact, to) < 0)
		return;
	sub_party_set(&user, s->xs->user, strlen(s->xs->user));
	if (strcmp(user.user, contact.user) == 0)
		return;
	struct buf b;
	buf_init(&b, STORE_MAX_STANZA + 1);
	if (xml_node_set_attr(st, "from", user.bare) < 0 ||
	    xml_node_set_attr(st, "to", contact.bare) < 0 ||
	    xml_serialize(&b, st, NS_CLIENT) < 0 || buf_append(&b, "", 1) < 0) {
		router_bounce(s, st, "modify", "policy-violation");
		buf_free(&b);
		return;
	}
	struct subscription_result res;
	if (sub_apply(user.user, contact.bare, (enum subscription_event)ev,
		      NULL, &res) < 0) {
		router_bounce(s, st, "wait", "resource-constraint");
	} else if (res.deliver) {
		sub_inbound(
			&contact, &user,
			(enum subscription_event)subscription_event_of(type, 1),
			buf_head(&b));
	}
	buf_free(&b);
}

void subscription_resend_pending(struct session *s)
{
	struct store_roster r;
	if (store_roster_get(xmppd_config.store, s->xs->user, &r) != 0)
		return;
	for (size_t i = 0; i < r.n; i++) {
		const struct store_roster_item *it = &r.items[i];
		if ((it->ask & STORE_ASK_IN) && !(it->sub & STORE_SUB_FROM) &&
		    it->pending_stanza)
			xstream_send_stanza(s->xs, it->pending_stanza,
					    strlen(it->pending_stanza));
	}
	store_roster_free(&r);
}

void subscription_roster_removed(const char *user,
				 const struct store_roster_item *old)
{
	struct jid cj;
	struct sub_party self, contact;
	size_t len = strlen(user);
	if (len > JID_PART_MAX ||
	    jid_parse(&cj, old->jid, strlen(old->jid)) < 0)
		return;
	int local = sub_party_from_jid(&contact, &cj) == 0;
	jid_free(&cj);
	if (!local)
		return;
	sub_party_set(&self, user, len);
	if ((old->sub & STORE_SUB_TO) || (old->ask & STORE_ASK_OUT))
		sub_generate(&self, &contact, "unsubscribe");
	if ((old->sub & STORE_SUB_FROM) || (old->ask & STORE_ASK_IN))
		sub_generate(&self, &contact, "unsubscribed");
}
