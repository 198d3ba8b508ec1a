/* scram.c: SCRAM-SHA-1/-256 credentials and the server side of the
 * exchange (scram.h), on OpenSSL for the hashes and libidn for SASLprep.
 *
 * Messages are split at ',' into at most SCRAM_MAX_FIELDS fields and read
 * field by field in the order RFC 5802 fixes; nothing is copied into the
 * exchange until the whole message has been accepted, and any refusal
 * leaves the exchange SCRAM_FAILED. Secrets that pass through the stack
 * (prepared passwords, SaltedPassword, ClientKey) are wiped after use, and
 * keys are compared with CRYPTO_memcmp. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stringprep.h>

#include "base64.h"
#include "scram.h"

#define SCRAM_MAX_FIELDS 32
#define SCRAM_SERVER_NONCE_LEN BASE64_ENCODED_LEN(SCRAM_SERVER_NONCE_BYTES)
/* bare "," server-first "," client-final-without-proof */
#define SCRAM_MAX_AUTH_MESSAGE (3 * SCRAM_MAX_MESSAGE + 2)

struct scram_hash_info {
	const char *mechanism;
	size_t key_len;
	const EVP_MD *(*md)(void);
};

static const struct scram_hash_info scram_hashes[] = {
	[SCRAM_SHA1] = {"SCRAM-SHA-1", 20, EVP_sha1},
	[SCRAM_SHA256] = {"SCRAM-SHA-256", 32, EVP_sha256},
};

/* One ','-separated field of a message. */
struct scram_field {
	const char *p;
	size_t len;
};

struct scram_fields {
	struct scram_field f[SCRAM_MAX_FIELDS];
	size_t n;
};

static const struct scram_hash_info *scram_hash_info(enum scram_hash h)
{
	if ((unsigned)h >= sizeof scram_hashes / sizeof scram_hashes[0])
		return NULL;
	return &scram_hashes[h];
}

const char *scram_mechanism_name(enum scram_hash h)
{
	const struct scram_hash_info *hi = scram_hash_info(h);
	return hi != NULL ? hi->mechanism : NULL;
}

/* Length of the UTF-8 sequence starting at s[0..len) (shortest form, no
   surrogates, at most U+10FFFF), or 0 if it is not valid. */
static size_t scram_utf8_char_len(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static int scram_is_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = scram_utf8_char_len(u + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

int scram_saslprep(const char *s, char *out, size_t outsz)
{
	size_t len = strlen(s);

	if (!scram_is_utf8(s, len)) {
		errno = EINVAL;
		return -1;
	}
	if (len >= outsz) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(out, s, len + 1);
	int rc = stringprep(out, outsz, STRINGPREP_NO_UNASSIGNED,
			    stringprep_saslprep);
	if (rc != STRINGPREP_OK) {
		if (outsz > 0)
			out[0] = '\0';
		errno = rc == STRINGPREP_TOO_SMALL_BUFFER ? ENOBUFS : EINVAL;
		return -1;
	}
	return 0;
}

/* out = HMAC-H(key, msg); out holds hi->key_len bytes. 0 or -1. */
static int scram_hmac(const struct scram_hash_info *hi, const void *key,
		      size_t key_len, const void *msg, size_t msg_len,
		      unsigned char *out)
{
	unsigned int n = 0;
	if (HMAC(hi->md(), key, (int)key_len, msg, msg_len, out, &n) == NULL ||
	    n != hi->key_len)
		return -1;
	return 0;
}

/* out = H(in). 0 or -1. */
static int scram_digest(const struct scram_hash_info *hi, const void *in,
			size_t len, unsigned char *out)
{
	unsigned int n = 0;
	if (EVP_Digest(in, len, out, &n, hi->md(), NULL) != 1 ||
	    n != hi->key_len)
		return -1;
	return 0;
}

/* StoredKey (and ServerKey unless server_key is NULL) from a prepared
   password. 0, or -1 with EIO. */
static int scram_derive(const struct scram_hash_info *hi, const char *prepped,
			const unsigned char *salt, size_t salt_len,
			unsigned iterations, unsigned char *stored_key,
			unsigned char *server_key)
{
	unsigned char salted[SCRAM_MAX_KEY];
	unsigned char client_key[SCRAM_MAX_KEY];
	size_t kl = hi->key_len;
	int rc = -1;

	if (PKCS5_PBKDF2_HMAC(prepped, (int)strlen(prepped), salt,
			      (int)salt_len, (int)iterations, hi->md(), (int)kl,
			      salted) == 1 &&
	    scram_hmac(hi, salted, kl, "Client Key", 10, client_key) == 0 &&
	    scram_digest(hi, client_key, kl, stored_key) == 0 &&
	    (server_key == NULL ||
	     scram_hmac(hi, salted, kl, "Server Key", 10, server_key) == 0))
		rc = 0;
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(client_key, sizeof client_key);
	if (rc < 0)
		errno = EIO;
	return rc;
}

/* 1 if c is usable: a known hash with its key length, a salt. */
static int scram_creds_are_valid(const struct scram_creds *c)
{
	const struct scram_hash_info *hi = scram_hash_info(c->hash);
	return hi != NULL && c->key_len == hi->key_len && c->salt_len > 0 &&
	       c->salt_len <= SCRAM_SALT_LEN && c->iterations > 0 &&
	       c->iterations <= SCRAM_MAX_ITERATIONS;
}

int scram_make_creds_salt(enum scram_hash h, const char *password,
			  unsigned iterations, const unsigned char *salt,
			  size_t salt_len, struct scram_creds *out)
{
	const struct scram_hash_info *hi = scram_hash_info(h);
	char prepped[SCRAM_MAX_MESSAGE];

	if (hi == NULL || password == NULL || salt == NULL || salt_len == 0 ||
	    salt_len > SCRAM_SALT_LEN ||
	    iterations < SCRAM_DEFAULT_ITERATIONS ||
	    iterations > SCRAM_MAX_ITERATIONS) {
		errno = EINVAL;
		return -1;
	}
	if (scram_saslprep(password, prepped, sizeof prepped) < 0 ||
	    prepped[0] == '\0') {
		OPENSSL_cleanse(prepped, sizeof prepped);
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->hash = h;
	out->iterations = iterations;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	out->key_len = hi->key_len;
	int rc = scram_derive(hi, prepped, salt, salt_len, iterations,
			      out->stored_key, out->server_key);
	OPENSSL_cleanse(prepped, sizeof prepped);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int scram_make_creds(enum scram_hash h, const char *password,
		     unsigned iterations, struct scram_creds *out)
{
	unsigned char salt[SCRAM_SALT_LEN];

	if (RAND_bytes(salt, sizeof salt) != 1) {
		errno = EIO;
		return -1;
	}
	return scram_make_creds_salt(h, password, iterations, salt, sizeof salt,
				     out);
}

int scram_verify_plain(const struct scram_creds *creds, const char *password)
{
	char prepped[SCRAM_MAX_MESSAGE];
	unsigned char stored[SCRAM_MAX_KEY];
	int ok = 0;

	if (creds == NULL || password == NULL || !scram_creds_are_valid(creds))
		return 0;
	if (scram_saslprep(password, prepped, sizeof prepped) == 0 &&
	    prepped[0] != '\0' &&
	    scram_derive(scram_hash_info(creds->hash), prepped, creds->salt,
			 creds->salt_len, creds->iterations, stored, NULL) == 0)
		ok = CRYPTO_memcmp(stored, creds->stored_key, creds->key_len) ==
		     0;
	OPENSSL_cleanse(prepped, sizeof prepped);
	OPENSSL_cleanse(stored, sizeof stored);
	return ok;
}

/* One derived value for fake credentials:
   HMAC-SHA-256(secret, label NUL mechanism NUL SHA-256(username)). */
static void scram_fake_value(const unsigned char *secret, size_t secret_len,
			     const char *label, const char *mechanism,
			     const char *username, unsigned char *out)
{
	const struct scram_hash_info *sha256 = &scram_hashes[SCRAM_SHA256];
	unsigned char msg[64 + SCRAM_MAX_KEY];
	size_t ll = strlen(label), ml = strlen(mechanism);

	/* labels and mechanism names are short constants: ll + ml + 2 < 64 */
	memcpy(msg, label, ll + 1);
	memcpy(msg + ll + 1, mechanism, ml + 1);
	if (scram_digest(sha256, username, strlen(username),
			 msg + ll + ml + 2) < 0 ||
	    scram_hmac(sha256, secret, secret_len, msg, ll + ml + 2 + 32, out) <
		    0)
		memset(out, 0, SCRAM_MAX_KEY);
}

void scram_fake_creds(enum scram_hash h, const char *username,
		      const unsigned char *secret, size_t secret_len,
		      struct scram_creds *out)
{
	const struct scram_hash_info *hi = scram_hash_info(h);
	unsigned char v[SCRAM_MAX_KEY];

	memset(out, 0, sizeof *out);
	out->hash = h;
	if (hi == NULL)
		return;
	out->iterations = SCRAM_DEFAULT_ITERATIONS;
	out->salt_len = SCRAM_SALT_LEN;
	out->key_len = hi->key_len;
	scram_fake_value(secret, secret_len, "salt", hi->mechanism, username,
			 v);
	memcpy(out->salt, v, SCRAM_SALT_LEN);
	scram_fake_value(secret, secret_len, "stored-key", hi->mechanism,
			 username, v);
	memcpy(out->stored_key, v, hi->key_len);
	scram_fake_value(secret, secret_len, "server-key", hi->mechanism,
			 username, v);
	memcpy(out->server_key, v, hi->key_len);
}

/* ---- the exchange ---------------------------------------------------- */

void scram_server_init(struct scram_server *s, enum scram_hash h)
{
	memset(s, 0, sizeof *s);
	s->hash = h;
	s->state = scram_hash_info(h) != NULL ? SCRAM_WANT_CLIENT_FIRST
					      : SCRAM_FAILED;
}

/* Refuses the exchange for reason: -1 with *why set. */
static int scram_fail(struct scram_server *s, const char **why,
		      const char *reason)
{
	s->state = SCRAM_FAILED;
	OPENSSL_cleanse(&s->creds, sizeof s->creds);
	if (why != NULL)
		*why = reason;
	errno = EINVAL;
	return -1;
}

/* 1 if a client message is within bounds, NUL-free, valid UTF-8. */
static int scram_message_is_sane(const char *msg, size_t len)
{
	return msg != NULL && len > 0 && len <= SCRAM_MAX_MESSAGE &&
	       memchr(msg, '\0', len) == NULL && scram_is_utf8(msg, len);
}

/* Splits msg[0..len) at every ','. 0, or -1 if there are too many fields. */
static int scram_split(const char *msg, size_t len, struct scram_fields *out)
{
	size_t start = 0;

	out->n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && msg[i] != ',')
			continue;
		if (out->n == SCRAM_MAX_FIELDS)
			return -1;
		out->f[out->n].p = msg + start;
		out->f[out->n].len = i - start;
		out->n++;
		start = i + 1;
	}
	return 0;
}

/* 1 if f is "<attr>=..." (the value may be empty). */
static int scram_field_is(const struct scram_field *f, char attr)
{
	return f->len >= 2 && f->p[0] == attr && f->p[1] == '=';
}

/* 1 if f is an extension "<ALPHA>=<value>" with a non-empty value. */
static int scram_field_is_extension(const struct scram_field *f)
{
	char a = f->len >= 3 ? f->p[0] : '\0';
	return ((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z')) &&
	       f->p[1] == '=';
}

/* Unescapes the saslname v[0..len) ("=2C" is ',', "=3D" is '=') into out.
   0, or -1 if it is empty, has any other '=', or does not fit. */
static int scram_unescape(const char *v, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == '=') {
			if (len - i < 3)
				return -1;
			if (v[i + 1] == '2' && v[i + 2] == 'C')
				c = ',';
			else if (v[i + 1] == '3' && v[i + 2] == 'D')
				c = '=';
			else
				return -1;
			i += 2;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* 1 if v[0..len) is a valid nonce: 1+ printable ASCII characters but ','. */
static int scram_is_nonce(const char *v, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e || v[i] == ',')
			return 0;
	return 1;
}

/* Reads the gs2 header (fields 0 and 1) into s. 0, or -1 with *why. */
static int scram_parse_gs2(struct scram_server *s, const struct scram_fields *m,
			   const char **why)
{
	const struct scram_field *flag = &m->f[0], *authz = &m->f[1];

	if (flag->len != 1 || (flag->p[0] != 'n' && flag->p[0] != 'y')) {
		*why = "malformed-request";
		return -1;
	}
	s->authzid[0] = '\0';
	if (authz->len > 0) {
		if (!scram_field_is(authz, 'a')) {
			*why = "malformed-request";
			return -1;
		}
		if (scram_unescape(authz->p + 2, authz->len - 2, s->authzid,
				   sizeof s->authzid) < 0) {
			*why = "invalid-authzid";
			return -1;
		}
	}
	size_t gs2_len = flag->len + authz->len + 2;
	memcpy(s->gs2_header, flag->p, gs2_len);
	s->gs2_header[gs2_len] = '\0';
	return 0;
}

/* Reads username, nonce and extensions (fields 2...) into s. 0 or -1. */
static int scram_parse_first_bare(struct scram_server *s,
				  const struct scram_fields *m)
{
	const struct scram_field *user = &m->f[2], *nonce = &m->f[3];
	char raw[SCRAM_MAX_MESSAGE];

	/* "m=" is a mandatory extension, which we support none of */
	if (!scram_field_is(user, 'n') || !scram_field_is(nonce, 'r'))
		return -1;
	if (scram_unescape(user->p + 2, user->len - 2, raw, sizeof raw) < 0 ||
	    scram_saslprep(raw, s->username, sizeof s->username) < 0 ||
	    s->username[0] == '\0')
		return -1;
	size_t nl = nonce->len - 2;
	if (!scram_is_nonce(nonce->p + 2, nl) ||
	    nl + SCRAM_SERVER_NONCE_LEN >= sizeof s->nonce)
		return -1;
	memcpy(s->nonce, nonce->p + 2, nl);
	s->nonce[nl] = '\0';
	for (size_t i = 4; i < m->n; i++)
		if (!scram_field_is_extension(&m->f[i]))
			return -1;
	return 0;
}

int scram_server_client_first(struct scram_server *s, const char *msg,
			      size_t len, const char **why)
{
	struct scram_fields m;

	if (s->state != SCRAM_WANT_CLIENT_FIRST ||
	    !scram_message_is_sane(msg, len))
		return scram_fail(s, why, "malformed-request");
	if (len >= 2 && msg[0] == 'p' && msg[1] == '=')
		return scram_fail(s, why, "channel-binding-not-supported");
	if (scram_split(msg, len, &m) < 0 || m.n < 4)
		return scram_fail(s, why, "malformed-request");
	const char *reason = NULL;
	if (scram_parse_gs2(s, &m, &reason) < 0)
		return scram_fail(s, why, reason);
	if (scram_parse_first_bare(s, &m) < 0)
		return scram_fail(s, why, "malformed-request");
	size_t gs2_len = strlen(s->gs2_header);
	memcpy(s->client_first_bare, msg + gs2_len, len - gs2_len);
	s->client_first_bare[len - gs2_len] = '\0';
	s->state = SCRAM_WANT_SERVER_FIRST;
	return 0;
}

int scram_server_first_with_nonce(struct scram_server *s,
				  const struct scram_creds *c,
				  const char *server_nonce, char *out,
				  size_t outsz)
{
	char salt64[BASE64_ENCODED_LEN(SCRAM_SALT_LEN) + 1];

	if (s->state != SCRAM_WANT_SERVER_FIRST || c == NULL ||
	    c->hash != s->hash || !scram_creds_are_valid(c) ||
	    server_nonce == NULL ||
	    !scram_is_nonce(server_nonce, strlen(server_nonce)) ||
	    strlen(s->nonce) + strlen(server_nonce) >= sizeof s->nonce ||
	    base64_encode(c->salt, c->salt_len, salt64, sizeof salt64, NULL) <
		    0) {
		errno = EINVAL;
		return -1;
	}
	int n = snprintf(s->server_first, sizeof s->server_first,
			 "r=%s%s,s=%s,i=%u", s->nonce, server_nonce, salt64,
			 c->iterations);
	if (n < 0 || (size_t)n >= sizeof s->server_first) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n >= outsz) {
		errno = ENOBUFS;
		return -1;
	}
	memcpy(out, s->server_first, (size_t)n + 1);
	strcat(s->nonce, server_nonce);
	s->creds = *c;
	s->state = SCRAM_WANT_CLIENT_FINAL;
	return 0;
}

int scram_server_first(struct scram_server *s, const struct scram_creds *c,
		       char *out, size_t outsz)
{
	unsigned char raw[SCRAM_SERVER_NONCE_BYTES];
	char nonce[SCRAM_SERVER_NONCE_LEN + 1];

	if (RAND_bytes(raw, sizeof raw) != 1) {
		errno = EIO;
		return -1;
	}
	if (base64_encode(raw, sizeof raw, nonce, sizeof nonce, NULL) < 0)
		return -1;
	return scram_server_first_with_nonce(s, c, nonce, out, outsz);
}

/* Checks the layout of client-final and decodes its proof into proof
   (s->creds.key_len bytes). 0, or -1 if malformed. */
static int scram_parse_final(const struct scram_server *s,
			     const struct scram_fields *m, unsigned char *proof)
{
	const struct scram_field *p = &m->f[m->n - 1];
	unsigned char buf[SCRAM_MAX_MESSAGE];
	size_t n;

	if (m->n < 3 || !scram_field_is(&m->f[0], 'c') ||
	    !scram_field_is(&m->f[1], 'r') || !scram_field_is(p, 'p'))
		return -1;
	for (size_t i = 2; i + 1 < m->n; i++)
		if (!scram_field_is_extension(&m->f[i]))
			return -1;
	if (base64_decode(m->f[0].p + 2, m->f[0].len - 2, buf, sizeof buf, &n) <
	    0)
		return -1;
	if (base64_decode(p->p + 2, p->len - 2, buf, sizeof buf, &n) < 0 ||
	    n != s->creds.key_len)
		return -1;
	memcpy(proof, buf, n);
	return 0;
}

/* 1 if the channel binding ("c=") and nonce ("r=") fields are the ones
   this exchange expects. */
static int scram_final_matches(const struct scram_server *s,
			       const struct scram_fields *m)
{
	unsigned char cb[SCRAM_MAX_MESSAGE];
	size_t n;
	const struct scram_field *c = &m->f[0], *r = &m->f[1];

	if (base64_decode(c->p + 2, c->len - 2, cb, sizeof cb, &n) < 0 ||
	    n != strlen(s->gs2_header) || memcmp(cb, s->gs2_header, n) != 0)
		return 0;
	return r->len - 2 == strlen(s->nonce) &&
	       memcmp(r->p + 2, s->nonce, r->len - 2) == 0;
}

/* AuthMessage = client-first-bare "," server-first "," without-proof,
   into am (SCRAM_MAX_AUTH_MESSAGE bytes); returns its length. */
static size_t scram_auth_message(const struct scram_server *s,
				 const char *without_proof, size_t wp_len,
				 char *am)
{
	size_t bl = strlen(s->client_first_bare);
	size_t sl = strlen(s->server_first);

	memcpy(am, s->client_first_bare, bl);
	am[bl] = ',';
	memcpy(am + bl + 1, s->server_first, sl);
	am[bl + 1 + sl] = ',';
	memcpy(am + bl + sl + 2, without_proof, wp_len);
	return bl + sl + 2 + wp_len;
}

/* Checks proof against AuthMessage am; on success writes ServerSignature
   into server_sig. 1 if the proof is right, 0 if not, -1 on failure. */
static int scram_check_proof(const struct scram_creds *c, const char *am,
			     size_t am_len, const unsigned char *proof,
			     unsigned char *server_sig)
{
	const struct scram_hash_info *hi = scram_hash_info(c->hash);
	unsigned char sig[SCRAM_MAX_KEY], key[SCRAM_MAX_KEY];
	unsigned char stored[SCRAM_MAX_KEY];
	int rc = -1;

	if (scram_hmac(hi, c->stored_key, c->key_len, am, am_len, sig) == 0) {
		for (size_t i = 0; i < c->key_len; i++)
			key[i] = proof[i] ^ sig[i];
		if (scram_digest(hi, key, c->key_len, stored) == 0)
			rc = CRYPTO_memcmp(stored, c->stored_key, c->key_len) ==
			     0;
	}
	if (rc == 1 && scram_hmac(hi, c->server_key, c->key_len, am, am_len,
				  server_sig) < 0)
		rc = -1;
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int scram_server_client_final(struct scram_server *s, const char *msg,
			      size_t len, char *out, size_t outsz,
			      const char **why)
{
	struct scram_fields m;
	unsigned char proof[SCRAM_MAX_KEY], server_sig[SCRAM_MAX_KEY];
	char am[SCRAM_MAX_AUTH_MESSAGE];

	if (s->state != SCRAM_WANT_CLIENT_FINAL)
		return scram_fail(s, why, "not-authorized");
	if (!scram_message_is_sane(msg, len) || scram_split(msg, len, &m) < 0 ||
	    scram_parse_final(s, &m, proof) < 0)
		return scram_fail(s, why, "malformed-request");
	if (!scram_final_matches(s, &m))
		return scram_fail(s, why, "not-authorized");
	if (outsz < 2 + BASE64_ENCODED_LEN(s->creds.key_len) + 1)
		return scram_fail(s, why, "temporary-auth-failure");
	size_t wp_len = len - m.f[m.n - 1].len - 1;
	size_t am_len = scram_auth_message(s, msg, wp_len, am);
	int rc = scram_check_proof(&s->creds, am, am_len, proof, server_sig);
	if (rc < 0)
		return scram_fail(s, why, "temporary-auth-failure");
	if (rc == 0)
		return scram_fail(s, why, "not-authorized");
	memcpy(out, "v=", 2);
	base64_encode(server_sig, s->creds.key_len, out + 2, outsz - 2, NULL);
	s->state = SCRAM_DONE;
	return 0;
}
