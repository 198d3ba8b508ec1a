/* tls.h: server-side TLS for XMPP client connections, sans-I/O: STARTTLS on
 * port 5222 and direct TLS (XEP-0368) on 5223, on OpenSSL memory BIOs.
 *
 * The session never touches a socket: the connection code hands it the
 * ciphertext it read and sends the bytes it is given back. Ownership: the
 * daemon owns one struct tls_ctx (certificate, key, settings) and each
 * connection owns its struct tls_session; a session keeps the settings it
 * was made with even if the context is reloaded or freed meanwhile.
 * Bounds, per session: ciphertext held inside the session is at most
 * TLS_INPUT_LIMIT bytes, plaintext queued before the handshake ends at most
 * TLS_PENDING_LIMIT, plus one record inside OpenSSL. An idle established
 * session releases its record buffers (SSL_MODE_RELEASE_BUFFERS). */
#ifndef PARLEY_TLS_H
#define PARLEY_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* Ciphertext accepted but not yet decrypted (only grows while the caller's
   plaintext buffer is full): two largest records. */
#define TLS_INPUT_LIMIT (2 * (16384 + 2048 + 5))
/* Plaintext given to tls_session_send before the handshake completed. */
#define TLS_PENDING_LIMIT (64 * 1024)
/* Upper bound of the bytes a record adds to its plaintext (header, IV,
   MAC or tag, padding), used to check room in net_out before encrypting. */
#define TLS_RECORD_OVERHEAD 256
/* Largest channel-binding value (a SHA-512 digest). */
#define TLS_MAX_CHANNEL_BINDING 64

struct tls_ctx;
struct tls_session;

/* Loads a PEM certificate chain (leaf first) and its private key and sets
   up the server settings: TLS 1.2 at least, the server's cipher order,
   no compression, no renegotiation, no server-side session cache (tickets
   only), record buffers released when idle, ALPN "xmpp-client" (XEP-0368)
   accepted; a client offering ALPN without it is refused. Returns NULL
   after one log line naming the file and OpenSSL's reason (missing or
   unreadable file, not PEM, key not matching the certificate). */
struct tls_ctx *tls_ctx_new(const char *cert_file, const char *key_file);
/* Frees the context; sessions made from it stay usable. NULL does nothing. */
void tls_ctx_free(struct tls_ctx *ctx);
/* Replaces the certificate and key (SIGHUP), for sessions made from now
   on. 0, or -1 after one log line, and then ctx is unchanged. */
int tls_ctx_reload(struct tls_ctx *ctx, const char *cert_file,
		   const char *key_file);

/* A new server session waiting for the client's hello; NULL with ENOMEM. */
struct tls_session *tls_session_new(struct tls_ctx *ctx);
/* Frees the session and everything it holds. NULL does nothing. */
void tls_session_free(struct tls_session *s);

/* Feeds ciphertext from the peer. Decrypted bytes are appended to
   plain_out and bytes to send (handshake, tickets, alerts, data queued
   before the handshake) to net_out. Returns how many of the len bytes
   were taken: all of them, unless plain_out reached its limit, in which
   case the session keeps at most TLS_INPUT_LIMIT ciphertext bytes and the
   caller keeps the rest (as conn's on_read does). Once the caller has
   drained plain_out it pulls what the session still holds with
   tls_session_receive(s, NULL, 0, ...) (see tls_session_has_input), then
   hands its kept bytes again. Returns -1 on a fatal TLS error, with a
   static reason in *why and errno EPROTO (ENOBUFS if net_out overflowed,
   ENOMEM); net_out may then hold an alert to send before closing, and
   every later call fails too. A close_notify from the peer is not an
   error: see tls_session_peer_closed. */
ssize_t tls_session_receive(struct tls_session *s, const char *data, size_t len,
			    struct buf *plain_out, struct buf *net_out,
			    const char **why);
/* 1 if the last receive stopped because plain_out was full while the
   session may hold more: a tls_session_receive(s, NULL, 0, ...) after
   plain_out has been drained can then make progress. 0 once a receive
   ran out of input, so a caller looping on it never spins. */
int tls_session_has_input(const struct tls_session *s);
/* Encrypts len bytes into records appended to net_out. Before the
   handshake completes, the bytes are queued in the session (up to
   TLS_PENDING_LIMIT) and sent by the tls_session_receive that completes
   it. 0, or -1 with errno: ENOBUFS (net_out or the queue would pass its
   limit; nothing was taken), EPIPE (the session failed or was shut down),
   EPROTO or ENOMEM (OpenSSL failed: the caller must close). */
int tls_session_send(struct tls_session *s, const char *data, size_t len,
		     struct buf *net_out);
/* 1 once the handshake has completed (and until the session fails). */
int tls_session_is_established(const struct tls_session *s);
/* 1 once the peer has sent close_notify: no more plaintext will come. */
int tls_session_peer_closed(const struct tls_session *s);
/* 1 if ALPN "xmpp-client" was agreed (a direct-TLS client using XEP-0368
   names it; a STARTTLS client usually offers no ALPN). */
int tls_session_alpn_is_xmpp(const struct tls_session *s);
/* Protocol and cipher, e.g. "TLSv1.3" and "TLS_AES_256_GCM_SHA384", for a
   log line; "none" before the handshake. */
const char *tls_session_version(const struct tls_session *s);
const char *tls_session_cipher(const struct tls_session *s);

enum tls_channel_binding {
	TLS_CB_SERVER_END_POINT, /* RFC 5929: hash of our certificate */
	TLS_CB_EXPORTER,	 /* RFC 9266: TLS 1.3 sessions only */
};
/* The channel-binding data for SCRAM-*-PLUS into out (outsz bytes, at
   least TLS_MAX_CHANNEL_BINDING is enough), its length in *outlen. 0, or
   -1 with ENOTCONN (handshake not done), ENOTSUP (tls-exporter under TLS
   1.2, or a certificate whose signature names no usable hash), ENOBUFS or
   EPROTO. */
int tls_session_channel_binding(const struct tls_session *s,
				enum tls_channel_binding type,
				unsigned char *out, size_t outsz,
				size_t *outlen);

/* Appends close_notify to net_out, once, on an established session that
   has not failed; does nothing otherwise, or if net_out has no room. The
   session sends nothing more afterwards (tls_session_send fails EPIPE). */
void tls_session_shutdown(struct tls_session *s, struct buf *net_out);

#endif
