/*
 * replay: run fuzz_validate's LLVMFuzzerTestOneInput over saved inputs,
 * without libFuzzer, for the regression suite. One TAP line per file.
 *
 *   replay FILE...
 */
#include "core/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			printf("not ok %d - cannot open %s\n", i, argv[i]);
			continue;
		}
		size_t cap = 1 << 16, len = 0, n;
		uint8_t *buf = malloc(cap);
		while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
			len += n;
			if (len == cap) {
				uint8_t *nb = realloc(buf, cap *= 2);
				if (!nb)
					break;
				buf = nb;
			}
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len); /* aborts (fails) on a bug */
		free(buf);
		printf("ok %d - %s\n", i,
		       strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i]);
	}
	return 0;
}
