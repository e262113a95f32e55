#!/usr/bin/perl

# worker_shutdown_timeout ends background work that outlives a graceful
# shutdown: the pending tasks are cancelled, logged with their count and
# counted; $middleware_time is in the access log.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request, event) {
    if (request.nextUrl.pathname === '/gone') {
        /* never decides, the client goes away */
        return new Promise(function (resolve) { setTimeout(resolve, 60000); });
    }

    event.waitUntil(ngx.fetch('http://127.0.0.1:%%PORT_2%%/hang'));
    return server.NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file('sink.js', <<'EOF');
function hang(r) {
    setTimeout(function () { r.return(200, 'late'); }, 60000);
}
export default { hang };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;
worker_shutdown_timeout 1s;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import sink from %%TESTDIR%%/sink.js;

    log_format mw '$request_uri $middleware_action $middleware_time';

    server {
        listen 127.0.0.1:%%PORT_0%%;
        access_log %%TESTDIR%%/mw.log mw;

        location / {
            middleware @mw;
            middleware_timeout 60s;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;
        access_log off;

        location / {
            js_content sink.hang;
        }
    }
}
EOF

$t->run();

my $r = $t->http_get('/task');
is(status($r), 200, 'response not held by the pending task');

like($t->read_file('mw.log'), qr{^/task next \d+$}m,
     '$middleware_time in the access log');

# a client gone before the decision: its undecided detached request
my $s = $t->http_start("GET /gone HTTP/1.1\r\nHost: localhost\r\n\r\n");
sleep 0.2;
close $s;
ok($t->wait_for_log(qr/client request ended before the decision/, 5),
   'client gone before the decision');

sleep 0.3;
my $t0 = time();
ok($t->stop('QUIT', 20), 'graceful shutdown ends');
cmp_ok(time() - $t0, '<', $ENV{TEST_NGINX_VALGRIND} ? 15 : 5,
       'after worker_shutdown_timeout, not after the task');

like($t->error_log(), qr/\[warn\].*middleware: 1 pending waitUntil task\(s\) of request "\w+" cancelled by worker shutdown/,
     'the cancelled task is logged with its count and request');
like($t->error_log(), qr/\[warn\].*middleware: undecided detached request of request "\w+" cancelled by worker shutdown/,
     'the undecided one is logged as such');

$t->no_alerts_ok();

done_testing();
