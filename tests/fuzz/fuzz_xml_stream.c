/* fuzz_xml_stream.c: fuzz target for the XMPP stream parser. The input is
 * fed as the bytes of one connection, whole, then in chunks of sizes
 * picked by its first byte, then byte by byte with a compaction attempt
 * after every byte; each run frees every stanza and serialises it first so
 * that ASan checks the trees. Small limits make the size and depth checks
 * reachable. The callback stops the stream at the 64th stanza, and resets
 * it (as after SASL success) when a stanza is named <reset/>. */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fuzz_targets.h"
#include "xml.h"
#include "xml_stream.h"

struct fuzz_xml_ctx {
	struct xml_stream *s;
	int stanzas;
	struct buf out;
};

static int fuzz_xml_open(void *ctx, const struct xml_node *root,
			 const char *default_ns)
{
	struct fuzz_xml_ctx *c = ctx;
	buf_reset(&c->out);
	(void)xml_serialize(&c->out, root, default_ns);
	return 0;
}

static int fuzz_xml_stanza(void *ctx, struct xml_node *stanza)
{
	struct fuzz_xml_ctx *c = ctx;
	buf_reset(&c->out);
	(void)xml_serialize(&c->out, stanza, "jabber:client");
	(void)xml_node_text(stanza);
	int reset = xml_node_is(stanza, NULL, "reset");
	xml_arena_free(stanza->arena);
	if (reset)
		xml_stream_reset(c->s);
	return ++c->stanzas == 64 ? -1 : 0;
}

static void fuzz_xml_close(void *ctx)
{
	(void)ctx;
}

static void fuzz_xml_error(void *ctx, enum xml_stream_error err)
{
	(void)ctx;
	(void)xml_stream_error_condition(err);
}

static const struct xml_stream_ops fuzz_xml_ops = {
	fuzz_xml_open, fuzz_xml_stanza, fuzz_xml_close, fuzz_xml_error};

/* Feeds data in chunks of chunk bytes, compacting after each if asked. */
static void fuzz_xml_feed(const uint8_t *data, size_t size, size_t chunk,
			  int compact)
{
	struct xml_stream_limits lim = {2048, 16};
	struct fuzz_xml_ctx c = {NULL, 0, {NULL, 0, 0, 0, 0}};
	buf_init(&c.out, 1 << 16);
	c.s = xml_stream_new(&lim, &fuzz_xml_ops, &c);
	if (!c.s) {
		buf_free(&c.out);
		return;
	}
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (xml_stream_feed(c.s, (const char *)data + off, n) < 0)
			break;
		if (compact)
			(void)xml_stream_compact(c.s);
	}
	xml_stream_free(c.s);
	buf_free(&c.out);
}

void fuzz_xml_stream_run(const uint8_t *data, size_t size)
{
	size_t chunk = size > 0 ? (size_t)data[0] % 97 + 1 : 1;
	fuzz_xml_feed(data, size, size > 0 ? size : 1, 0);
	fuzz_xml_feed(data, size, chunk, 0);
	fuzz_xml_feed(data, size, 1, 1);
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_xml_stream_run(data, size);
	return 0;
}
#endif
