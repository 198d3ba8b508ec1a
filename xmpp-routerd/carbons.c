/* carbons.c: message carbons (XEP-0280), so that every client of a user
 * sees the whole conversation.
 *
 * A resource that enabled carbons gets a copy, wrapped in <received/>, of
 * each eligible message another resource of its user received, and one
 * wrapped in <sent/> of each eligible message another resource sent.
 * Eligible: type chat, or normal with a body; never when the message
 * carries <private xmlns='urn:xmpp:carbons:2'/> or a no-copy hint. */
#include <string.h>

#include "carbons.h"
#include "iq_server.h"
#include "xmppd.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_HINTS "urn:xmpp:hints"

void carbons_enable(struct iq_request *rq)
{
	rq->s->carbons = 1;
	iq_server_reply(rq, NULL);
}

void carbons_disable(struct iq_request *rq)
{
	rq->s->carbons = 0;
	iq_server_reply(rq, NULL);
}

int carbons_is_copy(const struct xml_node *msg)
{
	return xml_node_child(msg, NS_CARBONS, "received") ||
	       xml_node_child(msg, NS_CARBONS, "sent");
}

int carbons_is_eligible(const struct xml_node *msg)
{
	const char *type = xml_node_attr(msg, "type");
	if (xml_node_child(msg, NS_CARBONS, "private") ||
	    xml_node_child(msg, NS_HINTS, "no-copy") ||
	    xml_node_child(msg, NS_CARBONS, "received") ||
	    xml_node_child(msg, NS_CARBONS, "sent"))
		return 0;
	if (!type || strcmp(type, "normal") == 0)
		return xml_node_child(msg, NULL, "body") != NULL;
	return strcmp(type, "chat") == 0;
}

/* Sends the copy of msg, wrapped in <kind/>, to r. */
static void carbons_send(struct session *r, const char *user_bare,
			 const char *kind, const struct buf *inner)
{
	struct buf b;
	buf_init(&b, inner->len + 1024);
	buf_append_str(&b, "<message from='");
	xml_escape_attr(&b, user_bare, strlen(user_bare));
	buf_append_str(&b, "' to='");
	xml_escape_attr(&b, r->jid.full, strlen(r->jid.full));
	buf_printf(&b,
		   "' type='chat'><%s xmlns='" NS_CARBONS
		   "'><forwarded xmlns='" NS_FORWARD "'>",
		   kind);
	buf_append(&b, buf_head(inner), inner->len);
	buf_printf(&b, "</forwarded></%s></message>", kind);
	xstream_send_stanza(r->xs, buf_head(&b), b.len);
	buf_free(&b);
}

void carbons_copy(const char *user, const struct xml_node *msg,
		  const char *kind, int (*got_it)(struct session *r, void *ctx),
		  void *ctx)
{
	struct session *list = session_find_user(user);
	struct session *r;
	for (r = list; r; r = r->next_of_user)
		if (r->carbons && !got_it(r, ctx))
			break;
	if (!r || !carbons_is_eligible(msg))
		return;
	struct buf inner;
	buf_init(&inner, (size_t)xmppd_config.max_stanza * 2);
	char bare[2 * JID_PART_MAX + 2];
	jid_bare(&list->jid, bare);
	if (xml_serialize(&inner, msg, NULL) == 0)
		for (r = list; r; r = r->next_of_user)
			if (r->carbons && !got_it(r, ctx))
				carbons_send(r, bare, kind, &inner);
	buf_free(&inner);
}
