#!/usr/bin/perl

# A client that goes away while its middleware awaits a slow fetch: R ends
# early, F finishes later and is freed, no alert, connections return to the
# baseline (HTTP/1 and HTTP/2).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';

async function middleware(request) {
    var p = request.nextUrl.pathname;
    await ngx.fetch('http://127.0.0.1:%%PORT_2%%/slow?from=' + p);
    ngx.log(ngx.WARN, 'MIDDLEWARE DONE ' + p);
    return server.NextResponse.redirect(new URL('/late', request.url));
}

export default server.serve(middleware);
EOF

$t->write_file('up.js', <<'EOF');
function slow(r) {
    setTimeout(function () { r.return(200, 'slow'); }, 1500);
}
export default { slow };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 64;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import up from %%TESTDIR%%/up.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        listen 127.0.0.1:%%PORT_1%% http2;

        location / {
            middleware @mw;
            return 204;
        }

        location = /stub_status {
            stub_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            js_content up.slow;
        }
    }
}
EOF

$t->run();

my $base = $t->baseline_connections();
ok(defined $base, "baseline of active connections: $base");

# HTTP/1: close the connection while the middleware waits

for my $i (1 .. 3) {
    my $s = $t->http_start("GET /abort-h1-$i HTTP/1.1\r\nHost: localhost\r\n\r\n");
    sleep 0.3;
    close $s;
}

ok($t->wait_for_log(qr/client request ended before the decision/, 5),
   'http1: the early end of the client request is noticed');
ok($t->wait_for_log(qr/prematurely closed connection|ended before/, 5),
   'http1: R ended early');

# HTTP/2: curl gives up while the middleware waits

my $t0 = time();
my $r = $t->http2_get('/abort-h2', port => $t->port(1), timeout => 0.4);
cmp_ok(time() - $t0, '<', $ENV{TEST_NGINX_VALGRIND} ? 5 : 1.4,
       'http2: the client gave up early');

# F finishes later: the middlewares ran to their end, then were freed

ok($t->wait_for_log(qr/MIDDLEWARE DONE \/abort-h1-3/, 6),
   'http1: the middleware went on detached to its end');
ok($t->wait_for_log(qr/MIDDLEWARE DONE \/abort-h2/, 6),
   'http2: the middleware went on detached to its end');

my $back = $t->wait_for(sub { ($t->active_connections() // -1) == $base }, 6);
ok($back, 'active connections back to the baseline')
    or diag('active: ' . $t->active_connections() . ", baseline $base");

# a client that stays gets its decision

$r = $t->http_get('/stays');
is(status($r), 307, 'a client that waits gets the late decision');

ok($t->stop(), 'nginx stopped');
$t->no_alerts_ok();

unlike($t->error_log(), qr/\[error\].*(decision dropped|alert)/,
       'no error for the dropped late decisions');

done_testing();
