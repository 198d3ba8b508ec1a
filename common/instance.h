/* instance.h: instance tags, which let several copies of one backend run
 * behind one http-filed (PROTOCOL.md 8.5).
 *
 * A backend picks a random tag when it starts, begins every session key it
 * hands out (a BOSH sid, a polling identifier) with "<tag>-", and announces
 * the tag to http-filed in a FRAME_HTTP_INSTANCE after the handshake.
 * http-filed then sends each request that names a session to the instance
 * that made it. */
#ifndef PARLEY_INSTANCE_H
#define PARLEY_INSTANCE_H

#include <stddef.h>

#include "fconn.h"

/* Tags are 1 to INSTANCE_TAG_MAX bytes of [a-z0-9]. */
#define INSTANCE_TAG_MAX 16
/* The length of the tags instance_tag_make picks. */
#define INSTANCE_TAG_RANDOM 8

/* Writes a random tag of INSTANCE_TAG_RANDOM hex digits. 0, or -1. */
int instance_tag_make(char tag[INSTANCE_TAG_MAX + 1]);
/* 1 if p[0..len) is a valid tag. */
int instance_tag_is_valid(const char *p, size_t len);
/* Sends the tag on f, the connection to http-filed, if the peer's protocol
   version knows FRAME_HTTP_INSTANCE (1.3 and later). 0, or -1. */
int instance_announce(struct fconn *f, const char *tag);
/* 1 if the session key (sid, identifier) key[0..len) begins with
   "<tag>-". */
int instance_owns_key(const char *tag, const char *key, size_t len);

#endif
