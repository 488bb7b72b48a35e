#!/usr/bin/env bash
# Install the Debian packages kasi needs to build, test and demo.
#
# Idempotent: packages already installed are not touched, and when nothing
# is missing the script does no network access at all. As root it uses
# apt-get; otherwise it prints the exact command to run and fails, so a
# missing dependency is never discovered halfway through a build.
set -euo pipefail

packages=(
	build-essential pkg-config
	libsqlite3-dev sqlite3     # the store, and the bench yardstick shell
	libcsv-dev                 # CSV parsing (RFC 4180)
	zlib1g-dev                 # .csv.gz in and --gzip out
	libssl-dev                 # SHA-256 (libcrypto): a file's identity
	libpcre2-dev               # schema patterns, JIT-compiled
	libssh-dev                 # SFTP pulls
	libcmocka-dev              # unit tests
	openssh-server openssh-client  # a real sshd for the SFTP tests
	clang libclang-rt-14-dev   # libFuzzer (make fuzz) and sanitizer runtimes
	time                       # /usr/bin/time for peak RSS in make bench
	jq                         # the tests check --json output with it
	chromium                   # renders the HTML summary in its test (headless)
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root:  apt-get update && $cmd" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
