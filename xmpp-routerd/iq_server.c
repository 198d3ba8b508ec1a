/* iq_server.c: answers the IQs addressed to the server or to an account.
 *
 * The router hands over IQs to the domain, to the sender's own bare JID
 * (or without 'to'), and to another local user's bare JID. One table,
 * keyed on (type, payload namespace, payload name), names the handler and
 * the targets it serves; anything else gets <service-unavailable/>. The
 * small handlers live here (disco, ping, version, time, vCard, private
 * XML, blocking); the roster is in roster.c. Replies are written as text
 * behind an <iq/> head so that stored XML is appended as it was stored
 * (serialised by us, never re-parsed) and long lists need no tree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carbons.h"
#include "iq_server.h"
#include "log.h"
#include "register.h"
#include "roster.h"
#include "xmppd.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_VERSION "jabber:iq:version"
#define NS_TIME "urn:xmpp:time"
#define NS_VCARD "vcard-temp"
#define NS_PRIVATE "jabber:iq:private"
#define NS_BLOCKING "urn:xmpp:blocking"
#define NS_REGISTER "jabber:iq:register"

#define IQ_TREE_LIMIT (16 * 1024)     /* arena of a small reply payload */
#define IQ_TREE_OUT_LIMIT (64 * 1024) /* that payload, serialised */
#define IQ_LIST_LIMIT XMPPD_OUT_LIMIT /* a blocklist, serialised */
#define IQ_HEAD_EXTRA 64	      /* '<iq type=...' without values */
#define IQ_ESCAPE_FACTOR 6	      /* "'" becomes "&apos;" */
#define IQ_ITEM_MAX (IQ_ESCAPE_FACTOR * JID_FULL_MAX + 32) /* <item jid/> */

#define IQ_ALL_TARGETS (IQ_TO_SERVER | IQ_TO_SELF | IQ_TO_OTHER)
#define IQ_OWN_ACCOUNT (IQ_TO_SERVER | IQ_TO_SELF)

/* ---- reply helpers ------------------------------------------------------- */

static size_t iq_escaped_bound(const char *s)
{
	return s ? IQ_ESCAPE_FACTOR * strlen(s) : 0;
}

/* Writes <iq type='type' id= to= from=> (NULL values are left out). */
static int iq_write_head(struct buf *out, const char *type, const char *id,
			 const char *to, const char *from)
{
	const char *names[] = {"id", "to", "from"};
	const char *values[] = {id, to, from};
	if (buf_printf(out, "<iq type='%s'", type) < 0)
		return -1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!values[i])
			continue;
		if (buf_printf(out, " %s='", names[i]) < 0 ||
		    xml_escape_attr(out, values[i], strlen(values[i])) < 0 ||
		    buf_append_str(out, "'") < 0)
			return -1;
	}
	return buf_append_str(out, ">");
}

void iq_server_error(const struct iq_request *rq, const char *type,
		     const char *condition)
{
	router_bounce(rq->s, rq->iq, type, condition);
}

/* The stanza error for an errno from the store or from building a reply. */
static const struct {
	int err;
	const char *type;
	const char *condition;
} iq_fail_table[] = {
	{EMSGSIZE, "modify", "not-acceptable"},
	{EDQUOT, "modify", "policy-violation"},
	{ENOBUFS, "wait", "resource-constraint"},
	{ENOMEM, "wait", "resource-constraint"},
};

void iq_server_fail(const struct iq_request *rq, int err)
{
	for (size_t i = 0; i < sizeof iq_fail_table / sizeof iq_fail_table[0];
	     i++) {
		if (iq_fail_table[i].err != err)
			continue;
		if (err == ENOBUFS)
			log_warn("%s: reply too large", rq->s->jid.full);
		iq_server_error(rq, iq_fail_table[i].type,
				iq_fail_table[i].condition);
		return;
	}
	iq_server_error(rq, "wait", "internal-server-error");
}

int iq_server_reply_begin(const struct iq_request *rq, struct buf *out,
			  size_t payload_limit)
{
	const char *id = xml_node_attr(rq->iq, "id");
	buf_init(out, IQ_HEAD_EXTRA + iq_escaped_bound(id) +
			      iq_escaped_bound(rq->s->jid.full) +
			      iq_escaped_bound(rq->from) + payload_limit +
			      sizeof "</iq>");
	if (iq_write_head(out, "result", id, rq->s->jid.full, rq->from) < 0) {
		buf_free(out);
		return -1;
	}
	return 0;
}

void iq_server_reply_end(const struct iq_request *rq, struct buf *out, int err)
{
	if (!err && buf_append_str(out, "</iq>") < 0)
		err = errno;
	if (err)
		iq_server_fail(rq, err);
	else
		xstream_send_stanza(rq->s->xs, buf_head(out), out->len);
	buf_free(out);
}

void iq_server_reply(const struct iq_request *rq,
		     const struct xml_node *payload)
{
	struct buf b;
	if (iq_server_reply_begin(rq, &b, IQ_TREE_OUT_LIMIT) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	int err = 0;
	if (payload && xml_serialize(&b, payload, NS_CLIENT) < 0)
		err = errno;
	iq_server_reply_end(rq, &b, err);
}

/* Appends raw (serialised by us) between open and close, and sends. */
static void iq_reply_raw(const struct iq_request *rq, const char *open,
			 const char *raw, size_t len, const char *close)
{
	struct buf b;
	if (iq_server_reply_begin(rq, &b, strlen(open) + len + strlen(close)) <
	    0) {
		iq_server_fail(rq, errno);
		return;
	}
	int err = 0;
	if (buf_append_str(&b, open) < 0 || buf_append(&b, raw, len) < 0 ||
	    buf_append_str(&b, close) < 0)
		err = errno;
	iq_server_reply_end(rq, &b, err);
}

static unsigned long iq_push_count;

void iq_server_push(const char *user, const char *payload, size_t len,
		    int interested_only)
{
	struct session *next;
	for (struct session *t = session_find_user(user); t; t = next) {
		next = t->next_of_user;
		if (interested_only && !t->interested)
			continue;
		char id[32];
		snprintf(id, sizeof id, "push%lu", ++iq_push_count);
		struct buf b;
		buf_init(&b, IQ_HEAD_EXTRA + sizeof id +
				     iq_escaped_bound(t->jid.full) + len +
				     sizeof "</iq>");
		if (iq_write_head(&b, "set", id, t->jid.full, NULL) < 0 ||
		    buf_append(&b, payload, len) < 0 ||
		    buf_append_str(&b, "</iq>") < 0)
			log_warn("%s: push not built: %m", t->jid.full);
		else
			xstream_send_stanza(t->xs, buf_head(&b), b.len);
		buf_free(&b);
	}
}

/* Serialises n on its own (its namespace declared) for the store, NUL
   included. 0, or -1 with errno (EMSGSIZE past STORE_MAX_XML). */
static int iq_serialize_value(const struct xml_node *n, struct buf *out)
{
	buf_init(out, STORE_MAX_XML + 1);
	if (xml_serialize(out, n, NULL) < 0 || buf_append(out, "", 1) < 0) {
		int err = errno == ENOBUFS ? EMSGSIZE : errno;
		buf_free(out);
		errno = err;
		return -1;
	}
	return 0;
}

static struct xml_node *iq_add_text_child(struct xml_node *parent,
					  const char *name, const char *text)
{
	struct xml_node *c = xml_node_add_child(parent, parent->ns, name);
	if (!c || !xml_node_add_text(c, text, strlen(text)))
		return NULL;
	return c;
}

/* Replies with the tree built by fill into a new element ns:name. */
static void
iq_reply_tree(struct iq_request *rq, const char *ns, const char *name,
	      int (*fill)(struct iq_request *rq, struct xml_node *n))
{
	struct xml_arena *a = xml_arena_new(IQ_TREE_LIMIT);
	struct xml_node *n = a ? xml_node_new(a, ns, name) : NULL;
	if (!n || (fill && fill(rq, n) < 0))
		iq_server_fail(rq, errno);
	else
		iq_server_reply(rq, n);
	xml_arena_free(a);
}

/* ---- disco (XEP-0030) ---------------------------------------------------- */

static const struct {
	const char *var;
	int registration_only;
} iq_server_features[] = {
	{NS_DISCO_INFO, 0},
	{NS_DISCO_ITEMS, 0},
	{NS_PING, 0},
	{NS_VERSION, 0},
	{NS_TIME, 0},
	{NS_VCARD, 0},
	{NS_PRIVATE, 0},
	{NS_BLOCKING, 0},
	{NS_ROSTER, 0},
	{NS_REGISTER, 1},
	{"urn:xmpp:carbons:2", 0},
};

static int iq_add_identity(struct xml_node *q, const char *category,
			   const char *type, const char *name)
{
	struct xml_node *id = xml_node_add_child(q, q->ns, "identity");
	if (!id || xml_node_set_attr(id, "category", category) < 0 ||
	    xml_node_set_attr(id, "type", type) < 0 ||
	    (name && xml_node_set_attr(id, "name", name) < 0))
		return -1;
	return 0;
}

static int iq_add_feature(struct xml_node *q, const char *var)
{
	struct xml_node *f = xml_node_add_child(q, q->ns, "feature");
	return f ? xml_node_set_attr(f, "var", var) : -1;
}

static int iq_fill_disco_info(struct iq_request *rq, struct xml_node *q)
{
	if (rq->target != IQ_TO_SERVER)
		return iq_add_identity(q, "account", "registered", NULL) < 0
			       ? -1
			       : iq_add_feature(q, NS_DISCO_INFO);
	if (iq_add_identity(q, "server", "im", "Parley") < 0)
		return -1;
	for (size_t i = 0;
	     i < sizeof iq_server_features / sizeof iq_server_features[0];
	     i++) {
		if (iq_server_features[i].registration_only &&
		    !xmppd_config.registration)
			continue;
		if (iq_add_feature(q, iq_server_features[i].var) < 0)
			return -1;
	}
	return 0;
}

static void iq_disco_info(struct iq_request *rq)
{
	if (xml_node_attr(rq->payload, "node"))
		iq_server_error(rq, "cancel", "item-not-found");
	else
		iq_reply_tree(rq, NS_DISCO_INFO, "query", iq_fill_disco_info);
}

static void iq_disco_items(struct iq_request *rq)
{
	if (xml_node_attr(rq->payload, "node"))
		iq_server_error(rq, "cancel", "item-not-found");
	else
		iq_reply_tree(rq, NS_DISCO_ITEMS, "query", NULL);
}

/* ---- ping (XEP-0199), version (XEP-0092), time (XEP-0202) ---------------- */

static void iq_ping(struct iq_request *rq)
{
	iq_server_reply(rq, NULL);
}

static int iq_fill_version(struct iq_request *rq, struct xml_node *q)
{
	(void)rq;
	if (!iq_add_text_child(q, "name", "Parley") ||
	    !iq_add_text_child(q, "version", PARLEY_VERSION))
		return -1;
	return 0;
}

static void iq_version(struct iq_request *rq)
{
	iq_reply_tree(rq, NS_VERSION, "query", iq_fill_version);
}

int iq_server_time_utc(time_t t, char *out, size_t size)
{
	struct tm tm;
	if (size < sizeof "YYYY-MM-DDThh:mm:ssZ" || !gmtime_r(&t, &tm) ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		errno = EINVAL;
		return -1;
	}
	if (strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int iq_server_time_tzo(long gmtoff, char *out, size_t size)
{
	if (size < sizeof "+hh:mm" || gmtoff <= -24 * 3600 ||
	    gmtoff >= 24 * 3600) {
		errno = EINVAL;
		return -1;
	}
	char sign = gmtoff < 0 ? '-' : '+';
	long abs_min = (gmtoff < 0 ? -gmtoff : gmtoff) / 60;
	snprintf(out, size, "%c%02ld:%02ld", sign, abs_min / 60, abs_min % 60);
	return 0;
}

static int iq_fill_time(struct iq_request *rq, struct xml_node *q)
{
	(void)rq;
	time_t now = time(NULL);
	struct tm local;
	char tzo[8], utc[32];
	if (!localtime_r(&now, &local) ||
	    iq_server_time_tzo(local.tm_gmtoff, tzo, sizeof tzo) < 0 ||
	    iq_server_time_utc(now, utc, sizeof utc) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (!iq_add_text_child(q, "tzo", tzo) ||
	    !iq_add_text_child(q, "utc", utc))
		return -1;
	return 0;
}

static void iq_time(struct iq_request *rq)
{
	iq_reply_tree(rq, NS_TIME, "time", iq_fill_time);
}

/* ---- vCard (XEP-0054) ---------------------------------------------------- */

static void iq_vcard_get(struct iq_request *rq)
{
	char *xml = NULL;
	int rc = rq->target == IQ_TO_SERVER
			 ? 1
			 : store_vcard_get(xmppd_config.store, rq->user, &xml);
	if (rc < 0)
		iq_server_fail(rq, errno);
	else if (rc == 1)
		iq_reply_tree(rq, NS_VCARD, "vCard", NULL);
	else
		iq_reply_raw(rq, "", xml, strlen(xml), "");
	free(xml);
}

static void iq_vcard_set(struct iq_request *rq)
{
	struct buf b;
	if (iq_serialize_value(rq->payload, &b) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	if (store_vcard_set(xmppd_config.store, rq->user, buf_head(&b)) < 0)
		iq_server_fail(rq, errno);
	else
		iq_server_reply(rq, NULL);
	buf_free(&b);
}

/* ---- private XML storage (XEP-0049) -------------------------------------- */

static const char *const iq_private_reserved[] = {
	NS_CLIENT,
	"jabber:server",
	NS_PRIVATE,
};

int iq_server_private_ns_is_reserved(const char *ns)
{
	if (!ns || !*ns)
		return 1;
	for (size_t i = 0;
	     i < sizeof iq_private_reserved / sizeof iq_private_reserved[0];
	     i++)
		if (strcmp(ns, iq_private_reserved[i]) == 0)
			return 1;
	return 0;
}

/* The one element inside <query/>, or NULL after answering the error. */
static const struct xml_node *iq_private_element(struct iq_request *rq)
{
	const struct xml_node *el = NULL;
	size_t n = 0;
	for (const struct xml_node *c = rq->payload->first_child; c;
	     c = c->next)
		if (c->name) {
			el = c;
			n++;
		}
	if (n == 0) {
		iq_server_error(rq, "modify", "not-acceptable");
		return NULL;
	}
	if (n > 1) {
		iq_server_error(rq, "modify", "bad-request");
		return NULL;
	}
	if (iq_server_private_ns_is_reserved(el->ns) ||
	    strlen(el->ns) > STORE_MAX_NS) {
		iq_server_error(rq, "modify", "not-acceptable");
		return NULL;
	}
	return el;
}

static void iq_private_get(struct iq_request *rq)
{
	const struct xml_node *el = iq_private_element(rq);
	if (!el)
		return;
	char *xml = NULL;
	int rc = store_private_get(xmppd_config.store, rq->user, el->ns, &xml);
	if (rc < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	static const char open[] = "<query xmlns='" NS_PRIVATE "'>";
	if (rc == 0) {
		iq_reply_raw(rq, open, xml, strlen(xml), "</query>");
		free(xml);
		return;
	}
	/* Nothing stored: the requested (empty) element comes back. */
	struct buf b;
	if (iq_serialize_value(el, &b) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	iq_reply_raw(rq, open, buf_head(&b), b.len - 1, "</query>");
	buf_free(&b);
}

static void iq_private_set(struct iq_request *rq)
{
	const struct xml_node *el = iq_private_element(rq);
	if (!el)
		return;
	struct buf b;
	if (iq_serialize_value(el, &b) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	if (store_private_set(xmppd_config.store, rq->user, el->ns,
			      buf_head(&b)) < 0)
		iq_server_fail(rq, errno);
	else
		iq_server_reply(rq, NULL);
	buf_free(&b);
}

/* ---- blocking (XEP-0191) ------------------------------------------------- */

static int iq_write_block_item(struct buf *out, const char *jid)
{
	if (buf_append_str(out, "<item jid='") < 0 ||
	    xml_escape_attr(out, jid, strlen(jid)) < 0 ||
	    buf_append_str(out, "'/>") < 0)
		return -1;
	return 0;
}

struct iq_block_list_ctx {
	struct buf *out;
	int err;
};

static int iq_block_list_item(const char *jid, void *ctx)
{
	struct iq_block_list_ctx *c = ctx;
	if (iq_write_block_item(c->out, jid) < 0) {
		c->err = errno;
		return 1;
	}
	return 0;
}

static void iq_block_list(struct iq_request *rq)
{
	struct buf b;
	if (iq_server_reply_begin(rq, &b, IQ_LIST_LIMIT) < 0) {
		iq_server_fail(rq, errno);
		return;
	}
	struct iq_block_list_ctx ctx = {&b, 0};
	if (buf_append_str(&b, "<blocklist xmlns='" NS_BLOCKING "'>") < 0)
		ctx.err = errno;
	else if (store_block_list(xmppd_config.store, rq->user,
				  iq_block_list_item, &ctx) < 0)
		ctx.err = errno;
	if (!ctx.err && buf_append_str(&b, "</blocklist>") < 0)
		ctx.err = errno;
	iq_server_reply_end(rq, &b, ctx.err);
}

/* Checks every <item/> of a block or unblock: 0 with their count, or -1
   after answering the error. */
static int iq_block_check(struct iq_request *rq, size_t *count)
{
	*count = 0;
	for (const struct xml_node *c = rq->payload->first_child; c;
	     c = c->next) {
		if (!c->name)
			continue;
		const char *v = xml_node_attr(c, "jid");
		struct jid j;
		if (!xml_node_is(c, NS_BLOCKING, "item") || !v) {
			iq_server_error(rq, "modify", "bad-request");
			return -1;
		}
		if (jid_parse(&j, v, strlen(v)) < 0) {
			if (errno == EINVAL)
				iq_server_error(rq, "modify", "jid-malformed");
			else
				iq_server_fail(rq, errno);
			return -1;
		}
		jid_free(&j);
		(*count)++;
	}
	return 0;
}

/* Applies the checked items to the store and writes them into push. 0, or
   -1 with errno. */
static int iq_block_apply(struct iq_request *rq, int block, struct buf *push)
{
	for (const struct xml_node *c = rq->payload->first_child; c;
	     c = c->next) {
		if (!c->name)
			continue;
		const char *v = xml_node_attr(c, "jid");
		struct jid j;
		if (jid_parse(&j, v, strlen(v)) < 0)
			return -1;
		int rc = block ? store_block_add(xmppd_config.store, rq->user,
						 j.full)
			       : store_block_remove(xmppd_config.store,
						    rq->user, j.full);
		if (rc >= 0 && iq_write_block_item(push, j.full) < 0)
			rc = -1;
		if (rc >= 0)
			router_block_changed(rq->user, &j, block);
		int err = errno;
		jid_free(&j);
		if (rc < 0) {
			errno = err;
			return -1;
		}
	}
	return 0;
}

static void iq_block_change(struct iq_request *rq, int block)
{
	size_t count;
	if (iq_block_check(rq, &count) < 0)
		return;
	if (block && count == 0) {
		iq_server_error(rq, "modify", "bad-request");
		return;
	}
	const char *name = block ? "block" : "unblock";
	struct buf push;
	buf_init(&push, 64 + count * IQ_ITEM_MAX);
	int rc = buf_printf(&push, "<%s xmlns='%s'>", name, NS_BLOCKING);
	if (rc == 0 && count == 0)
		rc = store_block_clear(xmppd_config.store, rq->user);
	else if (rc == 0)
		rc = iq_block_apply(rq, block, &push);
	if (rc == 0)
		rc = buf_printf(&push, "</%s>", name);
	if (rc < 0) {
		/* Items before a failure stay changed; the client can fetch
		   the list again. */
		iq_server_fail(rq, errno);
	} else {
		iq_server_reply(rq, NULL);
		iq_server_push(rq->user, buf_head(&push), push.len, 0);
	}
	buf_free(&push);
}

static void iq_block(struct iq_request *rq)
{
	iq_block_change(rq, 1);
}

static void iq_unblock(struct iq_request *rq)
{
	iq_block_change(rq, 0);
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct iq_handler {
	const char *type; /* "get" or "set" */
	const char *ns;	  /* of the payload */
	const char *name; /* of the payload */
	unsigned targets; /* enum iq_target bits it answers for */
	void (*fn)(struct iq_request *rq);
} iq_handlers[] = {
	{"get", NS_DISCO_INFO, "query", IQ_ALL_TARGETS, iq_disco_info},
	{"get", NS_DISCO_ITEMS, "query", IQ_OWN_ACCOUNT, iq_disco_items},
	{"get", NS_PING, "ping", IQ_OWN_ACCOUNT, iq_ping},
	{"get", NS_VERSION, "query", IQ_OWN_ACCOUNT, iq_version},
	{"get", NS_TIME, "time", IQ_OWN_ACCOUNT, iq_time},
	{"get", NS_VCARD, "vCard", IQ_ALL_TARGETS, iq_vcard_get},
	{"set", NS_VCARD, "vCard", IQ_TO_SELF, iq_vcard_set},
	{"get", NS_PRIVATE, "query", IQ_OWN_ACCOUNT, iq_private_get},
	{"set", NS_PRIVATE, "query", IQ_OWN_ACCOUNT, iq_private_set},
	{"get", NS_BLOCKING, "blocklist", IQ_OWN_ACCOUNT, iq_block_list},
	{"set", NS_BLOCKING, "block", IQ_OWN_ACCOUNT, iq_block},
	{"set", NS_BLOCKING, "unblock", IQ_OWN_ACCOUNT, iq_unblock},
	{"get", NS_ROSTER, "query", IQ_OWN_ACCOUNT, roster_handle_get},
	{"set", NS_ROSTER, "query", IQ_OWN_ACCOUNT, roster_handle_set},
	{"set", "urn:xmpp:carbons:2", "enable", IQ_OWN_ACCOUNT, carbons_enable},
	{"set", "urn:xmpp:carbons:2", "disable", IQ_OWN_ACCOUNT,
	 carbons_disable},
	{"get", "jabber:iq:register", "query", IQ_OWN_ACCOUNT,
	 register_handle_get},
	{"set", "jabber:iq:register", "query", IQ_OWN_ACCOUNT,
	 register_handle_set},
};

static const struct iq_handler *iq_handler_find(const char *type,
						const struct xml_node *p)
{
	for (size_t i = 0; i < sizeof iq_handlers / sizeof iq_handlers[0];
	     i++) {
		const struct iq_handler *h = &iq_handlers[i];
		if (strcmp(h->type, type) == 0 &&
		    xml_node_is(p, h->ns, h->name))
			return h;
	}
	return NULL;
}

/* The only child element of iq, or NULL if it has none or several. */
static struct xml_node *iq_only_child(const struct xml_node *iq)
{
	struct xml_node *only = NULL;
	for (struct xml_node *c = iq->first_child; c; c = c->next) {
		if (!c->name)
			continue;
		if (only)
			return NULL;
		only = c;
	}
	return only;
}

static void iq_dispatch(struct iq_request *rq)
{
	const char *type = xml_node_attr(rq->iq, "type");
	if (type && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
		return;
	if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) ||
	    !(rq->payload = iq_only_child(rq->iq))) {
		iq_server_error(rq, "modify", "bad-request");
		return;
	}
	const struct iq_handler *h = iq_handler_find(type, rq->payload);
	if (!h || !(h->targets & rq->target) ||
	    (rq->target == IQ_TO_OTHER &&
	     store_user_exists(xmppd_config.store, rq->user) != 0)) {
		iq_server_error(rq, "cancel", "service-unavailable");
		return;
	}
	h->fn(rq);
}

void iq_server_handle(struct session *s, struct xml_node *iq)
{
	char user[JID_PART_MAX + 1];
	char bare[JID_FULL_MAX + 1];
	memcpy(user, s->jid.full, s->jid.local_len);
	user[s->jid.local_len] = '\0';
	struct iq_request rq = {
		.s = s,
		.iq = iq,
		.target = IQ_TO_SELF,
		.user = user,
		.from = xmppd_config.domain,
	};
	const char *to = xml_node_attr(iq, "to");
	struct jid tj;
	if (to && jid_parse(&tj, to, strlen(to)) == 0) {
		if (tj.local_len == 0) {
			rq.target = IQ_TO_SERVER;
		} else {
			jid_bare(&s->jid, bare);
			rq.from = bare;
		}
		jid_free(&tj);
	}
	iq_dispatch(&rq);
	xml_arena_free(iq->arena);
}

void iq_server_handle_for_user(struct session *s, struct xml_node *iq,
			       const char *user)
{
	char bare[JID_FULL_MAX + 1];
	struct iq_request rq = {
		.s = s,
		.iq = iq,
		.target = IQ_TO_OTHER,
		.user = user,
		.from = bare,
	};
	int n = snprintf(bare, sizeof bare, "%s@%s", user, xmppd_config.domain);
	if (n < 0 || (size_t)n >= sizeof bare)
		iq_server_error(&rq, "cancel", "service-unavailable");
	else
		iq_dispatch(&rq);
	xml_arena_free(iq->arena);
}
