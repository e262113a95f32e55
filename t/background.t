#!/usr/bin/perl

# waitUntil: the post-response background queue.  Tasks run after the
# response, detached from the client connection (keepalive, close, HTTP/2),
# within a time limit and a per-worker cap, through graceful reloads and
# shutdowns; every task is counted, every failure or cancellation logged.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();
my $valgrind = $ENV{TEST_NGINX_VALGRIND};

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

var SINK = 'http://127.0.0.1:%%PORT_2%%';

/* a helper deep in the call tree: reads the current request's context */
function track(what) {
    var ctx = server.getRequestExecutionContext();
    ctx.waitUntil(ngx.fetch(SINK + '/fast?' + what + '&id=' + ctx.requestId));
    return ctx.requestId;
}

async function middleware(request, event) {
    var p = request.nextUrl.pathname;
    var q = request.nextUrl.searchParams;
    var tag = q.get('tag') || '';

    if (p === '/slow-task') {
        event.waitUntil(ngx.fetch(SINK + '/slow?tag=' + tag));
        return NextResponse.next();
    }

    if (p === '/fast-task') {
        event.waitUntil(ngx.fetch(SINK + '/fast?tag=' + tag));
        return NextResponse.next();
    }

    if (p === '/chained') {
        event.waitUntil(ngx.fetch(SINK + '/fast?tag=first-' + tag)
            .then(function () {
                /* registered by a running task */
                event.waitUntil(ngx.fetch(SINK + '/fast?tag=second-' + tag));
            }));
        return NextResponse.next();
    }

    if (p === '/reject') {
        event.waitUntil(Promise.reject(new Error('task failed on purpose')));
        return NextResponse.next();
    }

    if (p === '/never') {
        /* nothing in nginx's event loop will ever settle it */
        event.waitUntil(new Promise(function () {}));
        return NextResponse.next();
    }

    if (p === '/hang' || p === '/shed') {
        event.waitUntil(ngx.fetch(SINK + '/hang?tag=' + tag));
        return NextResponse.next();
    }

    if (p === '/who') {
        var user = request.cookies.get('user').value;
        await new Promise(function (resolve) { setTimeout(resolve, 200); });
        var id = track('user=' + user);
        var res = NextResponse.next();
        res.headers.set('x-user', user);
        res.headers.set('x-ctx-user', 'ctx:' + id);
        return res;
    }

    return NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file('sink.js', <<'EOF');
function slow(r) {
    setTimeout(function () {
        ngx.log(ngx.WARN, 'SINK slow ' + r.variables.args);
        r.return(200, 'ok');
    }, 2000);
}
function fast(r) {
    ngx.log(ngx.WARN, 'SINK fast ' + r.variables.args);
    r.return(200, 'ok');
}
function hang(r) {
    setTimeout(function () { r.return(200, 'late'); }, 20000);
}
export default { slow, fast, hang };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;
worker_shutdown_timeout 30s;

events {
    worker_connections 1024;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    log_format mw '$request_uri $middleware_action $middleware_tasks';

    server {
        listen 127.0.0.1:%%PORT_0%%;
        listen 127.0.0.1:%%PORT_1%% http2;

        access_log %%TESTDIR%%/mw.log mw;

        middleware @mw;

        location / {
            return 200 "ok\n";
        }

        location = /hang {
            middleware_background_timeout 1s;
            return 200 "ok\n";
        }

        location = /metrics {
            middleware off;
            middleware_status;
        }

        location = /stub_status {
            middleware off;
            stub_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location /slow { js_content sink.slow; }
        location /fast { js_content sink.fast; }
        location /hang { js_content sink.hang; }
    }
}
EOF

$t->run();

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

sub sink_count {
    my ($re) = @_;
    my @l = grep { /SINK/ && $_ =~ $re } split /\n/, $t->error_log();
    return scalar @l;
}

my $base = $t->baseline_connections();

# --- keepalive: the next request is not held by the previous task --------

my ($r1, $dt1, $r2, $dt2) = $t->keepalive_pair('/slow-task?tag=ka', '/plain');
is(status($r1), 200, 'keepalive: first response');
cmp_ok($dt1, '<', $valgrind ? 1.8 : 1,
       'keepalive: first response at once (the task takes 2 s)');
is(status($r2), 200, 'keepalive: second response on the same connection');
cmp_ok($dt2, '<', 0.5,
       'keepalive: second response not delayed by the first task');
is(sink_count(qr/tag=ka/), 0, 'keepalive: the task was still pending then');
ok($t->wait_for_log(qr/SINK slow tag=ka/, 5), 'keepalive: the task completed');

# --- the client closes right after the response: the task still runs ----

my $s = $t->http_start("GET /slow-task?tag=closed HTTP/1.1\r\n"
                       . "Host: localhost\r\n\r\n");
my $r = $t->read_response($s);
close $s;
is(status($r), 200, 'close: response received');
ok($t->wait_for_log(qr/SINK slow tag=closed/, 5),
   'close: the sink received the task after the client left');

# --- HTTP/2: the task does not hold the stream or the connection ---------

my $p2 = $t->port(1);
# one -o per URL: curl writes the body of a URL without one to stdout
open my $fh, '-|', 'curl', '-s', '--http2-prior-knowledge',
    '-w', '%{time_total} %{num_connects}\n',
    '-o', '/dev/null', "http://127.0.0.1:$p2/slow-task?tag=h2",
    '-o', '/dev/null', "http://127.0.0.1:$p2/plain" or die;
my @lines = <$fh>;
close $fh;
my @t2 = map { [split ' '] } @lines;
is(scalar @t2, 2, 'http2: two requests on one connection');
cmp_ok($t2[1][0], '<', 0.5, 'http2: the second is not delayed by the task');
is($t2[1][1], 0, 'http2: the connection was reused');
ok($t->wait_for_log(qr/SINK slow tag=h2/, 5), 'http2: the task completed');

# --- tasks registered by a running task are included -----------------------

$r = $t->http_get('/chained?tag=c');
ok($t->wait_for_log(qr/SINK fast tag=second-c/, 5),
   'a task registered by a running task runs too');

# --- a rejected task: logged, counted, response unaffected ----------------

my $rejected = metric('nginx_middleware_tasks_total{state="rejected"}');
$r = $t->http_get('/reject');
is(status($r), 200, 'rejected task: response unaffected');
ok($t->wait_for_log(qr/\[warn\].*waitUntil task rejected \(request \w+\): .*task failed on purpose/, 5),
   'rejected task: logged at warn with the request id');
ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="rejected"}') == $rejected + 1
   }, 5), 'rejected task: counted');

# --- a task nothing can settle: F ends by itself, the loss is said --------

my $cancelled = metric('nginx_middleware_tasks_total{state="cancelled"}');
my $bg_cancelled = metric('nginx_middleware_background_total{state="cancelled"}');
$r = $t->http_get('/never');
is(status($r), 200, 'never settled: response unaffected');
ok($t->wait_for_log(qr/\[warn\].*1 waitUntil task\(s\) of request "\w+" never settled/, 5),
   'never settled: logged at warn with the request id');
ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="cancelled"}') == $cancelled + 1
       && metric('nginx_middleware_background_total{state="cancelled"}')
          == $bg_cancelled + 1
   }, 5), 'never settled: counted as cancelled (task and detached request)');

# --- the time limit cancels a task that never settles ---------------------

$r = $t->http_get('/hang?tag=limit');
is(status($r), 200, 'time limit: response unaffected');
ok($t->wait_for_log(qr/\[warn\].*1 pending waitUntil task\(s\) of request "\w+" cancelled by middleware_background_timeout/, 5),
   'time limit: one warn line with the count and the request');
cmp_ok(metric('nginx_middleware_background_total{state="cancelled"}'), '>=', 1,
       'time limit: counted as cancelled');

# --- 1000 requests, 1000 tasks ---------------------------------------------

my $n = $valgrind ? 100 : 1000;
my $fulfilled = metric('nginx_middleware_tasks_total{state="fulfilled"}');
my $before = sink_count(qr/tag=bulk/);
my $ok = 0;

for my $i (1 .. $n) {
    $ok++ if status($t->http_get("/fast-task?tag=bulk$i")) == 200;
}

is($ok, $n, "bulk: $n responses");
ok($t->wait_for(sub { sink_count(qr/tag=bulk\d+/) - $before == $n }, 20),
   "bulk: the sink received exactly $n")
    or diag('received ' . (sink_count(qr/tag=bulk\d+/) - $before));
ok($t->wait_for(sub {
       metric('nginx_middleware_tasks_total{state="fulfilled"}') - $fulfilled
           == $n }, 10), "bulk: the counters say $n fulfilled");
is(metric('nginx_middleware_background_in_flight'), 0,
   'bulk: nothing in flight afterwards');

# --- 50 concurrent requests, each sees its own context ----------------------

my $m = $valgrind ? 10 : 50;
my @res = $t->parallel(map { ["GET /who HTTP/1.1\r\nHost: localhost\r\n"
                           . "Cookie: user=u$_\r\nConnection: close\r\n\r\n",
                           timeout => 20] } 1 .. $m);
$ok = 0;
my %ids;
for my $i (1 .. $m) {
    my $x = $res[$i - 1];
    my ($id) = (header($x, 'x-ctx-user') // '') =~ /^ctx:(\w+)$/;
    $ok++ if (header($x, 'x-user') // '') eq "u$i" && $id;
    $ids{$id} = 1 if $id;
}
is($ok, $m, "isolation: $m requests read their own context");
is(scalar keys %ids, $m, 'isolation: distinct request ids');
ok($t->wait_for(sub { sink_count(qr/user=u$m&id=/) == 1 }, 10),
   'isolation: tasks registered through getRequestExecutionContext ran');

# --- log_format variables -----------------------------------------------------

like($t->read_file('mw.log'), qr{^/fast-task\?tag=bulk1 next 1$}m,
     '$middleware_action and $middleware_tasks in the access log');

# --- connections back to the baseline once the queue has drained ------------

ok($t->wait_for(sub { ($t->active_connections() // -1) == $base }, 25),
   'active connections back to the baseline')
    or diag('active: ' . $t->active_connections() . ", baseline $base");

# --- graceful reload and shutdown wait for pending tasks -------------------

unless ($valgrind) {
    $r = $t->http_get('/slow-task?tag=reload');
    sleep 0.3;
    $t->reload();
    ok($t->wait_for_log(qr/SINK slow tag=reload/, 6),
       'reload: the old worker finished the pending task');
    ok($t->wait_for_log(qr/gracefully shutting down/, 3),
       'reload: the old worker was shutting down');
}

$r = $t->http_get('/slow-task?tag=quit');
is(status($r), 200, 'quit: response');
sleep 0.3;
my $t0 = time();
ok($t->stop('QUIT', 30), 'quit: nginx exited');
like($t->error_log(), qr/SINK slow tag=quit/,
     'quit: the sink received the pending task before the worker exited');
cmp_ok(time() - $t0, '>=', 1, 'quit: the worker waited for it');

$t->no_alerts_ok();

done_testing();
