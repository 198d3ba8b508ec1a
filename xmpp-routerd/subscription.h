/* subscription.h: presence subscriptions between local users (RFC 6121 3).
 *
 * router.c hands over the four subscription presence types a client sends
 * (subscribe, subscribed, unsubscribe, unsubscribed); subscription.c keeps
 * both parties' roster items in step with the state tables of RFC 6121
 * Appendix A, pushes the changes, delivers the stanzas and sends the
 * presence that a new or cancelled subscription calls for. The state
 * machine itself is one pure function over a table (subscription_step),
 * unit-tested without a store. A contact's pending inbound request is a
 * roster item of the contact with STORE_ASK_IN and the request as its
 * pending_stanza; while that is all the item holds, it is hidden from the
 * contact's roster (subscription_item_is_visible, STORAGE.md). */
#ifndef PARLEY_SUBSCRIPTION_H
#define PARLEY_SUBSCRIPTION_H

#include "jid.h"
#include "store.h"
#include "xml.h"

struct session;

/* What happened to one roster item (the user's item about a contact):
   the user sent a subscription stanza to the contact (OUT_*), or received
   one from the contact (IN_*). */
enum subscription_event {
	SUB_OUT_SUBSCRIBE,
	SUB_OUT_SUBSCRIBED,
	SUB_OUT_UNSUBSCRIBE,
	SUB_OUT_UNSUBSCRIBED,
	SUB_IN_SUBSCRIBE,
	SUB_IN_SUBSCRIBED,
	SUB_IN_UNSUBSCRIBE,
	SUB_IN_UNSUBSCRIBED,
	SUB_EVENT_COUNT,
};

/* The outcome of one event: the item's new state and what to do. */
struct subscription_result {
	enum store_sub sub;
	int ask;	/* STORE_ASK_* bits */
	int deliver;	/* OUT_*: route the stanza to the contact;
			   IN_*: deliver it to the user's resources */
	int auto_reply; /* IN_SUBSCRIBE only: already approved, answer
			   'subscribed' on the user's behalf, deliver nothing */
};

/* The transition of RFC 6121 Appendix A.2 (OUT_*) and A.3 (IN_*) for an
   item in state (sub, ask). Bits that contradict sub (ask out with a 'to'
   subscription, ask in with 'from') are dropped first, as the RFC has no
   such states. 0, or -1 with errno EINVAL (sub, ask or ev out of range). */
int subscription_step(enum store_sub sub, int ask, enum subscription_event ev,
		      struct subscription_result *out);

/* The event for a presence 'type' ("subscribe"...), outbound or inbound;
   -1 if type is not a subscription type (NULL included). */
int subscription_event_of(const char *type, int inbound);

/* 1 if it belongs in roster results and pushes: 0 only for an item that
   holds nothing but a pending inbound request (subscription none, ask in
   only, no name, no groups), which RFC 6121 A.1 says should not be shown
   before it is approved. roster.c's get must skip items for which this
   is 0. */
int subscription_item_is_visible(const struct store_roster_item *it);

/* Session s sent <presence type='subscribe|subscribed|unsubscribe|
   unsubscribed'/> st to the local JID to (a full JID counts as its bare
   JID). Updates s's user's item and pushes it, stamps 'from' with the
   user's bare JID and 'to' with the contact's, and hands the stanza to the
   contact's side (its item, pushes, delivery to its available resources,
   and the presence that follows an approval or a cancellation). A
   subscribe to a user who does not exist is answered with 'unsubscribed'
   from that JID, as a remote server would refuse it: the ask is set, then
   cleared again. Stanzas to oneself or to the bare domain are dropped.
   Does not take st; may change its attributes. */
void subscription_outbound(struct session *s, struct xml_node *st,
			   const struct jid *to);

/* Session s has just sent its initial presence: sends it every pending
   inbound subscribe request of its user (RFC 6121 3.1.3). */
void subscription_resend_pending(struct session *s);

/* user removed old from the roster (RFC 6121 2.5.2): the contact gets
   'unsubscribe' if the user was subscribed to it or had asked to be, and
   'unsubscribed' if it was subscribed to the user or had asked to be, each
   processed on the contact's side as if sent. Contacts on other domains
   are left alone (there are no server-to-server links). */
void subscription_roster_removed(const char *user,
				 const struct store_roster_item *old);

#endif
