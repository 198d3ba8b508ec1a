/* replay.c: runs fuzz targets over their saved corpora without libFuzzer,
 * so that `make check` (built with gcc, and under ASan in `make asan`)
 * replays every input that once crashed a parser.
 * Usage: fuzz-replay TARGET FILE...  (TARGET names a fuzz_TARGET.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"

static const struct fuzz_target *find_target(const char *name)
{
	for (size_t i = 0; fuzz_targets[i].name; i++)
		if (strcmp(fuzz_targets[i].name, name) == 0)
			return &fuzz_targets[i];
	return NULL;
}

static int replay_file(const struct fuzz_target *t, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	static unsigned char data[1 << 20];
	size_t n = fread(data, 1, sizeof data, f);
	fclose(f);
	t->run(data, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fuzz-replay TARGET FILE...\n");
		return 100;
	}
	const struct fuzz_target *t = find_target(argv[1]);
	if (!t) {
		fprintf(stderr, "fuzz-replay: unknown target %s\n", argv[1]);
		return 100;
	}
	int bad = 0;
	for (int i = 2; i < argc; i++)
		if (replay_file(t, argv[i]) < 0)
			bad = 1;
	printf("fuzz-replay: %s: %d inputs replayed\n", t->name, argc - 2);
	return bad ? 111 : 0;
}
