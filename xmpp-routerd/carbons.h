/* carbons.h: message carbons (XEP-0280), see carbons.c. */
#ifndef PARLEY_CARBONS_H
#define PARLEY_CARBONS_H

#include "iq_server.h"
#include "xmppd.h"

/* The IQ handlers for <enable/> and <disable/>. */
void carbons_enable(struct iq_request *rq);
void carbons_disable(struct iq_request *rq);
/* 1 if msg is a message whose copies go to the other resources. */
int carbons_is_eligible(const struct xml_node *msg);
/* 1 if msg is a carbon copy (a <received/> or <sent/> wrapper). */
int carbons_is_copy(const struct xml_node *msg);
/* Sends a copy of msg wrapped in kind ("received" or "sent") to every
   carbons-enabled session of user for which got_it(session, ctx) is 0
   (got_it says which sessions had the message itself, or sent it). */
void carbons_copy(const char *user, const struct xml_node *msg,
		  const char *kind, int (*got_it)(struct session *r, void *ctx),
		  void *ctx);

#endif
