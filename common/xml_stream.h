/* xml_stream.h: a sans-I/O XMPP stream parser on expat.
 *
 * Fed the bytes of an XML stream (RFC 6120 4), it reports the stream
 * header, each complete top-level child (a stanza or a stream-level
 * element such as <starttls/> or <auth/>) as a tree (xml.h), the end of the
 * stream, or the first error. The rules of RFC 6120 11 are enforced: any
 * DOCTYPE, entity declaration, processing instruction or comment is
 * XML_STREAM_RESTRICTED; malformed XML or invalid UTF-8 is
 * XML_STREAM_NOT_WELL_FORMED; a stanza larger than max_stanza bytes or
 * nested deeper than max_depth is XML_STREAM_POLICY_VIOLATION. After an
 * error the parser accepts no more input.
 *
 * Memory: while no stanza is in progress the parser can drop its expat
 * state (xml_stream_compact); the next bytes re-create it behind a
 * recorded copy of the stream header, so an idle stream costs only this
 * struct. Used by xmpp-routerd for TCP and virtual streams. */
#ifndef PARLEY_XML_STREAM_H
#define PARLEY_XML_STREAM_H

#include <stddef.h>

#include "xml.h"

enum xml_stream_error {
	XML_STREAM_OK = 0,
	XML_STREAM_NOT_WELL_FORMED,  /* <not-well-formed/> */
	XML_STREAM_RESTRICTED,	     /* <restricted-xml/> */
	XML_STREAM_POLICY_VIOLATION, /* <policy-violation/>: size or depth */
	XML_STREAM_NO_MEMORY,	     /* <resource-constraint/> */
	/* <unsupported-encoding/>: not UTF-8 (an encoding declaration, or
	   UTF-16 detected from the first bytes) */
	XML_STREAM_UNSUPPORTED_ENCODING,
};

struct xml_stream_limits {
	/* bytes of one top-level child, as received; also bounds what comes
	   before the stream header and the header itself */
	size_t max_stanza;
	size_t max_depth; /* element depth inside a stanza (its own is 1) */
};

struct xml_stream_ops {
	/* The stream header arrived: root is an element (no children) with the
	   header's namespace, name and attributes (e.g. ns
	   "http://etherx.jabber.org/streams", name "stream"); default_ns is
	   the default namespace it declared ("jabber:client"), or NULL. The
	   tree is freed after the call. Return 0, or -1 to stop parsing. */
	int (*on_open)(void *ctx, const struct xml_node *root,
		       const char *default_ns);
	/* A complete top-level child. The callee owns the tree and must
	   xml_arena_free(stanza->arena) when done. 0, or -1 to stop. */
	int (*on_stanza)(void *ctx, struct xml_node *stanza);
	/* </stream:stream> arrived. */
	void (*on_close)(void *ctx);
	/* The first error; nothing is reported after it. */
	void (*on_error)(void *ctx, enum xml_stream_error err);
};

struct xml_stream;

/* NULL on ENOMEM. Allocates only the struct: the expat parser is made by
   the first feed. */
struct xml_stream *xml_stream_new(const struct xml_stream_limits *lim,
				  const struct xml_stream_ops *ops, void *ctx);
void xml_stream_free(struct xml_stream *s);
/* Parses len bytes. 0, or -1 if parsing stopped (an error was reported
   through on_error, or a callback returned -1). After </stream:stream>
   (on_close) the rest of the bytes are ignored and later feeds return -1,
   as after an error or a stop. Must not be called from a callback. */
int xml_stream_feed(struct xml_stream *s, const char *data, size_t len);
/* Starts over for a new stream on the same connection (after STARTTLS or
   SASL success): the next bytes must be a new stream header. It also
   clears a stop, an error or a close. Called from a callback (on_open,
   on_stanza, on_close), it takes effect after that callback returns: the
   bytes after the current element are parsed as the new stream, unless
   the callback returns -1, which stops this feed there (as for STARTTLS,
   where the next bytes are not XML). */
void xml_stream_reset(struct xml_stream *s);
/* Frees the expat state if no stanza or partial markup is in progress
   (0), else does nothing (-1): right after the header or a top-level
   element, with nothing fed since but whitespace. Call it when a
   connection goes idle. Also 0 if there is no expat state (nothing fed
   yet, already compact, or stopped). Not from a callback (-1). */
int xml_stream_compact(struct xml_stream *s);
/* For a hand-over to another process (common/HANDOVER.md): 0 and
   hdr and len set to the header to give xml_stream_resume there (length 0:
   nothing has been fed since the start or the last reset), after
   compacting the stream; -1 if it cannot be moved (inside a stanza,
   after an error or the end, a header too long to keep). *hdr points
   into s. */
int xml_stream_suspend(struct xml_stream *s, const char **hdr, size_t *len);
/* On a new stream (nothing fed): continues a suspended one, as if hdr had
   been parsed (no on_open). 0, or -1 (EINVAL) if hdr is too long. */
int xml_stream_resume(struct xml_stream *s, const char *hdr, size_t len);
/* 1 if the parser holds expat state (compacting it would free some). */
int xml_stream_has_state(const struct xml_stream *s);
/* The name of an error condition as RFC 6120 4.9.3 spells it. */
const char *xml_stream_error_condition(enum xml_stream_error err);

#endif
