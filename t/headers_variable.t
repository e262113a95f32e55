#!/usr/bin/perl

# $middleware_headers: on the detached request, the client's header lines
# as the runtime reads them (",name,...,\n" of their lower-case names, then
# "Name\nname\nvalue\n" each) when every line is plain; not found when one
# is not (the runtime then checks r.rawHeadersIn line by line) and on the
# client request.  $middleware_cookie: the one plain Cookie line's value,
# empty without one, not found with several or one that is not plain.
# $middleware_header_<name>: the values of the lines of that name (in any
# case) joined with ", ", not found without one.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

# a raw decision (docs/PROTOCOL.md) that shows the variable, as JSON

$t->write_file('raw.js', <<'EOF');
function handle(r) {
    var v = r.variables.middleware_headers;
    var c = r.variables.middleware_cookie;
    var a = r.variables['middleware_header_x-a'];
    var e = r.variables['middleware_header_'];

    function show(v) {
        return (v === undefined) ? 'none'
               : JSON.stringify(v).replace(/%/g, '%25');
    }

    r.return(200, 'MW1 200\nx-middleware-next:1\nx-seen:' + show(v)
                  + '\nx-cookie:' + show(c) + '\nx-named:' + show(a)
                  + '\nx-empty:' + show(e) + '\n\n');
}
export default { handle };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import raw from %%TESTDIR%%/raw.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        ignore_invalid_headers off;

        middleware @raw;

        location / {
            return 200 "client request: [$middleware_headers$middleware_cookie$middleware_header_host]\n";
        }

        location @raw {
            js_content raw.handle;
        }
    }
}
EOF

$t->run();

sub seen {
    my (@headers) = @_;

    my $r = $t->http_get('/', headers => \@headers);
    is(status($r), 200, 'status 200') or diag($r);

    return header($r, 'x-seen');
}

sub cookie {
    my (@headers) = @_;

    my $r = $t->http_get('/', headers => \@headers);
    is(status($r), 200, 'status 200') or diag($r);

    return header($r, 'x-cookie');
}

is(seen('User-Agent' => 't/1', 'X-A' => 'v w;x=1', Cookie => 'a=1; b=2',
        'x_y' => '', 'X-Del' => 'a~b'),
   '",host,user-agent,x-a,cookie,x_y,x-del,connection,\n'
   . 'Host\nhost\nlocalhost\nUser-Agent\nuser-agent\nt/1\nX-A\nx-a\nv w;x=1\n'
   . 'Cookie\ncookie\na=1; b=2\nx_y\nx_y\n\nX-Del\nx-del\na~b\n'
   . 'Connection\nconnection\nclose\n"',
   'plain lines: their names in lower case, then each as sent, its name '
   . 'in lower case, in order');

is(seen('X-B' => "caf\xc3\xa9"), 'none', 'a byte above 0x7f: not found');
is(seen(Cookie => 'a=1', Cookie => 'b=2'), 'none',
   'two Cookie lines: not found (the runtime joins them)');
is(seen('X@Y' => '1'), 'none', 'a name that is not a token: not found');

is(cookie(Cookie => 'a=1; b=%41'), '"a=1; b=%41"', 'the Cookie line');
is(cookie('X-A' => '1'), '""', 'no Cookie line: empty');
is(cookie(Cookie => 'a=1', Cookie => 'b=2'), 'none', 'two: not found');
is(cookie(Cookie => "a=caf\xc3\xa9"), 'none', 'a byte above 0x7f: not found');
is(cookie(Cookie => "a=\x01", 'X-B' => "caf\xc3\xa9"), '"a=\u0001"',
   'a control byte; another line not plain: still the Cookie line');

sub named {
    my (@headers) = @_;

    my $r = $t->http_get('/', headers => \@headers);
    is(status($r), 200, 'status 200') or diag($r);
    is(header($r, 'x-empty'), 'none', 'no name: not found');

    return header($r, 'x-named');
}

is(named('X-A' => 'v w;x=1'), '"v w;x=1"', 'a name\'s line');
is(named('x-a' => '1', 'X-B' => '2', 'X-A' => '', 'X-a' => '3'),
   '"1, , 3"', 'its lines in any case, joined with ", " as get() joins');
is(named('X-B' => '2'), 'none', 'no line of the name: not found');
is(named('X-AA' => '1', 'X' => '2'), 'none', 'a longer or shorter name: no');

my $r = $t->http_get('/');
is(body($r), "client request: []\n", 'not found on the client request');

$t->stop();
$t->no_alerts_ok();

done_testing();
