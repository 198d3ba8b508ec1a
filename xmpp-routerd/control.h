/* control.h: xmpp-routerd's control socket, where parleyctl lists and
 * kicks sessions and reads counters (common/PROTOCOL.md, section 10).
 * The socket itself is common/ctl_server.c; called from main.c beside
 * the gateway socket. */
#ifndef PARLEY_CONTROL_H
#define PARLEY_CONTROL_H

#include <ev.h>

/* Opens --control-socket if set (mode 0600). 0, or an exit code. */
int control_setup(void);
void control_start(struct ev_loop *loop);
/* Closes the socket and every control connection. */
void control_stop(struct ev_loop *loop);

/* The <show/> of a serialised presence that our serialiser wrote
   ("away", "chat", "dnd", "xa"), else "". Never NULL. */
const char *control_presence_show(const char *presence);

#endif
