/*
 * replay: run a fuzz target's LLVMFuzzerTestOneInput over saved inputs,
 * without libFuzzer, for the regression suite. One TAP line per input.
 *
 *   replay [--prefix SELECT OPTIONS] FILE...
 *
 * A file is an input as it stands, or, after --prefix, the content of
 * an input whose first two bytes (what to run, and its options) are
 * SELECT and OPTIONS (0-255): a fixture read as-is through every
 * selector without writing each input out first. --prefix again
 * changes them for the files after it.
 */
#include "core/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int byte_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 255) {
		fprintf(stderr, "replay: '%s' is not a byte\n", s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	int n = 0, prefix[2] = { -1, -1 };
	for (int i = 1; i < argc; i++)
		n += strcmp(argv[i], "--prefix") ? 1 : -2;
	printf("1..%d\n", n);
	n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--prefix") && i + 2 < argc) {
			prefix[0] = byte_arg(argv[i + 1]);
			prefix[1] = byte_arg(argv[i + 2]);
			i += 2;
			continue;
		}
		n++;
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			printf("not ok %d - cannot open %s\n", n, argv[i]);
			continue;
		}
		size_t cap = 1 << 16, len = 0, k;
		uint8_t *buf = malloc(cap);
		if (buf && prefix[0] >= 0) {
			buf[len++] = (uint8_t)prefix[0];
			buf[len++] = (uint8_t)prefix[1];
		}
		while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
			len += k;
			if (len == cap) {
				uint8_t *nb = realloc(buf, cap *= 2);
				if (!nb)
					free(buf);
				buf = nb;
			}
		}
		fclose(f);
		if (!buf) {
			printf("not ok %d - out of memory reading %s\n", n, argv[i]);
			continue;
		}
		LLVMFuzzerTestOneInput(buf, len); /* aborts (fails) on a bug */
		free(buf);
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		if (prefix[0] >= 0)
			printf("ok %d - %s (%d %d)\n", n, base, prefix[0], prefix[1]);
		else
			printf("ok %d - %s\n", n, base);
	}
	return 0;
}
