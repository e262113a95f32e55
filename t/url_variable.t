#!/usr/bin/perl

# $middleware_url: on the detached request, the client's URL in the parts
# the runtime's request.url and nextUrl are made of, when its Host line and
# request target are plain ("href\nscheme:\nhost\nport\npath[\nquery]",
# one more "\n" when URLSearchParams would write the query otherwise); not
# found otherwise (the runtime then parses the URL itself) and on the
# client request.  Through the runtime, request.url and nextUrl are the
# same with and without it: each is compared with what the runtime's URL
# parser makes of scheme://Host + target, the query written again by
# URLSearchParams as Next.js does.  Run on every stack of the matrix.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

# a raw decision (docs/PROTOCOL.md) that shows the variable, as JSON

$t->write_file('raw.js', <<'EOF');
function handle(r) {
    var v = r.variables.middleware_url;

    r.return(200, 'MW1 200\nx-middleware-next:1\nx-seen:'
                  + (v === undefined ? 'none'
                     : JSON.stringify(v).replace(/%/g, '%25')) + '\n\n');
}
export default { handle };
EOF

# the runtime: request.url and nextUrl next to the parser's URL of the
# target the client sent (in X-Target, as sent)

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';

function middleware(request) {
    var target = request.headers.get('x-target');
    var u = new server.URL('http://' + request.headers.get('host') + target);
    var url = request.url, next = request.nextUrl, params = [];

    if (target.indexOf('?') !== -1) {
        u.search = u.searchParams.toString();
    }

    next.searchParams.forEach(function (v, k) { params.push([k, v]); });

    return server.NextResponse.json({
        url: url, href: next.href, expect: u.href,
        parts: [next.protocol, next.host, next.port, next.pathname,
                next.search].join(' '),
        expectParts: [u.protocol, u.host, u.port, u.pathname,
                      u.search].join(' '),
        params: JSON.stringify(params)
    });
}

export default server.serve(middleware);
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import raw from %%TESTDIR%%/raw.js;
    js_import mw from %%TESTDIR%%/mw.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            middleware @raw;
            return 200 "client request: [$middleware_url]\n";
        }

        location /mw/ {
            middleware @mw;
            return 204;
        }

        location @raw {
            js_content raw.handle;
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

sub seen {
    my ($target, $host) = @_;

    my $r = $t->http("GET $target HTTP/1.1\r\nHost: $host\r\n"
                     . "Connection: close\r\n\r\n");
    is(status($r), 200, "$host $target: status 200") or diag($r);

    return header($r, 'x-seen');
}

is(seen('/a/b', 'Ex.COM:8080'),
   '"http://ex.com:8080/a/b\nhttp:\nex.com\n8080\na/b"',
   'host lower-cased, port kept');
is(seen('/', 'localhost:80'), '"http://localhost/\nhttp:\nlocalhost\n\n"',
   'the default port dropped');
is(seen('/a?x=1&r=%2F', 'h'),
   '"http://h/a?x=1&r=%2F\nhttp:\nh\n\na\nx=1&r=%2F"', 'a query kept');
is(seen('/a?flag', 'h'), '"http://h/a?flag\nhttp:\nh\n\na\nflag\n"',
   'a query URLSearchParams writes otherwise: one more line');
is(seen('/a?', 'h'), '"http://h/a\nhttp:\nh\n\na"', 'an empty query: none');
is(seen('/caf%C3%A9/x', '127.0.0.1'),
   '"http://127.0.0.1/caf%C3%A9/x\nhttp:\n127.0.0.1\n\ncaf%C3%A9/x"',
   'percent escapes in the path as they are');

is(seen("/caf\xc3\xa9", 'h'), 'none', 'a raw byte above 0x7f: not found');
is(seen('/a/./b', 'h'), 'none', 'a dot segment: not found');
is(seen('/a/%2e%2e/b', 'h'), 'none', 'an encoded dot segment: not found');
is(seen('/a', '0x7f.1'), 'none', 'a host WHATWG reads as IPv4: not found');
# (a port above 65535: nginx >= 1.29 refuses such a Host; the unit tests)
is(seen('/a?x="', 'h'), 'none', 'a quote in the query: not found');

my $r = $t->http("GET / HTTP/1.0\r\n\r\n");
is(header($r, 'x-seen'), 'none', 'no Host line: not found');

$r = $t->http_get('/');
like(body($r), qr/^client request: \[\]$/m, 'the client request: empty');

# through the runtime: the same URL whichever way it is made

require JSON::PP;

for my $c (['localhost', '/mw/a/b'],
           ['Ex.COM:8080', '/mw/a//b/?x=1&y=%2F&z=a+b'],
           ['h:80', '/mw/?'],
           ['h', '/mw/s?b&a=%41+c&&d=e=f'],
           ['h', '/mw/s?q=caf%C3%A9&x=%e2%82%ac'],
           ['h', '/mw/caf%c3%a9/%7Euser'],
           ['h', '/mw/a/./b/../c'],
           ['h', '/mw/%2e/x'],
           ['h', "/mw/a?x=\"'<>`"],
           ['0x7f.1', '/mw/x'],
           ['010.0.0.1:0080', '/mw/x'],
           ['1.2.3.4.', '/mw/x'],
           ['h:00', '/mw/x'],
           ['h.', '/mw/x?'])
{
    my ($host, $target) = @$c;

    $r = $t->http("GET $target HTTP/1.1\r\nHost: $host\r\nX-Target: $target\r\n"
                  . "Connection: close\r\n\r\n");
    is(status($r), 200, "$host $target: status 200") or diag($r);

    my $j = eval { JSON::PP::decode_json(body($r)) } || {};
    is($j->{url}, $j->{expect}, "$host $target: request.url $j->{expect}");
    is($j->{href}, $j->{expect}, "$host $target: nextUrl.href");
    is($j->{parts}, $j->{expectParts}, "$host $target: its parts");
}

# raw bytes (the parser's URL of X-Target would take them one char each)

$r = $t->http("GET /mw/caf\xc3\xa9?x=\xc3\xa9 HTTP/1.1\r\nHost: h\r\n"
              . "X-Target: /\r\nConnection: close\r\n\r\n");
is(eval { JSON::PP::decode_json(body($r))->{url} },
   'http://h/mw/caf%C3%A9?x=%C3%A9', 'raw bytes: percent-encoded as UTF-8');

$r = $t->http("GET /mw/s?b&a=%41+c HTTP/1.1\r\nHost: h\r\n"
              . "X-Target: /mw/s?b&a=%41+c\r\nConnection: close\r\n\r\n");
my $j = eval { JSON::PP::decode_json(body($r)) } || {};
is($j->{url}, 'http://h/mw/s?b=&a=A+c', 'the query as URLSearchParams writes it');
is($j->{params}, '[["b",""],["a","A c"]]', 'searchParams');

$t->stop();
diag($t->error_log()) if $ENV{TEST_VERBOSE_LOG};
$t->no_alerts_ok();

done_testing();
