/* check_scram.c: unit tests for scram and base64: the published exchanges
 * of RFC 5802 (SCRAM-SHA-1) and RFC 7677 (SCRAM-SHA-256) replayed byte for
 * byte, SASLprep on the RFC 4013 examples, PLAIN against stored
 * credentials, fake credentials, and every malformed, replayed or altered
 * client message refused with its reason. A small client written here with
 * OpenSSL computes proofs for exchanges the RFCs do not cover. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "scram.h"
#include "suites.h"

/* ---- base64 ------------------------------------------------------------ */

static const struct {
	const char *plain;
	const char *encoded;
} b64_vectors[] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

START_TEST(test_base64_vectors)
{
	char enc[32];
	unsigned char dec[32];
	size_t n;
	const char *plain = b64_vectors[_i].plain;
	const char *encoded = b64_vectors[_i].encoded;

	ck_assert_int_eq(
		base64_encode(plain, strlen(plain), enc, sizeof enc, &n), 0);
	ck_assert_str_eq(enc, encoded);
	ck_assert_uint_eq(n, strlen(encoded));
	ck_assert_int_eq(
		base64_decode(encoded, strlen(encoded), dec, sizeof dec, &n),
		0);
	ck_assert_uint_eq(n, strlen(plain));
	ck_assert_mem_eq(dec, plain, n);
}
END_TEST

static const char *const b64_bad[] = {
	"Zg=",	  "Zg",	      "Zh==", "Zm9=",	   "Z===", "====",
	"Zm9v\n", "Zg==Zg==", "Zm=v", "Zm9v YmFy", "Zm9-", "Zm9_",
};

START_TEST(test_base64_strict)
{
	unsigned char dec[32];
	size_t n;
	const char *bad = b64_bad[_i];

	errno = 0;
	ck_assert_int_eq(base64_decode(bad, strlen(bad), dec, sizeof dec, &n),
			 -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_base64_bounds)
{
	char enc[8];
	unsigned char dec[5];
	size_t n;

	errno = 0;
	ck_assert_int_eq(base64_encode("foobar", 6, enc, 8, NULL), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(base64_encode("foobar", 6, enc, 9 - 1, NULL), -1);
	ck_assert_int_eq(base64_encode("fooba", 5, enc, 9 - 1, NULL), -1);
	ck_assert_int_eq(base64_encode("foob", 4, enc, 8, &n), -1);
	ck_assert_int_eq(base64_encode("foo", 3, enc, 5, &n), 0);
	ck_assert_str_eq(enc, "Zm9v");
	errno = 0;
	ck_assert_int_eq(base64_decode("Zm9vYmFy", 8, dec, sizeof dec, &n), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(base64_decode("Zm9vYmE=", 8, dec, sizeof dec, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(dec, "fooba", 5);
}
END_TEST

/* ---- SASLprep and credentials ------------------------------------------ */

static const struct {
	const char *in;
	const char *out; /* NULL: refused */
} saslprep_cases[] = {
	{"I\xC2\xADX", "IX"},	/* soft hyphen mapped to nothing */
	{"user", "user"},	/* no transformation */
	{"USER", "USER"},	/* case preserved */
	{"\xC2\xAA", "a"},	/* NFKC: ordinal indicator */
	{"\xE2\x85\xA8", "IX"}, /* NFKC: roman numeral nine */
	{"a\xC2\xA0"
	 "b",
	 "a b"},		    /* non-ASCII space mapped to space */
	{"\x07", NULL},		    /* prohibited character */
	{"\xD8\xA7\x31", NULL},	    /* RandALCat then LCat: bidi error */
	{"\xC3", NULL},		    /* truncated UTF-8 */
	{"\xC0\xAF", NULL},	    /* overlong UTF-8 */
	{"\xED\xA0\x80", NULL},	    /* surrogate */
	{"\xF4\x90\x80\x80", NULL}, /* past U+10FFFF */
	{"a\xF3\xA0\x80\x81"
	 "b",
	 NULL}, /* tagging character: prohibited */
};

START_TEST(test_saslprep_rfc4013)
{
	char out[64];
	int rc = scram_saslprep(saslprep_cases[_i].in, out, sizeof out);

	if (saslprep_cases[_i].out == NULL) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, saslprep_cases[_i].out);
	}
}
END_TEST

START_TEST(test_saslprep_bounds)
{
	char out[4];

	ck_assert_int_eq(scram_saslprep("abc", out, sizeof out), 0);
	ck_assert_str_eq(out, "abc");
	errno = 0;
	ck_assert_int_eq(scram_saslprep("abcd", out, sizeof out), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(scram_saslprep("", out, sizeof out), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_mechanism_names)
{
	ck_assert_str_eq(scram_mechanism_name(SCRAM_SHA1), "SCRAM-SHA-1");
	ck_assert_str_eq(scram_mechanism_name(SCRAM_SHA256), "SCRAM-SHA-256");
	ck_assert_ptr_null(scram_mechanism_name((enum scram_hash)7));
}
END_TEST

static const unsigned char salt_5802[] = {0x41, 0x25, 0xc2, 0x47, 0xe4,
					  0x3a, 0xb1, 0xe9, 0x3c, 0x6d,
					  0xff, 0x76}; /* "QSXCR+Q6sek8bf92" */

START_TEST(test_make_creds_limits)
{
	struct scram_creds c;

	errno = 0;
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, "pencil", 4095, &c), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, "pencil",
					  SCRAM_MAX_ITERATIONS + 1, &c),
			 -1);
	ck_assert_int_eq(
		scram_make_creds((enum scram_hash)2, "pencil", 4096, &c), -1);
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, "", 4096, &c), -1);
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, "a\x07", 4096, &c), -1);
	ck_assert_int_eq(scram_make_creds_salt(SCRAM_SHA1, "pencil", 4096,
					       salt_5802, 0, &c),
			 -1);
	unsigned char big[SCRAM_SALT_LEN + 1] = {0};
	ck_assert_int_eq(scram_make_creds_salt(SCRAM_SHA1, "pencil", 4096, big,
					       sizeof big, &c),
			 -1);
	char longpw[SCRAM_MAX_MESSAGE + 1];
	memset(longpw, 'p', SCRAM_MAX_MESSAGE);
	longpw[SCRAM_MAX_MESSAGE] = '\0';
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, longpw, 4096, &c), -1);
	longpw[SCRAM_MAX_MESSAGE - 1] = '\0';
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA1, longpw, 4096, &c), 0);
}
END_TEST

START_TEST(test_make_creds_random_salt)
{
	struct scram_creds a, b;

	ck_assert_int_eq(scram_make_creds(SCRAM_SHA256, "pencil", 4096, &a), 0);
	ck_assert_int_eq(scram_make_creds(SCRAM_SHA256, "pencil", 4096, &b), 0);
	ck_assert_int_eq(a.hash, SCRAM_SHA256);
	ck_assert_uint_eq(a.key_len, 32);
	ck_assert_uint_eq(a.salt_len, SCRAM_SALT_LEN);
	ck_assert_uint_eq(a.iterations, 4096);
	ck_assert(memcmp(a.salt, b.salt, SCRAM_SALT_LEN) != 0);
	ck_assert(memcmp(a.stored_key, b.stored_key, 32) != 0);
	ck_assert(scram_verify_plain(&a, "pencil"));
	ck_assert(scram_verify_plain(&b, "pencil"));
}
END_TEST

START_TEST(test_verify_plain)
{
	struct scram_creds c;
	enum scram_hash h = _i == 0 ? SCRAM_SHA1 : SCRAM_SHA256;

	ck_assert_int_eq(scram_make_creds_salt(h, "I\xC2\xADX", 4096, salt_5802,
					       sizeof salt_5802, &c),
			 0);
	ck_assert_uint_eq(c.key_len, h == SCRAM_SHA1 ? 20 : 32);
	ck_assert_int_eq(scram_verify_plain(&c, "IX"), 1);
	ck_assert_int_eq(scram_verify_plain(&c, "I\xC2\xADX"), 1);
	ck_assert_int_eq(scram_verify_plain(&c, "\xE2\x85\xA8"), 1);
	ck_assert_int_eq(scram_verify_plain(&c, "ix"), 0);
	ck_assert_int_eq(scram_verify_plain(&c, "IX "), 0);
	ck_assert_int_eq(scram_verify_plain(&c, ""), 0);
	ck_assert_int_eq(scram_verify_plain(&c, "I\x07X"), 0);
	ck_assert_int_eq(scram_verify_plain(&c, "\xff"), 0);
	struct scram_creds broken = c;
	broken.key_len = 7;
	ck_assert_int_eq(scram_verify_plain(&broken, "IX"), 0);
	broken = c;
	broken.stored_key[0] ^= 1;
	ck_assert_int_eq(scram_verify_plain(&broken, "IX"), 0);
}
END_TEST

static const unsigned char secret[] = "a server-wide secret, 32 bytes!";

START_TEST(test_fake_creds)
{
	struct scram_creds a, b, c, d, e;

	scram_fake_creds(SCRAM_SHA1, "nobody", secret, sizeof secret, &a);
	scram_fake_creds(SCRAM_SHA1, "nobody", secret, sizeof secret, &b);
	scram_fake_creds(SCRAM_SHA1, "nobody2", secret, sizeof secret, &c);
	scram_fake_creds(SCRAM_SHA256, "nobody", secret, sizeof secret, &d);
	/* (not sizeof secret - 1: HMAC pads keys with zeros) */
	scram_fake_creds(SCRAM_SHA1, "nobody", secret + 1, sizeof secret - 1,
			 &e);
	ck_assert_mem_eq(&a, &b, sizeof a);
	ck_assert_int_eq(a.hash, SCRAM_SHA1);
	ck_assert_uint_eq(a.key_len, 20);
	ck_assert_uint_eq(a.salt_len, SCRAM_SALT_LEN);
	ck_assert_uint_eq(a.iterations, SCRAM_DEFAULT_ITERATIONS);
	ck_assert(memcmp(a.salt, c.salt, SCRAM_SALT_LEN) != 0);
	ck_assert(memcmp(a.stored_key, c.stored_key, 20) != 0);
	ck_assert(memcmp(a.salt, d.salt, SCRAM_SALT_LEN) != 0);
	ck_assert(memcmp(a.salt, e.salt, SCRAM_SALT_LEN) != 0);
	ck_assert(memcmp(a.stored_key, a.server_key, 20) != 0);
	ck_assert_uint_eq(d.key_len, 32);
	ck_assert_int_eq(scram_verify_plain(&a, "pencil"), 0);
	ck_assert_int_eq(scram_verify_plain(&a, ""), 0);
}
END_TEST

/* ---- a client, for proofs the RFCs do not give ------------------------ */

/* Writes "c=...,r=<s->nonce>[,ext],p=<proof>" into out: the client-final
   a client knowing password would send for gs2 header gs2. */
static void client_final(const struct scram_server *s, const char *password,
			 const char *gs2, const char *ext, char *out,
			 size_t outsz)
{
	const EVP_MD *md = s->hash == SCRAM_SHA1 ? EVP_sha1() : EVP_sha256();
	size_t kl = (size_t)EVP_MD_get_size(md);
	unsigned char salted[32], ck[32], sk[32], sig[32], proof[32];
	unsigned n;
	char cb[256], wp[512], am[4096], p64[64];

	ck_assert_int_eq(base64_encode(gs2, strlen(gs2), cb, sizeof cb, NULL),
			 0);
	int len = snprintf(wp, sizeof wp, "c=%s,r=%s%s%s", cb, s->nonce,
			   ext != NULL ? "," : "", ext != NULL ? ext : "");
	ck_assert(len > 0 && (size_t)len < sizeof wp);
	len = snprintf(am, sizeof am, "%s,%s,%s", s->client_first_bare,
		       s->server_first, wp);
	ck_assert(len > 0 && (size_t)len < sizeof am);
	ck_assert_int_eq(PKCS5_PBKDF2_HMAC(
				 password, (int)strlen(password), s->creds.salt,
				 (int)s->creds.salt_len,
				 (int)s->creds.iterations, md, (int)kl, salted),
			 1);
	ck_assert_ptr_nonnull(HMAC(md, salted, (int)kl,
				   (const unsigned char *)"Client Key", 10, ck,
				   &n));
	ck_assert_int_eq(EVP_Digest(ck, kl, sk, &n, md, NULL), 1);
	ck_assert_ptr_nonnull(HMAC(md, sk, (int)kl, (unsigned char *)am,
				   strlen(am), sig, &n));
	for (size_t i = 0; i < kl; i++)
		proof[i] = ck[i] ^ sig[i];
	ck_assert_int_eq(base64_encode(proof, kl, p64, sizeof p64, NULL), 0);
	len = snprintf(out, outsz, "%s,p=%s", wp, p64);
	ck_assert(len > 0 && (size_t)len < outsz);
}

/* Starts an exchange for "user"/"pencil" with client-first cf and a random
   server nonce; s is then waiting for client-final. */
static void start(struct scram_server *s, enum scram_hash h, const char *cf)
{
	struct scram_creds c;
	char sf[256];
	const char *why = NULL;

	ck_assert_int_eq(scram_make_creds_salt(h, "pencil", 4096, salt_5802,
					       sizeof salt_5802, &c),
			 0);
	scram_server_init(s, h);
	ck_assert_int_eq(scram_server_client_first(s, cf, strlen(cf), &why), 0);
	ck_assert_int_eq(scram_server_first(s, &c, sf, sizeof sf), 0);
	ck_assert_int_eq(s->state, SCRAM_WANT_CLIENT_FINAL);
}

/* ---- the published exchanges ------------------------------------------ */

static const struct {
	enum scram_hash hash;
	const char *salt64;
	const char *client_first;
	const char *server_nonce;
	const char *server_first;
	const char *client_final;
	const char *server_final;
} rfc_exchanges[] = {
	{SCRAM_SHA1, "QSXCR+Q6sek8bf92", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
	 "3rfcNHYJY1ZVvWVs7j",
	 "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
	 "i=4096",
	 "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	 "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
	{SCRAM_SHA256, "W22ZaJ0SNY7soEsUEjb6gQ==",
	 "n,,n=user,r=rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
	 "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	 "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	 "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	 "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	 "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
};

/* Runs rfc_exchanges[i] up to the server-first message. */
static void rfc_start(struct scram_server *s, int i)
{
	unsigned char salt[SCRAM_SALT_LEN];
	size_t salt_len;
	struct scram_creds c;
	char sf[256];
	const char *why = NULL;
	const char *cf = rfc_exchanges[i].client_first;

	ck_assert_int_eq(base64_decode(rfc_exchanges[i].salt64,
				       strlen(rfc_exchanges[i].salt64), salt,
				       sizeof salt, &salt_len),
			 0);
	ck_assert_int_eq(scram_make_creds_salt(rfc_exchanges[i].hash, "pencil",
					       4096, salt, salt_len, &c),
			 0);
	scram_server_init(s, rfc_exchanges[i].hash);
	ck_assert_int_eq(s->state, SCRAM_WANT_CLIENT_FIRST);
	ck_assert_int_eq(scram_server_client_first(s, cf, strlen(cf), &why), 0);
	ck_assert_int_eq(s->state, SCRAM_WANT_SERVER_FIRST);
	ck_assert_str_eq(s->username, "user");
	ck_assert_str_eq(s->authzid, "");
	ck_assert_str_eq(s->gs2_header, "n,,");
	ck_assert_str_eq(s->client_first_bare, cf + 3);
	ck_assert_int_eq(
		scram_server_first_with_nonce(
			s, &c, rfc_exchanges[i].server_nonce, sf, sizeof sf),
		0);
	ck_assert_str_eq(sf, rfc_exchanges[i].server_first);
}

START_TEST(test_rfc_exchange)
{
	struct scram_server s;
	char out[128];
	const char *why = NULL;
	const char *cfin = rfc_exchanges[_i].client_final;

	rfc_start(&s, _i);
	ck_assert_int_eq(scram_server_client_final(&s, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 0);
	ck_assert_str_eq(out, rfc_exchanges[_i].server_final);
	ck_assert_int_eq(s.state, SCRAM_DONE);
	/* the same message again is refused: the exchange is over */
	ck_assert_int_eq(scram_server_client_final(&s, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");
}
END_TEST

START_TEST(test_rfc_exchange_our_client)
{
	/* the client of this file agrees with the RFC's */
	struct scram_server s;
	char cfin[512];

	rfc_start(&s, _i);
	client_final(&s, "pencil", "n,,", NULL, cfin, sizeof cfin);
	ck_assert_str_eq(cfin, rfc_exchanges[_i].client_final);
}
END_TEST

/* ---- client-first ------------------------------------------------------ */

static const struct {
	const char *msg;
	const char *why; /* NULL: accepted */
} client_first_cases[] = {
	{"n,,n=user,r=abc", NULL},
	{"y,,n=user,r=abc", NULL},
	{"n,,n=user,r=abc,x=ext,Y=more", NULL},
	{"n,a=user@example.com,n=user,r=abc", NULL},
	{"", "malformed-request"},
	{"p=tls-unique,,n=user,r=abc", "channel-binding-not-supported"},
	{"p=tls-server-end-point,a=u@x,n=user,r=abc",
	 "channel-binding-not-supported"},
	{"p,,n=user,r=abc", "malformed-request"},
	{"x,,n=user,r=abc", "malformed-request"},
	{"nn,,n=user,r=abc", "malformed-request"},
	{",,n=user,r=abc", "malformed-request"},
	{"n,n=user,r=abc", "malformed-request"},
	{"n,b=x,n=user,r=abc", "malformed-request"},
	{"n,a=,n=user,r=abc", "invalid-authzid"},
	{"n,a=u=40x,n=user,r=abc", "invalid-authzid"},
	{"n,a=u=,n=user,r=abc", "invalid-authzid"},
	{"n,,r=abc,n=user", "malformed-request"},
	{"n,,n=user", "malformed-request"},
	{"n,,r=abc", "malformed-request"},
	{"n,,n=user,", "malformed-request"},
	{"n,,", "malformed-request"},
	{"n,,n=,r=abc", "malformed-request"},
	{"n,,user,r=abc", "malformed-request"},
	{"n,,N=user,r=abc", "malformed-request"},
	{"n,,n=us=2ce,r=abc", "malformed-request"},
	{"n,,n=u=41,r=abc", "malformed-request"},
	{"n,,n=u=,r=abc", "malformed-request"},
	{"n,,n=u=2,r=abc", "malformed-request"},
	{"n,,n=a\x07"
	 "b,r=abc",
	 "malformed-request"},
	{"n,,n=\xD8\xA7"
	 "1,r=abc",
	 "malformed-request"},
	{"n,,n=\xff,r=abc", "malformed-request"},
	{"n,,n=\xC2\xAD,r=abc", "malformed-request"}, /* empty once prepared */
	{"n,,m=ext,n=user,r=abc", "malformed-request"},
	{"n,,n=user,r=", "malformed-request"},
	{"n,,n=user,r=a b", "malformed-request"},
	{"n,,n=user,r=a\x7f", "malformed-request"},
	{"n,,n=user,r=\xC3\xA9", "malformed-request"},
	{"n,,n=user,r=abc,", "malformed-request"},
	{"n,,n=user,r=abc,ext", "malformed-request"},
	{"n,,n=user,r=abc,x=", "malformed-request"},
	{"n,,n=user,r=abc,1=x", "malformed-request"},
	{"n,,n=user,x=ext,r=abc", "malformed-request"},
	{"n,,n=user,r=abc,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
	 "malformed-request"},
};

START_TEST(test_client_first_cases)
{
	struct scram_server s;
	const char *why = NULL;
	const char *msg = client_first_cases[_i].msg;
	const char *want = client_first_cases[_i].why;

	scram_server_init(&s, SCRAM_SHA1);
	int rc = scram_server_client_first(&s, msg, strlen(msg), &why);
	if (want == NULL) {
		ck_assert_msg(rc == 0, "refused %s: %s", msg, why);
		ck_assert_int_eq(s.state, SCRAM_WANT_SERVER_FIRST);
		ck_assert_str_eq(s.username, "user");
		ck_assert_str_eq(s.nonce, "abc");
	} else {
		ck_assert_msg(rc == -1, "accepted %s", msg);
		ck_assert_str_eq(why, want);
		ck_assert_int_eq(s.state, SCRAM_FAILED);
	}
}
END_TEST

START_TEST(test_client_first_fields)
{
	struct scram_server s;
	const char *why = NULL;
	const char *msg = "y,a=us=2Ce=3Dr@example.com,n=us=2Ce=3Dr,"
			  "r=abc,x=ext";

	scram_server_init(&s, SCRAM_SHA256);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 0);
	ck_assert_str_eq(s.username, "us,e=r");
	ck_assert_str_eq(s.authzid, "us,e=r@example.com");
	ck_assert_str_eq(s.gs2_header, "y,a=us=2Ce=3Dr@example.com,");
	ck_assert_str_eq(s.client_first_bare, "n=us=2Ce=3Dr,r=abc,x=ext");
	ck_assert_str_eq(s.nonce, "abc");

	/* the username is SASLprepped */
	msg = "n,,n=I\xC2\xADX,r=abc";
	scram_server_init(&s, SCRAM_SHA256);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 0);
	ck_assert_str_eq(s.username, "IX");
	ck_assert_str_eq(s.client_first_bare, "n=I\xC2\xADX,r=abc");

	/* only once per exchange */
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 -1);
	ck_assert_int_eq(s.state, SCRAM_FAILED);

	/* an unknown hash never starts */
	scram_server_init(&s, (enum scram_hash)9);
	ck_assert_int_eq(s.state, SCRAM_FAILED);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 -1);
}
END_TEST

START_TEST(test_client_first_nul)
{
	struct scram_server s;
	const char *why = NULL;
	static const char msg[] = "n,,n=us\0er,r=abc";

	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(
		scram_server_client_first(&s, msg, sizeof msg - 1, &why), -1);
	ck_assert_str_eq(why, "malformed-request");
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(
		scram_server_client_first(&s, "n,,n=user,r=abc", 0, &why), -1);
}
END_TEST

START_TEST(test_client_first_length_limit)
{
	struct scram_server s;
	const char *why = NULL;
	char msg[SCRAM_MAX_MESSAGE + 2];
	size_t fixed = strlen("n,,n=,r=abc");
	size_t ulen = SCRAM_MAX_MESSAGE - fixed;

	memcpy(msg, "n,,n=", 5);
	memset(msg + 5, 'u', ulen);
	memcpy(msg + 5 + ulen, ",r=abc", 7);
	ck_assert_uint_eq(strlen(msg), SCRAM_MAX_MESSAGE);
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 0);
	ck_assert_uint_eq(strlen(s.username), ulen);

	memcpy(msg + 5 + ulen, ",r=abcd", 8);
	ck_assert_uint_eq(strlen(msg), SCRAM_MAX_MESSAGE + 1);
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 -1);
	ck_assert_str_eq(why, "malformed-request");
}
END_TEST

START_TEST(test_client_nonce_limit)
{
	struct scram_server s;
	const char *why = NULL;
	char msg[256];
	/* room in s->nonce for the client's part */
	size_t max = SCRAM_MAX_NONCE - 1 - BASE64_ENCODED_LEN(24);

	memcpy(msg, "n,,n=user,r=", 12);
	memset(msg + 12, 'x', max);
	msg[12 + max] = '\0';
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 0);
	msg[12 + max] = 'x';
	msg[12 + max + 1] = '\0';
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_first(&s, msg, strlen(msg), &why),
			 -1);
	ck_assert_str_eq(why, "malformed-request");
}
END_TEST

/* ---- server-first ------------------------------------------------------ */

START_TEST(test_server_first)
{
	struct scram_server s, t;
	struct scram_creds c, wrong;
	char sf[256], tf[256];
	const char *why = NULL;
	const char *cf = "n,,n=user,r=abc";

	ck_assert_int_eq(scram_make_creds_salt(SCRAM_SHA1, "pencil", 4096,
					       salt_5802, sizeof salt_5802, &c),
			 0);
	ck_assert_int_eq(scram_make_creds_salt(SCRAM_SHA256, "pencil", 4096,
					       salt_5802, sizeof salt_5802,
					       &wrong),
			 0);
	scram_server_init(&s, SCRAM_SHA1);
	/* not before client-first */
	errno = 0;
	ck_assert_int_eq(scram_server_first(&s, &c, sf, sizeof sf), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(scram_server_client_first(&s, cf, strlen(cf), &why),
			 0);
	/* not with credentials for another hash */
	ck_assert_int_eq(scram_server_first(&s, &wrong, sf, sizeof sf), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* not a nonce with ',' or nothing */
	ck_assert_int_eq(
		scram_server_first_with_nonce(&s, &c, "a,b", sf, sizeof sf),
		-1);
	ck_assert_int_eq(
		scram_server_first_with_nonce(&s, &c, "", sf, sizeof sf), -1);
	/* not into too small a buffer, and nothing changes */
	errno = 0;
	ck_assert_int_eq(scram_server_first(&s, &c, sf, 20), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_str_eq(s.nonce, "abc");
	ck_assert_int_eq(s.state, SCRAM_WANT_SERVER_FIRST);

	ck_assert_int_eq(scram_server_first(&s, &c, sf, sizeof sf), 0);
	size_t nl = 3 + BASE64_ENCODED_LEN(24);
	ck_assert_uint_eq(strlen(s.nonce), nl);
	ck_assert_int_eq(strncmp(sf, "r=abc", 5), 0);
	ck_assert_int_eq(strncmp(sf + 2, s.nonce, nl), 0);
	ck_assert_str_eq(sf + 2 + nl, ",s=QSXCR+Q6sek8bf92,i=4096");
	ck_assert_str_eq(s.server_first, sf);
	ck_assert_ptr_null(strchr(s.nonce, ','));
	/* only once */
	ck_assert_int_eq(scram_server_first(&s, &c, sf, sizeof sf), -1);

	/* each exchange has its own nonce */
	scram_server_init(&t, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_first(&t, cf, strlen(cf), &why),
			 0);
	ck_assert_int_eq(scram_server_first(&t, &c, tf, sizeof tf), 0);
	ck_assert_str_ne(s.nonce, t.nonce);
}
END_TEST

/* ---- client-final ------------------------------------------------------ */

/* Messages refused in the SCRAM-SHA-1 exchange of RFC 5802. */
#define N5802 "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j"
#define P5802 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
static const struct {
	const char *msg;
	const char *why;
} client_final_cases[] = {
	{"", "malformed-request"},
	{"c=biws,r=" N5802, "malformed-request"},
	{"r=" N5802 ",c=biws," P5802, "malformed-request"},
	{"r=" N5802 "," P5802, "malformed-request"},
	{"c=biws," P5802, "malformed-request"},
	{"c=biws,r=" N5802 "," P5802 ",x=ext", "malformed-request"},
	{"c=biws,r=" N5802 ",ext," P5802, "malformed-request"},
	{"c=biws,r=" N5802 ",," P5802, "malformed-request"},
	{"c=biws,r=" N5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts",
	 "malformed-request"},
	{"c=biws,r=" N5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4T=",
	 "malformed-request"},
	{"c=biws,r=" N5802 ",p=", "malformed-request"},
	/* 19 and 21 bytes, 32 bytes */
	{"c=biws,r=" N5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Q==",
	 "malformed-request"},
	{"c=biws,r=" N5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4TsA",
	 "malformed-request"},
	{"c=biws,r=" N5802 ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	 "malformed-request"},
	{"c=biw,r=" N5802 "," P5802, "malformed-request"},
	{"c=bi ws,r=" N5802 "," P5802, "malformed-request"},
	/* channel binding data that is not the gs2 header sent */
	{"c=eSws,r=" N5802 "," P5802, "not-authorized"},	 /* "y,," */
	{"c=,r=" N5802 "," P5802, "not-authorized"},		 /* "" */
	{"c=biwA,r=" N5802 "," P5802, "not-authorized"},	 /* "n,\0" */
	{"c=biwsbj11c2Vy,r=" N5802 "," P5802, "not-authorized"}, /* +bare */
	/* nonces altered */
	{"c=biws,r=fyko+d2lbbFgONRv9qkxdawL," P5802, "not-authorized"},
	{"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7," P5802,
	 "not-authorized"},
	{"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7jX," P5802,
	 "not-authorized"},
	{"c=biws,r=Fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," P5802,
	 "not-authorized"},
	{"c=biws,r=," P5802, "not-authorized"},
	/* proof altered */
	{"c=biws,r=" N5802 ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tc=", "not-authorized"},
	{"c=biws,r=" N5802 ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "not-authorized"},
	/* an extension the proof did not cover */
	{"c=biws,r=" N5802 ",x=ext," P5802, "not-authorized"},
};

START_TEST(test_client_final_cases)
{
	struct scram_server s;
	char out[128];
	const char *why = NULL;
	const char *msg = client_final_cases[_i].msg;

	rfc_start(&s, 0);
	ck_assert_msg(scram_server_client_final(&s, msg, strlen(msg), out,
						sizeof out, &why) == -1,
		      "accepted %s", msg);
	ck_assert_str_eq(why, client_final_cases[_i].why);
	ck_assert_int_eq(s.state, SCRAM_FAILED);
	/* and the right message cannot follow a refused one */
	msg = rfc_exchanges[0].client_final;
	ck_assert_int_eq(scram_server_client_final(&s, msg, strlen(msg), out,
						   sizeof out, &why),
			 -1);
}
END_TEST

START_TEST(test_client_final_limits)
{
	struct scram_server s;
	char out[128], msg[SCRAM_MAX_MESSAGE + 64];
	const char *why = NULL;
	static const char nul[] = "c=biws,r=" N5802 ",x=\0," P5802;

	rfc_start(&s, 0);
	ck_assert_int_eq(scram_server_client_final(&s, nul, sizeof nul - 1, out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "malformed-request");

	/* one byte past the limit, made of a long extension */
	size_t head = strlen("c=biws,r=" N5802 ",x=");
	size_t tail = strlen("," P5802);
	size_t ext = SCRAM_MAX_MESSAGE + 1 - head - tail;
	snprintf(msg, sizeof msg, "c=biws,r=" N5802 ",x=%0*d," P5802, (int)ext,
		 0);
	ck_assert_uint_eq(strlen(msg), SCRAM_MAX_MESSAGE + 1);
	rfc_start(&s, 0);
	ck_assert_int_eq(scram_server_client_final(&s, msg, strlen(msg), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "malformed-request");

	/* an output buffer too small for the server signature */
	rfc_start(&s, 0);
	const char *ok = rfc_exchanges[0].client_final;
	ck_assert_int_eq(scram_server_client_final(&s, ok, strlen(ok), out,
						   2 + 28, &why),
			 -1);
	ck_assert_str_eq(why, "temporary-auth-failure");
	rfc_start(&s, 0);
	ck_assert_int_eq(scram_server_client_final(&s, ok, strlen(ok), out,
						   2 + 28 + 1, &why),
			 0);
	ck_assert_str_eq(out, rfc_exchanges[0].server_final);

	/* not before server-first */
	scram_server_init(&s, SCRAM_SHA1);
	ck_assert_int_eq(scram_server_client_final(&s, ok, strlen(ok), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");
}
END_TEST

START_TEST(test_extensions_and_authzid)
{
	static const char *const first[] = {
		"n,,n=user,r=abc",
		"y,,n=user,r=abc",
		"n,a=user@example.com,n=user,r=abc,x=first",
		"y,a=us=2Cer@example.com,n=user,r=abc",
	};
	enum scram_hash h = _i % 2 == 0 ? SCRAM_SHA1 : SCRAM_SHA256;
	struct scram_server s;
	char cfin[512], out[128];
	const char *why = NULL;
	const char *cf = first[_i / 2];

	/* extensions between r and p are covered by the proof and ignored */
	start(&s, h, cf);
	client_final(&s, "pencil", s.gs2_header, "x=ext,Z=more", cfin,
		     sizeof cfin);
	ck_assert_msg(scram_server_client_final(&s, cfin, strlen(cfin), out,
						sizeof out, &why) == 0,
		      "%s: %s", cf, why);
	ck_assert_int_eq(strncmp(out, "v=", 2), 0);
	ck_assert_uint_eq(strlen(out), 2 + BASE64_ENCODED_LEN(s.creds.key_len));
	ck_assert_int_eq(s.state, SCRAM_DONE);

	/* channel binding data for another gs2 header */
	start(&s, h, cf);
	client_final(&s, "pencil", cf[0] == 'n' ? "y,," : "n,,", NULL, cfin,
		     sizeof cfin);
	ck_assert_int_eq(scram_server_client_final(&s, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");

	/* the wrong password */
	start(&s, h, cf);
	client_final(&s, "pencils", s.gs2_header, NULL, cfin, sizeof cfin);
	ck_assert_int_eq(scram_server_client_final(&s, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");
}
END_TEST

START_TEST(test_replay_refused)
{
	struct scram_server a, b;
	char cfin[512], out[128];
	const char *why = NULL;
	const char *cf = "n,,n=user,r=abc";

	start(&a, SCRAM_SHA256, cf);
	client_final(&a, "pencil", "n,,", NULL, cfin, sizeof cfin);
	ck_assert_int_eq(scram_server_client_final(&a, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 0);
	/* the same client-first, the recorded client-final: new nonce */
	start(&b, SCRAM_SHA256, cf);
	ck_assert_int_eq(scram_server_client_final(&b, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");
	/* and the exchange that accepted it accepts nothing more */
	ck_assert_int_eq(scram_server_client_final(&a, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
}
END_TEST

START_TEST(test_fake_creds_exchange)
{
	struct scram_server s;
	struct scram_creds fake;
	char sf[256], cfin[512], out[128];
	const char *why = NULL;
	const char *cf = "n,,n=nobody,r=abc";

	scram_server_init(&s, SCRAM_SHA256);
	ck_assert_int_eq(scram_server_client_first(&s, cf, strlen(cf), &why),
			 0);
	scram_fake_creds(SCRAM_SHA256, s.username, secret, sizeof secret,
			 &fake);
	ck_assert_int_eq(scram_server_first(&s, &fake, sf, sizeof sf), 0);
	ck_assert_ptr_nonnull(strstr(sf, ",i=4096"));
	/* the salt looks like a real one: 16 bytes */
	const char *salt64 = strstr(sf, ",s=") + 3;
	ck_assert_uint_eq((size_t)(strstr(salt64, ",") - salt64),
			  BASE64_ENCODED_LEN(SCRAM_SALT_LEN));
	client_final(&s, "pencil", "n,,", NULL, cfin, sizeof cfin);
	ck_assert_int_eq(scram_server_client_final(&s, cfin, strlen(cfin), out,
						   sizeof out, &why),
			 -1);
	ck_assert_str_eq(why, "not-authorized");
}
END_TEST

Suite *scram_suite(void)
{
	Suite *s = suite_create("scram");
	TCase *tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_base64_vectors, 0,
			    sizeof b64_vectors / sizeof b64_vectors[0]);
	tcase_add_loop_test(tc, test_base64_strict, 0,
			    sizeof b64_bad / sizeof b64_bad[0]);
	tcase_add_test(tc, test_base64_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("creds");
	tcase_add_loop_test(tc, test_saslprep_rfc4013, 0,
			    sizeof saslprep_cases / sizeof saslprep_cases[0]);
	tcase_add_test(tc, test_saslprep_bounds);
	tcase_add_test(tc, test_mechanism_names);
	tcase_add_test(tc, test_make_creds_limits);
	tcase_add_test(tc, test_make_creds_random_salt);
	tcase_add_loop_test(tc, test_verify_plain, 0, 2);
	tcase_add_test(tc, test_fake_creds);
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_rfc_exchange, 0,
			    sizeof rfc_exchanges / sizeof rfc_exchanges[0]);
	tcase_add_loop_test(tc, test_rfc_exchange_our_client, 0,
			    sizeof rfc_exchanges / sizeof rfc_exchanges[0]);
	tcase_add_loop_test(tc, test_client_first_cases, 0,
			    sizeof client_first_cases /
				    sizeof client_first_cases[0]);
	tcase_add_test(tc, test_client_first_fields);
	tcase_add_test(tc, test_client_first_nul);
	tcase_add_test(tc, test_client_first_length_limit);
	tcase_add_test(tc, test_client_nonce_limit);
	tcase_add_test(tc, test_server_first);
	tcase_add_loop_test(tc, test_client_final_cases, 0,
			    sizeof client_final_cases /
				    sizeof client_final_cases[0]);
	tcase_add_test(tc, test_client_final_limits);
	tcase_add_loop_test(tc, test_extensions_and_authzid, 0, 8);
	tcase_add_test(tc, test_replay_refused);
	tcase_add_test(tc, test_fake_creds_exchange);
	suite_add_tcase(s, tc);
	return s;
}
