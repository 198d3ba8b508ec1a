/* roster.c: the roster get and set of RFC 6121 2, and roster pushes.
 *
 * iq_server.c dispatches jabber:iq:roster IQs here. A get answers the
 * whole roster as text (items written one by one, so its size is bounded
 * by the reply buffer and no tree is built), or nothing new when the
 * client's 'ver' is current. A set changes only the name and groups, or
 * removes the item; subscription and ask are left to the presence
 * subscription code. Every change is pushed to the interested sessions
 * with the new roster version. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iq_server.h"
#include "log.h"
#include "roster.h"
#include "subscription.h"
#include "xmppd.h"

#define ROSTER_REPLY_LIMIT XMPPD_OUT_LIMIT /* a whole roster, serialised */
#define ROSTER_VER_MAX 24		   /* an int64 in decimal, and NUL */
/* One <item/>, serialised: jid, name and groups escaped (at most 6 bytes
   each), plus the markup. */
#define ROSTER_ITEM_MAX ((STORE_MAX_GROUPS + 2) * (6 * STORE_MAX_JID + 32))

static const char *const roster_sub_names[] = {
	[STORE_SUB_NONE] = "none",
	[STORE_SUB_TO] = "to",
	[STORE_SUB_FROM] = "from",
	[STORE_SUB_BOTH] = "both",
};

static const struct roster_error roster_bad_request = {"modify", "bad-request"};
static const struct roster_error roster_not_acceptable = {"modify",
							  "not-acceptable"};
static const struct roster_error roster_no_memory = {"wait",
						     "resource-constraint"};

/* ---- writing items ------------------------------------------------------- */

static int roster_write_attr(struct buf *out, const char *name,
			     const char *value)
{
	if (buf_printf(out, " %s='", name) < 0 ||
	    xml_escape_attr(out, value, strlen(value)) < 0 ||
	    buf_append_str(out, "'") < 0)
		return -1;
	return 0;
}

int roster_item_write(struct buf *out, const struct store_roster_item *it,
		      int removed)
{
	const char *sub = "remove";
	if (!removed)
		sub = (unsigned)it->sub < sizeof roster_sub_names /
						  sizeof roster_sub_names[0]
			      ? roster_sub_names[it->sub]
			      : "none";
	if (buf_append_str(out, "<item") < 0 ||
	    roster_write_attr(out, "jid", it->jid) < 0 ||
	    (!removed && it->name &&
	     roster_write_attr(out, "name", it->name) < 0) ||
	    roster_write_attr(out, "subscription", sub) < 0 ||
	    (!removed && (it->ask & STORE_ASK_OUT) &&
	     roster_write_attr(out, "ask", "subscribe") < 0))
		return -1;
	if (removed || it->ngroups == 0)
		return buf_append_str(out, "/>");
	if (buf_append_str(out, ">") < 0)
		return -1;
	for (size_t i = 0; i < it->ngroups; i++)
		if (buf_append_str(out, "<group>") < 0 ||
		    xml_escape_text(out, it->groups[i], strlen(it->groups[i])) <
			    0 ||
		    buf_append_str(out, "</group>") < 0)
			return -1;
	return buf_append_str(out, "</item>");
}

static void roster_version_string(int64_t version, char *out)
{
	snprintf(out, ROSTER_VER_MAX, "%" PRId64, version);
}

/* Appends <query xmlns='jabber:iq:roster' ver=...> with every item of r
   (ver NULL: no 'ver' attribute). 0, or -1 with errno. */
static int roster_write_query(struct buf *out, const struct store_roster *r,
			      const char *ver)
{
	if (buf_append_str(out, "<query xmlns='" NS_ROSTER "'") < 0 ||
	    (ver && roster_write_attr(out, "ver", ver) < 0) ||
	    buf_append_str(out, ">") < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		if (subscription_item_is_visible(&r->items[i]) &&
		    roster_item_write(out, &r->items[i], 0) < 0)
			return -1;
	return buf_append_str(out, "</query>");
}

int roster_push(const char *user, const struct store_roster_item *item,
		int removed, int64_t version)
{
	char ver[ROSTER_VER_MAX];
	roster_version_string(version, ver);
	struct buf b;
	buf_init(&b, ROSTER_ITEM_MAX + 64);
	if (buf_append_str(&b, "<query xmlns='" NS_ROSTER "'") < 0 ||
	    roster_write_attr(&b, "ver", ver) < 0 ||
	    buf_append_str(&b, ">") < 0 ||
	    roster_item_write(&b, item, removed) < 0 ||
	    buf_append_str(&b, "</query>") < 0) {
		log_warn("%s: push of %s not built: %m", user, item->jid);
		buf_free(&b);
		return -1;
	}
	iq_server_push(user, buf_head(&b), b.len, 1);
	buf_free(&b);
	return 0;
}

/* ---- get ----------------------------------------------------------------- */

void roster_handle_get(struct iq_request *rq)
{
	struct store_roster r;
	if (store_roster_get(xmppd_config.store, rq->user, &r) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	rq->s->interested = 1;
	char ver[ROSTER_VER_MAX];
	roster_version_string(r.version, ver);
	const char *client_ver = xml_node_attr(rq->payload, "ver");
	if (client_ver && strcmp(client_ver, ver) == 0) {
		iq_server_reply(rq, NULL); /* RFC 6121 2.6.3: nothing new */
	} else {
		struct buf b;
		if (iq_server_reply_begin(rq, &b, ROSTER_REPLY_LIMIT) < 0) {
			iq_server_fail(rq, errno);
		} else {
			int err = roster_write_query(&b, &r,
						     client_ver ? ver : NULL);
			iq_server_reply_end(rq, &b, err < 0 ? errno : 0);
		}
	}
	store_roster_free(&r);
}

/* ---- set ----------------------------------------------------------------- */

/* The only <item/> of query, or NULL if there are other elements or none. */
static const struct xml_node *roster_only_item(const struct xml_node *query)
{
	const struct xml_node *item = NULL;
	for (const struct xml_node *c = query->first_child; c; c = c->next) {
		if (!c->name)
			continue;
		if (item || !xml_node_is(c, NS_ROSTER, "item"))
			return NULL;
		item = c;
	}
	return item;
}

/* Copies the text of el into its arena as a modifiable string, refusing
   an empty one or one longer than STORE_MAX_JID. */
static const struct roster_error *roster_text(const struct xml_node *el,
					      char **out)
{
	const char *t = xml_node_text(el);
	if (!t)
		return &roster_no_memory;
	size_t len = strlen(t);
	if (len == 0 || len > STORE_MAX_JID)
		return &roster_not_acceptable;
	*out = xml_arena_strndup(el->arena, t, len);
	return *out ? NULL : &roster_no_memory;
}

static const struct roster_error *
roster_parse_groups(const struct xml_node *item, struct roster_update *out)
{
	for (const struct xml_node *c = item->first_child; c; c = c->next) {
		if (!xml_node_is(c, NS_ROSTER, "group"))
			continue;
		if (out->ngroups == STORE_MAX_GROUPS)
			return &roster_not_acceptable;
		char *g;
		const struct roster_error *e = roster_text(c, &g);
		if (e)
			return e;
		for (size_t i = 0; i < out->ngroups; i++)
			if (strcmp(out->groups[i], g) == 0)
				return &roster_bad_request;
		out->groups[out->ngroups++] = g;
	}
	return NULL;
}

static const struct roster_error *roster_parse_name(const struct xml_node *item,
						    struct roster_update *out)
{
	const char *name = xml_node_attr(item, "name");
	if (!name || !*name)
		return NULL;
	size_t len = strlen(name);
	if (len > STORE_MAX_JID)
		return &roster_not_acceptable;
	out->name = xml_arena_strndup(item->arena, name, len);
	return out->name ? NULL : &roster_no_memory;
}

const struct roster_error *roster_update_parse(const struct xml_node *query,
					       const struct jid *self,
					       struct roster_update *out)
{
	memset(out, 0, sizeof *out);
	const struct xml_node *item = roster_only_item(query);
	const char *jid = item ? xml_node_attr(item, "jid") : NULL;
	if (!jid)
		return &roster_bad_request;
	if (jid_parse(&out->jid, jid, strlen(jid)) < 0)
		return errno == ENOMEM ? &roster_no_memory
				       : &roster_bad_request;
	const struct roster_error *e = NULL;
	const char *sub = xml_node_attr(item, "subscription");
	if (jid_has_resource(&out->jid) || jid_bare_equal(&out->jid, self))
		e = &roster_bad_request;
	else if (sub && strcmp(sub, "remove") == 0)
		out->remove = 1;
	else if (!(e = roster_parse_name(item, out)))
		e = roster_parse_groups(item, out);
	if (e)
		jid_free(&out->jid);
	return e;
}

static void roster_remove(struct iq_request *rq, struct roster_update *up)
{
	struct store_roster_item old;
	if (store_roster_get_item(xmppd_config.store, rq->user, up->jid.full,
				  &old) != 0)
		memset(&old, 0, sizeof old);
	int64_t version;
	int rc = store_roster_remove(xmppd_config.store, rq->user, up->jid.full,
				     &version);
	if (rc != 0)
		store_roster_item_free(&old);
	if (rc == 1) {
		iq_server_error(rq, "cancel", "item-not-found");
		return;
	}
	if (rc < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	iq_server_reply(rq, NULL);
	struct store_roster_item gone = {.jid = up->jid.full};
	roster_push(rq->user, &gone, 1, version);
	if (old.jid)
		subscription_roster_removed(rq->user, &old);
	store_roster_item_free(&old);
}

/* Sets name and groups, keeping the subscription state of an existing
   item (a new one starts with subscription none). */
static void roster_set_item(struct iq_request *rq, struct roster_update *up)
{
	struct store_roster_item old;
	int rc = store_roster_get_item(xmppd_config.store, rq->user,
				       up->jid.full, &old);
	if (rc < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	if (rc == 1)
		memset(&old, 0, sizeof old);
	struct store_roster_item it = old; /* borrows old's pending stanza */
	it.jid = up->jid.full;
	it.name = up->name;
	it.groups = up->groups;
	it.ngroups = up->ngroups;
	int64_t version;
	if (store_roster_put(xmppd_config.store, rq->user, &it, &version) < 0) {
		iq_server_fail(rq, errno);
	} else {
		iq_server_reply(rq, NULL);
		roster_push(rq->user, &it, 0, version);
	}
	store_roster_item_free(&old);
}

void roster_handle_set(struct iq_request *rq)
{
	struct roster_update up;
	const struct roster_error *e =
		roster_update_parse(rq->payload, &rq->s->jid, &up);
	if (e) {
		iq_server_error(rq, e->type, e->condition);
		return;
	}
	if (up.remove)
		roster_remove(rq, &up);
	else
		roster_set_item(rq, &up);
	jid_free(&up.jid);
}
