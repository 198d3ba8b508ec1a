/* register.h: in-band registration (XEP-0077), see register.c. */
#ifndef PARLEY_REGISTER_H
#define PARLEY_REGISTER_H

#include "iq_server.h"
#include "xmppd.h"

/* An IQ in jabber:iq:register before authentication. Takes nothing: the
   caller frees iq. */
void register_preauth(struct xstream *xs, struct xml_node *iq);
/* After authentication: the account's form, or a password change or
   removal (the handlers of iq_server.c's table). */
void register_handle_get(struct iq_request *rq);
void register_handle_set(struct iq_request *rq);

#endif
