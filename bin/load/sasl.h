/* sasl.h: the client side of SASL PLAIN and SCRAM-SHA-1 for parley-load.
 *
 * Sans-I/O: each step takes the server's base64 text and writes the
 * client's base64 text, to be wrapped in <auth/> or <response/> by
 * xmpp.c. SCRAM (RFC 5802) checks the server's signature in the final
 * message. Usernames are sent as given (no SASLprep: load-test accounts
 * are ASCII); ',' and '=' are escaped as RFC 5802 requires. A one-entry
 * cache keeps the last salted password, since every user shares one
 * password: with a server whose accounts share a salt, PBKDF2 runs once. */
#ifndef PARLEY_LOAD_SASL_H
#define PARLEY_LOAD_SASL_H

#include <stddef.h>

#include "load.h"

#define SASL_MAX_TEXT 2048 /* a base64 message either way */

/* "PLAIN", "SCRAM-SHA-1". */
const char *sasl_mech_name(enum sasl_mech m);
/* NULL on ENOMEM or EINVAL (too long). user is copied; password must
   outlive the client (it is the configuration's). */
struct sasl_client *sasl_client_new(enum sasl_mech m, const char *user,
				    const char *password);
void sasl_client_free(struct sasl_client *c);
/* The initial response (base64, NUL-terminated). 0 or -1. */
int sasl_client_initial(struct sasl_client *c, char *out, size_t outsz);
/* Answers a challenge (base64 text in, base64 out; "" for an empty
   response). 0, or -1 with a static reason in *why. */
int sasl_client_challenge(struct sasl_client *c, const char *in, size_t len,
			  char *out, size_t outsz, const char **why);
/* Checks the additional data of <success/> (may be empty if the server
   sent it in a challenge). 0, or -1 with *why. */
int sasl_client_success(struct sasl_client *c, const char *in, size_t len,
			const char **why);

#endif
