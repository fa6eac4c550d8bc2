#!/usr/bin/env bash
# Dev/CI helper: make sure the services Remora needs are there.
#
#   infra/dev/services.sh ensure   Postgres and Redis answer at REMORA_DATABASE_URL /
#                                  REMORA_REDIS_URL (installing and starting local ones
#                                  when needed).
#   infra/dev/services.sh tools    install what `make test` needs beyond Go.
#
# See infra/dev/README.md. Never relies on systemd (containers have none).
set -euo pipefail

readonly PG_DEFAULT_URL='postgres://localhost:5432/remora?sslmode=disable'
readonly REDIS_DEFAULT_URL='redis://localhost:6379/0'
readonly WAIT_SECONDS=30

DATA_DIR=${REMORA_DATA_DIR:-$PWD/.remora}
PGPASS="$DATA_DIR/pgpass"
APT_UPDATED=0

log() { printf 'services: %s\n' "$*"; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		log "running as root via sudo: $*"
		sudo -- "$@"
	else
		die "needs root (and sudo is not installed); run as root: $*"
	fi
}

apt_install() {
	is_root || die "not root; run: sudo apt-get install $*"
	if [[ $APT_UPDATED -eq 0 ]]; then
		apt-get update
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

url_decode() { printf '%b' "${1//%/\\x}"; }

# parse_url URL DEFAULT_PORT: sets URL_HOST, URL_PORT, URL_USER and URL_PASS (the
# last two may be empty).
# Handles scheme://user:pass@host:port/path?query, [IPv6]:port, a missing port and
# (for multi-host URLs) takes the first host. An empty host means localhost.
parse_url() {
	local url=$1 default_port=$2 auth hostport userinfo='' kv
	if [[ $url != *://* && $url == *=* ]]; then
		# libpq keyword/value form: host=... port=... user=...
		URL_HOST='' URL_PORT='' URL_USER='' URL_PASS=''
		for kv in $url; do
			case $kv in
			host=*) URL_HOST=${kv#host=} ;;
			port=*) URL_PORT=${kv#port=} ;;
			user=*) URL_USER=${kv#user=} ;;
			password=*) URL_PASS=${kv#password=} ;;
			*) ;;
			esac
		done
		[[ $URL_HOST != /* ]] || URL_HOST=localhost # a socket directory
		URL_HOST=${URL_HOST%%,*} URL_PORT=${URL_PORT%%,*}
		[[ -n $URL_HOST ]] || URL_HOST=localhost
		[[ -n $URL_PORT ]] || URL_PORT=$default_port
		[[ $URL_PORT =~ ^[0-9]+$ ]] || die "cannot parse a port out of '$url'"
		return 0
	fi
	auth=${url#*://}
	auth=${auth%%[/?#]*}
	if [[ $auth == *@* ]]; then
		userinfo=${auth%@*}
		hostport=${auth##*@}
	else
		hostport=$auth
	fi
	hostport=${hostport%%,*}
	URL_USER=$(url_decode "${userinfo%%:*}")
	URL_PASS=''
	[[ $userinfo == *:* ]] && URL_PASS=$(url_decode "${userinfo#*:}")
	if [[ $hostport == \[* ]]; then
		URL_HOST=${hostport#\[}
		URL_HOST=${URL_HOST%%]*}
		URL_PORT=${hostport#*]}
		URL_PORT=${URL_PORT#:}
	elif [[ $hostport == *:* ]]; then
		URL_HOST=${hostport%:*}
		URL_PORT=${hostport##*:}
	else
		URL_HOST=$hostport
		URL_PORT=''
	fi
	[[ -n $URL_HOST ]] || URL_HOST=localhost
	[[ -n $URL_PORT ]] || URL_PORT=$default_port
	[[ $URL_PORT =~ ^[0-9]+$ ]] || die "cannot parse a port out of '$url'"
}

reachable() {
	# shellcheck disable=SC2016 # expanded by the inner bash, on purpose
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

is_local() {
	case $1 in
	localhost | 127.0.0.1 | ::1) return 0 ;;
	*) return 1 ;;
	esac
}

# wait_for NAME HOST PORT LOGFILE
wait_for() {
	local name=$1 host=$2 port=$3 logfile=$4 i
	for ((i = 0; i < WAIT_SECONDS; i++)); do
		if reachable "$host" "$port"; then
			log "$name is up at $host:$port"
			return 0
		fi
		sleep 1
	done
	die "$name did not answer at $host:$port within ${WAIT_SECONDS}s; see $logfile"
}

# ---------------------------------------------------------------- Postgres

pg_server_installed() {
	command -v pg_ctlcluster >/dev/null 2>&1 && [[ -n $(pg_newest_version) ]]
}

# Newest version that has server binaries (under /usr/lib/postgresql; versions
# only configured under /etc/postgresql cannot be started or created anyway).
pg_newest_version() {
	local d v versions=()
	for d in /etc/postgresql/* /usr/lib/postgresql/*; do
		v=${d##*/}
		[[ $v =~ ^[0-9]+(\.[0-9]+)?$ && -x /usr/lib/postgresql/$v/bin/postgres ]] && versions+=("$v")
	done
	((${#versions[@]})) || return 0
	printf '%s\n' "${versions[@]}" | sort -uV | tail -n 1
}

# Prints "VERSION NAME STATUS LOGFILE" of the cluster configured for PORT (an
# online one first, else the newest), or nothing.
pg_cluster_on_port() {
	pg_lsclusters -h 2>/dev/null | awk -v port="$1" '
		$3 == port { line = $1 " " $2 " " $4 " " $7; if ($4 ~ /^online/) { print line; found = 1; exit } last = line }
		END { if (!found && last != "") print last }'
}

pg_cluster_exists() { [[ -d /etc/postgresql/$1/$2 ]]; }

# pg_start HOST PORT: starts (creating it if needed) a cluster on PORT; sets PG_LOG.
pg_start() {
	local host=$1 port=$2 found ver name status version
	found=$(pg_cluster_on_port "$port")
	if [[ -n $found ]]; then
		read -r ver name status PG_LOG <<<"$found"
		if [[ $status == online* ]]; then
			die "Postgres cluster $ver/$name (port $port) is running but does not accept TCP connections at $host:$port; check listen_addresses in /etc/postgresql/$ver/$name/postgresql.conf"
		fi
	else
		version=$(pg_newest_version)
		[[ -n $version ]] || die "no Postgres server binaries found under /usr/lib/postgresql"
		ver=$version
		for name in main remora "remora-$port"; do
			pg_cluster_exists "$ver" "$name" || break
		done
		pg_cluster_exists "$ver" "$name" && die "cannot pick a free cluster name for Postgres $ver on port $port"
		log "creating Postgres cluster $ver/$name on port $port"
		as_root pg_createcluster "$ver" "$name" -p "$port" >/dev/null
		PG_LOG=/var/log/postgresql/postgresql-$ver-$name.log
	fi
	log "starting Postgres cluster $ver/$name (port $port)"
	as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
}

# pg_password PORT ROLE: the passfile's password for PORT and ROLE, else its
# first one (one password for every Postgres the script manages), else a new one.
pg_password() {
	local pw='' erole
	erole=$(pgpass_escape "$2")
	[[ -f $PGPASS ]] && pw=$(awk -F: -v port="$1" -v role="$erole" '
		!/^[[:space:]]*#/ && NF >= 5 {
			if ($(NF-3) == port && $(NF-1) == role) { print $NF; found = 1; exit }
			if (first == "") first = $NF
		}
		END { if (!found && first != "") print first }' "$PGPASS")
	if [[ -z $pw ]]; then
		pw=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	fi
	printf '%s' "$pw"
}

pgpass_escape() { local s=${1//\\/\\\\}; printf '%s' "${s//:/\\:}"; }

# True when the passfile has entries for this port: the script manages that
# Postgres' dev login.
pgpass_covers_port() {
	[[ -f $PGPASS ]] && awk -F: -v port="$1" '!/^[[:space:]]*#/ && NF >= 5 && $(NF-3) == port { found = 1 } END { exit !found }' "$PGPASS"
}

# pgpass_write ROLE PORT PASSWORD: entries for localhost, 127.0.0.1 and ::1 on
# PORT (other entries are kept), mode 0600.
pgpass_write() {
	local role=$1 port=$2 pw=$3 tmp host erole
	erole=$(pgpass_escape "$role")
	tmp=$(mktemp "$DATA_DIR/pgpass.XXXXXX")
	chmod 600 "$tmp"
	{
		echo "# Written by infra/dev/services.sh: dev login for the local Postgres it manages."
		if [[ -f $PGPASS ]]; then
			# Keep entries for other ports/roles.
			awk -F: -v port="$port" -v role="$erole" '!/^[[:space:]]*#/ && NF >= 5 && !($(NF-3) == port && $(NF-1) == role)' "$PGPASS"
		fi
		for host in localhost 127.0.0.1 ::1; do
			printf '%s:%s:*:%s:%s\n' "$(pgpass_escape "$host")" "$port" "$erole" "$pw"
		done
	} >"$tmp"
	if [[ -f $PGPASS ]] && cmp -s "$tmp" "$PGPASS"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$PGPASS"
	fi
	chmod 600 "$PGPASS"
}

# pg_admin_psql PORT: psql as the postgres superuser over the local socket,
# script on stdin.
pg_admin_psql() {
	local port=$1
	shift
	if is_root; then
		(cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@")
	elif command -v sudo >/dev/null 2>&1; then
		log "running psql as postgres via sudo to set up the dev role"
		(cd / && sudo -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@")
	else
		die "need root (or sudo) to create the Postgres role; see infra/dev/README.md"
	fi
}

# pg_login_works HOST PORT ROLE: can ROLE log in with the passfile?
pg_login_works() {
	command -v psql >/dev/null 2>&1 || return 1
	PGPASSFILE=$PGPASS PGCONNECT_TIMEOUT=5 psql -X -w -q -At -h "$1" -p "$2" -U "$3" -d postgres \
		-c 'select 1' >/dev/null 2>&1
}

# pg_ensure_role HOST PORT ROLE [PASSWORD]: makes sure a login role (CREATEDB)
# exists with PASSWORD (default: the passfile's, or a new random one).
pg_ensure_role() {
	local host=$1 port=$2 role=$3 pw=${4:-}
	[[ -n $pw ]] || pw=$(pg_password "$port" "$role")
	pgpass_write "$role" "$port" "$pw"
	if pg_login_works "$host" "$port" "$role"; then
		log "Postgres role '$role' can log in (password in $PGPASS)"
		return 0
	fi
	log "setting up Postgres role '$role' (CREATEDB; password in $PGPASS)"
	if ! pg_admin_psql "$port" -v role="$role" -v pw="$pw" <<-'SQL'; then
		SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS role_missing \gset
		\if :role_missing
		CREATE ROLE :"role" LOGIN CREATEDB;
		\endif
		ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
	SQL
		die "could not set up the Postgres role '$role' on port $port (not a local Debian cluster? then remove $PGPASS)"
	fi
}

# ------------------------------------------------------------------- Redis

redis_start() {
	local port=$1 dir="$DATA_DIR/redis-$1"
	mkdir -p "$dir"
	log "starting redis-server on port $port (data dir $dir, nothing persisted)"
	redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" \
		--save "" --appendonly no --dir "$dir" \
		--logfile "$dir/redis.log" --pidfile "$dir/redis.pid" >/dev/null
	REDIS_LOG="$dir/redis.log"
}

# ----------------------------------------------------------------- commands

cmd_ensure() {
	local pg_url=${REMORA_DATABASE_URL:-$PG_DEFAULT_URL}
	local redis_url=${REMORA_REDIS_URL:-$REDIS_DEFAULT_URL}
	local pg_host pg_port pg_user pg_pass redis_host redis_port pg_up=1 redis_up=1 pg_managed=0
	local missing=()
	PG_LOG=/var/log/postgresql
	REDIS_LOG="$DATA_DIR"

	mkdir -p "$DATA_DIR"
	parse_url "$pg_url" 5432
	pg_host=$URL_HOST pg_port=$URL_PORT pg_user=${URL_USER:-$(id -un)} pg_pass=$URL_PASS
	parse_url "$redis_url" 6379
	redis_host=$URL_HOST redis_port=$URL_PORT

	if reachable "$pg_host" "$pg_port"; then
		log "Postgres is reachable at $pg_host:$pg_port"
	else
		pg_up=0
		is_local "$pg_host" || die "Postgres at $pg_host:$pg_port is not reachable (REMORA_DATABASE_URL)"
		pg_server_installed || missing+=(postgresql)
	fi
	if reachable "$redis_host" "$redis_port"; then
		log "Redis is reachable at $redis_host:$redis_port"
	else
		redis_up=0
		is_local "$redis_host" || die "Redis at $redis_host:$redis_port is not reachable (REMORA_REDIS_URL)"
		command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
	fi
	if ((${#missing[@]})); then
		if ! is_root; then
			# Remember that the local Postgres is ours to set up (see README).
			((pg_up)) || pgpass_write "$pg_user" "$pg_port" "${pg_pass:-$(pg_password "$pg_port" "$pg_user")}"
			printf 'services: missing server software; install it with:\n  sudo apt-get install %s\nthen re-run.\n' "${missing[*]}" >&2
			exit 1
		fi
		log "installing ${missing[*]}"
		apt_install "${missing[@]}"
		# A package's maintainer scripts may have started it already.
		((pg_up)) || ! reachable "$pg_host" "$pg_port" || { pg_up=1 pg_managed=1; }
		((redis_up)) || ! reachable "$redis_host" "$redis_port" || redis_up=1
	fi

	if ((!pg_up)); then
		pg_start "$pg_host" "$pg_port"
		pg_managed=1
		wait_for Postgres "$pg_host" "$pg_port" "$PG_LOG"
	fi
	if ((!redis_up)); then
		redis_start "$redis_port"
		wait_for Redis "$redis_host" "$redis_port" "$REDIS_LOG"
	fi
	if ((pg_managed)) || pgpass_covers_port "$pg_port"; then
		pg_ensure_role "$pg_host" "$pg_port" "$pg_user" "$pg_pass"
	fi
}

cmd_tools() {
	# command -> Debian package. gcc/libc6-dev: `go test -race` needs cgo;
	# nft, ip and wg: the VEN's tests run hosts in network namespaces.
	local -A pkg=([node]=nodejs [npm]=npm [jq]=jq [curl]=curl [gcc]=gcc [nft]=nftables [ip]=iproute2 [wg]=wireguard-tools)
	local cmd missing=()
	for cmd in node npm jq curl gcc nft ip wg; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg[$cmd]}")
	done
	if [[ " ${missing[*]} " == *" gcc "* ]]; then
		missing+=(libc6-dev)
	fi
	if ((${#missing[@]} == 0)); then
		log "tools present (node $(node --version), npm $(npm --version))"
		return 0
	fi
	if ! is_root; then
		printf 'services: missing tools; install them with:\n  sudo apt-get install %s\n' "${missing[*]}" >&2
		exit 1
	fi
	log "installing ${missing[*]}"
	apt_install "${missing[@]}"
}

usage() {
	echo "usage: $0 ensure|tools" >&2
	exit 2
}

[[ $# -eq 1 ]] || usage
case $1 in
ensure) cmd_ensure ;;
tools) cmd_tools ;;
*) usage ;;
esac
