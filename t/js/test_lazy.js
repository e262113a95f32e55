/*
 * The runtime built as one file (./build.sh runtime; MW_JS=build/js):
 * its top level only declares, the runtime is made on first use, and
 * the API is shells of the runtime's (tools/runtime lazy()).  A class's
 * statics are shells until the runtime is made, which sets the real
 * ones: a static still its shell tells that the runtime is not made.
 * On the sources (js/) there is nothing lazy: skipped.
 * Not tap.js: it imports next/util.js, which makes the runtime.
 */

import server from 'next/server.js';
import ua from 'next/useragent.js';

var built = (typeof server.__part === 'function');
var shell = server.NextResponse.next;
var count = 0, failed = 0;
var t = { ok: ok, is: is, throws: throws };


function ok(cond, name) {
    count++;

    if (!cond) {
        failed++;
    }

    console.log((cond ? 'ok ' : 'not ok ') + count + ' - ' + name);
}


function is(got, want, name) {
    ok(got === want, name);

    if (got !== want) {
        console.log('# got: ' + String(got) + ', want: ' + String(want));
    }
}


function throws(fn, C, name) {
    try {
        fn();

    } catch (e) {
        ok(e instanceof C, name);
        return;
    }

    ok(false, name + ' (nothing thrown)');
}


function test(name, fn) {
    console.log('# ' + name);
    fn(t);
}


function parser(input) {
    return { browser: { name: 'lazy ' + input } };
}


if (!built) {
    console.log('1..0 # SKIP not the built runtime');

} else {
    test('importing makes nothing', function (t) {
        t.is(typeof shell, 'function', 'a static: its shell');
        t.is(server.NextResponse.next, shell, 'the runtime is not made');
        t.is(typeof server.serve, 'function', 'serve() is there');

        ua.setParser(parser);
        t.is(server.NextResponse.next, shell,
             'setParser() through next/useragent.js makes nothing');
    });

    test('the first use makes the runtime', function (t) {
        var h, res, n, u;

        t.is(server.NextResponse.next, shell, 'not made yet');
        h = new server.Headers([['a', '1']]);
        t.ok(typeof server.NextResponse.next === 'function'
             && server.NextResponse.next !== shell,
             'made by new Headers(): the statics are the runtime\'s');
        t.is(h.get('a'), '1', 'an instance made before: its methods');
        t.ok(h instanceof server.Headers, 'instanceof its shell');
        t.ok(Headers === server.Headers, 'the global is the shell');
        t.ok(new Headers(h) instanceof server.Headers,
             'the global makes instances of the shell');

        res = server.NextResponse.next();
        t.ok(res instanceof server.NextResponse, 'next(): a NextResponse');
        t.ok(res instanceof server.Response, 'and a Response');
        t.ok(res.headers instanceof server.Headers, 'its headers');

        n = new server.NextResponse('x', { status: 201 });
        t.is(n.status, 201, 'new NextResponse()');
        t.ok(n.constructor === server.NextResponse
             && server.NextResponse.name === 'NextResponse',
             'the class is the runtime\'s: its constructor and name');
        t.throws(function () { server.NextResponse(); }, TypeError,
                 'called without new: the runtime\'s error');

        u = new server.URL('/a?b=1', 'http://h');
        t.is(u.searchParams.get('b'), '1', 'new URL()');
        t.ok(u.searchParams instanceof URLSearchParams,
             'URLSearchParams: the global shell');

        t.is(server.userAgentFromString('x').browser.name, 'lazy x',
             'the parser set before is the runtime\'s');
        t.is(server.URL.canParse('http://h/'), true, 'URL.canParse');
        t.throws(function () { ua.setParser('no'); }, TypeError,
                 'a parser that is not a function: the runtime\'s error');
    });

    test('other parts give the shells', function (t) {
        var headersMod = server.__part('headers');

        t.ok(headersMod.Headers === server.Headers, 'next/headers.js');
        t.ok(server.__part('response').NextResponse === server.NextResponse,
             'next/response.js');
        t.throws(function () { server.__part('nope'); }, Error,
                 'an unknown part');
    });

    test('serve() without nginx: made at once', function (t) {
        t.throws(function () { server.serve(null); }, TypeError,
                 'not a function');
        t.throws(function () {
            server.serve(function () {}, { matcher: '/(' });
        }, Error, 'an invalid matcher throws at serve()');
        t.is(typeof server.serve(function () {}, { matcher: '/a' }).handle,
             'function', 'handle()');
    });

    console.log('1..' + count);
}
