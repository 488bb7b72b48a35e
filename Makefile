# kasi — build, test, benchmark and demo.
#
#   make            build ./kasi
#   make test       unit + end-to-end tests; ends "N passed, M failed"
#   make asan       the same suite, built with ASan + UBSan (build/asan/)
#   make bench      validation and core benchmarks beside their yardsticks
#   make demo       install deps if needed, build, run on the fixtures
#   make fuzz       libFuzzer on validate, load and ingest (FUZZ_SECONDS each;
#                   FUZZ_TARGETS="validate load ingest")
#   make install    kasi and schemas/ under $(PREFIX)
#   make check-style / make lint   formatting and source rules

PREFIX ?= /usr/local
DESTDIR ?=
SCHEMA_DIR = $(PREFIX)/share/kasi/schemas
VERSION = 0.1.0

CC ?= cc
BUILD ?= build
PKGS = libpcre2-8 zlib sqlite3 libcrypto libssh
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -pthread
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

OPT ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wpointer-arith
KASI_CFLAGS = -std=c17 $(OPT) $(WARN) -Isrc $(PKG_CFLAGS) -MMD -MP \
	      -DKASI_VERSION='"$(VERSION)"' -DKASI_SCHEMA_DIR='"$(SCHEMA_DIR)"'
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifdef SAN
KASI_CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
KASI_BIN = $(BUILD)/kasi
else
KASI_BIN = kasi
endif

SRC := $(wildcard src/*/*.c)
LIB_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
MAIN_OBJ := $(BUILD)/obj/kasi.o
LIB := $(BUILD)/libkasi.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_ALL := validate load ingest
FUZZ_REPLAY := $(patsubst %,$(BUILD)/tests/fuzz_replay_%,$(FUZZ_ALL))
SYNCFAIL := $(BUILD)/tests/syncfail.so
BENCH_BIN := $(BUILD)/bench/gen_easypay $(BUILD)/bench/csvcount $(BUILD)/bench/gen_world

.PHONY: all test asan bench demo fuzz install uninstall clean deps check-style lint

all: $(KASI_BIN)

$(KASI_BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KASI_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KASI_CFLAGS) $(CMOCKA_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

# The fuzz targets without libFuzzer: each replays saved inputs in `make test`.
$(BUILD)/tests/fuzz_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h \
		tests/fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(KASI_CFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/fuzz.c tests/fuzz/replay.c \
		$(LIB) $(LDFLAGS) $(PKG_LIBS)

# The fsync-failing shim the I/O fault test preloads: never sanitized, as
# it runs inside whichever kasi is under test.
$(SYNCFAIL): tests/fault/syncfail.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

$(BUILD)/bench/%: tests/bench/%.c tests/bench/gen.h
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 -Wall -Wextra -Werror -o $@ $< $(PKG_LIBS)

deps:
	@scripts/deps.sh

test: $(KASI_BIN) $(UNIT_BIN) $(FUZZ_REPLAY) $(SYNCFAIL) $(BUILD)/bench/gen_world
	@KASI="$(abspath $(KASI_BIN))" KASI_SCHEMAS="$(abspath schemas)" \
		FUZZ_REPLAY_DIR="$(abspath $(BUILD)/tests)" SYNCFAIL="$(abspath $(SYNCFAIL))" \
		GEN_WORLD="$(abspath $(BUILD)/bench/gen_world)" \
		tests/run.sh $(UNIT_BIN)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 test

bench: $(KASI_BIN) $(BENCH_BIN)
	@KASI="$(abspath $(KASI_BIN))" BENCH_BIN="$(abspath $(BUILD)/bench)" scripts/bench.sh
	@KASI="$(abspath $(KASI_BIN))" BENCH_BIN="$(abspath $(BUILD)/bench)" scripts/bench_world.sh
	@KASI="$(abspath $(KASI_BIN))" BENCH_BIN="$(abspath $(BUILD)/bench)" scripts/bench_night.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# The fuzzers link what kasi links: the same pkg-config set.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(FUZZ_ALL)
fuzz:
	@PKG_CFLAGS="$(PKG_CFLAGS)" PKG_LIBS="$(PKG_LIBS)" scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install: $(KASI_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SCHEMA_DIR)
	install -m 0755 $(KASI_BIN) $(DESTDIR)$(PREFIX)/bin/kasi
	install -m 0644 schemas/*.schema schemas/*.csv schemas/README.md $(DESTDIR)$(SCHEMA_DIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kasi
	rm -rf $(DESTDIR)$(PREFIX)/share/kasi

check-style:
	@clang-format --dry-run -Werror $(SRC) src/kasi.c $(wildcard src/*/*.h tests/*/*.c tests/*/*.h) && echo "style: ok"

# Money is int64_t cents: no binary fractions anywhere in src/. Channels
# are data: no C file names one (the names are the schemas' `channel`s).
CHANNELS = $(shell sed -n 's/^channel \([a-z0-9_]*\).*/\1/p' schemas/*.schema tests/e2e/channels/*.schema | sort -u | paste -sd'|')
lint:
	@! grep -rnwE 'float|double|strtod|strtof|atof' src/ || \
		{ echo "lint: floating point in src/ (money is int64_t cents)"; exit 1; }
	@! grep -rniE '$(CHANNELS)' src/ || \
		{ echo "lint: a C file names a channel ($(CHANNELS)): say it in a schema"; exit 1; }
	@echo "lint: ok"

clean:
	rm -rf build kasi

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
