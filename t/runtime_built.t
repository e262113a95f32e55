#!/usr/bin/perl

# The runtime built as one file (./build.sh runtime, tools/runtime): nginx
# with js_path at the result runs a middleware on it (the decision is
# applied), and each other file of js/next is a module giving its part of
# that one runtime: Headers of next/headers.js is the runtime's, a parser
# set through next/useragent.js is the one server.userAgent() uses.  A
# source file of another form is refused with its name and line.  (The
# whole integration suite on the built runtime: ./build.sh test, or
# TEST_NGINX_JS=<dir> prove.)

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $repo = Mw::Nginx::repo();

plan skip_all => 'no Node.js'
    unless system('node -v > /dev/null 2>&1') == 0
           && (-d "$repo/tools/node_modules/esbuild"
               || system('npm -v > /dev/null 2>&1') == 0);

my $t = Mw::Nginx->new();
my $rt = $t->testdir() . '/rt';

my $out = `$repo/build.sh runtime $rt 2>&1`;
is($?, 0, 'the runtime is built') or diag($out);

for my $f (qw(server headers useragent util url cookies outcome)) {
    ok(-s "$rt/next/$f.js", "next/$f.js");
}

unlike(slurp("$rt/next/server.js"), qr/^import /m,
       'next/server.js imports nothing: one file');
like(slurp("$rt/next/server.js"),
     qr/^function __mwc_url_js\(\) \{\n(?:.*\n)*?^function parseHost\(/m,
     'the URL parser\'s general path is made on first use (COLD)');
unlike(slurp("$rt/next/server.js"),
       qr/^function parseHost\((?:.*\n)*?^function __mwc_url_js\(/m,
       'and declared nowhere else');
# what a request for next(), the JWT example or a redirect does not call:
# the console's and the matcher's makers, the Host fallback
for my $f ([ 'globals', 'makeGlobals' ], [ 'matcher', 'makeMatcher' ],
           [ 'request', 'hostOf' ], [ 'outcome', 'wait' ])
{
    my ($file, $name) = @$f;

    like(slurp("$rt/next/server.js"),
         qr/^function __mwc_${file}_js\(\) \{\n(?:.*\n)*?^function $name(?:\$mw)?\(/m,
         "$file.js $name() made on first use (COLD)");
}

like(slurp("$rt/next/server.js"),
     qr/^function __mwc_url_js\(\) \{\n(?:.*\n)*?^function parseAfterScheme\$mw\((?:.*\n)*?^  parseAfterScheme = parseAfterScheme\$mw;\n(?:  \w+ = \w+\$mw;\n)*\}\n/m,
     'one used outside its list: the body\'s variable set at the end');

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
import headersMod from 'next/headers.js';
import ua from 'next/useragent.js';

function parser(input) {
    return { browser: { name: 'parsed ' + input } };
}

ua.setParser(parser);

function middleware(request) {
    var res = server.NextResponse.next();

    res.headers.set('x-built', typeof server.__part);
    res.headers.set('x-same', String(headersMod.Headers === server.Headers
                                     && Headers === server.Headers));
    res.headers.set('x-ua', server.userAgent(request).browser.name);
    res.headers.set('x-path', request.nextUrl.pathname);
    /* the general parser (host, path): functions made on first use */
    res.headers.set('x-cold', new URL('HTTP://EXAMPLE.com:80/a/../b c').href);
    return res;
}

var served = server.serve(middleware, { matcher: '/app/:path*' });

/* a second handler of the module, its matcher set at the top level */
var second = server.serve(function () {
    var res = server.NextResponse.next();

    res.headers.set('x-second', second.matcher + ' '
                                + typeof served.matcher);
    return res;
});

second.matcher = 'shown';

export default { handle: served.handle, second: second.handle };
EOF

# the built runtime first: njs looks in js_path in the order given
$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 64;
}

http {
    js_path %%TESTDIR%%/rt;
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            return 200 "upstream $http_x_user_id\n";
        }

        location @mw {
            js_content mw.handle;
        }

        location /two/ {
            middleware @second;
            return 200 "upstream\n";
        }

        location @second {
            js_content mw.second;
        }
    }
}
EOF

$t->run();

my $r = $t->http("GET /app/x HTTP/1.0\r\nHost: localhost\r\n"
                 . "User-Agent: test-agent\r\n\r\n");
is(status($r), 200, 'the request went on');
is(header($r, 'x-built'), 'function', 'on the built runtime');
is(header($r, 'x-path'), '/app/x', 'the middleware decided');
is(header($r, 'x-cold'), 'http://example.com/b%20c',
   'a function made on first use, in a request');
is(header($r, 'x-same'), 'true', 'next/headers.js: the runtime\'s Headers');
is(header($r, 'x-ua'), 'parsed test-agent',
   'next/useragent.js: its parser is the runtime\'s');

$r = $t->http_get('/other');
is(header($r, 'x-built'), undef, 'the matcher skips /other');

$r = $t->http_get('/two/x');
is(header($r, 'x-second'), 'shown object',
   'each serve() its own middleware, matcher set and read');
is(header($r, 'x-built'), undef, 'not the first one\'s');

$t->stop();
$t->no_alerts_ok();

# the runtime is made on first use: its top level only declares (njs
# runs it for every request, a stock handler's too).  The README's
# middleware (setParser() at its top level) makes nothing there; a stock
# handler in the same http{} does not see the runtime's Web globals.

my $t2 = Mw::Nginx->new();

$t2->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
import ua from 'next/useragent.js';

ua.setParser(function (input) {
    return { browser: { name: 'lazy ' + input } };
});

function middleware(request) {
    var res = server.NextResponse.next();

    res.headers.set('x-ua', server.userAgent(request).browser.name);
    res.headers.set('x-globals', typeof URLSearchParams);
    return res;
}

export default server.serve(middleware);
EOF

$t2->write_file('stock.js', <<'EOF');
function handler(r) {
    r.return(200, 'stock ' + typeof URLSearchParams + '\n');
}

export default { handler: handler };
EOF

$t2->write_file_expand('nginx.conf', <<"EOF");
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 64;
}

http {
    js_path $rt;
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import stock from %%TESTDIR%%/stock.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location /stock {
            js_content stock.handler;
        }

        location / {
            middleware \@mw;
            return 200 "upstream\\n";
        }

        location \@mw {
            js_content mw.handle;
        }
    }
}
EOF

$t2->run();

$r = $t2->http_get('/stock');
is(body($r), "stock undefined\n",
   'a stock handler: the runtime is not made');

$r = $t2->http("GET /app HTTP/1.0\r\nHost: localhost\r\n"
               . "User-Agent: ag\r\n\r\n");
is(body($r), "upstream\n", 'the middleware\'s request went on');
is(header($r, 'x-ua'), 'lazy ag',
   'the parser set at the top level before the runtime was made');
is(header($r, 'x-globals'), 'function',
   'in the middleware: the Web globals');

$t2->stop();
$t2->no_alerts_ok();

# a source of another form is refused, named; one of the form is built

my $src = $t->testdir() . '/src';
mkdir "$src";
mkdir "$src/js";
mkdir "$src/js/next";
mkdir "$src/tools";
symlink("$repo/tools/node_modules", "$src/tools/node_modules");
system("cp", "$repo/tools/runtime", "$src/tools/runtime");
write_to("$src/js/next/server.js",
         "import { a } from './a.js';\nexport default { a: a };\n");
$out = `node $src/tools/runtime $src/out 2>&1`;
isnt($?, 0, 'a named import is refused');
like($out, qr/server\.js:1: not "import name from/, 'with file and line');

write_to("$src/js/next/server.js", "function a() {}\nexport default a;\n");
$out = `node $src/tools/runtime $src/out 2>&1`;
isnt($?, 0, 'a default export that is not a literal is refused');
like($out, qr/server\.js: no "export default \{/, 'with the file');

# an export the lazy runtime cannot call through a shell is refused
write_to("$src/js/next/server.js", <<'EOF');
function serve() { return 1; }

export default {
    serve: serve,
    limit: 8
};
EOF
$out = `node $src/tools/runtime $src/out 2>&1`;
isnt($?, 0, 'an export that is not a function is refused');
like($out, qr/__mwf_limit is not a function of the bundle/, 'named');

# the export literal is the file's last statement, nested literals in it
write_to("$src/js/next/server.js", <<'EOF');
function serve() { return 1; }

export default {
    serve: serve,
    sink: {
        send: serve
    }
};
EOF
$out = `node $src/tools/runtime $src/out 2>&1`;
is($?, 0, 'an export literal with a nested one is built') or diag($out);
like(slurp("$src/out/next/server.js"),
     qr/sink: \{ send: __mws_sink_send \}/,
     'its nested entry exported, as a shell');

# COLD: a listed function compared, made with new, assigned or missing is
# refused
# (statements with an effect: esbuild drops an unused function)
for my $case (
    [ 'if (parseHost === null) { throw new Error("never"); }',
      qr/url\.js: parseHost is compared outside its list/, 'compared' ],
    [ 'if (typeof njs === "undefined") { new parseIPv4("1"); }',
      qr/url\.js: parseIPv4 is a constructor/, 'a constructor' ],
    [ 'if (typeof njs === "undefined") { parseHost = null; }',
      qr/url\.js: parseHost is assigned/, 'assigned' ],
    [ '', qr/url\.js: no function \w+ for tools\/runtime COLD/,
      'missing' ])
{
    my ($add, $re, $what) = @$case;

    system("rm -rf $src/js/next $src/out && cp -r $repo/js/next $src/js/");
    my $url = slurp("$src/js/next/url.js");
    $url =~ s/^function parseHost\(/function parseHostRenamed(/m
        if $add eq '';
    $url =~ s/\nexport default \{/\n$add\n\n\nexport default {/;
    write_to("$src/js/next/url.js", $url);
    $out = `node $src/tools/runtime $src/out 2>&1`;
    isnt($?, 0, "COLD: a listed function $what is refused");
    like($out, $re, "COLD: $what, named");
}

# the same sources, the same file
$out = `$repo/build.sh runtime $rt.2 2>&1`;
is(slurp("$rt.2/next/server.js"), slurp("$rt/next/server.js"),
   'built twice: the same file');

done_testing();


sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return <$fh>;
}

sub write_to {
    my ($f, $s) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $s;
    close $fh;
}
