/* session_key.h: finds the session a request to a backend belongs to, so
 * that http-filed sends it to the backend instance that owns the session
 * (PROTOCOL.md 8.5). Sans-I/O, bounded: looks at most at the first
 * SESSION_KEY_SCAN bytes of the body. */
#ifndef PARLEY_SESSION_KEY_H
#define PARLEY_SESSION_KEY_H

#include <stddef.h>

#define SESSION_KEY_MAX 64
#define SESSION_KEY_SCAN 1024

/* The session key of a request body:
   - a BOSH body (XEP-0124): the value of the 'sid' attribute of the first
     element, '<body ... sid="..." ...>';
   - an XEP-0025 polling body, "identifier;key,xml": the identifier.
   Writes it NUL-terminated to key and returns its length, or returns 0 if
   the body names no session (a session creation, or something malformed:
   the backend will judge it). Keys are 1 to SESSION_KEY_MAX bytes of
   [A-Za-z0-9._-]. */
size_t session_key_find(const char *body, size_t len,
			char key[SESSION_KEY_MAX + 1]);

#endif
