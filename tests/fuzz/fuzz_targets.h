/* fuzz_targets.h: the table of fuzz targets that replay.c can run. Each
 * tests/fuzz/fuzz_NAME.c defines fuzz_NAME_run() and, when built with
 * libFuzzer (FUZZING defined by `make fuzz`), LLVMFuzzerTestOneInput. */
#ifndef PARLEY_FUZZ_TARGETS_H
#define PARLEY_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_target {
	const char *name;
	void (*run)(const uint8_t *data, size_t size);
};

void fuzz_http_parse_run(const uint8_t *data, size_t size);
void fuzz_frame_run(const uint8_t *data, size_t size);
void fuzz_bosh_body_run(const uint8_t *data, size_t size);
void fuzz_xml_stream_run(const uint8_t *data, size_t size);
void fuzz_poll_body_run(const uint8_t *data, size_t size);
void fuzz_handover_run(const uint8_t *data, size_t size);

extern const struct fuzz_target fuzz_targets[];

#endif
