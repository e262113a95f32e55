#!/usr/bin/perl

# A subrequest of the detached request F to a proxied location: nginx's
# upstream code must not try to add F's fake connection to the event loop
# (it used to log "epoll_ctl(1, N) failed (1: Operation not permitted)" and
# answer the subrequest with 500).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header);

my $t = Mw::Nginx->new();

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';

var sub = 'none';

function middleware(request) {
    var res = server.NextResponse.next();
    res.headers.set('x-sub', sub);
    return res;
}

var served = server.serve(middleware);

function handle(r) {
    r.subrequest('/proxied').then(function (reply) {
        sub = reply.status + ' ' + reply.responseText;
        served.handle(r);

    }, function (e) {
        sub = 'error ' + e.message;
        served.handle(r);
    });
}

export default { handle };
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

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }

        location /proxied {
            proxy_pass http://127.0.0.1:%%PORT_1%%/;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        return 200 "from upstream";
    }
}
EOF

$t->run();

my $r = $t->http_get('/x');
is(status($r), 200, 'the request went on');
is(header($r, 'x-sub'), '200 from upstream',
   'the proxied subrequest of F answered');

$t->stop();
$t->no_alerts_ok();

done_testing();
