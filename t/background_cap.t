#!/usr/bin/perl

# middleware_background_max: over the per-worker cap, new background work
# is shed after its decision, logged and counted; responses are unaffected.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Mw::Nginx qw(status body);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request, event) {
    event.waitUntil(ngx.fetch('http://127.0.0.1:%%PORT_2%%/slow?'
                              + request.nextUrl.search.slice(1)));
    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file('sink.js', <<'EOF');
function slow(r) {
    setTimeout(function () {
        ngx.log(ngx.WARN, 'SINK ' + r.variables.args);
        r.return(200, 'ok');
    }, 1500);
}
export default { slow };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 256;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    middleware_background_max 3;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location = /metrics {
            middleware_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            js_content sink.slow;
        }
    }
}
EOF

$t->run();

my @res = $t->parallel(map { ["GET /?tag=cap$_ HTTP/1.1\r\nHost: localhost\r\n"
                               . "Connection: close\r\n\r\n"] } 1 .. 8);

is(scalar(grep { (status($_) // 0) == 200 } @res), 8,
   'every response is unaffected by the cap');

ok($t->wait_for_log(qr/\[warn\].*background queue full \(middleware_background_max 3\), 1 waitUntil task\(s\) of request "\w+" shed/, 5),
   'shed work is logged with the request');

sleep 2;

my $m = body($t->http_get('/metrics'));
my ($shed) = $m =~ /^nginx_middleware_background_total\{state="shed"\} (\d+)$/m;
my ($started) = $m =~ /^nginx_middleware_background_total\{state="started"\} (\d+)$/m;
my ($cancelled) = $m =~ /^nginx_middleware_tasks_total\{state="cancelled"\} (\d+)$/m;
my @sunk = $t->error_log() =~ /SINK tag=cap\d/g;

cmp_ok($shed, '>=', 5, "at least 5 of 8 shed (cap 3): $shed");
is($started + $shed, 8, 'started + shed = 8');
is(scalar @sunk, $started, 'the sink received exactly the work not shed');
is($cancelled, $shed, 'the tasks of shed work counted as cancelled');

# a worker that exits fast (SIGTERM to it alone; the master starts another
# one, the counters live on in shared memory) counts its cancelled tasks as
# registered too: registered = fulfilled + rejected + cancelled

sleep 1.5;    # the work above has settled

my ($worker) = $t->workers();
is(status($t->http_get('/?tag=fast')), 200, 'fast exit: response');
select(undef, undef, undef, 0.3);
ok($worker && kill('TERM', $worker), "fast exit: worker $worker terminated");
$t->http_get('/metrics');    # a signal just before epoll_wait() waits for it
ok($t->wait_for_log(qr/worker exit cancels 1 detached request\(s\) with 1 pending waitUntil task\(s\)/, 5),
   'fast exit: logged');
ok($t->wait_for(sub { (status($t->http_get("/metrics")) // 0) == 200 }, 5),
   'a new worker answers');

$m = body($t->http_get('/metrics'));
my %task = $m =~ /^nginx_middleware_tasks_total\{state="(\w+)"\} (\d+)$/mg;
is($task{registered},
   $task{fulfilled} + $task{rejected} + $task{cancelled},
   "fast exit: registered = fulfilled + rejected + cancelled "
   . "($task{registered} = $task{fulfilled} + $task{rejected} + $task{cancelled})");
is($task{cancelled}, $shed + 1, 'fast exit: its task counted as cancelled');

# a fast shutdown (nginx -s stop) cancels pending work and says how much

my $r = $t->http_get('/?tag=stop');
is(status($r), 200, 'stop: response');
select(undef, undef, undef, 0.3);
$t->stop('TERM');
like($t->error_log(), qr/\[warn\].*middleware: worker exit cancels 1 detached request\(s\) with 1 pending waitUntil task\(s\)/,
     'fast shutdown: the cancelled work is logged with its count');
unlike($t->error_log(), qr/SINK tag=stop/, 'fast shutdown: it did not run');

$t->no_alerts_ok();

done_testing();
