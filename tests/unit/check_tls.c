/* check_tls.c: unit tests for tls: full handshakes between a tls_session and
 * an OpenSSL client on memory BIOs, driven by a pump that moves bytes the
 * way conn would (keeping what the session did not take), with a key and
 * self-signed certificate made at start in a temporary directory. Covers
 * data both ways with a plaintext limit far below the data, a handshake
 * fed byte by byte, data queued before the handshake, garbage and old
 * protocol versions refused with an alert, ALPN, close_notify both ways,
 * channel bindings, reload, and contexts refused for bad files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "suites.h"
#include "tls.h"

#define MIB (1024 * 1024)

/* ---- keys and certificates in a temporary directory ---------------- */

static char tmpdir[64];
static char cert_path[128], key_path[128];
static char cert2_path[128], key2_path[128];
static char garbage_path[128], missing_path[128];

static X509 *make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	if (cert != NULL)
		ck_assert_int_eq(PEM_write_X509(f, cert), 1);
	if (key != NULL)
		ck_assert_int_eq(
			PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL),
			1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes cert/key (P-256), cert2/key2 (RSA 2048) and a garbage file. */
static void make_files(void)
{
	strcpy(tmpdir, "/tmp/check_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cert_path, sizeof cert_path, "%s/a.crt", tmpdir);
	snprintf(key_path, sizeof key_path, "%s/a.key", tmpdir);
	snprintf(cert2_path, sizeof cert2_path, "%s/b.crt", tmpdir);
	snprintf(key2_path, sizeof key2_path, "%s/b.key", tmpdir);
	snprintf(garbage_path, sizeof garbage_path, "%s/garbage", tmpdir);
	snprintf(missing_path, sizeof missing_path, "%s/missing", tmpdir);

	EVP_PKEY *k1 = EVP_EC_gen("P-256");
	EVP_PKEY *k2 = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(k1);
	ck_assert_ptr_nonnull(k2);
	X509 *c1 = make_cert(k1, "a.example");
	X509 *c2 = make_cert(k2, "b.example");
	write_pem(cert_path, c1, NULL);
	write_pem(key_path, NULL, k1);
	write_pem(cert2_path, c2, NULL);
	write_pem(key2_path, NULL, k2);
	FILE *f = fopen(garbage_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 !!\n"
	      "-----END CERTIFICATE-----\n",
	      f);
	fclose(f);
	X509_free(c1);
	X509_free(c2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void remove_files(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(cert2_path);
	unlink(key2_path);
	unlink(garbage_path);
	rmdir(tmpdir);
}

/* ---- a client and a pump ------------------------------------------- */

struct pair {
	struct tls_ctx *ctx;
	struct tls_session *srv;
	SSL_CTX *cli_ctx;
	SSL *cli;
	BIO *cli_in;	      /* server -> client */
	BIO *cli_out;	      /* client -> server */
	struct buf to_srv;    /* ciphertext the server has not taken yet */
	struct buf srv_plain; /* server's plaintext output, limited */
	struct buf srv_net;   /* server's ciphertext output */
	struct buf srv_got;   /* what the server application consumed */
	struct buf cli_got;   /* what the client read */
	size_t feed_max;      /* bytes handed per receive call */
	size_t sink_max;      /* bytes the application takes per round */
	int srv_failed;
	const char *why;
	int saw_alert;	  /* the server sent an alert record */
	int backpressure; /* a receive took fewer bytes than offered */
};

/* A client context for protocol versions [min, max], offering alpn
   (wire format) if not NULL. */
static SSL_CTX *client_ctx(int min, int max, const char *alpn, size_t alen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(c);
	SSL_CTX_set_security_level(c, 0);
	ck_assert_int_eq(SSL_CTX_set_cipher_list(c, "ALL:@SECLEVEL=0"), 1);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(c, min), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(c, max), 1);
	if (alpn != NULL)
		ck_assert_int_eq(
			SSL_CTX_set_alpn_protos(c, (const unsigned char *)alpn,
						(unsigned)alen),
			0);
	return c;
}

static void pair_open_ctx(struct pair *p, SSL_CTX *cc, size_t plain_limit)
{
	memset(p, 0, sizeof *p);
	p->ctx = tls_ctx_new(cert_path, key_path);
	ck_assert_ptr_nonnull(p->ctx);
	p->srv = tls_session_new(p->ctx);
	ck_assert_ptr_nonnull(p->srv);
	p->cli_ctx = cc;
	p->cli = SSL_new(cc);
	p->cli_in = BIO_new(BIO_s_mem());
	p->cli_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->cli_in, -1);
	BIO_set_mem_eof_return(p->cli_out, -1);
	SSL_set_bio(p->cli, p->cli_in, p->cli_out);
	SSL_set_connect_state(p->cli);
	buf_init(&p->to_srv, 4 * MIB);
	buf_init(&p->srv_plain, plain_limit);
	buf_init(&p->srv_net, 256 * 1024);
	buf_init(&p->srv_got, 4 * MIB);
	buf_init(&p->cli_got, 4 * MIB);
	p->feed_max = SIZE_MAX;
	p->sink_max = SIZE_MAX;
}

static void pair_open(struct pair *p)
{
	pair_open_ctx(p, client_ctx(TLS1_2_VERSION, TLS1_3_VERSION, NULL, 0),
		      64 * 1024);
}

static void pair_close(struct pair *p)
{
	tls_session_free(p->srv);
	tls_ctx_free(p->ctx);
	SSL_free(p->cli);
	SSL_CTX_free(p->cli_ctx);
	buf_free(&p->to_srv);
	buf_free(&p->srv_plain);
	buf_free(&p->srv_net);
	buf_free(&p->srv_got);
	buf_free(&p->cli_got);
	ERR_clear_error();
}

/* Moves everything in bio to b. */
static size_t drain_bio(BIO *bio, struct buf *b)
{
	size_t n = BIO_ctrl_pending(bio);
	if (n == 0)
		return 0;
	ck_assert_int_eq(buf_reserve(b, n), 0);
	ck_assert_int_eq(BIO_read(bio, buf_tail(b), (int)n), (int)n);
	buf_commit(b, n);
	return n;
}

/* One receive call as conn would make it; returns bytes moved. */
static size_t pump_server(struct pair *p)
{
	size_t before = p->srv_plain.len;
	size_t len = p->to_srv.len < p->feed_max ? p->to_srv.len : p->feed_max;

	if (p->srv_failed)
		return 0;
	if (len == 0 && !tls_session_has_input(p->srv))
		return 0;
	ssize_t r = tls_session_receive(p->srv, buf_head(&p->to_srv), len,
					&p->srv_plain, &p->srv_net, &p->why);
	if (r < 0) {
		p->srv_failed = 1;
		ck_assert_ptr_nonnull(p->why);
		return 1;
	}
	ck_assert_uint_le((size_t)r, len);
	if ((size_t)r < len)
		p->backpressure = 1;
	buf_consume(&p->to_srv, (size_t)r);
	ck_assert_uint_le(p->srv_plain.len, p->srv_plain.limit);
	return (size_t)r + (p->srv_plain.len - before);
}

/* The server application takes up to sink_max plaintext bytes. */
static size_t pump_sink(struct pair *p)
{
	size_t n =
		p->srv_plain.len < p->sink_max ? p->srv_plain.len : p->sink_max;
	if (n == 0)
		return 0;
	ck_assert_int_eq(buf_append(&p->srv_got, buf_head(&p->srv_plain), n),
			 0);
	buf_consume(&p->srv_plain, n);
	return n;
}

/* Server output to the client, which reads what it can. */
static size_t pump_client(struct pair *p)
{
	size_t moved = p->srv_net.len;
	char tmp[16384];
	int r;

	if (moved > 0) {
		if ((unsigned char)buf_head(&p->srv_net)[0] == 0x15)
			p->saw_alert = 1;
		ck_assert_int_eq(
			BIO_write(p->cli_in, buf_head(&p->srv_net), (int)moved),
			(int)moved);
		buf_reset(&p->srv_net);
	}
	while ((r = SSL_read(p->cli, tmp, sizeof tmp)) > 0) {
		ck_assert_int_eq(buf_append(&p->cli_got, tmp, (size_t)r), 0);
		moved += (size_t)r;
	}
	ERR_clear_error();
	return moved + BIO_ctrl_pending(p->cli_out);
}

/* Runs both sides until nothing moves. */
static void pump(struct pair *p)
{
	for (;;) {
		size_t step = drain_bio(p->cli_out, &p->to_srv);
		step += pump_server(p);
		step += pump_sink(p);
		step += pump_client(p);
		if (step == 0)
			break;
	}
}

static void handshake(struct pair *p)
{
	pump(p);
	ck_assert_msg(!p->srv_failed, "server failed: %s", p->why);
	ck_assert_int_eq(tls_session_is_established(p->srv), 1);
	ck_assert_int_eq(SSL_is_init_finished(p->cli), 1);
}

static void fill_pattern(char *d, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (char)((i * 131 + seed + (i >> 13)) & 0xff);
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_handshake_and_data)
{
	struct pair p;
	pair_open(&p);
	ck_assert_str_eq(tls_session_version(p.srv), "none");
	handshake(&p);
	ck_assert_str_eq(tls_session_version(p.srv), "TLSv1.3");
	ck_assert_str_ne(tls_session_cipher(p.srv), "none");
	ck_assert_int_eq(tls_session_alpn_is_xmpp(p.srv), 0);

	ck_assert_int_eq(SSL_write(p.cli, "<stream:stream>", 15), 15);
	pump(&p);
	ck_assert_uint_eq(p.srv_got.len, 15);
	ck_assert_mem_eq(buf_head(&p.srv_got), "<stream:stream>", 15);

	ck_assert_int_eq(tls_session_send(p.srv, "<features/>", 11, &p.srv_net),
			 0);
	ck_assert_uint_gt(p.srv_net.len, 11);
	pump(&p);
	ck_assert_uint_eq(p.cli_got.len, 11);
	ck_assert_mem_eq(buf_head(&p.cli_got), "<features/>", 11);
	pair_close(&p);
}
END_TEST

START_TEST(test_tls12)
{
	struct pair p;
	pair_open_ctx(&p, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0),
		      4096);
	handshake(&p);
	ck_assert_str_eq(tls_session_version(p.srv), "TLSv1.2");
	ck_assert_int_eq(SSL_write(p.cli, "x", 1), 1);
	ck_assert_int_eq(tls_session_send(p.srv, "y", 1, &p.srv_net), 0);
	pump(&p);
	ck_assert_mem_eq(buf_head(&p.srv_got), "x", 1);
	ck_assert_mem_eq(buf_head(&p.cli_got), "y", 1);
	pair_close(&p);
}
END_TEST

/* The handshake fed one byte per call: every split point of every record. */
START_TEST(test_handshake_byte_by_byte)
{
	struct pair p;
	pair_open(&p);
	p.feed_max = 1;
	handshake(&p);
	ck_assert_int_eq(SSL_write(p.cli, "abc", 3), 3);
	pump(&p);
	ck_assert_uint_eq(p.srv_got.len, 3);
	pair_close(&p);
}
END_TEST

/* 1 MiB each way; the plaintext limit is far below, and in one run the
   application takes little per round, so the session must hold back. */
START_TEST(test_one_mib_both_ways)
{
	struct pair p;
	char *data = malloc(MIB);
	ck_assert_ptr_nonnull(data);
	fill_pattern(data, MIB, 7);
	pair_open(&p);
	p.srv_plain.limit = 40000;
	p.sink_max = _i == 0 ? SIZE_MAX : 3000;
	handshake(&p);

	for (size_t off = 0; off < MIB;) {
		int n = MIB - off < 100000 ? (int)(MIB - off) : 100000;
		ck_assert_int_eq(SSL_write(p.cli, data + off, n), n);
		off += (size_t)n;
	}
	size_t off = 0;
	while (off < MIB) {
		size_t n = MIB - off < 50000 ? MIB - off : 50000;
		ck_assert_int_eq(
			tls_session_send(p.srv, data + off, n, &p.srv_net), 0);
		off += n;
		pump(&p);
	}
	pump(&p);
	ck_assert(!p.srv_failed);
	ck_assert_uint_eq(p.srv_got.len, MIB);
	ck_assert_mem_eq(buf_head(&p.srv_got), data, MIB);
	ck_assert_uint_eq(p.cli_got.len, MIB);
	ck_assert_mem_eq(buf_head(&p.cli_got), data, MIB);
	ck_assert_int_eq(tls_session_has_input(p.srv), 0);
	if (_i == 1)
		ck_assert_int_eq(p.backpressure, 1);
	pair_close(&p);
	free(data);
}
END_TEST

/* With plaintext full and no application consuming, the session takes at
   most TLS_INPUT_LIMIT ciphertext bytes; the rest is left to the caller
   and pulled afterwards with a NULL receive. */
START_TEST(test_input_bound)
{
	struct pair p;
	char *data = malloc(MIB);
	ck_assert_ptr_nonnull(data);
	fill_pattern(data, MIB, 3);
	pair_open(&p);
	p.srv_plain.limit = 10000;
	handshake(&p);
	ck_assert_int_eq(SSL_write(p.cli, data, 200000), 200000);
	drain_bio(p.cli_out, &p.to_srv);
	size_t offered = p.to_srv.len;
	ssize_t r =
		tls_session_receive(p.srv, buf_head(&p.to_srv), p.to_srv.len,
				    &p.srv_plain, &p.srv_net, &p.why);
	ck_assert_int_ge(r, 0);
	ck_assert_uint_le((size_t)r, TLS_INPUT_LIMIT + 10000 + 2 * 16500);
	ck_assert_uint_lt((size_t)r, offered);
	ck_assert_uint_eq(p.srv_plain.len, 10000);
	buf_consume(&p.to_srv, (size_t)r);
	ck_assert_int_eq(tls_session_has_input(p.srv), 1);

	/* nothing moves while plaintext is full */
	r = tls_session_receive(p.srv, buf_head(&p.to_srv), p.to_srv.len,
				&p.srv_plain, &p.srv_net, &p.why);
	ck_assert_int_eq(r, 0);
	/* drain plaintext, pull what the session holds, then the rest */
	pump_sink(&p);
	r = tls_session_receive(p.srv, NULL, 0, &p.srv_plain, &p.srv_net,
				&p.why);
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(p.srv_plain.len, 10000);
	pump(&p);
	ck_assert_uint_eq(p.srv_got.len, 200000);
	ck_assert_mem_eq(buf_head(&p.srv_got), data, 200000);
	pair_close(&p);
	free(data);
}
END_TEST

START_TEST(test_send_before_handshake)
{
	struct pair p;
	pair_open(&p);
	ck_assert_int_eq(tls_session_is_established(p.srv), 0);
	ck_assert_int_eq(tls_session_send(p.srv, "early ", 6, &p.srv_net), 0);
	ck_assert_int_eq(tls_session_send(p.srv, "bird", 4, &p.srv_net), 0);
	ck_assert_uint_eq(p.srv_net.len, 0);
	handshake(&p);
	ck_assert_uint_eq(p.cli_got.len, 10);
	ck_assert_mem_eq(buf_head(&p.cli_got), "early bird", 10);
	pair_close(&p);
}
END_TEST

START_TEST(test_pending_limit)
{
	struct pair p;
	static char big[TLS_PENDING_LIMIT + 1];
	pair_open(&p);
	ck_assert_int_eq(
		tls_session_send(p.srv, big, TLS_PENDING_LIMIT, &p.srv_net), 0);
	errno = 0;
	ck_assert_int_eq(tls_session_send(p.srv, big, 1, &p.srv_net), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	handshake(&p);
	ck_assert_uint_eq(p.cli_got.len, TLS_PENDING_LIMIT);
	pair_close(&p);
}
END_TEST

START_TEST(test_net_out_full)
{
	struct pair p;
	char data[20000] = {0};
	pair_open(&p);
	handshake(&p);
	p.srv_net.limit = 10000;
	errno = 0;
	ck_assert_int_eq(tls_session_send(p.srv, data, sizeof data, &p.srv_net),
			 -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(p.srv_net.len, 0);
	/* nothing was taken: a smaller send still works */
	ck_assert_int_eq(tls_session_send(p.srv, data, 5000, &p.srv_net), 0);
	pump(&p);
	ck_assert_uint_eq(p.cli_got.len, 5000);
	pair_close(&p);
}
END_TEST

/* A handshake record with a broken body: -1, a reason, and an alert. */
START_TEST(test_garbage)
{
	static const char junk[] = "\x16\x03\x01\x00\x08garbage!";
	struct pair p;
	pair_open(&p);
	const char *why = NULL;
	ssize_t r = tls_session_receive(p.srv, junk, sizeof junk - 1,
					&p.srv_plain, &p.srv_net, &why);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_ge(p.srv_net.len, 7);
	ck_assert_int_eq((unsigned char)buf_head(&p.srv_net)[0], 0x15);
	/* the session stays failed */
	why = NULL;
	r = tls_session_receive(p.srv, "x", 1, &p.srv_plain, &p.srv_net, &why);
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(tls_session_send(p.srv, "x", 1, &p.srv_net), -1);
	ck_assert_int_eq(errno, EPIPE);
	pair_close(&p);
}
END_TEST

START_TEST(test_plain_http_refused)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pair p;
	pair_open(&p);
	const char *why = NULL;
	ck_assert_int_eq(tls_session_receive(p.srv, req, sizeof req - 1,
					     &p.srv_plain, &p.srv_net, &why),
			 -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(p.srv_plain.len, 0);
	pair_close(&p);
}
END_TEST

/* Garbage after an established handshake: a bad record MAC. */
START_TEST(test_garbage_after_handshake)
{
	static const char junk[] = "\x17\x03\x03\x00\x20"
				   "0123456789abcdef0123456789abcdef";
	struct pair p;
	pair_open(&p);
	handshake(&p);
	ck_assert_int_eq(tls_session_receive(p.srv, junk, sizeof junk - 1,
					     &p.srv_plain, &p.srv_net, &p.why),
			 -1);
	ck_assert_uint_gt(p.srv_net.len, 0);
	ck_assert_int_eq(tls_session_is_established(p.srv), 0);
	pair_close(&p);
}
END_TEST

START_TEST(test_old_versions_refused)
{
	struct pair p;
	int max = _i == 0 ? TLS1_VERSION : TLS1_1_VERSION;
	pair_open_ctx(&p, client_ctx(TLS1_VERSION, max, NULL, 0), 4096);
	pump(&p);
	ck_assert_int_eq(p.srv_failed, 1);
	ck_assert_int_eq(p.saw_alert, 1);
	ck_assert_int_eq(tls_session_is_established(p.srv), 0);
	ck_assert_int_eq(SSL_is_init_finished(p.cli), 0);
	pair_close(&p);
}
END_TEST

START_TEST(test_alpn)
{
	static const char xmpp[] = "\x08http/1.1\x0bxmpp-client";
	static const char http[] = "\x08http/1.1";
	struct pair p;

	pair_open_ctx(&p,
		      client_ctx(TLS1_2_VERSION, TLS1_3_VERSION, xmpp,
				 sizeof xmpp - 1),
		      4096);
	handshake(&p);
	ck_assert_int_eq(tls_session_alpn_is_xmpp(p.srv), 1);
	pair_close(&p);

	pair_open_ctx(&p,
		      client_ctx(TLS1_2_VERSION, TLS1_3_VERSION, http,
				 sizeof http - 1),
		      4096);
	pump(&p);
	ck_assert_int_eq(p.srv_failed, 1);
	ck_assert_int_eq(p.saw_alert, 1);
	pair_close(&p);
}
END_TEST

/* TLS 1.2 renegotiation asked by the client is refused with an alert. */
START_TEST(test_no_renegotiation)
{
	struct pair p;
	pair_open_ctx(&p, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0),
		      4096);
	handshake(&p);
	ck_assert_int_eq(p.saw_alert, 0);
	ck_assert_int_eq(SSL_renegotiate(p.cli), 1);
	SSL_do_handshake(p.cli);
	ERR_clear_error();
	pump(&p);
	ck_assert_int_eq(p.saw_alert, 1);
	ck_assert_int_eq(SSL_renegotiate_pending(p.cli), 1);
	pair_close(&p);
}
END_TEST

START_TEST(test_shutdown)
{
	struct pair p;
	char c;
	pair_open(&p);
	tls_session_shutdown(p.srv, &p.srv_net); /* not established: nothing */
	ck_assert_uint_eq(p.srv_net.len, 0);
	handshake(&p);
	tls_session_shutdown(p.srv, &p.srv_net);
	ck_assert_uint_gt(p.srv_net.len, 0);
	/* TLS 1.3 hides the alert inside an application-data record */
	ck_assert_int_eq((unsigned char)buf_head(&p.srv_net)[0], 0x17);
	size_t n = p.srv_net.len;
	tls_session_shutdown(p.srv, &p.srv_net); /* only once */
	ck_assert_uint_eq(p.srv_net.len, n);
	pump(&p);
	int r = SSL_read(p.cli, &c, 1);
	ck_assert_int_le(r, 0);
	ck_assert_int_eq(SSL_get_error(p.cli, r), SSL_ERROR_ZERO_RETURN);
	ck_assert(SSL_get_shutdown(p.cli) & SSL_RECEIVED_SHUTDOWN);
	ck_assert_int_eq(tls_session_send(p.srv, "x", 1, &p.srv_net), -1);
	ck_assert_int_eq(errno, EPIPE);

	/* the client's close_notify reaches the server */
	ck_assert_int_eq(tls_session_peer_closed(p.srv), 0);
	ERR_clear_error();
	SSL_shutdown(p.cli);
	pump(&p);
	ck_assert_int_eq(tls_session_peer_closed(p.srv), 1);
	ck_assert_int_eq(tls_session_has_input(p.srv), 0);
	ck_assert(!p.srv_failed);
	pair_close(&p);
}
END_TEST

START_TEST(test_shutdown_tls12)
{
	struct pair p;
	pair_open_ctx(&p, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0),
		      4096);
	handshake(&p);
	tls_session_shutdown(p.srv, &p.srv_net);
	ck_assert_int_eq((unsigned char)buf_head(&p.srv_net)[0], 0x15);
	pump(&p);
	ck_assert(SSL_get_shutdown(p.cli) & SSL_RECEIVED_SHUTDOWN);
	pair_close(&p);
}
END_TEST

START_TEST(test_channel_binding)
{
	struct pair p;
	unsigned char a[TLS_MAX_CHANNEL_BINDING], b[TLS_MAX_CHANNEL_BINDING];
	size_t n = 0;
	unsigned int m = 0;
	pair_open(&p);
	ck_assert_int_eq(tls_session_channel_binding(p.srv, TLS_CB_EXPORTER, a,
						     sizeof a, &n),
			 -1);
	ck_assert_int_eq(errno, ENOTCONN);
	handshake(&p);

	ck_assert_int_eq(tls_session_channel_binding(p.srv, TLS_CB_EXPORTER, a,
						     sizeof a, &n),
			 0);
	ck_assert_uint_eq(n, 32);
	ck_assert_int_eq(SSL_export_keying_material(p.cli, b, 32,
						    "EXPORTER-Channel-Binding",
						    24, NULL, 0, 0),
			 1);
	ck_assert_mem_eq(a, b, 32);

	ck_assert_int_eq(tls_session_channel_binding(p.srv,
						     TLS_CB_SERVER_END_POINT, a,
						     sizeof a, &n),
			 0);
	ck_assert_uint_eq(n, 32);
	ck_assert_int_eq(X509_digest(SSL_get0_peer_certificate(p.cli),
				     EVP_sha256(), b, &m),
			 1);
	ck_assert_mem_eq(a, b, 32);
	ck_assert_int_eq(tls_session_channel_binding(
				 p.srv, TLS_CB_SERVER_END_POINT, a, 16, &n),
			 -1);
	ck_assert_int_eq(errno, ENOBUFS);
	pair_close(&p);

	pair_open_ctx(&p, client_ctx(TLS1_2_VERSION, TLS1_2_VERSION, NULL, 0),
		      4096);
	handshake(&p);
	ck_assert_int_eq(tls_session_channel_binding(p.srv, TLS_CB_EXPORTER, a,
						     sizeof a, &n),
			 -1);
	ck_assert_int_eq(errno, ENOTSUP);
	pair_close(&p);
}
END_TEST

START_TEST(test_ctx_bad_files)
{
	ck_assert_ptr_null(tls_ctx_new(missing_path, key_path));
	ck_assert_ptr_null(tls_ctx_new(cert_path, missing_path));
	ck_assert_ptr_null(tls_ctx_new(cert_path, key2_path)); /* mismatch */
	ck_assert_ptr_null(tls_ctx_new(garbage_path, key_path));
	ck_assert_ptr_null(tls_ctx_new(cert_path, garbage_path));
	ck_assert_ptr_null(tls_ctx_new(key_path, key_path));
	ck_assert_int_eq(ERR_peek_error(), 0); /* no stale OpenSSL errors */
	struct tls_ctx *c = tls_ctx_new(cert2_path, key2_path);
	ck_assert_ptr_nonnull(c);
	tls_ctx_free(c);
	tls_ctx_free(NULL);
	tls_session_free(NULL);
}
END_TEST

/* Reload: new sessions get the new certificate, old ones keep working,
   and a failed reload changes nothing. The context may go first. */
START_TEST(test_reload)
{
	struct pair p;
	pair_open(&p);
	handshake(&p);
	X509 *first = SSL_get1_peer_certificate(p.cli);

	ck_assert_int_eq(tls_ctx_reload(p.ctx, cert_path, key2_path), -1);
	ck_assert_int_eq(tls_ctx_reload(p.ctx, cert2_path, key2_path), 0);
	struct tls_session *old = p.srv;
	p.srv = tls_session_new(p.ctx);
	tls_ctx_free(p.ctx);
	p.ctx = NULL;
	ck_assert_int_eq(tls_session_send(old, "old", 3, &p.srv_net), 0);
	ck_assert_uint_gt(p.srv_net.len, 0);
	tls_session_free(old);
	buf_reset(&p.srv_net);

	SSL_free(p.cli);
	p.cli = SSL_new(p.cli_ctx);
	p.cli_in = BIO_new(BIO_s_mem());
	p.cli_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p.cli_in, -1);
	BIO_set_mem_eof_return(p.cli_out, -1);
	SSL_set_bio(p.cli, p.cli_in, p.cli_out);
	SSL_set_connect_state(p.cli);
	handshake(&p);
	X509 *second = SSL_get0_peer_certificate(p.cli);
	ck_assert_int_ne(X509_cmp(first, second), 0);
	X509_free(first);
	pair_close(&p);
}
END_TEST

Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, make_files, remove_files);
	tcase_add_test(tc, test_handshake_and_data);
	tcase_add_test(tc, test_tls12);
	tcase_add_test(tc, test_handshake_byte_by_byte);
	tcase_add_loop_test(tc, test_one_mib_both_ways, 0, 2);
	tcase_add_test(tc, test_input_bound);
	tcase_add_test(tc, test_send_before_handshake);
	tcase_add_test(tc, test_pending_limit);
	tcase_add_test(tc, test_net_out_full);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_plain_http_refused);
	tcase_add_test(tc, test_garbage_after_handshake);
	tcase_add_loop_test(tc, test_old_versions_refused, 0, 2);
	tcase_add_test(tc, test_alpn);
	tcase_add_test(tc, test_no_renegotiation);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_shutdown_tls12);
	tcase_add_test(tc, test_channel_binding);
	tcase_add_test(tc, test_ctx_bad_files);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);
	return s;
}
