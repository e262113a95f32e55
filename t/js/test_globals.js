/*
 * The Web globals of js/next/globals.js (console formatting,
 * crypto.randomUUID, structuredClone, queueMicrotask, atob, btoa), the
 * userAgent() shape of js/next/useragent.js and the URLSearchParams live
 * iteration.
 */

import server from 'next/server.js';
import globals from 'next/globals.js';
import useragent from 'next/useragent.js';
import tap from 'tap.js';

var test = tap.test;


test('console format (util.format)', function (t) {
    var f = globals.format;

    t.is(f(['a %s b %d c %i %f', 'x', 42.5, -3.7, '1.5']),
         'a x b 42.5 c -3 1.5', '%s %d %i %f');
    t.is(f(['%j', { a: [1] }]), '{"a":[1]}', '%j');
    t.is(f(['%o and %%', { a: 'x' }]), '{ a: "x" } and %', '%o, %%');
    t.is(f(['missing %s']), 'missing %s', 'no argument: kept');
    t.is(f(['a', 1, { b: [1, 2] }, null, undefined]),
         'a 1 { b: [ 1, 2 ] } null undefined', 'more arguments');
    t.is(f([{ 'x-y': 1, nested: { a: { b: { c: {} } } } }]),
         '{ "x-y": 1, nested: { a: { b: [Object] } } }', 'depth, quoted keys');

    var o = { n: 1 };
    o.self = o;
    t.is(f([o]), '{ n: 1, self: [Circular] }', 'cycles');
    t.like(f([new Error('boom')]), /^Error: boom/, 'an Error: its stack');
    /* not "[function () {}]": that corrupts njs 0.7.9's constants */
    var fn = function named() {};
    t.is(f([fn]), '[Function: named]', 'a function');
});


test('console is installed', function (t) {
    t.is(typeof console.log, 'function', 'log');
    t.is(typeof console.warn, 'function', 'warn');
    t.is(typeof console.error, 'function', 'error');
});


test('crypto.randomUUID', function (t) {
    var a = crypto.randomUUID(), b = globals.randomUUID();

    t.like(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
           'version 4, RFC 9562 variant');
    t.like(b, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
           'ours, where the engine has one');
    t.ok(a !== crypto.randomUUID(), 'random');
});


test('structuredClone', function (t) {
    var sc = globals.structuredClone;
    var d = new Date(5), o = { a: [1, { b: d }], r: /x/gi, u: new Uint8Array([1, 2]),
                               s: new String('s') }, c;

    o.me = o;
    c = sc(o);

    t.ok(c !== o && c.a !== o.a && c.a[1] !== o.a[1], 'deep');
    t.ok(c.me === c, 'cycles kept');
    t.ok(c.a[1].b instanceof Date && c.a[1].b !== d
         && c.a[1].b.getTime() === 5, 'Date');
    t.is(String(c.r), '/x/gi', 'RegExp');
    t.ok(c.u instanceof Uint8Array && c.u !== o.u && c.u[1] === 2,
         'typed array');
    t.is(typeof c.s, 'object', 'boxed string');
    t.throws(function () { sc({ f: function () {} }); },
             function (e) { return e.name === 'DataCloneError'; },
             'a function: DataCloneError');
    t.throws(function () { sc(); }, TypeError, 'no argument: TypeError');
    t.is(sc(3), 3, 'primitive');
});


test('queueMicrotask', async function (t) {
    var order = [];

    globals.queueMicrotask(function () { order.push('micro'); });
    order.push('sync');
    t.throws(function () { globals.queueMicrotask(1); }, TypeError,
             'not a function: TypeError');

    await tap.ticks(2);
    t.deepIs(order, ['sync', 'micro'], 'after the current job');
});


test('atob / btoa', function (t) {
    t.is(globals.btoa('4dmin:testpwd123'), 'NGRtaW46dGVzdHB3ZDEyMw==', 'btoa');
    t.is(globals.btoa('\u00ff\u0000'), '/wA=', 'btoa: bytes');
    t.is(globals.atob('NGRtaW46dGVzdHB3ZDEyMw=='), '4dmin:testpwd123', 'atob');
    t.is(globals.atob(' Zm9v\nYmFy '), 'foobar', 'atob: whitespace');
    t.is(globals.atob('Zm9vYg'), 'foob', 'atob: no padding');
    t.throws(function () { globals.atob('%%%'); },
             function (e) { return e.name === 'InvalidCharacterError'; },
             'atob: invalid');
    t.throws(function () { globals.atob('Zm9vY'); },
             function (e) { return e.name === 'InvalidCharacterError'; },
             'atob: bad length');
    t.throws(function () { globals.btoa('\u0100'); },
             function (e) { return e.name === 'InvalidCharacterError'; },
             'btoa: above U+00FF');
});


test('userAgent', function (t) {
    function parser(ua) {
        return { ua: ua || '', browser: { name: 'X' }, engine: {}, os: {},
                 device: {}, cpu: {} };
    }

    var req = new server.NextRequest('http://h/', {
        headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1)' }
    });
    var r = server.userAgent(req, parser);

    t.is(r.isBot, true, 'isBot');
    t.is(r.browser.name, 'X', 'the parser\'s result');
    t.is(r.ua, 'Mozilla/5.0 (compatible; Googlebot/2.1)', 'ua');
    t.is(server.userAgentFromString(undefined, parser).isBot, false,
         'undefined: not a bot');
    t.is(server.userAgentFromString('GPTBot/1.0', parser).isBot, true,
         'Next.js 16 list');
    t.throws(function () { server.userAgentFromString('x'); },
             /build the middleware with/, 'no parser: says how to get one');
    useragent.setParser(parser);
    t.is(server.userAgentFromString('x').browser.name, 'X', 'setParser');
});


test('URLSearchParams: forEach and keys() see the live list', function (t) {
    var p = new server.URLSearchParams('a=1&b=2&allowed=3'), seen = [], it,
        s;

    p.forEach(function (v, k) {
        seen.push(k);
        if (k !== 'allowed') {
            p['delete'](k);
        }
    });

    t.deepIs(seen, ['a', 'allowed'], 'forEach: the deleted "b" shifted');
    t.is(p.toString(), 'b=2&allowed=3', 'as Next.js: ?b=2&allowed=3');

    p = new server.URLSearchParams('utm_a=1&utm_b=2&id=7');
    seen = [];
    it = p.keys();

    for (s = it.next(); !s.done; s = it.next()) {
        seen.push(s.value);
        if (s.value.indexOf('utm_') === 0) {
            p['delete'](s.value);
        }
    }

    t.deepIs(seen, ['utm_a', 'id'], 'keys()');

    p = new server.URLSearchParams('a=1');
    seen = [];
    p.forEach(function (v, k) {
        seen.push(k);
        if (seen.length < 3) {
            p.append('n' + seen.length, 'x');
        }
    });
    t.deepIs(seen, ['a', 'n1', 'n2'], 'appended entries are visited');
});


tap.run();
