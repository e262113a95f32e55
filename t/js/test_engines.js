/*
 * What differs between engines (njs 0.7.9, njs >= 0.8 njs engine,
 * QuickJS) and must not show: native Headers / Response objects (as
 * ngx.fetch returns them) accepted wherever the runtime's are, the
 * runtime's classes as the globals, raw request bytes in both string
 * models of nginx, error reports with name, message and stack.
 */

import server from 'next/server.js';
import headersMod from 'next/headers.js';
import util from 'next/util.js';
import tap from 'tap.js';

var Headers = server.Headers;
var NextResponse = server.NextResponse;
var test = tap.test;


/*
 * A stand-in for njs's native Headers: forEach passes (name, value)
 * (nameFirst) or WHATWG's (value, name), one entry per name with the
 * values joined, getAll(), no getSetCookie(), no entries().
 */

function FakeNative(init, nameFirst) {
    var self = this;

    this.names = [];
    this.values = {};
    this.nameFirst = (nameFirst === undefined) ? true : nameFirst;

    (init || []).forEach(function (p) { self.append(p[0], p[1]); });
}

FakeNative.prototype.append = function (n, v) {
    var k = n.toLowerCase();

    if (!this.values[k]) {
        this.values[k] = [];
        this.names.push(n);
    }

    this.values[k].push(v);
};

FakeNative.prototype.get = function (n) {
    var v = this.values[n.toLowerCase()];
    return v ? v.join(', ') : null;
};

FakeNative.prototype.getAll = function (n) {
    return (this.values[n.toLowerCase()] || []).slice();
};

FakeNative.prototype.has = function (n) {
    return !!this.values[n.toLowerCase()];
};

FakeNative.prototype.forEach = function (cb) {
    var i, n;

    for (i = 0; i < this.names.length; i++) {
        n = this.names[i];

        if (this.nameFirst) {
            cb(n, this.get(n));

        } else {
            cb(this.get(n), n);
        }
    }
};


function native(pairs) {
    return new FakeNative(pairs, true);
}


function handle(mw, req) {
    var r = tap.mockRequest(req);
    server.serve(mw, {}).handle(r);
    return r;
}


test('the runtime classes are the globals', function (t) {
    t.is(globalThis.Headers, Headers, 'Headers');
    t.is(globalThis.Response, server.Response, 'Response');
    t.is(typeof URL, 'function', 'URL');
    t.is(new URL('/a?x=1', 'http://h').searchParams.get('x'), '1',
         'URL works');
    t.is(headersMod.NATIVE, undefined, 'no native Headers to keep (CLI)');
    t.is(structuredClone({ a: [1] }).a[0], 1, 'structuredClone');
    t.is(typeof queueMicrotask, 'function', 'queueMicrotask');
});


test('a global the runtime installs can be replaced, and given back',
     function (t) {
    var saved = globalThis.URL;

    globalThis.URL = 1;
    t.is(URL, 1, 'assigned');
    globalThis.URL = saved;
    t.is(URL, saved, 'restored');
    t.is(new URL('http://h/a').pathname, '/a', 'works again');
});


test('native forEach order is probed: (name, value)', function (t) {
    var h;

    headersMod._setNative(function (init) {
        return new FakeNative(init, true);
    });

    h = new Headers(native([['X-A', '1'], ['set-cookie', 'a=1'],
                            ['Set-Cookie', 'b=2; Path=/']]));

    t.is(h.get('x-a'), '1', 'name and value not swapped');
    t.deepIs(h.getSetCookie(), ['a=1', 'b=2; Path=/'],
             'set-cookie values one by one (getAll)');
    headersMod._setNative(undefined);
});


test('native forEach order is probed: (value, name)', function (t) {
    var h;

    headersMod._setNative(function (init) {
        return new FakeNative(init, false);
    });

    h = new Headers(new FakeNative([['X-A', '1']], false));
    t.is(h.get('x-a'), '1', 'WHATWG order read as such');
    headersMod._setNative(undefined);
});


test('NextResponse.next with native request headers', async function (t) {
    var r;

    headersMod._setNative(function (init) {
        return new FakeNative(init, true);
    });

    r = handle(function () {
        return NextResponse.next({
            request: { headers: native([['X-User', 'ada'],
                                        ['Accept', 'text/html']]) }
        });
    }, {});

    await tap.ticks();
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-headers:x-user,accept\n'
         + 'x-middleware-request-x-user:ada\n'
         + 'x-middleware-request-accept:text/html\n\n', 'override');

    t.throws(function () {
        NextResponse.next({ request: { headers: { 'x-a': '1' } } });
    }, /request.headers must be an instance of Headers/,
       'a plain object is still refused');

    headersMod._setNative(undefined);
});


test('a native Response returned: headers, body, framing', async function (t) {
    var r;

    headersMod._setNative(function (init) {
        return new FakeNative(init, true);
    });

    r = handle(function () {
        return {
            status: 201,
            headers: native([['Content-Type', 'text/plain'],
                             ['Transfer-Encoding', 'chunked'],
                             ['Connection', 'keep-alive'],
                             ['Content-Length', '2'],
                             ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]),
            arrayBuffer: function () {
                return Promise.resolve(new Uint8Array([104, 105]).buffer);
            }
        };
    }, {});

    await tap.ticks(8);
    t.is(r.payload(), 'MW1 201\ncontent-type:text/plain\n'
         + 'set-cookie:a=1\nset-cookie:b=2\n\nhi',
         'hop-by-hop and length dropped, cookies split');

    headersMod._setNative(undefined);
});


test('a native null-body Response (detached ArrayBuffer)', async function (t) {
    var r = handle(function () {
        return {
            status: 204,
            headers: native([]),
            arrayBuffer: function () {
                /* as njs 0.8.9's: even byteLength throws */
                return Promise.resolve({
                    get byteLength() {
                        throw new TypeError('detached buffer');
                    },
                    get length() { throw new TypeError('detached buffer'); }
                });
            }
        };
    }, {});

    await tap.ticks(8);
    t.is(r.payload(), 'MW1 204\n\n', 'empty body, no error');
    t.is(r.errors.length, 0, 'nothing logged');
});


test('njs < 0.7.10 fetch replies: headers cannot be listed', async function (t) {
    var reply = {
        status: 200,
        headers: { get: function () { return null; },
                   has: function () { return false; } },
        arrayBuffer: function () { return Promise.resolve(new ArrayBuffer(0)); }
    }, r;

    t.throws(function () { return new Headers(reply.headers); },
             /these headers cannot be listed/, 'new Headers(reply.headers)');

    r = handle(function () { return reply; }, {});
    await tap.ticks();
    t.like(r.payload(), /^MW1 500\nx-middleware-error:TypeError: a response of ngx.fetch\(\) cannot be returned as is/,
           'returned: a precise error');
});


test('a native empty body, njs 1.0 form (only new Uint8Array throws)',
     async function (t) {
    var r = handle(function () {
        return {
            status: 200,
            headers: native([]),
            arrayBuffer: function () {
                return Promise.resolve({
                    byteLength: 0,
                    get length() { throw new TypeError('detached buffer'); }
                });
            }
        };
    }, {});

    await tap.ticks(8);
    t.is(r.payload(), 'MW1 200\n\n', 'empty body, no error');
});


test('our null-body Response: usable empty ArrayBuffer', async function (t) {
    var ab, ab2, text;

    ab = await new server.Response(null, { status: 204 }).arrayBuffer();
    ab2 = await new server.Response('').arrayBuffer();
    text = await new server.Response(null).text();

    t.is(new Uint8Array(ab).length, 0, 'null body');
    t.is(new Uint8Array(ab2).length, 0, 'empty string body');
    t.is(text, '', 'text()');
});


/* raw bytes: both string models, whatever engine runs the test */

[true, false].forEach(function (decoded) {
    var m = decoded ? 'decoded strings' : 'byte strings';

    test('raw UTF-8 target, ' + m, function (t) {
        var s = {};

        server.serve(function (request) { s.q = request; }, {})
            .handle(tap.mockRequest({ uri: '/caf\xc3\xa9?q=\xc3\xa9',
                                      decoded: decoded }));

        t.is(s.q.nextUrl.pathname, '/caf%C3%A9', 'pathname');
        t.is(s.q.nextUrl.searchParams.get('q'), '\u00e9', 'query value');
        t.is(s.q.url, 'http://example.com/caf%C3%A9?q=%C3%A9', 'url');
    });

    test('invalid UTF-8 target, ' + m, function (t) {
        var s = {};

        server.serve(function (request) { s.q = request; }, {})
            .handle(tap.mockRequest({ uri: '/caf\xe9?q=\xff',
                                      decoded: decoded }));

        t.is(s.q.nextUrl.pathname, '/caf%E9', 'the byte, not U+FFFD');
        t.is(s.q.nextUrl.search, '?q=%EF%BF%BD',
             'query re-serialized: invalid byte decoded as U+FFFD');
    });

    test('header bytes, ' + m, function (t) {
        var s = {};

        server.serve(function (request) { s.q = request; }, {})
            .handle(tap.mockRequest({
                headers: [['Host', 'h'], ['X-U', 'a\xc3\xa9\xff'],
                          ['X-V', 'caf\xc3\xa9']],
                decoded: decoded }));

        t.is(s.q.headers.get('x-u'), 'a\xc3\xa9\xff',
             'invalid UTF-8: exact bytes');
        t.is(s.q.headers.get('x-v'), 'caf\xc3\xa9', 'UTF-8: exact bytes');
    });
});


test('repeated non-ASCII header lines (engine model)', function (t) {
    var s = {};

    server.serve(function (request) { s.q = request; }, {})
        .handle(tap.mockRequest({
            headers: [['Host', 'h'], ['X-V', 'caf\xc3\xa9'],
                      ['X-V', '\xe2\x82\xac']] }));

    t.is(s.q.headers.get('x-v'), 'caf\xc3\xa9, \xe2\x82\xac',
         'UTF-8 lines: exact bytes, one value each');
});


test('fromWire: both models', function (t) {
    t.is(util.fromWire('caf\u00e9', true), 'caf\xc3\xa9', 'decoded');
    t.is(util.fromWire('caf\xc3\xa9', false), 'caf\xc3\xa9', 'bytes');
    t.is(util.fromWire('\u20ac', false), '\xe2\x82\xac',
         'a char above 0xff in the byte model is UTF-8 encoded');
});


test('isAscii: every kind of char the engines have', function (t) {
    t.ok(util.isAscii(''), 'empty');
    t.ok(util.isAscii('MW1 200\n\x00\x7f%\n'), 'controls, DEL, %');
    t.ok(!util.isAscii('a\x80'), '0x80');
    t.ok(!util.isAscii('caf\u00e9'), 'Latin-1');
    t.ok(!util.isAscii('\u20ac'), 'BMP');
    t.ok(!util.isAscii('\ud83d\ude00'), 'a surrogate pair');
    t.ok(!util.isAscii('x\ud800'), 'a lone surrogate');
});


test('error reports: name, message, stack', function (t) {
    var e, rep;

    try {
        null.x;

    } catch (ex) {
        e = ex;
    }

    rep = util.errorReport(e);
    t.like(rep.split('\n')[0], /^TypeError: /, 'first line Name: message');

    if (typeof e.stack === 'string' && e.stack !== '') {
        t.like(rep, /\n\s+at /, 'stack frames follow');
    }

    t.is(util.errorReport({ name: 'E', message: 'm',
                            stack: '    at f (x.js:1)\n' }),
         'E: m\n    at f (x.js:1)', 'QuickJS form: header added');
    t.is(util.errorReport({ name: 'E', message: 'm',
                            stack: 'E: m\n    at f (x.js:1)\n' }),
         'E: m\n    at f (x.js:1)', 'njs form kept');
    t.is(util.errorReport({ name: 'E', message: 'm' }), 'E: m', 'no stack');
    t.is(util.errorReport('plain'), 'plain', 'not an object');
});


test('uncaught exception logged with its message', async function (t) {
    var r = handle(function () {
        throw new RangeError('engine boom');
    }, {});

    await tap.ticks();
    t.like(r.errors[0], /^middleware: uncaught exception \(request req-1\): RangeError: engine boom/,
           'name and message on the first line');
});


tap.run();
