/* sasl.c: SASL PLAIN and SCRAM-SHA-1 clients (sasl.h), on OpenSSL.
 *
 * xmpp-routerd's scram.c is the server side and keeps ClientKey to itself,
 * so the client computation lives here; base64.c is shared with it. A
 * SCRAM exchange: client-first "n,,n=USER,r=CNONCE"; server-first
 * "r=CNONCE+SNONCE,s=SALT,i=ITER"; client-final "c=biws,r=NONCE,p=PROOF";
 * server-final "v=SIGNATURE", checked against our own computation. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

#define SCRAM_KEY_LEN SHA_DIGEST_LENGTH
#define SCRAM_NONCE_BYTES 18
#define SCRAM_MSG_MAX 1024
#define SCRAM_SALT_MAX 128

enum sasl_step {
	SASL_STEP_INITIAL,
	SASL_STEP_FINAL, /* client-final sent: expect v= */
	SASL_STEP_DONE,
};

struct sasl_client {
	enum sasl_mech mech;
	enum sasl_step step;
	char user[LOAD_NAME_MAX];
	const char *password; /* the configuration's: it outlives us */
	char client_first_bare[SCRAM_MSG_MAX];
	size_t nonce_len; /* the client nonce, at the end of the above */
	unsigned char server_signature[SCRAM_KEY_LEN];
};

/* The last salted password: every user of a run has the same password. */
static struct {
	int valid;
	unsigned iterations;
	size_t salt_len;
	unsigned char salt[SCRAM_SALT_MAX];
	unsigned char salted[SCRAM_KEY_LEN];
} sasl_cache;

const char *sasl_mech_name(enum sasl_mech m)
{
	return m == SASL_PLAIN ? "PLAIN" : "SCRAM-SHA-1";
}

struct sasl_client *sasl_client_new(enum sasl_mech m, const char *user,
				    const char *password)
{
	if (strlen(user) >= LOAD_NAME_MAX ||
	    strlen(password) >= SCRAM_MSG_MAX / 2) {
		errno = EINVAL;
		return NULL;
	}
	struct sasl_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->mech = m;
	strcpy(c->user, user);
	c->password = password;
	return c;
}

void sasl_client_free(struct sasl_client *c)
{
	if (!c)
		return;
	free(c);
}

static int sasl_plain_initial(struct sasl_client *c, char *out, size_t outsz)
{
	unsigned char msg[LOAD_NAME_MAX + SCRAM_MSG_MAX + 2];
	size_t ul = strlen(c->user), pl = strlen(c->password);
	msg[0] = '\0';
	memcpy(msg + 1, c->user, ul);
	msg[1 + ul] = '\0';
	memcpy(msg + 2 + ul, c->password, pl);
	c->step = SASL_STEP_DONE;
	return base64_encode(msg, ul + pl + 2, out, outsz, NULL);
}

/* The user name with ',' and '=' escaped (RFC 5802 5.1). */
static int sasl_scram_name(const char *user, char *out, size_t outsz)
{
	size_t o = 0;
	for (const char *p = user; *p; p++) {
		const char *rep = *p == ',' ? "=2C" : *p == '=' ? "=3D" : NULL;
		size_t n = rep ? 3 : 1;
		if (o + n >= outsz)
			return -1;
		memcpy(out + o, rep ? rep : p, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

static int sasl_scram_initial(struct sasl_client *c, char *out, size_t outsz)
{
	unsigned char raw[SCRAM_NONCE_BYTES];
	char nonce[BASE64_ENCODED_LEN(SCRAM_NONCE_BYTES) + 1];
	char name[LOAD_NAME_MAX * 3];
	if (RAND_bytes(raw, sizeof raw) != 1 ||
	    base64_encode(raw, sizeof raw, nonce, sizeof nonce, &c->nonce_len) <
		    0 ||
	    sasl_scram_name(c->user, name, sizeof name) < 0)
		return -1;
	int n = snprintf(c->client_first_bare, sizeof c->client_first_bare,
			 "n=%s,r=%s", name, nonce);
	if (n < 0 || (size_t)n >= sizeof c->client_first_bare)
		return -1;
	char first[SCRAM_MSG_MAX + 4];
	n = snprintf(first, sizeof first, "n,,%s", c->client_first_bare);
	if (n < 0 || (size_t)n >= sizeof first)
		return -1;
	c->step = SASL_STEP_INITIAL;
	return base64_encode(first, (size_t)n, out, outsz, NULL);
}

int sasl_client_initial(struct sasl_client *c, char *out, size_t outsz)
{
	return c->mech == SASL_PLAIN ? sasl_plain_initial(c, out, outsz)
				     : sasl_scram_initial(c, out, outsz);
}

/* The value of attribute "x=" in a comma-separated SCRAM message. */
static const char *sasl_field(const char *msg, char name, size_t *len)
{
	const char *p = msg;
	for (;;) {
		if (p[0] == name && p[1] == '=') {
			*len = strcspn(p + 2, ",");
			return p + 2;
		}
		p = strchr(p, ',');
		if (!p)
			return NULL;
		p++;
	}
}

static int sasl_hmac(const unsigned char *key, size_t key_len, const void *msg,
		     size_t len, unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int out_len = SCRAM_KEY_LEN;
	return HMAC(EVP_sha1(), key, (int)key_len, msg, len, out, &out_len)
		       ? 0
		       : -1;
}

static int sasl_salted_password(const struct sasl_client *c,
				const unsigned char *salt, size_t salt_len,
				unsigned iterations,
				unsigned char out[SCRAM_KEY_LEN])
{
	if (sasl_cache.valid && sasl_cache.iterations == iterations &&
	    sasl_cache.salt_len == salt_len &&
	    memcmp(sasl_cache.salt, salt, salt_len) == 0) {
		memcpy(out, sasl_cache.salted, SCRAM_KEY_LEN);
		return 0;
	}
	if (PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password), salt,
			      (int)salt_len, (int)iterations, EVP_sha1(),
			      SCRAM_KEY_LEN, out) != 1)
		return -1;
	sasl_cache.valid = 1;
	sasl_cache.iterations = iterations;
	sasl_cache.salt_len = salt_len;
	memcpy(sasl_cache.salt, salt, salt_len);
	memcpy(sasl_cache.salted, out, SCRAM_KEY_LEN);
	return 0;
}

/* Proof and expected server signature for auth_message. */
static int sasl_scram_keys(struct sasl_client *c, const unsigned char *salted,
			   const char *auth_message,
			   unsigned char proof[SCRAM_KEY_LEN])
{
	unsigned char client_key[SCRAM_KEY_LEN], stored_key[SCRAM_KEY_LEN];
	unsigned char signature[SCRAM_KEY_LEN], server_key[SCRAM_KEY_LEN];
	size_t am_len = strlen(auth_message);
	if (sasl_hmac(salted, SCRAM_KEY_LEN, "Client Key", 10, client_key) <
		    0 ||
	    !SHA1(client_key, SCRAM_KEY_LEN, stored_key) ||
	    sasl_hmac(stored_key, SCRAM_KEY_LEN, auth_message, am_len,
		      signature) < 0 ||
	    sasl_hmac(salted, SCRAM_KEY_LEN, "Server Key", 10, server_key) <
		    0 ||
	    sasl_hmac(server_key, SCRAM_KEY_LEN, auth_message, am_len,
		      c->server_signature) < 0)
		return -1;
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		proof[i] = client_key[i] ^ signature[i];
	return 0;
}

struct scram_server_first {
	const char *nonce, *salt;
	size_t nonce_len, salt_len;
	unsigned iterations;
};

static int sasl_parse_server_first(const struct sasl_client *c, const char *msg,
				   struct scram_server_first *f,
				   const char **why)
{
	size_t ilen = 0;
	const char *i = sasl_field(msg, 'i', &ilen);
	f->nonce = sasl_field(msg, 'r', &f->nonce_len);
	f->salt = sasl_field(msg, 's', &f->salt_len);
	const char *cnonce = c->client_first_bare +
			     strlen(c->client_first_bare) - c->nonce_len;
	if (!f->nonce || !f->salt || !i || f->nonce_len <= c->nonce_len ||
	    memcmp(f->nonce, cnonce, c->nonce_len) != 0) {
		*why = "bad server-first-message";
		return -1;
	}
	char *end;
	unsigned long it = strtoul(i, &end, 10);
	if (end != i + ilen || it < 1 || it > 10000000) {
		*why = "bad iteration count";
		return -1;
	}
	f->iterations = (unsigned)it;
	return 0;
}

/* client-final-message-without-proof, and the whole client-final. */
static int sasl_scram_final(struct sasl_client *c, const char *server_first,
			    char *out, size_t outsz, const char **why)
{
	struct scram_server_first f = {0};
	unsigned char salt[SCRAM_SALT_MAX], salted[SCRAM_KEY_LEN];
	unsigned char proof[SCRAM_KEY_LEN];
	size_t salt_len;
	if (sasl_parse_server_first(c, server_first, &f, why) < 0)
		return -1;
	if (base64_decode(f.salt, f.salt_len, salt, sizeof salt, &salt_len) <
	    0) {
		*why = "bad salt";
		return -1;
	}
	char without_proof[SCRAM_MSG_MAX], am[3 * SCRAM_MSG_MAX];
	int n = snprintf(without_proof, sizeof without_proof, "c=biws,r=%.*s",
			 (int)f.nonce_len, f.nonce);
	int m = snprintf(am, sizeof am, "%s,%s,%s", c->client_first_bare,
			 server_first, without_proof);
	*why = "SCRAM computation failed";
	if (n < 0 || (size_t)n >= sizeof without_proof || m < 0 ||
	    (size_t)m >= sizeof am ||
	    sasl_salted_password(c, salt, salt_len, f.iterations, salted) < 0 ||
	    sasl_scram_keys(c, salted, am, proof) < 0)
		return -1;
	char proof64[BASE64_ENCODED_LEN(SCRAM_KEY_LEN) + 1],
		final[SCRAM_MSG_MAX + 64];
	if (base64_encode(proof, sizeof proof, proof64, sizeof proof64, NULL) <
	    0)
		return -1;
	n = snprintf(final, sizeof final, "%s,p=%s", without_proof, proof64);
	if (n < 0 || (size_t)n >= sizeof final)
		return -1;
	c->step = SASL_STEP_FINAL;
	return base64_encode(final, (size_t)n, out, outsz, NULL);
}

/* Checks "v=..." against the signature we computed. */
static int sasl_scram_verify(struct sasl_client *c, const char *msg,
			     const char **why)
{
	size_t vlen, slen;
	unsigned char sig[SCRAM_KEY_LEN + 4];
	const char *v = sasl_field(msg, 'v', &vlen);
	if (!v || base64_decode(v, vlen, sig, sizeof sig, &slen) < 0 ||
	    slen != SCRAM_KEY_LEN ||
	    memcmp(sig, c->server_signature, SCRAM_KEY_LEN) != 0) {
		*why = "the server's signature does not match";
		return -1;
	}
	c->step = SASL_STEP_DONE;
	return 0;
}

/* Decodes base64 text into a NUL-terminated message. */
static int sasl_decode(const char *in, size_t len, char *out, size_t outsz,
		       const char **why)
{
	size_t n;
	if (base64_decode(in, len, (unsigned char *)out, outsz - 1, &n) < 0 ||
	    memchr(out, '\0', n)) {
		*why = "bad base64 from the server";
		return -1;
	}
	out[n] = '\0';
	return 0;
}

int sasl_client_challenge(struct sasl_client *c, const char *in, size_t len,
			  char *out, size_t outsz, const char **why)
{
	char msg[SCRAM_MSG_MAX];
	*why = "unexpected challenge";
	if (c->mech != SASL_SCRAM_SHA1 || c->step == SASL_STEP_DONE ||
	    sasl_decode(in, len, msg, sizeof msg, why) < 0)
		return -1;
	if (c->step == SASL_STEP_INITIAL)
		return sasl_scram_final(c, msg, out, outsz, why);
	if (sasl_scram_verify(c, msg, why) < 0 || outsz < 1)
		return -1;
	out[0] = '\0';
	return 0;
}

int sasl_client_success(struct sasl_client *c, const char *in, size_t len,
			const char **why)
{
	char msg[SCRAM_MSG_MAX];
	if (c->mech == SASL_PLAIN || c->step == SASL_STEP_DONE)
		return 0;
	if (c->step != SASL_STEP_FINAL || len == 0) {
		*why = "success without the server's signature";
		return -1;
	}
	if (sasl_decode(in, len, msg, sizeof msg, why) < 0)
		return -1;
	return sasl_scram_verify(c, msg, why);
}
