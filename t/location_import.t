#!/usr/bin/perl

# The middleware imported in its named location (a VM of its own, njs >=
# 0.7.7), next to a stock njs handler imported at http level: both work,
# the middleware's decision is applied, the other handler is untouched.
# (What it saves is measured by bench/run, cases B2-tax / B2-tax-loc.)

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request) {
    var res = server.NextResponse.next();
    res.headers.set('x-mw', 'ran ' + request.nextUrl.pathname);
    return res;
}

export default server.serve(middleware);
EOF

$t->write_file('plain.js', <<'EOF');
function hello(r) { r.return(200, 'plain ' + r.uri); }
export default { hello };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 64;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import plain from %%TESTDIR%%/plain.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location /plain {
            js_content plain.hello;
        }

        location @mw {
            js_import mw from %%TESTDIR%%/mw.js;
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

my $r = $t->http_get('/app');
is(status($r), 200, 'the request went on');
is(header($r, 'x-mw'), 'ran /app', 'the middleware of its own VM decided');

$r = $t->http_get('/plain');
is(body($r), 'plain /plain', 'the http-level handler works');
is(header($r, 'x-mw'), undef, 'without the middleware');

$t->stop();
$t->no_alerts_ok();

done_testing();
