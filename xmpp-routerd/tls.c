/* tls.c: server-side TLS sessions on OpenSSL memory BIOs (see tls.h).
 *
 * Each session owns two memory BIOs through its SSL object: net_in holds
 * ciphertext from the peer that OpenSSL has not read yet (at most
 * TLS_INPUT_LIMIT bytes), net_out the records OpenSSL wrote, which every
 * call moves at once into the caller's net_out buffer. So net_out is empty
 * between calls, and net_in is empty unless the caller's plaintext buffer
 * filled up. A memory BIO keeps its largest allocation, so an emptied BIO
 * that grew past TLS_BIO_KEEP is replaced by a fresh one: an idle session
 * holds no record-sized buffer at all. OpenSSL's error queue is cleared
 * before every call that may fail, so a reason always belongs to its call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "tls.h"

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 keeps its own. */
#define TLS_CIPHERS_TLS12 "ECDHE+AESGCM:ECDHE+CHACHA20"
/* Largest plaintext of one record. */
#define TLS_RECORD_PLAIN 16384
/* An empty memory BIO whose storage is larger than this is replaced. */
#define TLS_BIO_KEEP 4096
/* TLS 1.3 session tickets sent after a handshake (resumption without a
   server-side cache). */
#define TLS_TICKETS 1

static const char tls_alpn_xmpp[] = "xmpp-client";

struct tls_ctx {
	SSL_CTX *ssl_ctx;
};

struct tls_session {
	SSL *ssl;	    /* owns both BIOs */
	BIO *net_in;	    /* ciphertext from the peer */
	BIO *net_out;	    /* records to send */
	struct buf pending; /* plaintext sent before the handshake ended */
	unsigned established : 1;
	unsigned failed : 1;
	unsigned shut : 1;
	unsigned peer_closed : 1;
	unsigned held_back : 1; /* decrypting stopped at a full plain_out */
};

/* The reason of OpenSSL's earliest queued error (the root cause; later
   ones only name the calling layers), or fallback if there is none. */
static const char *tls_error_reason(const char *fallback)
{
	unsigned long e = ERR_peek_error();
	if (e == 0)
		return fallback;
	if (ERR_SYSTEM_ERROR(e))
		return strerror(ERR_GET_REASON(e));
	const char *r = ERR_reason_error_string(e);
	return r != NULL ? r : fallback;
}

/* ALPN (RFC 7301): picks "xmpp-client" from the client's list; a client
   offering other protocols only is refused (no_application_protocol), so
   that a TLS connection meant for another service cannot land here. */
static int tls_alpn_select(SSL *ssl, const unsigned char **out,
			   unsigned char *outlen, const unsigned char *in,
			   unsigned int inlen, void *arg)
{
	size_t want = sizeof tls_alpn_xmpp - 1;
	unsigned int i = 0;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		unsigned int n = in[i];
		if (n > inlen - i - 1)
			break;
		if (n == want && memcmp(in + i + 1, tls_alpn_xmpp, n) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += n + 1;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The settings every session gets, before the certificate is loaded. */
static int tls_ctx_configure(SSL_CTX *c)
{
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1)
		return -1;
	SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE |
				       SSL_OP_NO_COMPRESSION |
				       SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_num_tickets(c, TLS_TICKETS) != 1)
		return -1;
	if (SSL_CTX_set_cipher_list(c, TLS_CIPHERS_TLS12) != 1)
		return -1;
	SSL_CTX_set_alpn_select_cb(c, tls_alpn_select, NULL);
	return 0;
}

/* A configured SSL_CTX holding cert_file and key_file, or NULL after one
   log line naming the file at fault. */
static SSL_CTX *tls_ssl_ctx_load(const char *cert_file, const char *key_file)
{
	ERR_clear_error();
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	if (c == NULL || tls_ctx_configure(c) < 0) {
		log_error("cannot set up TLS: %s", tls_error_reason("?"));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(c, cert_file) != 1) {
		log_error("certificate %s: %s", cert_file,
			  tls_error_reason("cannot load"));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c, key_file, SSL_FILETYPE_PEM) != 1) {
		log_error("private key %s: %s", key_file,
			  tls_error_reason("cannot load"));
		goto fail;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		/* OpenSSL has already dropped the mismatched half, so its
		   reason ("no certificate assigned") would mislead */
		log_error("private key %s does not match certificate %s",
			  key_file, cert_file);
		goto fail;
	}
	return c;
fail:
	ERR_clear_error();
	SSL_CTX_free(c);
	return NULL;
}

struct tls_ctx *tls_ctx_new(const char *cert_file, const char *key_file)
{
	struct tls_ctx *ctx = malloc(sizeof *ctx);
	if (ctx == NULL) {
		log_error("out of memory");
		return NULL;
	}
	ctx->ssl_ctx = tls_ssl_ctx_load(cert_file, key_file);
	if (ctx->ssl_ctx == NULL) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx); /* sessions hold their own reference */
	free(ctx);
}

int tls_ctx_reload(struct tls_ctx *ctx, const char *cert_file,
		   const char *key_file)
{
	SSL_CTX *c = tls_ssl_ctx_load(cert_file, key_file);
	if (c == NULL) {
		errno = EINVAL;
		return -1;
	}
	SSL_CTX_free(ctx->ssl_ctx);
	ctx->ssl_ctx = c;
	return 0;
}

/* An empty memory BIO that reports "retry" rather than EOF when empty. */
static BIO *tls_mem_bio(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b != NULL)
		BIO_set_mem_eof_return(b, -1);
	return b;
}

struct tls_session *tls_session_new(struct tls_ctx *ctx)
{
	struct tls_session *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	buf_init(&s->pending, TLS_PENDING_LIMIT);
	s->ssl = SSL_new(ctx->ssl_ctx);
	s->net_in = tls_mem_bio();
	s->net_out = tls_mem_bio();
	if (s->ssl == NULL || s->net_in == NULL || s->net_out == NULL) {
		BIO_free(s->net_in);
		BIO_free(s->net_out);
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		errno = ENOMEM;
		return NULL;
	}
	SSL_set_bio(s->ssl, s->net_in, s->net_out);
	SSL_set_accept_state(s->ssl);
	return s;
}

void tls_session_free(struct tls_session *s)
{
	if (s == NULL)
		return;
	SSL_free(s->ssl);
	buf_free(&s->pending);
	free(s);
}

/* 1 if the memory BIO b is empty but holds storage above TLS_BIO_KEEP. */
static int tls_bio_is_bloated(BIO *b)
{
	BUF_MEM *m = NULL;
	if (BIO_ctrl_pending(b) != 0)
		return 0;
	BIO_get_mem_ptr(b, &m);
	return m != NULL && m->max > TLS_BIO_KEEP;
}

/* Replaces emptied BIOs that grew large (see the top of the file). On
   allocation failure the old BIO simply stays. */
static void tls_trim(struct tls_session *s)
{
	BIO *b;
	if (tls_bio_is_bloated(s->net_in) && (b = tls_mem_bio()) != NULL) {
		SSL_set0_rbio(s->ssl, b); /* frees the old one */
		s->net_in = b;
	}
	if (tls_bio_is_bloated(s->net_out) && (b = tls_mem_bio()) != NULL) {
		SSL_set0_wbio(s->ssl, b);
		s->net_out = b;
	}
}

/* Moves every record OpenSSL wrote into out. 0, or -1 with ENOBUFS or
   ENOMEM (the records stay in the BIO). */
static int tls_flush(struct tls_session *s, struct buf *out)
{
	size_t n = BIO_ctrl_pending(s->net_out);
	if (n == 0)
		return 0;
	if (buf_reserve(out, n) < 0)
		return -1;
	if (BIO_read(s->net_out, buf_tail(out), (int)n) != (int)n) {
		errno = EPROTO;
		return -1;
	}
	buf_commit(out, n);
	return 0;
}

/* Marks s failed: moves any alert into out (if it fits), sets *why to
   OpenSSL's reason or fallback and errno to EPROTO; returns -1. */
static int tls_fail(struct tls_session *s, struct buf *out, const char **why,
		    const char *fallback)
{
	*why = tls_error_reason(fallback);
	ERR_clear_error();
	s->failed = 1;
	if (tls_flush(s, out) < 0)
		(void)BIO_reset(s->net_out);
	errno = EPROTO;
	return -1;
}

/* Encrypts len bytes into out, record by record, after checking that out
   has room for all of them. 0, or -1 with errno (s failed unless the check
   refused with ENOBUFS). */
static int tls_encrypt(struct tls_session *s, const char *data, size_t len,
		       struct buf *out)
{
	size_t records = len / TLS_RECORD_PLAIN + 1;
	size_t room = out->limit - out->len;
	const char *why;

	if (len > room || records > (room - len) / TLS_RECORD_OVERHEAD) {
		errno = ENOBUFS;
		return -1;
	}
	while (len > 0) {
		int n = len < TLS_RECORD_PLAIN ? (int)len : TLS_RECORD_PLAIN;
		ERR_clear_error();
		if (SSL_write(s->ssl, data, n) != n)
			return tls_fail(s, out, &why, "encryption failed");
		if (tls_flush(s, out) < 0) {
			s->failed = 1;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Advances the handshake; once it completes, sends what was queued. */
static int tls_handshake(struct tls_session *s, struct buf *net_out,
			 const char **why)
{
	ERR_clear_error();
	int r = SSL_do_handshake(s->ssl);
	if (r != 1) {
		if (SSL_get_error(s->ssl, r) == SSL_ERROR_WANT_READ)
			return 0;
		return tls_fail(s, net_out, why, "handshake failed");
	}
	s->established = 1;
	if (tls_flush(s, net_out) < 0)
		goto full;
	if (s->pending.len > 0 &&
	    tls_encrypt(s, buf_head(&s->pending), s->pending.len, net_out) < 0)
		goto full;
	buf_free(&s->pending);
	return 0;
full:
	s->failed = 1;
	*why = errno == ENOBUFS ? "output queue full" : "encryption failed";
	return -1;
}

/* Decrypts into plain while it has room; notes if it stopped for lack of
   room rather than of input. */
static int tls_decrypt(struct tls_session *s, struct buf *plain,
		       struct buf *net_out, const char **why)
{
	s->held_back = 0;
	while (!s->peer_closed) {
		if (plain->len >= plain->limit) {
			s->held_back = 1;
			return 0;
		}
		size_t room = plain->limit - plain->len;
		int n = room < TLS_RECORD_PLAIN ? (int)room : TLS_RECORD_PLAIN;
		if (buf_reserve(plain, (size_t)n) < 0) {
			s->failed = 1;
			*why = "out of memory";
			return -1;
		}
		ERR_clear_error();
		int r = SSL_read(s->ssl, buf_tail(plain), n);
		if (r > 0) {
			buf_commit(plain, (size_t)r);
			continue;
		}
		switch (SSL_get_error(s->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			s->peer_closed = 1;
			return 0;
		default:
			return tls_fail(s, net_out, why, "decryption failed");
		}
	}
	return 0;
}

/* Runs OpenSSL on what net_in holds and flushes its output. */
static int tls_process(struct tls_session *s, struct buf *plain,
		       struct buf *net_out, const char **why)
{
	if (!s->established && tls_handshake(s, net_out, why) < 0)
		return -1;
	if (s->established && tls_decrypt(s, plain, net_out, why) < 0)
		return -1;
	if (tls_flush(s, net_out) < 0) {
		s->failed = 1;
		*why = "output queue full";
		return -1;
	}
	return 0;
}

/* Bytes net_in may still take. */
static size_t tls_input_room(const struct tls_session *s)
{
	size_t held = BIO_ctrl_pending(s->net_in);
	return held < TLS_INPUT_LIMIT ? TLS_INPUT_LIMIT - held : 0;
}

ssize_t tls_session_receive(struct tls_session *s, const char *data, size_t len,
			    struct buf *plain_out, struct buf *net_out,
			    const char **why)
{
	size_t taken = 0;

	if (s->failed) {
		*why = "session already failed";
		errno = EPROTO;
		return -1;
	}
	do {
		size_t room = tls_input_room(s);
		size_t n = len - taken < room ? len - taken : room;
		if (n > 0 &&
		    BIO_write(s->net_in, data + taken, (int)n) != (int)n)
			return tls_fail(s, net_out, why, "out of memory");
		taken += n;
		if (tls_process(s, plain_out, net_out, why) < 0) {
			ERR_clear_error();
			return -1;
		}
	} while (taken < len && tls_input_room(s) > 0);
	tls_trim(s);
	return (ssize_t)taken;
}

int tls_session_has_input(const struct tls_session *s)
{
	return s->held_back && !s->failed && !s->peer_closed;
}

int tls_session_send(struct tls_session *s, const char *data, size_t len,
		     struct buf *net_out)
{
	if (s->failed || s->shut) {
		errno = EPIPE;
		return -1;
	}
	if (!s->established)
		return buf_append(&s->pending, data, len);
	if (len == 0)
		return 0;
	int r = tls_encrypt(s, data, len, net_out);
	ERR_clear_error();
	tls_trim(s);
	return r;
}

int tls_session_is_established(const struct tls_session *s)
{
	return s->established && !s->failed;
}

int tls_session_peer_closed(const struct tls_session *s)
{
	return s->peer_closed;
}

int tls_session_alpn_is_xmpp(const struct tls_session *s)
{
	const unsigned char *p = NULL;
	unsigned int n = 0;
	SSL_get0_alpn_selected(s->ssl, &p, &n);
	return n == sizeof tls_alpn_xmpp - 1 &&
	       memcmp(p, tls_alpn_xmpp, n) == 0;
}

const char *tls_session_version(const struct tls_session *s)
{
	return s->established ? SSL_get_version(s->ssl) : "none";
}

const char *tls_session_cipher(const struct tls_session *s)
{
	return s->established ? SSL_get_cipher_name(s->ssl) : "none";
}

/* RFC 5929 tls-server-end-point: our certificate hashed with the hash of
   its signature, SHA-256 instead of MD5 or SHA-1. */
static int tls_cb_server_end_point(SSL *ssl, unsigned char *out, size_t outsz,
				   size_t *outlen)
{
	X509 *cert = SSL_get_certificate(ssl);
	int md_nid = NID_undef;
	unsigned int n = 0;

	if (cert == NULL ||
	    X509_get_signature_info(cert, &md_nid, NULL, NULL, NULL) != 1 ||
	    md_nid == NID_undef) {
		errno = ENOTSUP;
		return -1;
	}
	if (md_nid == NID_md5 || md_nid == NID_sha1)
		md_nid = NID_sha256;
	const EVP_MD *md = EVP_get_digestbynid(md_nid);
	if (md == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	if ((size_t)EVP_MD_get_size(md) > outsz) {
		errno = ENOBUFS;
		return -1;
	}
	if (X509_digest(cert, md, out, &n) != 1) {
		errno = EPROTO;
		return -1;
	}
	*outlen = n;
	return 0;
}

/* RFC 9266 tls-exporter: 32 bytes of the TLS 1.3 exporter. */
static int tls_cb_exporter(SSL *ssl, unsigned char *out, size_t outsz,
			   size_t *outlen)
{
	static const char label[] = "EXPORTER-Channel-Binding";

	if (SSL_version(ssl) != TLS1_3_VERSION) {
		errno = ENOTSUP;
		return -1;
	}
	if (outsz < 32) {
		errno = ENOBUFS;
		return -1;
	}
	if (SSL_export_keying_material(ssl, out, 32, label, sizeof label - 1,
				       NULL, 0, 0) != 1) {
		errno = EPROTO;
		return -1;
	}
	*outlen = 32;
	return 0;
}

int tls_session_channel_binding(const struct tls_session *s,
				enum tls_channel_binding type,
				unsigned char *out, size_t outsz,
				size_t *outlen)
{
	int r;

	if (!tls_session_is_established(s)) {
		errno = ENOTCONN;
		return -1;
	}
	switch (type) {
	case TLS_CB_SERVER_END_POINT:
		r = tls_cb_server_end_point(s->ssl, out, outsz, outlen);
		break;
	case TLS_CB_EXPORTER:
		r = tls_cb_exporter(s->ssl, out, outsz, outlen);
		break;
	default:
		errno = EINVAL;
		r = -1;
	}
	ERR_clear_error();
	return r;
}

void tls_session_shutdown(struct tls_session *s, struct buf *net_out)
{
	if (!s->established || s->failed || s->shut)
		return;
	s->shut = 1;
	ERR_clear_error();
	(void)SSL_shutdown(s->ssl);
	ERR_clear_error();
	if (tls_flush(s, net_out) < 0)
		(void)BIO_reset(s->net_out);
	tls_trim(s);
}
