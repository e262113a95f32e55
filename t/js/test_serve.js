/*
 * serve(): end to end on a mock request object: the decision payload
 * (docs/PROTOCOL.md) byte for byte, one r.return(), waitUntil after the
 * decision, errors, pass-through, matcher skip, the matcher report.
 */

import server from 'next/server.js';
import tap from 'tap.js';
import protocol from 'next/protocol.js';

var NextResponse = server.NextResponse;
var Headers = server.Headers;
var test = tap.test;


function handle(mw, config, req) {
    var r = tap.mockRequest(req);
    server.serve(mw, config).handle(r);
    return r;
}


test('undefined result: next', async function (t) {
    var r = handle(function () {}, {}, { uri: '/' });

    await tap.ticks();
    t.is(r.returns.length, 1, 'one r.return');
    t.is(r.returns[0].status, 200, 'F status 200');
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'next payload');
});


/* a request whose $middleware_request_id counts its reads in n */

function countedIds(mw, n) {
    var r = tap.mockRequest({ uri: '/' });

    /* nginx makes $request_id (RAND_bytes) on its first read */
    Object.defineProperty(r.variables, 'middleware_request_id', {
        get: function () { n.reads++; return 'rid-' + n.reads; },
        enumerable: true, configurable: true
    });
    server.serve(mw, {}).handle(r);
    return r;
}


test('$middleware_request_id read only when asked for', async function (t) {
    var n = { reads: 0 }, ids = [], plain, asked;

    plain = countedIds(function () { return NextResponse.next(); }, n);
    await tap.ticks();
    t.is(plain.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'next');
    t.is(n.reads, 0, 'a request that does not ask reads no id');

    asked = countedIds(function (request, event) {
        var ctx = server.getRequestExecutionContext();

        ids.push(ctx.requestId, ctx.requestId);
        event.waitUntil(Promise.resolve());
        return NextResponse.next();
    }, n);
    await tap.ticks();
    t.is(n.reads, 1, 'asked twice: read once');
    t.is(ids.join(','), 'rid-1,rid-1', 'the same id both times');
    t.like(asked.payload(), /^MW1 200\n/, 'decided');
});


/* $middleware_matched "1" comes from the module: no second read for it */

function schemeCounted(matched, reads) {
    var r = tap.mockRequest({ uri: '/',
                              variables: { middleware_matched: matched } });

    Object.defineProperty(r.variables, 'middleware_scheme', {
        get: function () { reads.push(String(matched)); return 'http'; },
        enumerable: true, configurable: true
    });
    server.serve(function () { return NextResponse.next(); }, {}).handle(r);
    return r;
}


test('$middleware_scheme read only when $middleware_matched is not set',
     async function (t) {
    var reads = [], r;

    schemeCounted(undefined, reads);
    r = schemeCounted('1', reads);
    await tap.ticks();
    t.is(reads.indexOf('1'), -1, 'matched: not read');
    t.ok(reads.length > 0, 'not matched: read');
    t.is(r.variables.middleware_report, 'tasks=0 fulfilled=0 rejected=0',
         'matched: the module is there, the report written');
});


test('null result: next, sent synchronously', function (t) {
    var r = handle(function () { return null; }, {}, { uri: '/' });

    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n',
         'decided inside handle()');
});


test('next with request header overrides: exact bytes', async function (t) {
    var r = handle(function (request) {
        var h = new Headers(request.headers);
        h.set('x-user-id', 'user_123');
        h['delete']('x-remove');
        var res = NextResponse.next({ request: { headers: h } });
        res.headers.set('x-frame-options', 'DENY');
        res.cookies.set('seen', '1');
        return res;
    }, {}, {
        uri: '/dashboard',
        headers: [['Host', 'example.com'], ['Cookie', '__session=abc'],
                  ['X-Forwarded-For', '1.1.1.1'], ['X-Remove', 'x'],
                  ['x-forwarded-for', '2.2.2.2']]
    });

    await tap.ticks();

    t.is(r.payload(),
         'MW1 200\n'
         + 'x-middleware-next:1\n'
         + 'x-middleware-override-changed:x-remove,x-user-id\n'
         + 'x-middleware-request-x-user-id:user_123\n'
         + 'x-frame-options:DENY\n'
         + 'set-cookie:seen=1; Path=/\n'
         + '\n', 'payload: only the changes');
});


/*
 * what the module does with x-middleware-override-changed (PROTOCOL.md):
 * the client's lines of unlisted names, then the listed names' fields
 */

/* a payload (a byte string) as a string that compares with literals */

function text(b) {
    var i, out = [];

    for (i = 0; i < b.length; i++) {
        out.push(String.fromCharCode(b.charCodeAt(i)));
    }

    return out.join('');
}


function applyChanged(lines, payload) {
    var head = payload.split('\n\n')[0].split('\n').slice(1), names = null,
        set = [], out = [], i, k, v;

    for (i = 0; i < head.length; i++) {
        k = head[i].slice(0, head[i].indexOf(':'));
        v = head[i].slice(head[i].indexOf(':') + 1);

        if (k === 'x-middleware-override-changed') {
            names = v.split(',');

        } else if (k.indexOf('x-middleware-request-') === 0) {
            set.push([k.slice(21), v]);
        }
    }

    if (names === null) {
        return null;
    }

    for (i = 0; i < lines.length; i++) {
        if (names.indexOf(lines[i][0].toLowerCase()) === -1) {
            out.push(lines[i][0].toLowerCase() + ':' + lines[i][1]);
        }
    }

    for (i = 0; i < set.length; i++) {
        if (names.indexOf(set[i][0]) !== -1) {
            out.push(set[i][0] + ':' + set[i][1]);
        }
    }

    return out.join('\n');
}


function changer(change, expect, n) {
    return function (request) {
        var h = change(new Headers(request.headers), request);

        expect[n] = h._lines().map(function (l) {
            return l[0].toLowerCase() + ':' + l[1];
        }).join('\n');

        return NextResponse.next({ request: { headers: h } });
    };
}


/*
 * (synchronous: a sync middleware decides inside handle(); an async test
 * function holding these closures tripped an njs 0.7.9 bug that changed
 * values of later tests)
 */

var SENT = [['Host', 'example.com'], ['Cookie', 'a=1'], ['X-A', '1'],
            ['X-Remove', 'x'], ['x-a', '2'], ['Accept', '*/*']];

function chDelete(h) { h['delete']('x-a'); return h; }
function chNew(h) { h.set('x-new', 'n'); return h; }
function chInPlace(h) { h.set('cookie', 'b=2'); return h; }
function chAgain(h) { h['delete']('x-remove'); h.set('x-remove', 'y'); return h; }
function chRequest(h, req) { req.headers.set('x-b', 'b'); return req.headers; }
function chNone(h) { return h; }

var CHANGES = [
    ['nothing changed', chNone, ''],
    ['delete', chDelete, 'x-a'],
    ['set a new name', chNew, 'x-new'],
    ['set an existing name in place', chInPlace, 'cookie,x-a,x-remove,accept'],
    ['delete then set again', chAgain, 'x-remove'],
    ['request.headers itself changed', chRequest, 'x-b']
];


test('override changes: the same lines as the complete set', function (t) {
    var i, r, expect = [];

    for (i = 0; i < CHANGES.length; i++) {
        r = handle(changer(CHANGES[i][1], expect, i), {},
                   { uri: '/', headers: SENT });

        if (CHANGES[i][2] === '') {
            t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n',
                 CHANGES[i][0] + ': no override fields');
            continue;
        }

        t.ok(text(r.payload()).indexOf('x-middleware-override-changed:'
                                       + CHANGES[i][2] + '\n') !== -1,
             CHANGES[i][0] + ': listed ' + CHANGES[i][2]);
        t.is(applyChanged(SENT, text(r.payload())), expect[i],
             CHANGES[i][0] + ': the upstream lines');
    }
});


test('override: the complete set when the order cannot be kept',
     async function (t) {
    var r = handle(function (request) {
        var h = new Headers(request.headers);
        h.append('x-a', '3');       /* x-a changed, host after it kept */
        return NextResponse.next({ request: { headers: h } });
    }, {}, { uri: '/', headers: [['X-A', '1'], ['Host', 'example.com']] });

    await tap.ticks();

    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-headers:x-a,host\n'
         + 'x-middleware-request-x-a:1\n'
         + 'x-middleware-request-host:example.com\n'
         + 'x-middleware-request-x-a:3\n\n', 'payload');

    /* several Cookie lines were joined: not the client's lines */
    r = handle(function (request) {
        return NextResponse.next({ request: { headers: request.headers } });
    }, {}, { uri: '/', headers: [['Cookie', 'a=1'], ['Cookie', 'b=2']] });

    await tap.ticks();

    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-headers:cookie\n'
         + 'x-middleware-request-cookie:a=1; b=2\n\n', 'joined cookies');
});


test('override: several set-cookie values, names lower case',
     async function (t) {
    var r = handle(function () {
        var h = new Headers();
        h.append('Set-Cookie', 'a=1');
        h.append('SET-COOKIE', 'b=2');
        h.append('X-Mixed-Case', 'v');
        return NextResponse.next({ request: { headers: h } });
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(),
         'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-headers:set-cookie,x-mixed-case\n'
         + 'x-middleware-request-set-cookie:a=1\n'
         + 'x-middleware-request-set-cookie:b=2\n'
         + 'x-middleware-request-x-mixed-case:v\n\n', 'payload');
});


test('redirect', async function (t) {
    var r = handle(function (request) {
        var url = request.nextUrl.clone();
        url.pathname = '/sign-in';
        url.searchParams.set('from', '/dashboard a');
        return NextResponse.redirect(url);
    }, {}, { uri: '/dashboard?x=1',
             headers: [['Host', 'shop.example:8080']] });

    await tap.ticks();

    t.is(r.payload(), 'MW1 307\n'
         + 'location:http://shop.example:8080/sign-in?x=1&from=%252Fdashboard'
         + '+a\n\n', 'payload');
});


test('redirect 308 with a string URL, https scheme', async function (t) {
    var r = handle(function () {
        return NextResponse.redirect('https://example.com/new', 308);
    }, {}, { variables: { middleware_scheme: 'https' } });

    await tap.ticks();
    t.is(r.payload(), 'MW1 308\nlocation:https://example.com/new\n\n',
         'payload');
});


test('rewrite with overrides and response headers', async function (t) {
    var r = handle(function (request) {
        var h = new Headers(request.headers);
        h.set('x-tenant', 't1');
        return NextResponse.rewrite(new server.URL('/t1/page?q=1',
                                                   request.url),
                                    { request: { headers: h },
                                      headers: { 'x-rewritten': 'yes' } });
    }, {}, { uri: '/page' });

    await tap.ticks();

    t.is(r.payload(), 'MW1 200\n'
         + 'x-middleware-rewrite:http://example.com/t1/page?q=1\n'
         + 'x-middleware-override-changed:x-tenant\n'
         + 'x-middleware-request-x-tenant:t1\n'
         + 'x-rewritten:yes\n\n', 'payload');
});


test('json: status, content-type, body', async function (t) {
    var r = handle(async function () {
        return NextResponse.json({ error: 'unauthorized', n: [1, 2] },
                                 { status: 401 });
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 401\ncontent-type:application/json\n\n'
         + '{"error":"unauthorized","n":[1,2]}', 'payload');
});


test('plain Response: text body, UTF-8 bytes', async function (t) {
    var r = handle(function () {
        return new server.Response('forbidden \u00e9\u20ac', {
            status: 403, headers: { 'X-Reason': 'geo' } });
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 403\nx-reason:geo\n'
         + 'content-type:text/plain;charset=UTF-8\n\nforbidden '
         + '\xc3\xa9\xe2\x82\xac', 'payload bytes');
});


test('Response with Uint8Array body: raw bytes', async function (t) {
    var r = handle(function () {
        return new server.Response(new Uint8Array([0, 255, 10, 37]),
                                   { status: 200 });
    }, {}, {});

    await tap.ticks();

    t.ok(r.returns[0].body instanceof Uint8Array, 'sent as bytes');
    t.is(r.payload(), 'MW1 200\n\n\x00\xff\n%', 'payload bytes');
});


test('escaping of % CR LF in values', async function (t) {
    var r = handle(function () {
        var res = new NextResponse(null, { status: 204 });
        res.headers.set('x-pct', '100% a%0Ab');
        res.cookies.set('c', 'a b');
        return res;
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 204\nx-pct:100%25 a%250Ab\n'
         + 'set-cookie:c=a%2520b; Path=/\n\n', 'payload');
});


test('Latin-1 header value: its byte, % escaped', async function (t) {
    var r = handle(function () {
        var res = new NextResponse(null, { status: 204 });
        res.headers.set('x-name', 'caf\u00e9 100%');
        return res;
    }, {}, {});

    await tap.ticks();

    t.ok(r.returns[0].body instanceof Uint8Array, 'sent as bytes');
    t.is(r.payload(), 'MW1 204\nx-name:caf\xe9 100%25\n\n', 'payload');
});


test('error message with CR LF is escaped', async function (t) {
    var r = handle(function () {
        throw new Error('line1\r\nline2 100%');
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 500\n'
         + 'x-middleware-error:Error: line1\\r\\nline2 100%25\n\n',
         'payload');
});


test('throw: x-middleware-error, logged with r.error', async function (t) {
    var r = handle(function () {
        null.x;
    }, {}, {});

    await tap.ticks();

    t.like(r.payload(), /^MW1 500\nx-middleware-error:TypeError: [^\n]+\n\n$/,
           'error payload');
    t.is(r.errors.length, 1, 'one error line');
    t.like(r.errors[0], /^middleware: uncaught exception \(request req-1\): TypeError/,
           'error line names the request');
});


test('rejection: x-middleware-error', async function (t) {
    var r = handle(async function () {
        await null;
        throw new RangeError('async boom');
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 500\nx-middleware-error:RangeError: async boom\n\n',
         'payload');
    t.like(r.errors[0], /async boom/, 'logged');
});


test('passThroughOnException', async function (t) {
    var r = handle(function (request, event) {
        event.passThroughOnException();
        throw new Error('boom');
    }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 500\nx-middleware-error:Error: boom\n'
         + 'x-middleware-pass-through:1\n\n', 'payload');
});


test('non-Response result: TypeError as Next.js', async function (t) {
    var r = handle(function () { return { status: 200 }; }, {}, {});

    await tap.ticks();

    t.is(r.payload(), 'MW1 500\nx-middleware-error:TypeError: Expected an '
         + 'instance of Response to be returned\n\n', 'payload');
});


test('redirect with a relative URL throws as Next.js', async function (t) {
    var r = handle(function () {
        return NextResponse.redirect('/login');
    }, {}, {});

    await tap.ticks();

    t.like(r.payload(), /x-middleware-error:Error: URL is malformed "\/login"/,
           'error payload');
});


test('no waitUntil work: one report, final, before the decision',
     async function (t) {
    var r = tap.mockRequest({ uri: '/' }), writes = [], v;

    Object.defineProperty(r.variables, 'middleware_report', {
        get: function () { return v; },
        set: function (x) {
            v = x;
            writes.push(x + (r.returns.length ? ' (after)' : ' (before)'));
        }
    });

    server.serve(function () {
        return NextResponse.next();
    }, {}).handle(r);

    await tap.ticks();
    t.deepIs(writes, ['tasks=0 fulfilled=0 rejected=0 (before)'],
             'one write, the final report, before r.return');

    writes = [];
    r = tap.mockRequest({ uri: '/' });
    Object.defineProperty(r.variables, 'middleware_report', {
        get: function () { return v; },
        set: function (x) { v = x; writes.push(x); }
    });

    server.serve(function (request, event) {
        event.waitUntil(Promise.resolve(1));
        return NextResponse.next();
    }, {}).handle(r);

    await tap.ticks();
    t.deepIs(writes, ['tasks=1', 'tasks=1 fulfilled=1 rejected=0'],
             'with a task: at the decision, then settled');
});


test('decision before a never-settling waitUntil', async function (t) {
    var r = handle(function (request, event) {
        event.waitUntil(new Promise(function () {}));
        return NextResponse.redirect('http://example.com/x');
    }, {}, {});

    t.is(r.returns.length, 1, 'decided synchronously');
    t.is(r.payload(), 'MW1 307\nlocation:http://example.com/x\n\n',
         'redirect payload');
    await tap.ticks(50);
    t.is(r.returns.length, 1, 'still one r.return');
    t.is(r.variables.middleware_report, 'tasks=1', 'report at decision');
});


test('slow waitUntil: decision first, then report', async function (t) {
    var d = tap.deferred(), r;

    r = handle(async function (request, event) {
        event.waitUntil(d.promise);
        await null;
        return new server.Response(null, { status: 401 });
    }, {}, {});

    await tap.ticks();
    t.is(r.payload(), 'MW1 401\n\n', '401 sent while the task runs');
    t.is(r.variables.middleware_report, 'tasks=1', 'not settled yet');

    d.resolve('done');
    await tap.ticks();
    t.is(r.variables.middleware_report, 'tasks=1 fulfilled=1 rejected=0',
         'settled');
});


test('waitUntil rejections are logged with r.warn', async function (t) {
    var d = tap.deferred(), r;

    r = handle(function (request, event) {
        event.waitUntil(Promise.reject(new Error('sink down')));
        event.waitUntil(d.promise);
        event.waitUntil(Promise.resolve(1));
    }, {}, {});

    await tap.ticks();
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'decision');
    t.is(r.warns.length, 1, 'one warning');
    t.is(r.warns[0].split('\n')[0], 'middleware: waitUntil task rejected '
         + '(request req-1): Error: sink down', 'first rejection');

    d.reject('plain string');
    await tap.ticks();
    t.is(r.warns[1], 'middleware: waitUntil task rejected (request '
                     + 'req-1): plain string', 'second rejection');
    t.is(r.variables.middleware_report, 'tasks=3 fulfilled=1 rejected=2',
         'report');
    t.is(r.errors.length, 0, 'no error lines');
});


test('tasks registered by running tasks are awaited', async function (t) {
    var d1 = tap.deferred(), d2 = tap.deferred(), r, ctx;

    r = handle(function (request, event) {
        ctx = server.getRequestExecutionContext();
        event.waitUntil(d1.promise.then(function () {
            ctx.waitUntil(d2.promise);
        }));
    }, {}, {});

    await tap.ticks();
    d1.resolve();
    await tap.ticks();
    t.is(r.variables.middleware_report, 'tasks=1', 'waits for the second');
    d2.resolve();
    await tap.ticks();
    t.is(r.variables.middleware_report, 'tasks=2 fulfilled=2 rejected=0',
         'both counted');
});


test('getRequestExecutionContext', async function (t) {
    /* njs 0.7.9: closures cannot assign locals of an async function */
    var s = {}, r;

    t.is(server.getRequestExecutionContext(), null, 'null outside');

    r = handle(function (request, event) {
        s.seen = server.getRequestExecutionContext();
        s.seen.passThroughOnException();
        throw new Error('x');
    }, {}, { variables: { middleware_request_id: 'abc' } });

    await tap.ticks();
    t.is(s.seen.requestId, 'abc', 'requestId');
    t.is(typeof s.seen.waitUntil, 'function', 'waitUntil');
    t.like(r.payload(), /x-middleware-pass-through:1/, 'pass-through via ctx');
    t.is(server.getRequestExecutionContext(), null, 'null after the request');
});


test('after(): runs once the decision is sent', async function (t) {
    var order = [], r;

    r = handle(function () {
        server.after(function () { order.push('after'); });
        order.push('mw');
    }, {}, {});

    order.push('returned ' + r.returns.length);
    await tap.ticks();
    t.deepIs(order, ['mw', 'returned 1', 'after'], 'order');
    t.is(r.variables.middleware_report, 'tasks=1 fulfilled=1 rejected=0',
         'counted as a task');
});


test('matcher: skip without calling the middleware', async function (t) {
    var s = { called: false }, r;

    r = handle(function () { s.called = true; },
               { matcher: ['/dashboard/:path*'] },
               { uri: '/about' });

    await tap.ticks();
    t.is(s.called, false, 'not called');
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'next');
    t.is(r.variables.middleware_matcher, 'MATCH1\npath - ^(?:\\/(_next/data/'
         + '[^/]{1,}))?\\/dashboard(?:\\/((?:[^\\/#\\?]+?)(?:\\/(?:[^\\/#\\?]'
         + '+?))*))?(\\.json)?[\\/#\\?]?$\n', 'matcher reported');
});


test('matcher: match, and $middleware_matched skips the check',
     async function (t) {
    var s = { n: 0 }, r;

    handle(function () { s.n++; }, { matcher: '/dashboard/:path*' },
           { uri: '/dashboard/a/b?x=1' });

    r = handle(function () { s.n++; }, { matcher: '/dashboard/:path*' },
               { uri: '/elsewhere', variables: { middleware_matched: '1' } });

    await tap.ticks();
    t.is(s.n, 2, 'called twice');
    t.is(r.variables.middleware_matcher, undefined, 'no report when matched');
});


test('without the module: no report variables written', async function (t) {
    var r = handle(function (req, ev) { ev.waitUntil(1); },
                   { matcher: '/x' }, { uri: '/x', module: false });

    await tap.ticks();
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'decision');
    t.is(r.variables.middleware_report, undefined, 'no report');
    t.is(r.variables.middleware_matcher, undefined, 'no matcher report');
});


test('invalid matcher throws at serve()', function (t) {
    t.throws(function () {
        server.serve(function () {}, { matcher: 'no-slash' });
    }, /must start with \//, 'source without /');

    t.throws(function () {
        server.serve(function () {}, { matcher: '/a/(foo' });
    }, /invalid source/, 'unbalanced pattern');

    t.throws(function () { server.serve('x'); }, TypeError, 'not a function');
});


test('request seen by the middleware', async function (t) {
    var s = {}, seen;

    handle(function (request) {
        s.seen = request;
    }, {}, {
        uri: '/caf%C3%A9/x?b=a%20b&a=1',
        method: 'POST',
        headers: [['Host', 'Shop.Example.com'], ['X-A', '1'], ['x-a', '2']],
        variables: { middleware_scheme: 'https' }
    });

    await tap.ticks();
    seen = s.seen;
    t.is(seen.method, 'POST', 'method');
    t.is(seen.url, 'https://shop.example.com/caf%C3%A9/x?b=a+b&a=1',
         'url: Host, scheme, query re-serialized');
    t.is(seen.nextUrl.pathname, '/caf%C3%A9/x', 'pathname stays encoded');
    t.is(seen.headers.get('x-a'), '1, 2', 'repeated headers joined');
    t.is(seen.ip, '192.0.2.1', 'ip');
    t.throws(function () { return seen.body; },
             /body exposure is not enabled/, 'body: clear error');
});


test('decision head: escaping with the one-test fast path', function (t) {
    t.is(protocol.encode(200, [['X-A', 'b'], ['x-c', 'd e']], ''),
         'MW1 200\nx-a:b\nx-c:d e\n\n', 'plain: names lower-cased');
    t.is(protocol.encode(200, [['x-a', 'a\nb'], ['x-c', 'd'], ['e', 'f'],
                               ['g', 'h']], ''),
         'MW1 200\nx-a:a%0Ab\nx-c:d\ne:f\ng:h\n\n', 'an LF alone in a value');
    t.is(protocol.encode(200, [['x-a\nb', 'c'], ['d', 'e'], ['f', 'g'],
                               ['H', 'i']], ''),
         'MW1 200\nx-a%0Ab:c\nd:e\nf:g\nh:i\n\n', 'an LF in a name');
    t.is(protocol.encode(200, [['x:a', '1%'], ['x-b', '\0'], ['c', 'd'],
                               ['e', 'f']], ''),
         'MW1 200\nx%3Aa:1%25\nx-b:%00\nc:d\ne:f\n\n',
         'colon, percent, NUL');
    t.is(protocol.encode(200, [['A', 'b'], ['c', 'd'], ['e', 'f'],
                               ['g', 'h']], ''),
         'MW1 200\na:b\nc:d\ne:f\ng:h\n\n', 'plain, 4 fields');
    t.is(protocol.encode(204, [], ''), 'MW1 204\n\n', 'no fields');
});


tap.run();
