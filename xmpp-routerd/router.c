/* router.c: delivers the stanzas of bound clients (RFC 6121 8).
 *
 * The server stamps 'from' with the sender's full JID, so a client can
 * never speak as another address. A stanza to another domain gets
 * <remote-server-not-found/> (there is no server-to-server link yet). For a
 * local user: to a full JID that is bound, straight to that session;
 * otherwise messages go to the available resources of highest
 * non-negative priority (headlines to all of them), or are stored offline
 * (XEP-0160) and delivered with a <delay/> at the next available presence.
 * Presence without 'to' is broadcast to the user's other resources and to
 * the contacts subscribed to it; IQs to the server or to a bare JID are
 * answered by iq_server.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carbons.h"
#include "iq_server.h"
#include "log.h"
#include "subscription.h"
#include "xmppd.h"

#define ROUTER_ERROR_LIMIT (64 * 1024)
#define ROUTER_RATE_SLOTS 64  /* seconds of per-second stanza counts */
#define ROUTER_RATE_WINDOW 10 /* seconds averaged by router_stanza_rate */

/* Stanzas routed: a total, and per-second counts in a ring for the rate
   that `parleyctl stats` shows. */
static uint64_t router_total;
static struct {
	time_t second;
	uint64_t count;
} router_ring[ROUTER_RATE_SLOTS];

static void router_count(void)
{
	time_t now = time(NULL);
	size_t slot = (size_t)now % ROUTER_RATE_SLOTS;
	if (router_ring[slot].second != now) {
		router_ring[slot].second = now;
		router_ring[slot].count = 0;
	}
	router_ring[slot].count++;
	router_total++;
}

uint64_t router_stanzas_total(void)
{
	return router_total;
}

uint64_t router_stanza_rate(void)
{
	time_t now = time(NULL);
	uint64_t sum = 0;
	for (time_t t = now - ROUTER_RATE_WINDOW; t < now; t++) {
		size_t slot = (size_t)t % ROUTER_RATE_SLOTS;
		if (router_ring[slot].second == t)
			sum += router_ring[slot].count;
	}
	return sum / ROUTER_RATE_WINDOW;
}

static int router_is_local(const struct jid *j)
{
	return j->domain_len == strlen(xmppd_config.domain) &&
	       memcmp(j->full + j->domain_off, xmppd_config.domain,
		      j->domain_len) == 0;
}

/* The localpart of j as a string (empty if none). */
static void router_user_of(const struct jid *j, char *out)
{
	memcpy(out, j->full, j->local_len);
	out[j->local_len] = '\0';
}

static const char *router_type(const struct xml_node *st, const char *dflt)
{
	const char *t = xml_node_attr(st, "type");
	return t ? t : dflt;
}

void router_bounce(struct session *s, const struct xml_node *st,
		   const char *type, const char *condition)
{
	const char *stype = xml_node_attr(st, "type");
	if (!s)
		return; /* a sender that is not a local session */
	if (stype && strcmp(stype, "error") == 0)
		return; /* never answer an error with an error */
	const char *id = xml_node_attr(st, "id");
	const char *to = xml_node_attr(st, "to");
	struct buf b;
	buf_init(&b, ROUTER_ERROR_LIMIT);
	buf_printf(&b, "<%s type='error' to='", st->name);
	xml_escape_attr(&b, s->jid.full, strlen(s->jid.full));
	buf_append_str(&b, "' from='");
	const char *from = to ? to : xmppd_config.domain;
	xml_escape_attr(&b, from, strlen(from));
	if (id) {
		buf_append_str(&b, "' id='");
		xml_escape_attr(&b, id, strlen(id));
	}
	buf_printf(&b, "'><error type='%s'><%s xmlns='%s'/></error></%s>", type,
		   condition, NS_STANZA_ERRORS, st->name);
	xstream_send_stanza(s->xs, buf_head(&b), b.len);
	buf_free(&b);
}

static void router_send(struct session *dst, const struct xml_node *st)
{
	if (xstream_send_node(dst->xs, st) < 0)
		log_debug("%s: delivery failed", dst->jid.full);
}

/* 1 if r's stream can still take stanzas: not ending (a stream error or
   its close sent, as for every stream at a stop). A message for a session
   that cannot is treated as if it were gone: another resource, else
   offline storage. */
static int router_takes(const struct session *r)
{
	return r->xs && r->xs->state != XS_CLOSING;
}

/* The highest priority among available non-negative resources, or -1. */
static int router_top_priority(struct session *list)
{
	int top = -1;
	for (struct session *r = list; r; r = r->next_of_user)
		if (r->available && router_takes(r) && r->priority >= 0 &&
		    r->priority > top)
			top = r->priority;
	return top;
}

/* Stores a message for an offline user, with a XEP-0203 delay. 0, or -1
   if it could not be stored (the sender gets an error). */
static int router_store_offline(const char *user, struct xml_node *st)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	struct xml_node *d = xml_node_add_child(st, "urn:xmpp:delay", "delay");
	if (!d || xml_node_set_attr(d, "from", xmppd_config.domain) < 0 ||
	    xml_node_set_attr(d, "stamp", stamp) < 0)
		return -1;
	struct buf b;
	buf_init(&b, (size_t)xmppd_config.max_stanza * 2);
	int rc = xml_serialize(&b, st, NS_CLIENT);
	if (rc == 0)
		rc = buf_append(&b, "", 1); /* the store takes a C string */
	if (rc == 0)
		rc = store_offline_push(xmppd_config.store, user, buf_head(&b),
					(size_t)xmppd_config.offline_max) == 0
			     ? 0
			     : -1;
	buf_free(&b);
	return rc;
}

/* got_it callbacks for carbons_copy. */
static int router_is_session(struct session *r, void *ctx)
{
	return r == ctx;
}

static int router_got_bare(struct session *r, void *ctx)
{
	int top = *(int *)ctx;
	return top >= 0 && r->available && r->priority == top;
}

/* A message to a local user's bare JID (or an unbound full JID). */
static void router_message_to_user(struct session *s, struct xml_node *st,
				   const char *user)
{
	const char *type = router_type(st, "normal");
	if (strcmp(type, "error") == 0)
		return;
	if (strcmp(type, "groupchat") == 0) {
		router_bounce(s, st, "cancel", "service-unavailable");
		return;
	}
	struct session *list = session_find_user(user);
	int top = router_top_priority(list);
	int delivered = 0;
	for (struct session *r = list; r && top >= 0; r = r->next_of_user) {
		if (!r->available || !router_takes(r) || r->priority < 0)
			continue;
		if (strcmp(type, "headline") != 0 && r->priority != top)
			continue;
		router_send(r, st);
		delivered = 1;
	}
	if (delivered)
		carbons_copy(user, st, "received", router_got_bare, &top);
	if (delivered || strcmp(type, "headline") == 0)
		return;
	if (store_user_exists(xmppd_config.store, user) != 0) {
		router_bounce(s, st, "cancel", "service-unavailable");
		return;
	}
	if (!xml_node_child(st, NULL, "body"))
		return; /* chat states and the like are not worth storing */
	if (router_store_offline(user, st) < 0)
		router_bounce(s, st, "wait", "resource-constraint");
}

static void router_message(struct session *s, struct xml_node *st,
			   const struct jid *to)
{
	char user[JID_PART_MAX + 1];
	router_user_of(to, user);
	if (!to->local_len) {
		router_bounce(s, st, "cancel", "service-unavailable");
		return;
	}
	carbons_copy(s->xs->user, st, "sent", router_is_session, s);
	struct session *dst =
		jid_has_resource(to) ? session_find_full(to) : NULL;
	if (dst && router_takes(dst)) {
		router_send(dst, st);
		carbons_copy(user, st, "received", router_is_session, dst);
		return;
	}
	router_message_to_user(s, st, user);
}

static void router_iq(struct session *s, struct xml_node *st,
		      const struct jid *to)
{
	const char *type = router_type(st, "");
	int request = strcmp(type, "get") == 0 || strcmp(type, "set") == 0;
	if (jid_has_resource(to)) {
		struct session *dst = session_find_full(to);
		if (dst)
			router_send(dst, st);
		else if (request)
			router_bounce(s, st, "cancel", "service-unavailable");
		xml_arena_free(st->arena);
		return;
	}
	char user[JID_PART_MAX + 1];
	router_user_of(to, user);
	if (!to->local_len || strcmp(user, s->xs->user) == 0) {
		iq_server_handle(s, st); /* takes the tree */
		return;
	}
	iq_server_handle_for_user(s, st, user); /* takes the tree */
}

/* 1 if user has blocked jid (a bare JID) or jid's user has blocked user
   (XEP-0191: no presence either way, no stanzas from a blocked entity). */
static int router_blocked_between(const char *user, const char *jid,
				  const char *jid_user)
{
	char user_bare[2 * JID_PART_MAX + 2];
	snprintf(user_bare, sizeof user_bare, "%s@%s", user,
		 xmppd_config.domain);
	return store_block_has(xmppd_config.store, user, jid) == 0 ||
	       (jid_user &&
		store_block_has(xmppd_config.store, jid_user, user_bare) == 0);
}

/* Calls fn for every available session that should see s's broadcast
   presence: the user's other resources, then the sessions of contacts
   with a 'from' or 'both' subscription. */
static void router_presence_audience(struct session *s,
				     void (*fn)(struct session *to, void *ctx),
				     void *ctx)
{
	for (struct session *r = session_find_user(s->xs->user); r;
	     r = r->next_of_user)
		if (r != s && r->available)
			fn(r, ctx);
	struct store_roster roster;
	if (store_roster_get(xmppd_config.store, s->xs->user, &roster) != 0)
		return;
	for (size_t i = 0; i < roster.n; i++) {
		struct store_roster_item *it = &roster.items[i];
		struct jid cj;
		if (!(it->sub & STORE_SUB_FROM) ||
		    jid_parse(&cj, it->jid, strlen(it->jid)) < 0)
			continue;
		if (router_is_local(&cj) && cj.local_len) {
			char cu[JID_PART_MAX + 1];
			router_user_of(&cj, cu);
			if (!router_blocked_between(s->xs->user, it->jid, cu))
				for (struct session *r = session_find_user(cu);
				     r; r = r->next_of_user)
					if (r->available)
						fn(r, ctx);
		}
		jid_free(&cj);
	}
	store_roster_free(&roster);
}

static void router_send_text(struct session *to, void *ctx)
{
	const char *xml = ctx;
	xstream_send_stanza(to->xs, xml, strlen(xml));
}

/* Sends the current presence of every available resource of the user's
   'to'/'both' contacts to s (the answer to the implicit probe). */
static void router_probe_contacts(struct session *s)
{
	struct store_roster roster;
	if (store_roster_get(xmppd_config.store, s->xs->user, &roster) != 0)
		return;
	for (size_t i = 0; i < roster.n; i++) {
		struct jid cj;
		if (!(roster.items[i].sub & STORE_SUB_TO) ||
		    jid_parse(&cj, roster.items[i].jid,
			      strlen(roster.items[i].jid)) < 0)
			continue;
		if (router_is_local(&cj) && cj.local_len) {
			char cu[JID_PART_MAX + 1];
			router_user_of(&cj, cu);
			if (router_blocked_between(s->xs->user,
						   roster.items[i].jid, cu))
				cu[0] = '\0'; /* nobody's presence to send */
			for (struct session *r = cu[0] ? session_find_user(cu)
						       : NULL;
			     r; r = r->next_of_user)
				if (r->available && r->presence)
					xstream_send_stanza(
						s->xs, r->presence,
						strlen(r->presence));
		}
		jid_free(&cj);
	}
	store_roster_free(&roster);
}

static int router_offline_one(const struct store_offline *m, void *ctx)
{
	struct session *s = ctx;
	return xstream_send_stanza(s->xs, m->stanza, strlen(m->stanza));
}

static int router_priority_of(const struct xml_node *st)
{
	struct xml_node *p = xml_node_child(st, NULL, "priority");
	const char *t = p ? xml_node_text(p) : NULL;
	long v = t ? strtol(t, NULL, 10) : 0;
	return v < -128 ? -128 : v > 127 ? 127 : (int)v;
}

/* Presence without 'to': available, or unavailable. */
static void router_presence_broadcast(struct session *s, struct xml_node *st)
{
	const char *type = router_type(st, "available");
	struct buf b;
	buf_init(&b, (size_t)xmppd_config.max_stanza * 2);
	if (xml_serialize(&b, st, NS_CLIENT) < 0 || buf_append(&b, "", 1) < 0) {
		buf_free(&b);
		return;
	}
	if (strcmp(type, "unavailable") == 0) {
		router_presence_audience(s, router_send_text, buf_head(&b));
		s->available = 0;
		free(s->presence);
		s->presence = NULL;
	} else if (strcmp(type, "available") == 0) {
		int initial = !s->available;
		free(s->presence);
		s->presence = strdup(buf_head(&b));
		s->available = s->presence != NULL;
		s->priority = router_priority_of(st);
		router_presence_audience(s, router_send_text, buf_head(&b));
		if (initial) {
			router_probe_contacts(s);
			subscription_resend_pending(s);
		}
		if (initial && s->priority >= 0)
			store_offline_pop(xmppd_config.store, s->xs->user,
					  router_offline_one, s);
	}
	buf_free(&b);
}

/* Directed presence (available or unavailable) to a local contact. */
static void router_presence_directed(struct session *s, struct xml_node *st,
				     const struct jid *to)
{
	const char *type = router_type(st, "available");
	if (subscription_event_of(type, 0) >= 0) {
		subscription_outbound(s, st, to);
		return;
	}
	if (strcmp(type, "available") != 0 &&
	    strcmp(type, "unavailable") != 0) {
		/* Probes and errors from a client are not for us to route. */
		router_bounce(s, st, "cancel", "feature-not-implemented");
		return;
	}
	if (jid_has_resource(to)) {
		struct session *dst = session_find_full(to);
		if (dst)
			router_send(dst, st);
		return;
	}
	char user[JID_PART_MAX + 1];
	router_user_of(to, user);
	for (struct session *r = session_find_user(user); r;
	     r = r->next_of_user)
		if (r->available)
			router_send(r, st);
}

void router_session_ended(struct session *s)
{
	if (!s->available || !s->xs || !s->xs->user)
		return;
	struct buf b;
	buf_init(&b, 4096);
	buf_append_str(&b, "<presence type='unavailable' from='");
	xml_escape_attr(&b, s->jid.full, strlen(s->jid.full));
	buf_append_str(&b, "'/>");
	buf_append(&b, "", 1);
	s->available = 0;
	router_presence_audience(s, router_send_text, buf_head(&b));
	buf_free(&b);
}

/* Sends the presence of each available session of from_user (or an
   unavailable one) to every available session of to_user. */
static void router_presence_between(const char *from_user, const char *to_user,
				    int unavailable)
{
	char to_bare[2 * JID_PART_MAX + 2];
	snprintf(to_bare, sizeof to_bare, "%s@%s", to_user,
		 xmppd_config.domain);
	for (struct session *f = session_find_user(from_user); f;
	     f = f->next_of_user) {
		if (!f->available)
			continue;
		struct buf b;
		buf_init(&b, (size_t)xmppd_config.max_stanza * 2);
		if (unavailable) {
			buf_append_str(&b,
				       "<presence type='unavailable' from='");
			xml_escape_attr(&b, f->jid.full, strlen(f->jid.full));
			buf_append_str(&b, "'/>");
		} else if (f->presence) {
			buf_append_str(&b, f->presence);
		}
		if (b.len && buf_append(&b, "", 1) == 0)
			for (struct session *t = session_find_user(to_user); t;
			     t = t->next_of_user)
				if (t->available)
					router_send_text(t, buf_head(&b));
		buf_free(&b);
	}
}

void router_block_changed(const char *user, const struct jid *j, int blocked)
{
	if (!j->local_len || jid_has_resource(j) || !router_is_local(j))
		return;
	char cu[JID_PART_MAX + 1], bare[2 * JID_PART_MAX + 2];
	router_user_of(j, cu);
	jid_bare(j, bare);
	if (blocked) { /* each now sees the other go offline */
		router_presence_between(user, cu, 1);
		router_presence_between(cu, user, 1);
		return;
	}
	if (router_blocked_between(user, bare, cu))
		return; /* still blocked the other way */
	struct store_roster_item it;
	if (store_roster_get_item(xmppd_config.store, user, bare, &it) != 0)
		return;
	if (it.sub & STORE_SUB_FROM)
		router_presence_between(user, cu, 0);
	if (it.sub & STORE_SUB_TO)
		router_presence_between(cu, user, 0);
	store_roster_item_free(&it);
}

/* A stanza from s to another local user across a block (either way):
   XEP-0191 answers the sender with not-acceptable when it blocked the
   recipient; when the recipient blocked the sender, the same answer keeps
   it simple and reveals as little (the XEP lets the server choose). */
static int router_is_blocked_route(struct session *s, const struct jid *to)
{
	if (!to->local_len)
		return 0;
	char to_user[JID_PART_MAX + 1], to_bare[2 * JID_PART_MAX + 2];
	router_user_of(to, to_user);
	if (strcmp(to_user, s->xs->user) == 0)
		return 0;
	jid_bare(to, to_bare);
	return router_blocked_between(s->xs->user, to_bare, to_user);
}

int router_from_client(struct session *s, struct xml_node *st)
{
	struct xstream *xs = s->xs;
	router_count();
	if (xml_node_set_attr(st, "from", s->jid.full) < 0) {
		xml_arena_free(st->arena);
		return 0;
	}
	const char *to = xml_node_attr(st, "to");
	struct jid tj = {0};
	if (to && jid_parse(&tj, to, strlen(to)) < 0) {
		router_bounce(s, st, "modify", "jid-malformed");
		xml_arena_free(st->arena);
		return 0;
	}
	if (to && !router_is_local(&tj)) {
		router_bounce(s, st, "cancel", "remote-server-not-found");
	} else if (to && router_is_blocked_route(s, &tj)) {
		router_bounce(s, st, "cancel", "not-acceptable");
	} else if (strcmp(st->name, "iq") == 0) {
		if (!to)
			iq_server_handle(s, st);
		else
			router_iq(s, st, &tj);
		jid_free(&tj);
		return xs->state == XS_CLOSING ? -1 : 0; /* st was taken */
	} else if (strcmp(st->name, "message") == 0) {
		if (to)
			router_message(s, st, &tj);
		else
			router_message_to_user(s, st, xs->user);
	} else if (!to) {
		router_presence_broadcast(s, st);
	} else {
		router_presence_directed(s, st, &tj);
	}
	if (to)
		jid_free(&tj);
	xml_arena_free(st->arena);
	return xs->state == XS_CLOSING ? -1 : 0;
}

/* The local session that sent st (its 'from' is a bound full JID), or
   NULL. */
static struct session *router_local_sender(const struct xml_node *st)
{
	const char *from = xml_node_attr(st, "from");
	struct jid j = {0};
	if (!from || jid_parse(&j, from, strlen(from)) < 0)
		return NULL;
	struct session *s = router_is_local(&j) ? session_find_full(&j) : NULL;
	jid_free(&j);
	return s;
}

void router_redeliver(const char *user, struct xml_node *st)
{
	const char *type = router_type(st, "");
	int jabber_client = st->ns && strcmp(st->ns, NS_CLIENT) == 0;
	router_count();
	if (jabber_client && strcmp(st->name, "message") == 0 &&
	    !carbons_is_copy(st)) {
		router_message_to_user(router_local_sender(st), st, user);
	} else if (jabber_client && strcmp(st->name, "iq") == 0 &&
		   (strcmp(type, "get") == 0 || strcmp(type, "set") == 0)) {
		router_bounce(router_local_sender(st), st, "cancel",
			      "service-unavailable");
	}
	xml_arena_free(st->arena);
}
