#!/bin/sh
# Throw-away PostgreSQL server for tests and benchmarks.
#
#   pg.sh start DIR [WATCH_PID]   initdb + start on a free loopback port; prints the store URL.
#                                 With WATCH_PID, a watchdog stops the server and removes DIR
#                                 as soon as that process exits, even if it crashed or was killed.
#   pg.sh url DIR                 print the URL again
#   pg.sh restart DIR             fast restart (drops every connection)
#   pg.sh halt DIR                stop the server, keep its data (an outage)
#   pg.sh resume DIR              start a halted server again on the same port
#   pg.sh stop DIR                stop the server and remove DIR
#
# As root the server runs as the `postgres` system user (PostgreSQL refuses to run as root).
# The data directory lives in DIR; nothing outside DIR is touched.
set -eu

cmd=${1:?usage: pg.sh start|url|restart|halt|resume|stop DIR [WATCH_PID]}
dir=${2:?usage: pg.sh start|url|restart|halt|resume|stop DIR [WATCH_PID]}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bindir/initdb" ] || { echo "pg.sh: no PostgreSQL server binaries (set PG_BINDIR)" >&2; exit 3; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

url() { echo "postgresql://sic@127.0.0.1:$(cat "$dir/port")/sic"; }

# Loopback only, socket in DIR; durability off: these servers hold throw-away test data.
server_opts() {
  echo "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" \
       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=20"
}

stop() {
  [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

start() {
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    # postgres must be able to reach DIR; a private mktemp parent is opened for traversal only.
    runuser -u postgres -- test -x "$dir" || chmod a+x "$(dirname "$dir")"
  fi
  port=$(free_port)
  echo "$port" >"$dir/port"
  as_owner "$bindir/initdb" -D "$dir/data" -U sic -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(server_opts)" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U sic sic
}

watch() {
  pid=$1
  # Detached from the caller's stdio so that test runners waiting on pipes are not held open.
  setsid sh -c "while kill -0 $pid 2>/dev/null; do sleep 1; done; '$0' stop '$dir'" \
    </dev/null >/dev/null 2>&1 &
}

case "$cmd" in
start) start; [ $# -ge 3 ] && watch "$3"; url ;;
url) url ;;
restart) as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart -o "$(server_opts)" \
           -l "$dir/server.log" >/dev/null ;;
halt) as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
resume) as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(server_opts)" start >/dev/null ;;
stop) stop ;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
