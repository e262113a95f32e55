#!/bin/bash
#
# t/stress/knee.sh MODULE.so: where telemetry starts to be shed.  One nginx
# worker runs a middleware with one waitUntil(ngx.fetch(collector)) per
# request; the collector is either in the same worker ("inside") or in
# another nginx ("outside"); wrk at rising concurrency for DURATION s;
# the counters say how many events reached the collector (fulfilled) and
# how many were shed.  MODE=sink sends the event with sink.send() to a
# middleware_sink (batched by the module) instead: delivered and lost are
# then the sink's delivered and dropped + failed lines.  Loopback only.
# Output: one line per run.

set -euo pipefail

module=$(readlink -f "${1:?usage: knee.sh MODULE.so}")
top=$(cd "$(dirname "$0")/../.." && pwd)
dur=${DURATION:-5}
levels=${LEVELS:-"16 64 256 1024"}
base=${KNEE_PORT:-27400}
dir=$(mktemp -d "$top/t/tmp/knee-XXXXXX")

cleanup() {
    for p in "$dir"/*.pid; do
        [ -f "$p" ] && kill -QUIT "$(cat "$p")" 2>/dev/null || true
    done
}
trap cleanup EXIT

mode=${MODE:-fetch}

if [ "$mode" = sink ]; then
cat > "$dir/mw.js" <<JS
import server from 'next/server.js';
function middleware(request, event) {
    server.sink.send(request.nextUrl.pathname);
    return server.NextResponse.next();
}
export default server.serve(middleware);
JS
else
cat > "$dir/mw.js" <<JS
import server from 'next/server.js';
function middleware(request, event) {
    event.waitUntil(ngx.fetch('http://127.0.0.1:' + request.headers.get('x-c')
                              + '/collect', { method: 'POST',
                                              body: request.nextUrl.pathname }));
    return server.NextResponse.next();
}
export default server.serve(middleware);
JS
fi

cat > "$dir/sink.js" <<JS
function collect(r) { r.return(204); }
export default { collect };
JS

conf() {   # name port collector_port
    cat > "$dir/$1.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
load_module $module;
worker_processes 1;
pid $dir/$1.pid;
error_log $dir/$1.error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_rlimit_nofile 20000;
events { worker_connections 8192; ${MULTI_ACCEPT:+multi_accept on;} }
http {
    access_log off;
    js_path $top/js;
    js_import mw from $dir/mw.js;
    js_import sink from $dir/sink.js;
    server {
        listen 127.0.0.1:$2 backlog=4096;
        $( [ "$mode" = sink ] && echo "middleware_sink @events uri=/collect;" )
        location / { middleware @mw; return 200 "ok\n"; }
        location = /collect { js_content sink.collect; }
        location @events { proxy_pass http://127.0.0.1:$3; }
        location = /metrics { middleware_status; }
        location @mw { js_content mw.handle; }
    }
}
CONF
}

metric() {
    curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'
}

delivered() {
    if [ "$mode" = sink ]; then
        metric $1 'nginx_middleware_sink_events_total{state="delivered"}'
    else
        metric $1 'nginx_middleware_tasks_total{state="fulfilled"}'
    fi
}

lost() {
    if [ "$mode" = sink ]; then
        echo $(( $(metric $1 'nginx_middleware_sink_events_total{state="dropped"}')
                 + $(metric $1 'nginx_middleware_sink_events_total{state="failed"}') ))
    else
        metric $1 'nginx_middleware_background_total{state="shed"}'
    fi
}

run() {  # where
    local where=$1 port=$base cport ok lost
    if [ "$where" = inside ]; then cport=$base; else cport=$((base + 1)); fi

    conf main $port $cport
    nginx -p "$dir" -c "$dir/main.conf"
    if [ "$where" = outside ]; then
        conf sink $cport $cport
        nginx -p "$dir" -c "$dir/sink.conf"
    fi
    sleep 0.5

    for c in $levels; do
        local f0 s0 f1 s1 rps
        f0=$(delivered $port); s0=$(lost $port)
        rps=$(wrk -t2 -c"$c" -d"${dur}s" -H "x-c: $cport" \
                  "http://127.0.0.1:$port/e" 2>/dev/null \
              | awk '/Requests\/sec/ { print $2 }')
        sleep 3
        f1=$(delivered $port); s1=$(lost $port)
        awk -v w="$where" -v c="$c" -v r="$rps" -v f=$((f1 - f0)) \
            -v s=$((s1 - s0)) -v m="$mode" 'BEGIN { printf "%-5s %-8s c=%-5d %8.0f req/s  delivered %7d  lost %7d (%.1f %%)\n", m, w, c, r, f, s, (f + s) ? 100 * s / (f + s) : 0 }'
    done

    kill -QUIT "$(cat "$dir/main.pid")"
    [ -f "$dir/sink.pid" ] && kill -QUIT "$(cat "$dir/sink.pid")"
    sleep 1
    rm -f "$dir"/*.pid
}

for w in ${WHERE:-inside outside}; do
    run "$w"
done
