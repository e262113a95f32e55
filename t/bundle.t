#!/usr/bin/perl

# Real Next.js middleware through the bundle tool: every file of t/corpus/
# (TypeScript and JavaScript as Next.js users write them) is built with
# "./build.sh bundle" for the engine under test (njs-0.7 / njs-0.8 by the
# installed njs, qjs with TEST_NGINX_ENGINE=qjs; TEST_BUNDLE_TARGET
# overrides), run through nginx in front of an echo upstream, and each
# answer of t/corpus/cases.json is compared with what the same source does
# under the real next/server of Next.js 16 (tools/oracle/run.mjs, run here
# in Node.js: the expectations are generated at test time, never edited by
# hand).  Plus: console.* in the error log with the request id, an error
# at module load fails "nginx -t" naming the user's file and line.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use JSON::PP;
use Mw::Nginx qw(status header headers body);

my $repo = Mw::Nginx->repo();

my $node = `node -v 2>/dev/null` // '';
my ($maj, $min) = $node =~ /^v(\d+)\.(\d+)/;
plan(skip_all => 'Node.js >= 20.9 needed for the Next.js 16 oracle')
    unless defined $maj && ($maj > 20 || ($maj == 20 && $min >= 9));

my $t = Mw::Nginx->new();
my $dir = $t->testdir();

my $target = $ENV{TEST_BUNDLE_TARGET}
    || ($t->engine() eq 'qjs' ? 'qjs' : undef);

# --- the oracle ------------------------------------------------------------

my $oracle_dir = "$repo/tools/oracle";

# npm ci where node_modules is missing or older than the lockfile (the
# oracle uses tools/'s esbuild too; build.sh bundle would do tools/ later)

sub npm_ci {
    my ($d, $opts, $what) = @_;

    return if -f "$d/node_modules/.package-lock.json"
              && -M "$d/node_modules/.package-lock.json"
                 <= -M "$d/package-lock.json";

    diag("npm ci ($what)");
    system("cd $d && npm ci $opts --no-audit --no-fund --loglevel=error >&2")
        == 0 or BAIL_OUT("npm ci in $d failed");
}

npm_ci("$repo/tools", '', 'tools/: esbuild, Babel');
npm_ci($oracle_dir, '--omit=optional', 'tools/oracle: Next.js 16');

system('node', "$oracle_dir/run.mjs", "$repo/t/corpus", "$dir/oracle.json")
    == 0 or BAIL_OUT('the oracle failed');

my $cases = decode_json($t->read_file('oracle.json'));
my $spec = do {
    local $/;
    open my $fh, '<', "$repo/t/corpus/cases.json" or die $!;
    decode_json(<$fh>);
};

my @files = sort keys %$cases;

# --- build every file ------------------------------------------------------

my %built;

for my $f (@files) {
    (my $out = $f) =~ s/\.[jt]s$/.js/;
    my @cmd = ("$repo/build.sh", 'bundle', "$repo/t/corpus/$f",
               '-o', "$dir/b/$out", ($target ? ('--target', $target) : ()));
    my $log = `@cmd 2>&1`;
    ok($? == 0, "bundle $f") or diag($log);
    $built{$f} = $out;
}

# --- nginx: one server per file, one echo upstream -------------------------

$t->write_file('echo.js', <<'EOF');
function echo(r) {
    var h = {}, k;
    for (k in r.headersIn) {
        h[k.toLowerCase()] = r.headersIn[k];
    }
    r.headersOut['Content-Type'] = 'application/json';
    r.return(200, JSON.stringify({ uri: r.variables.request_uri,
                                   headers: h }));
}
export default { echo: echo };
EOF

my ($imports, $servers) = ('', '');
my $i = 0;
my %port;

for my $f (@files) {
    $i++;
    $port{$f} = $i;
    $imports .= "    js_import m$i from %%TESTDIR%%/b/$built{$f};\n";
    $servers .= <<"EOF";
    server {
        listen 127.0.0.1:%%PORT_$i%%;

        location / {
            middleware \@mw;
            proxy_pass http://127.0.0.1:%%PORT_0%%;
        }

        location \@mw {
            js_content m$i.handle;
        }
    }

EOF
}

$t->write_file_expand('nginx.conf', <<"EOF");
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_path %%TESTDIR%%/b;
    js_import echo from %%TESTDIR%%/echo.js;
$imports
    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            js_content echo.echo;
        }
    }

$servers}
EOF

$t->run();

# --- compare ---------------------------------------------------------------

sub norm {
    my ($v, $res) = @_;
    return $v unless defined $v;
    $v =~ s/$_/NONCE/g for @$res;
    return $v;
}

sub cookie_norm {
    my ($c) = @_;
    $c =~ s/; Expires=[^;]+//i;
    return $c;
}

for my $f (@files) {
    my $res = ref $spec->{$f} eq 'HASH' ? ($spec->{$f}{normalize} || []) : [];
    my $n = 0;

    for my $c (@{$cases->{$f}}) {
        my $q = $c->{request};
        my $e = $c->{expect};
        my $name = "$f #" . $n++ . ' ' . ($q->{method} || 'GET')
                   . " $q->{path}";

        my $raw = ($q->{method} || 'GET') . " $q->{path} HTTP/1.1\r\n"
                  . "Host: localhost\r\nConnection: close\r\n";
        my $h = $q->{headers} || {};
        $raw .= "$_: $h->{$_}\r\n" for sort keys %$h;

        my $r = $t->http("$raw\r\n", port => $t->port($port{$f}));

        is(status($r), $e->{status}, "$name: status $e->{status}")
            or diag($r);

        if ($e->{kind} eq 'error') {
            next;
        }

        if ($e->{kind} eq 'redirect') {
            # Next.js's adapter also makes a same-origin Location relative
            # and drops a trailing slash; the module sends it as given
            # (README, NextResponse)
            (my $got = header($r, 'location') // '')
                =~ s{^(\w+://[^/]+/[^?]*[^/?])/(?=\?|$)}{$1};
            is($got, $e->{location}, "$name: location");
        }

        for my $k (sort keys %{$e->{headers}}) {
            my @got = headers($r, $k);
            is(norm(join(', ', @got), $res), norm($e->{headers}{$k}, $res),
               "$name: $k");
        }

        is_deeply([sort map { cookie_norm($_) } headers($r, 'set-cookie')],
                  [sort map { cookie_norm($_) } @{$e->{setCookie}}],
                  "$name: set-cookie");

        ok(!grep(/^x-middleware-/i, map { /^([^:]+):/ ? $1 : () }
                 split /\r?\n/, (split /\r?\n\r?\n/, $r // '', 2)[0]),
           "$name: no x-middleware-* header");

        if ($e->{kind} eq 'response') {
            is(body($r), $e->{body}, "$name: body");
            next;
        }

        my $up = eval { decode_json(body($r)) } || {};
        is($up->{uri}, $e->{upstream}{path}, "$name: upstream path");

        my $want = $e->{upstream}{headers} || {};

        for my $k (sort keys %$want) {
            is(norm($up->{headers}{$k}, $res), norm($want->{$k}, $res),
               "$name: upstream $k");
        }
    }
}

# --- console.* in the error log --------------------------------------------

$t->wait_for_log(qr/console\.debug: debugging \[ 1, 2, 3 \]/);
my $log = $t->error_log();

like($log, qr/\[info\].*console\.log: request GET \/hello \{ id: "abc-123" \}/,
     'console.log: util.format, at info');
like($log, qr/\[info\].*console\.info: headers \{ "x-test": "1" \}/,
     'console.info: an object');
like($log, qr/\[warn\].*console\.warn: slow path true \(request [0-9a-f]{32}\)/,
     'console.warn: at warn, with the request id');
like($log, qr/\[error\].*console\.error: failing on purpose/,
     'console.error: at error');

$t->stop();

# --- errors name the user's file and line ----------------------------------

$t->write_file('src/lib/config.ts', <<'EOF');
export const apiKey: string = (() => {
  const key = (globalThis as any).API_KEY as string | undefined
  if (!key) throw new Error('API_KEY is not set')
  return key
})()
EOF

$t->write_file('src/broken.ts', <<'EOF');
import { NextResponse } from 'next/server'
import { apiKey } from './lib/config'

export function middleware() {
  return NextResponse.json({ apiKey })
}

export const config = { matcher: ['/api/:path*'] as const }
EOF

# njs does not run a module's top level at configuration time (checked:
# njs 0.7.9 only compiles it), so nginx -t cannot see this error: the
# bundle tool loads the result once with the njs CLI and fails the build

my $tgt = $target ? "--target $target" : '';
my $out = `$repo/build.sh bundle $dir/src/broken.ts -o $dir/b/broken.js $tgt 2>&1`;
isnt($?, 0, 'load error: the build fails');
like($out, qr/API_KEY is not set/, 'load error: the message');
like($out, qr{src/lib/config\.ts:3\b}, "load error: the user's file and line");

# built anyway: config.matcher (read from the source at build time) still
# holds, matching requests answer 500, the log names the source line

$out = `$repo/build.sh bundle $dir/src/broken.ts -o $dir/b/broken.js $tgt --no-check 2>&1`;
is($?, 0, 'load error: --no-check builds') or diag($out);

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_path %%TESTDIR%%/b;
    js_import mw from %%TESTDIR%%/b/broken.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            return 200;
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();
is(status($t->http_get('/x')), 200,
   'load error: a request config.matcher skips is not affected');
is(status($t->http_get('/api/x')), 500, 'load error: a matching one: 500');
$t->wait_for_log(qr/middleware failed/);
like($t->error_log(),
     qr{middleware failed: "Error: API_KEY is not set \(at \S*src/lib/config\.ts:3\)"},
     'load error: the log names the source line');
$t->stop();

# an exception while a request runs: the stack names the source lines

$t->write_file('src/lib/check.ts', <<'EOF');
export function requireTenant(host: string | null): string {
  const tenant = host?.split('.')[0]
  if (!tenant || tenant === 'localhost') {
    throw new TypeError(`no tenant in host ${host}`)
  }
  return tenant
}
EOF

$t->write_file('src/throws.ts', <<'EOF');
import { NextResponse, type NextRequest } from 'next/server'
import { requireTenant } from './lib/check'

export async function middleware(request: NextRequest) {
  await Promise.resolve()
  const tenant = requireTenant(request.headers.get('host'))
  return NextResponse.next({ headers: { 'x-tenant': tenant } })
}
EOF

$out = `$repo/build.sh bundle $dir/src/throws.ts -o $dir/b/throws.js $tgt 2>&1`;
is($?, 0, 'runtime error: builds') or diag($out);

(my $conf = $t->read_file('nginx.conf')) =~ s{b/broken\.js}{b/throws.js};
$t->write_file('nginx.conf', $conf);
$t->run();
is(status($t->http_get('/x')), 500, 'runtime error: 500');
$t->wait_for_log(qr/no tenant in host/);
like($t->error_log(), qr{middleware failed: "TypeError: no tenant in host localhost \(at \S*src/lib/check\.ts:4\)"},
     'runtime error: the message names the source line');
like($t->error_log(), qr{throws\.js:\d+(:\d+)? \S*src/throws\.ts:6\)},
     'runtime error: the stack names the caller\'s line');
$t->stop();

$t->write_file('src/syntax.ts', <<'EOF');
export function middleware(request: Request) {
  const x = {
    a: 1,,
  }
}
EOF

$out = `$repo/build.sh bundle $dir/src/syntax.ts -o $dir/b/syntax.js 2>&1`;
isnt($?, 0, 'syntax error: the build fails');
like($out, qr/src\/syntax\.ts:3:\d+: error/, 'syntax error: file and line');

$t->write_file('src/nothing.ts', "export const config = { matcher: '/' }\n");
$out = `$repo/build.sh bundle $dir/src/nothing.ts -o $dir/b/n.js 2>&1`;
isnt($?, 0, 'no middleware export: the build fails');
like($out, qr/no middleware exported.*exports: config/, 'no middleware: why');

# --- TypeScript declarations (tools/types) --------------------------------

my $tsc = "$repo/tools/node_modules/.bin/tsc";
$out = `$tsc -p $repo/tools/types 2>&1`;
is($?, 0, 'tsc --noEmit: the corpus type-checks against tools/types')
    or diag($out);

$t->write_file('ts/bad.ts', <<'EOF');
import { NextResponse, userAgent, getRequestExecutionContext, sink, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  const ua: number = userAgent(request).isBot
  ngx.log(ngx.INFO, String(getRequestExecutionContext()?.requestId))
  sink.send({ path: request.nextUrl.pathname })
  return NextResponse.redirect(request.nextUrl, 'moved')
}
EOF
$t->write_file('ts/tsconfig.json', <<"EOF");
{ "extends": "$repo/tools/types/tsconfig.json",
  "include": ["$repo/tools/types/next-server.d.ts",
              "$repo/tools/types/ngx.d.ts", "bad.ts"] }
EOF
$out = `$tsc -p $dir/ts 2>&1`;
isnt($?, 0, 'tsc: a wrongly typed middleware fails');
like($out, qr/bad\.ts\(4,9\).*boolean.*number/, 'tsc: userAgent().isBot is boolean');
like($out, qr/bad\.ts\(7,/, 'tsc: redirect() takes a status or init');
unlike($out, qr/bad\.ts\(5,/, 'tsc: ngx and getRequestExecutionContext are declared');
unlike($out, qr/bad\.ts\((1|6),/, 'tsc: sink is declared');

done_testing();
