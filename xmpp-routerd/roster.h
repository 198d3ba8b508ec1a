/* roster.h: roster management (RFC 6121 2), answered by the server.
 *
 * roster.c handles the jabber:iq:roster get and set that iq_server.c
 * dispatches to it, and sends roster pushes to the user's interested
 * sessions. The subscription state (subscription, ask, pending stanza) is
 * never changed here: a roster set only changes the name and groups, or
 * removes the item; the presence subscription code owns the rest and
 * uses roster_push after it changes an item. */
#ifndef PARLEY_ROSTER_H
#define PARLEY_ROSTER_H

#include <stdint.h>

#include "buf.h"
#include "jid.h"
#include "store.h"
#include "xml.h"

#define NS_ROSTER "jabber:iq:roster"

struct iq_request; /* iq_server.h */

/* Answers a roster get: the whole roster, or an empty result when the
   client's 'ver' is the current version (RFC 6121 2.6.3). Marks the
   session interested in roster pushes. */
void roster_handle_get(struct iq_request *rq);
/* Answers a roster set: updates the name and groups of one item (adding
   it with subscription none if new) or removes it, then pushes the change
   to the user's interested sessions. */
void roster_handle_set(struct iq_request *rq);
/* Pushes item (as it now is, or removed: subscription='remove') at the
   given roster version to every interested session of user. 0, or -1 with
   errno if the push could not be built (logged). */
int roster_push(const char *user, const struct store_roster_item *item,
		int removed, int64_t version);

/* ---- pure helpers (unit-tested) ------------------------------------------ */

/* The error a refused roster set gets. */
struct roster_error {
	const char *type;
	const char *condition;
};

/* A roster set, as parsed from its <query/>. The strings are in the
   request's arena; jid is owned (jid_free). */
struct roster_update {
	struct jid jid; /* prepared bare JID of the contact */
	int remove;	/* subscription='remove' */
	char *name;	/* NULL if none */
	char *groups[STORE_MAX_GROUPS];
	size_t ngroups;
};

/* Parses the <query/> of a roster set from the user whose JID is self.
   NULL on success (out filled, jid to free), or the error to answer (out
   holds nothing to free): exactly one <item/>, a bare JID that is not the
   user's own, at most STORE_MAX_GROUPS distinct non-empty groups, name and
   groups at most STORE_MAX_JID bytes. */
const struct roster_error *roster_update_parse(const struct xml_node *query,
					       const struct jid *self,
					       struct roster_update *out);
/* Appends <item/> for it (in the jabber:iq:roster scope): jid, name,
   subscription (or 'remove' if removed), ask='subscribe' for
   STORE_ASK_OUT, and its groups. 0, or -1 with errno from out. */
int roster_item_write(struct buf *out, const struct store_roster_item *it,
		      int removed);

#endif
