/* scram.h: SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) for the
 * server side, and the credentials that the store keeps instead of
 * passwords.
 *
 * A user's password is never stored: for each mechanism the store keeps a
 * salt, an iteration count, StoredKey and ServerKey (struct scram_creds).
 * SASL PLAIN is checked against the same credentials (scram_verify_plain).
 * The exchange (struct scram_server) is sans-I/O: it takes the client's
 * messages and produces the server's, and never touches a socket.
 * Passwords and usernames are normalised with SASLprep (RFC 4013).
 * Channel binding (-PLUS) is not offered: a client asking for it ("p=") is
 * refused, and one that could use it ("y") is accepted. */
#ifndef PARLEY_SCRAM_H
#define PARLEY_SCRAM_H

#include <stddef.h>

#define SCRAM_MAX_KEY 32 /* SHA-256 output */
#define SCRAM_SALT_LEN 16
#define SCRAM_DEFAULT_ITERATIONS 4096
#define SCRAM_MAX_ITERATIONS 100000
#define SCRAM_MAX_MESSAGE 1024	    /* longest client message accepted */
#define SCRAM_MAX_NONCE 128	    /* client nonce + server nonce, with NUL */
#define SCRAM_SERVER_NONCE_BYTES 24 /* random bytes, sent as base64 */

enum scram_hash {
	SCRAM_SHA1 = 0,
	SCRAM_SHA256 = 1,
};

struct scram_creds {
	enum scram_hash hash;
	unsigned iterations;
	unsigned char salt[SCRAM_SALT_LEN];
	size_t salt_len;
	unsigned char stored_key[SCRAM_MAX_KEY];
	unsigned char server_key[SCRAM_MAX_KEY];
	size_t key_len; /* 20 for SHA-1, 32 for SHA-256 */
};

/* "SCRAM-SHA-1" / "SCRAM-SHA-256"; NULL for an unknown hash. */
const char *scram_mechanism_name(enum scram_hash h);
/* SASLprep of s into out (NUL-terminated). 0, or -1 if s is not allowed
   (invalid UTF-8, prohibited or unassigned characters, bidi rules broken:
   EINVAL) or does not fit (ENOBUFS). */
int scram_saslprep(const char *s, char *out, size_t outsz);
/* Derives credentials from a password with a random salt. 0, or -1 with
   EINVAL (unknown hash, iterations outside [SCRAM_DEFAULT_ITERATIONS,
   SCRAM_MAX_ITERATIONS], empty password or one SASLprep refuses, or longer
   than SCRAM_MAX_MESSAGE bytes once prepared) or EIO (OpenSSL failed). */
int scram_make_creds(enum scram_hash h, const char *password,
		     unsigned iterations, struct scram_creds *out);
/* The same with a given salt of 1..SCRAM_SALT_LEN bytes (for tests and
   for importing). */
int scram_make_creds_salt(enum scram_hash h, const char *password,
			  unsigned iterations, const unsigned char *salt,
			  size_t salt_len, struct scram_creds *out);
/* 1 if password matches creds (constant-time comparison), else 0 (also
   when the password or the credentials are not acceptable). */
int scram_verify_plain(const struct scram_creds *creds, const char *password);

/* One server-side SCRAM exchange. Any refusal moves it to SCRAM_FAILED,
   where every further step is refused too. */
enum scram_state {
	SCRAM_WANT_CLIENT_FIRST,
	SCRAM_WANT_SERVER_FIRST, /* client-first parsed, user being looked up */
	SCRAM_WANT_CLIENT_FINAL,
	SCRAM_DONE,
	SCRAM_FAILED,
};

struct scram_server {
	enum scram_hash hash;
	enum scram_state state;
	char username[SCRAM_MAX_MESSAGE]; /* from client-first, SASLprepped */
	/* authzid from client-first ("a="), unescaped but not prepared; ""
	   if absent. The caller checks it names the user (user@domain). */
	char authzid[SCRAM_MAX_MESSAGE];
	char client_first_bare[SCRAM_MAX_MESSAGE];
	char server_first[SCRAM_MAX_MESSAGE];
	char nonce[SCRAM_MAX_NONCE];	    /* client nonce + server nonce */
	char gs2_header[SCRAM_MAX_MESSAGE]; /* "n,,", "y,,", "n,a=x," ... */
	struct scram_creds creds;
};

/* Starts an exchange for hash h (an unknown h leaves it SCRAM_FAILED). */
void scram_server_init(struct scram_server *s, enum scram_hash h);
/* Step 1: parses client-first-message (msg, len). On success fills
   s->username; the caller then looks the user up and calls
   scram_server_first with the user's credentials (or with fake ones for an
   unknown user, so the exchange looks the same). Returns 0, or -1 with a
   static reason in *why ("malformed-request", "invalid-authzid",
   "channel-binding-not-supported"). Refused: a message longer than
   SCRAM_MAX_MESSAGE, holding a NUL or invalid UTF-8, fields missing or out
   of order, a mandatory extension ("m="), a bad "=" escape, a username
   SASLprep refuses, a client nonce not of printable ASCII or longer than
   SCRAM_MAX_NONCE - 1 - the server nonce. */
int scram_server_client_first(struct scram_server *s, const char *msg,
			      size_t len, const char **why);
/* Writes server-first-message (NUL-terminated) into out, with a fresh
   random server nonce, and keeps a copy of c. 0, or -1 with EINVAL (wrong
   state, or c is for another hash), ENOBUFS (out too small) or EIO. */
int scram_server_first(struct scram_server *s, const struct scram_creds *c,
		       char *out, size_t outsz);
/* The same with a given server nonce (printable ASCII without ','): for
   tests that replay published exchanges only; a real server must use
   scram_server_first. */
int scram_server_first_with_nonce(struct scram_server *s,
				  const struct scram_creds *c,
				  const char *server_nonce, char *out,
				  size_t outsz);
/* Step 2: checks client-final-message; on success writes
   server-final-message ("v=...") into out and returns 0; -1 with *why
   ("not-authorized", "malformed-request", or "temporary-auth-failure"
   when out is too small or OpenSSL fails) otherwise. Malformed: length, NUL
   or field errors as for client-first, bad base64, a proof whose length is
   not the hash's. Not authorized: channel-binding data ("c=") that is not
   the gs2 header of client-first, a nonce other than the one sent in
   server-first, a wrong proof, or a call in the wrong state. */
int scram_server_client_final(struct scram_server *s, const char *msg,
			      size_t len, char *out, size_t outsz,
			      const char **why);
/* Fake credentials for an unknown user, stable per username, so that an
   attacker cannot tell unknown users from wrong passwords: the salt and
   keys are HMAC-SHA-256 of the username under secret (a server-wide random
   value), iterations SCRAM_DEFAULT_ITERATIONS. No password matches them. */
void scram_fake_creds(enum scram_hash h, const char *username,
		      const unsigned char *secret, size_t secret_len,
		      struct scram_creds *out);

#endif
