# sshd.sh — a real OpenSSH server for the SFTP tests, sourced after lib.sh.
#
#   sshd_start DIR    start Debian's sshd on 127.0.0.1 and a free high port
#                     (a random one; another when it is taken):
#                     generated host key (ed25519) and user key, key
#                     authentication only, the internal SFTP subsystem, the
#                     server's files under DIR/srv. Sets
#                       sshd_port, sshd_dir, sshd_user
#                       sshd_hostkey, sshd_userkey, sshd_known_hosts
#                     and stops it at exit, whatever happens.
#   sshd_stop         stop it (sshd_start again restarts it, same keys)
#   sshd_kill         kill -9 the server and its sessions (a dropped line)
#   sshd_job NAME ... write DIR/NAME.job for the server; the remaining
#                     arguments are extra "key = value" lines
#   job_set NAME KEY VALUE   set a key of DIR/NAME.job
#
# The test runs as whoever runs it: sshd without root cannot switch users,
# so it serves the same user, with its own config, host key and
# authorized_keys (StrictModes off: the temp dir's modes are the test's).
# As root, sshd runs without the capabilities that pass over file modes
# (setpriv), as a partner's server account would: a file of mode 000 is
# as unreadable to it as on a real server.
sshd_bin=${SSHD:-/usr/sbin/sshd}
sshd_wrap=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	sshd_wrap=(setpriv --bounding-set=-dac_override,-dac_read_search)
fi

sshd_available() {
	[ -x "$sshd_bin" ] && command -v ssh-keygen >/dev/null
}

sshd_start() {
	sshd_dir=$1
	sshd_user=$(id -un)
	mkdir -p "$sshd_dir/srv" "$sshd_dir/keys"
	chmod 700 "$sshd_dir/keys"
	sshd_hostkey=$sshd_dir/keys/host_ed25519
	sshd_userkey=$sshd_dir/keys/id_ed25519
	sshd_known_hosts=$sshd_dir/keys/known_hosts
	[ -f "$sshd_hostkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$sshd_hostkey"
	[ -f "$sshd_userkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$sshd_userkey"
	cp "$sshd_userkey.pub" "$sshd_dir/keys/authorized_keys"
	# sshd refuses to start without its privilege-separation directory.
	[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
	# A free high port: sshd refuses to start on one in use, and another
	# is tried (a restart keeps the port it had).
	local try
	for try in $(seq 20); do
		[ -n "${sshd_port:-}" ] || sshd_port=$((20000 + RANDOM % 40000))
		sshd_config
		echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$sshd_hostkey.pub")" >"$sshd_known_hosts"
		rm -f "$sshd_dir/sshd.pid"
		"${sshd_wrap[@]}" "$sshd_bin" -f "$sshd_dir/sshd_config" -E "$sshd_dir/sshd.log" && break
		[ "$try" -lt 20 ] && [ -z "${sshd_keep_port:-}" ] || { cat "$sshd_dir/sshd.log" >&2; return 1; }
		sshd_port=
	done
	sshd_keep_port=1
	if [ -n "${KASI_KEEP_TMP:-}" ]; then trap 'sshd_stop' EXIT; else trap 'sshd_stop; rm -rf "$tmp"' EXIT; fi
	local i
	for i in $(seq 50); do
		[ -s "$sshd_dir/sshd.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "sshd did not start:" >&2
	cat "$sshd_dir/sshd.log" >&2
	return 1
}

sshd_config() {
	cat >"$sshd_dir/sshd_config" <<-EOF
		ListenAddress 127.0.0.1
		Port $sshd_port
		HostKey $sshd_hostkey
		PidFile $sshd_dir/sshd.pid
		AuthorizedKeysFile $sshd_dir/keys/authorized_keys
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		AllowUsers $sshd_user
		Subsystem sftp internal-sftp
		LogLevel ERROR
		MaxStartups 50
	EOF
}

sshd_stop() {
	local pid
	[ -n "${sshd_dir:-}" ] && [ -s "$sshd_dir/sshd.pid" ] || return 0
	pid=$(cat "$sshd_dir/sshd.pid")
	# Its sessions first (once it is gone they are no longer its children).
	pkill -P "$pid" 2>/dev/null || true
	kill "$pid" 2>/dev/null || true
	rm -f "$sshd_dir/sshd.pid"
	local i
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	return 0
}

# kill -9 the listener and every session it forked: the line drops.
sshd_kill() {
	local pid
	[ -s "$sshd_dir/sshd.pid" ] || return 0
	pid=$(cat "$sshd_dir/sshd.pid")
	pkill -9 -P "$pid" 2>/dev/null || true
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$sshd_dir/sshd.pid"
}

sshd_job() {
	local name=$1 line
	shift
	{
		echo "[job]"
		echo "name = $name"
		echo "source = sftp"
		echo "host = 127.0.0.1"
		echo "port = $sshd_port"
		echo "user = $sshd_user"
		echo "identity = $sshd_userkey"
		echo "known_hosts = $sshd_known_hosts"
		echo "remote_dir = $sshd_dir/srv"
		echo "pattern = ^easypay_recon_[0-9]{8}\\.csv(\\.gz)?\$"
		echo "schema = easypay_recon"
		echo "root = $sshd_dir/root-$name"
		echo "deadline = 07:00"
		echo "timeout = 5"
		for line in "$@"; do echo "$line"; done
		grep -q '^after_pull' <<<"$*" || echo "after_pull = keep"
	} >"$sshd_dir/$name.job"
}

job_set() {
	local file=$sshd_dir/$1.job
	grep -v "^$2 = " "$file" >"$file.new"
	printf '%s = %s\n' "$2" "$3" >>"$file.new"
	mv "$file.new" "$file"
}
