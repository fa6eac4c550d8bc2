#!/usr/bin/env bash
# Load test of the PCE from a separate process, over HTTPS on loopback.
#
#   bash infra/bench/load.sh
#
# Builds bin/remora, migrates a throwaway database on REMORA_DATABASE_URL's
# server, starts `remora serve --dev` on 127.0.0.1:<free port>, signs up a
# tenant with ~20 users, then runs wrk against GET /api/v1/users, once with a
# viewer API key and once with the owner's access JWT, and prints requests/s
# and latency percentiles. On exit (normal, error or Ctrl-C) it stops the
# server and drops the database. Results are recorded in docs/BENCHMARKS.md.
#
# Settings (environment):
#   REMORA_DATABASE_URL  server to use, URL form (default postgres://localhost:5432/...);
#                        its database name is replaced by a throwaway one
#   REMORA_REDIS_URL     Redis (default redis://localhost:6379/0)
#   BENCH_DURATION       wrk duration per run, seconds (default 20, at most 300)
#   BENCH_THREADS        wrk threads (default 2)
#   BENCH_CONNECTIONS    wrk connections (default 32)
#   BENCH_USERS          users added to the tenant (default 20)
#   BENCH_KEEP_LOG       if set, keep the server log (path printed at exit)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

readonly PG_DEFAULT_URL='postgres://localhost:5432/remora?sslmode=disable'
readonly READY_SECONDS=30
DURATION=${BENCH_DURATION:-20}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
USERS=${BENCH_USERS:-20}

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	printf 'bench: error: %s\n' "$*" >&2
	exit 1
}

for v in DURATION THREADS CONNECTIONS USERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, got '${!v}'"
done
((DURATION >= 1 && DURATION <= 300)) || die "BENCH_DURATION must be 1..300 seconds"
((THREADS >= 1 && CONNECTIONS >= THREADS)) || die "need BENCH_THREADS >= 1 and BENCH_CONNECTIONS >= BENCH_THREADS"

# ------------------------------------------------------------------ tools

# need CMD PACKAGE: CMD must exist; as root, install PACKAGE with apt-get.
APT_UPDATED=0
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		die "$1 is missing; install it with: sudo apt-get install $2"
	fi
	log "installing $2"
	if ((!APT_UPDATED)); then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	command -v "$1" >/dev/null 2>&1 || die "installed $2 but $1 is still missing"
}
command -v go >/dev/null 2>&1 || die "go is missing (this repository needs Go 1.26: https://go.dev/dl/)"
need wrk wrk
need curl curl
need jq jq
need psql postgresql-client

# Like the Makefile: use the dev passfile written by infra/dev/services.sh.
if [[ -z ${PGPASSFILE:-} && -f .remora/pgpass ]]; then
	export PGPASSFILE=$PWD/.remora/pgpass
fi

# ------------------------------------------------------------- database

# Swap the database in the URL for a throwaway one; keep scheme, user,
# password, host, port and query (sslmode...).
base_url=${REMORA_DATABASE_URL:-$PG_DEFAULT_URL}
[[ $base_url == postgres://* || $base_url == postgresql://* ]] ||
	die "REMORA_DATABASE_URL must be a postgres:// URL, got '$base_url'"
scheme=${base_url%%://*}
rest=${base_url#*://}
authority=${rest%%[/?#]*}
query=''
[[ $rest == *\?* ]] && query="?${rest#*\?}"
DB_NAME="remora_bench_$$_${RANDOM}"
DB_URL="$scheme://$authority/$DB_NAME$query"
ADMIN_URL="$scheme://$authority/postgres$query"

psql_admin() { PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }

# -------------------------------------------------------------- cleanup

WORK=$(mktemp -d "${TMPDIR:-/tmp}/remora-bench.XXXXXX")
SERVER_PID=''
WRK_PID=''
DB_CREATED=0

cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	if [[ -n $WRK_PID ]]; then
		kill -TERM "$WRK_PID" 2>/dev/null || true
		wait "$WRK_PID" 2>/dev/null || true
	fi
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do # the server drains for up to 15s
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if ((DB_CREATED)); then
		if psql_admin -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)"; then
			log "dropped database $DB_NAME"
		else
			log "could not drop database $DB_NAME; drop it by hand"
		fi
	fi
	if ((rc != 0)) && [[ -f $WORK/server.log ]]; then
		log "server log (last lines):"
		tail -n 20 "$WORK/server.log" >&2 || true
	fi
	if [[ -n ${BENCH_KEEP_LOG:-} && -f $WORK/server.log ]]; then
		log "server log kept at $WORK/server.log"
		rm -rf "$WORK/data"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------- build

log "building bin/remora"
go build -o bin/remora ./cmd/remora

psql_admin -c 'SELECT 1' >/dev/null || die "cannot reach Postgres at $ADMIN_URL"
[[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ]] ||
	die "database $DB_NAME already exists; not touching it"

log "migrating throwaway database $DB_NAME"
out=$(REMORA_DATABASE_URL=$DB_URL bin/remora migrate --create-database)
[[ $out == *"created database"* ]] || die "migrate did not create $DB_NAME: $out"
DB_CREATED=1

# ----------------------------------------------------------------- serve

# A free loopback port: nothing answers on it now. (A race with another
# process is possible; the server then fails to listen and we stop below.)
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=''
for _ in {1..50}; do
	p=$((20000 + RANDOM % 40000))
	if port_free "$p"; then
		PORT=$p
		break
	fi
done
[[ -n $PORT ]] || die "found no free port on 127.0.0.1"
BASE="https://127.0.0.1:$PORT"

log "starting remora serve --dev on 127.0.0.1:$PORT"
REMORA_DATABASE_URL=$DB_URL \
	REMORA_DATA_DIR="$WORK/data" \
	REMORA_HTTP_ADDR="127.0.0.1:$PORT" \
	REMORA_LOG_LEVEL=warn \
	REMORA_RATE_PER_ADDRESS=100000 \
	REMORA_RATE_PER_ACCOUNT=100000 \
	bin/remora serve --dev >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

CACERT="$WORK/data/tls/cert.pem"
ready=0
deadline=$((SECONDS + READY_SECONDS))
while ((SECONDS < deadline)); do
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup"
	if [[ -f $CACERT ]] && curl -fsS --max-time 2 --cacert "$CACERT" "$BASE/readyz" >/dev/null 2>&1; then
		ready=1
		break
	fi
	sleep 0.25
done
((ready)) || die "the server was not ready within ${READY_SECONDS}s"
log "server ready"

# api METHOD PATH BEARER BODY: the JSON answer; fails on a non-2xx status.
api() {
	local args=(-fsS --max-time 10 --cacert "$CACERT" -X "$1" -H 'Content-Type: application/json')
	[[ -n $3 ]] && args+=(-H "Authorization: Bearer $3")
	[[ -n $4 ]] && args+=(--data "$4")
	curl "${args[@]}" "$BASE$2"
}

# ------------------------------------------------------------------ data

PASSWORD='correct horse battery staple'
signup=$(api POST /api/v1/signup '' \
	"$(jq -nc --arg pw "$PASSWORD" '{organization: "Bench Org", email: "owner@bench.example", password: $pw}')")
ACCESS=$(jq -er .access_token <<<"$signup")
KEY=$(api POST /api/v1/api-keys "$ACCESS" '{"name":"load test","role":"viewer"}' | jq -er .secret)
log "signed up; created a viewer API key; adding $USERS users"
for ((i = 1; i <= USERS; i++)); do
	api POST /api/v1/users "$ACCESS" \
		"$(jq -nc --arg e "user$i@bench.example" --arg pw "$PASSWORD" '{email: $e, password: $pw, role: "viewer"}')" >/dev/null
done
count=$(api GET /api/v1/users "$KEY" '' | jq '.items | length')
((count == USERS + 1)) || die "GET /api/v1/users lists $count users, want $((USERS + 1))"
log "GET /api/v1/users lists $count users"

# ------------------------------------------------------------------- load

# run_wrk LABEL BEARER: one wrk run; prints its output and a summary line.
run_wrk() {
	local label=$1 bearer=$2 out rps p50 p99 non2xx
	log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency GET /api/v1/users ($label)"
	# In the background, so that a signal interrupts `wait` at once and the
	# EXIT trap cleans up without waiting for the run to end.
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency \
		-H "Authorization: Bearer $bearer" "$BASE/api/v1/users" >"$WORK/wrk.out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || die "wrk failed: $(cat "$WORK/wrk.out")"
	WRK_PID=''
	out=$(<"$WORK/wrk.out")
	printf '%s\n' "$out"
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
	[[ -z $non2xx ]] || die "$label: $non2xx responses were not 2xx (expired token? rate limit?); figures are void"
	if grep -q 'Socket errors:' <<<"$out"; then
		log "$label: wrk saw socket errors (see above); latency figures undercount them"
	fi
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	[[ -n $rps && -n $p50 && -n $p99 ]] || die "$label: could not read wrk's output"
	SUMMARY+=("$(printf '%-8s %10s req/s   p50 %9s   p99 %9s' "$label" "$rps" "$p50" "$p99")")
}

SUMMARY=()
run_wrk "API key" "$KEY"
run_wrk "JWT" "$ACCESS"

echo
echo "== GET /api/v1/users ($count users), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $(nproc) CPUs shared by wrk, server, Postgres, Redis"
printf '%s\n' "${SUMMARY[@]}"
# wrk stops with requests in flight; the server logs those as "context
# canceled" errors. Anything else is worth a look.
problems=$(grep -e '"level":"WARN"' -e '"level":"ERROR"' "$WORK/server.log" | grep -cv 'context canceled' || true)
if ((problems > 0)); then
	log "the server logged $problems warnings or errors; rerun with BENCH_KEEP_LOG=1 to read them"
fi
