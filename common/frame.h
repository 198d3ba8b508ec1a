/* frame.h: the framed protocol that every Parley process speaks on unix
 * sockets (specified in common/PROTOCOL.md; read it first).
 *
 * A frame is a 16-byte header in network byte order followed by a payload:
 *   u32 length   payload bytes that follow the header (<= the connection max)
 *   u16 type     enum frame_type; unknown types are a protocol error
 *   u16 flags    FRAME_F_*; unknown bits must be zero
 *   u32 channel  which request or virtual stream the frame belongs to
 *   u32 reserved sent as zero, ignored on receipt
 * The decoder is sans-I/O: it is fed bytes and hands out whole frames. */
#ifndef PARLEY_FRAME_H
#define PARLEY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FRAME_HEADER_SIZE 16
/* The largest payload any Parley process accepts, whatever it configures. */
#define FRAME_MAX_PAYLOAD (4u * 1024 * 1024)
/* Major version: must match on both ends. Minor: informational. */
#define FRAME_VERSION_MAJOR 1
#define FRAME_VERSION_MINOR 4

/* Type numbers are never reused; see PROTOCOL.md for each payload. */
enum frame_type {
	FRAME_HELLO = 1,         /* version handshake, channel 0, first frame */
	FRAME_ERROR = 2,         /* text reason; the sender closes afterwards */
	FRAME_PING = 3,          /* liveness probe, answered by FRAME_PONG */
	FRAME_PONG = 4,
	FRAME_HTTP_REQUEST = 16, /* http-filed -> backend, attributes */
	FRAME_HTTP_RESPONSE = 17,/* backend -> http-filed, attributes */
	FRAME_HTTP_ABORT = 18,   /* http-filed -> backend: client went away */
	FRAME_HTTP_INSTANCE = 19,/* backend -> http-filed: its instance tag (1.3) */
	/* Planned restarts (1.4, PROTOCOL.md 8.7): */
	FRAME_HTTP_DRAIN = 20,   /* backend -> http-filed: send me nothing new */
	FRAME_HTTP_DRAINED = 21, /* http-filed -> backend: nothing new will come */
	FRAME_HTTP_RELEASE = 22, /* http-filed -> backend: answer what you hold */
	/* Virtual XMPP streams between a gateway and the router (1.1): */
	FRAME_STREAM_OPEN = 32,    /* gateway -> router: a new client stream */
	FRAME_STREAM_DATA = 33,    /* both: XML bytes of the stream */
	FRAME_STREAM_RESTART = 34, /* gateway -> router: the client restarts */
	FRAME_STREAM_CLOSE = 35,   /* both: the stream is over */
	FRAME_STREAM_RETURN = 36,  /* gateway -> router: data for a stream it
				      had already closed (1.3) */
	/* Hand-over of a gateway's streams to its successor (1.4, 9.7): */
	FRAME_STREAM_HANDOVER = 37,    /* gateway -> router: keep my streams */
	FRAME_STREAM_HANDOVER_OK = 38, /* router -> gateway: kept, nothing more
					  will come on this connection */
	FRAME_STREAM_ADOPT = 39,       /* gateway -> router: give me this one */
	/* 40..47 reserved for virtual streams */
	/* Control requests between parleyctl and a daemon (1.2): */
	FRAME_CTL_REQUEST = 64, /* CLI -> daemon: a command and its operands */
	FRAME_CTL_REPLY = 65,   /* daemon -> CLI: one record of the answer */
	FRAME_CTL_END = 66,     /* daemon -> CLI: the answer is complete */
	/* 67..79 reserved for control requests */
};

/* Control connections (PROTOCOL.md section 10): every frame, both ways,
 * carries at most this much payload. */
#define FRAME_CTL_MAX_PAYLOAD (64u * 1024)

/* The status of FRAME_CTL_END (attribute STATUS). */
enum frame_ctl_status {
	FRAME_CTL_OK = 0,
	FRAME_CTL_NOT_FOUND = 1,   /* the thing named does not exist */
	FRAME_CTL_TRUNCATED = 2,   /* the records sent are only the first ones */
	FRAME_CTL_BAD_REQUEST = 100, /* unknown command, wrong operands */
	FRAME_CTL_FAILED = 111,    /* the daemon could not do it (memory) */
};

/* Flags; none are defined yet in version 1.0. */
#define FRAME_F_KNOWN 0x0000u

struct frame_header {
	uint32_t length;
	uint16_t type;
	uint16_t flags;
	uint32_t channel;
};

/* Returns 1 if type is one this version knows, else 0. */
int frame_type_is_known(uint16_t type);
/* Name of a type for logs ("HTTP_REQUEST"), or "unknown". */
const char *frame_type_name(uint16_t type);

/* Appends a whole frame (header and payload) to out; 0 or -1 with errno
 * (EMSGSIZE if the payload is larger than FRAME_MAX_PAYLOAD, ENOBUFS if out
 * is full). */
int frame_append(struct buf *out, uint16_t type, uint32_t channel,
		 const void *payload, size_t len);

/* Writes the 16 header bytes for h into p. */
void frame_header_encode(const struct frame_header *h, unsigned char *p);

enum frame_decode_result {
	FRAME_NEED_MORE = 0, /* not a whole frame yet: feed more bytes */
	FRAME_OK = 1,        /* *h and *payload describe one whole frame */
	FRAME_BAD = -1,      /* malformed: log *why and close the connection */
};

/* Looks at the bytes in [p, p+n) and, if they start with a whole valid
 * frame, fills *h, points *payload into p and returns FRAME_OK; the frame
 * occupies FRAME_HEADER_SIZE + h->length bytes. max_payload is the
 * connection's limit (<= FRAME_MAX_PAYLOAD). On FRAME_BAD, *why names the
 * problem (static string). A length over max_payload, an unknown type or an
 * unknown flag bit is FRAME_BAD as soon as the header is complete. */
enum frame_decode_result frame_decode(const unsigned char *p, size_t n,
				      size_t max_payload,
				      struct frame_header *h,
				      const unsigned char **payload,
				      const char **why);

/* HELLO payload: "parley <major>.<minor> <role>" (ASCII, no NUL).
 * frame_hello_append writes one; frame_hello_check parses a received one,
 * returns 0 if the major version matches, -1 otherwise with *why set. The
 * peer's role (up to rolesz-1 bytes) is copied to role if non-NULL. */
int frame_hello_append(struct buf *out, const char *role);
int frame_hello_check(const unsigned char *payload, size_t len, char *role,
		      size_t rolesz, const char **why);
/* The minor version of a HELLO that frame_hello_check accepted. */
unsigned frame_hello_minor(const unsigned char *payload, size_t len);

#endif
