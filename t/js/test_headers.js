/*
 * Headers: WHATWG semantics (case-insensitive, combine, sort, set-cookie),
 * validation errors at the call that causes them.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var Headers = server.Headers;
var test = tap.test;


function entries(h) {
    var out = [], it = h.entries(), e;

    while (!(e = it.next()).done) {
        out.push(e.value);
    }

    return out;
}


test('case-insensitive get/set/has/delete', function (t) {
    var h = new Headers({ 'Content-Type': 'text/html' });

    t.is(h.get('content-type'), 'text/html', 'get lower');
    t.is(h.get('CONTENT-TYPE'), 'text/html', 'get upper');
    t.ok(h.has('Content-type'), 'has');
    h.set('CONTENT-type', 'application/json');
    t.is(h.get('content-type'), 'application/json', 'set replaces');
    h['delete']('Content-Type');
    t.is(h.get('content-type'), null, 'deleted: null');
    t.ok(!h.has('content-type'), 'has after delete');
});


test('append combines with ", ", set replaces all', function (t) {
    var h = new Headers();

    h.append('X-A', '1');
    h.append('x-a', '2');
    t.is(h.get('X-a'), '1, 2', 'combined');
    h.set('x-A', '3');
    t.is(h.get('x-a'), '3', 'set leaves one');
    t.deepIs(entries(h), [['x-a', '3']], 'one entry');
});


test('iteration: sorted, lower case, set-cookie separate', function (t) {
    var h = new Headers([['Zeta', 'z'], ['Set-Cookie', 'a=1'],
                         ['alpha', 'x'], ['set-cookie', 'b=2'],
                         ['Alpha', 'y']]);
    var seen = [];

    t.deepIs(entries(h), [['alpha', 'x, y'], ['set-cookie', 'a=1'],
                          ['set-cookie', 'b=2'], ['zeta', 'z']], 'entries');
    h.forEach(function (v, k) { seen.push(k + '=' + v); });
    t.deepIs(seen, ['alpha=x, y', 'set-cookie=a=1', 'set-cookie=b=2',
                    'zeta=z'], 'forEach');
    t.deepIs(h.getSetCookie(), ['a=1', 'b=2'], 'getSetCookie');
    t.is(h.get('set-cookie'), 'a=1, b=2', 'get(set-cookie) joins');

    var keys = [], it = h.keys(), e;
    while (!(e = it.next()).done) { keys.push(e.value); }
    t.deepIs(keys, ['alpha', 'set-cookie', 'set-cookie', 'zeta'], 'keys');

    var vals = [];
    it = h.values();
    while (!(e = it.next()).done) { vals.push(e.value); }
    t.deepIs(vals, ['x, y', 'a=1', 'b=2', 'z'], 'values');
});


test('constructed from object, array, Headers', function (t) {
    var a = new Headers({ a: '1', B: 2 });
    var b = new Headers([['a', '1'], ['a', '2']]);
    var c = new Headers(b);

    t.is(a.get('b'), '2', 'object, number value');
    t.is(b.get('a'), '1, 2', 'array with duplicates');
    c.append('a', '3');
    t.is(b.get('a'), '1, 2', 'copy is independent');
    t.is(c.get('a'), '1, 2, 3', 'copy');
    t.throws(function () { return new Headers([['a']]); }, TypeError,
             'pair of one');
    t.throws(function () { return new Headers('x'); }, TypeError,
             'string init');
});


test('values are trimmed of HTTP whitespace', function (t) {
    var h = new Headers();

    h.set('x', ' \t value \t ');
    t.is(h.get('x'), 'value', 'trimmed');
});


test('invalid names and values throw TypeError', function (t) {
    var h = new Headers();

    t.throws(function () { h.set('bad name', 'v'); }, TypeError, 'space');
    t.throws(function () { h.append('x:y', 'v'); }, TypeError, 'colon');
    t.throws(function () { h.set('', 'v'); }, TypeError, 'empty name');
    t.throws(function () { h.set('\u00e9', 'v'); }, TypeError,
             'non-ASCII name');
    t.throws(function () { h.set('x', 'a\r\nInjected: 1'); }, TypeError,
             'CR LF in value');
    t.throws(function () { h.set('x', 'a\nb'); }, TypeError, 'LF in value');
    t.throws(function () { h.set('x', 'a\u0000b'); }, TypeError,
             'NUL in value');
    t.throws(function () { h.set('x', '\u20ac'); }, TypeError,
             'above U+00FF');
    t.throws(function () { h.get('a b'); }, TypeError, 'get invalid name');
    t.throws(function () { return new Headers({ 'a b': '1' }); }, TypeError,
             'constructor');
    h.set('x', 'caf\u00e9');
    t.is(h.get('x'), 'caf\u00e9', 'latin-1 value accepted');
    t.is(h.get('y'), null, 'missing: null');
});


test('for..of support when the engine has Symbol.iterator', function (t) {
    var h = new Headers({ a: '1' });

    t.is(typeof h[Symbol.iterator], 'function', 'iterable');
    t.deepIs(h[Symbol.iterator]().next().value, ['a', '1'], 'entries');
});



test('a name ending in LF is invalid (njs 0.7.9: $ matches before LF)',
     function (t) {
    var h = new Headers();
    t.throws(function () { h.set('x\n', 'v'); }, TypeError, 'x LF');
    t.throws(function () { h.append('x-a\n', 'v'); }, TypeError, 'x-a LF');
});


/*
 * set(), append() and the constructor against the rules written out here
 * (a token name; the value trimmed of HTTP whitespace, then refused with
 * NUL, CR, LF or a character above U+00FF), over names and values at the
 * edges of the one-test check: empty, one character, whitespace at either
 * end or inside, ":" in the value, control characters, Latin-1
 */
test('name and value checks: each edge as the rules say', function (t) {
    var names = ['x', 'X-User-Id', "!#$%&'*+-.^_`|~09az", 'a:b', 'a b', '',
                 'x\t', '\u00e9', 'x\n'],
        values = ['', 'v', ' ', '\t', ' v', 'v ', '\tv\t', 'a b', 'a\tb',
                  'a:b', ':', '\u0001', '\u001f', '\u007f', '\u0080x\u00ff',
                  '\u00ff', '\u0000', 'a\u0000', 'a\rb', 'a\nb', '\n',
                  'v\r', '\u0100', 'x\u20ac', '\u000b\u000c', ' \u000b '],
        token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, i, j, n, v, want, got;

    function expected(name, value) {
        var w = value.replace(/^[\t\n\r ]+/, '')
                     .replace(/[\t\n\r ]+$/, '');

        if (!token.test(name) || name.indexOf('\n') !== -1
            || /[\u0000\r\n]/.test(w) || /[^\u0000-\u00ff]/.test(w))
        {
            return 'TypeError';
        }

        return w;
    }

    function through(how, name, value) {
        var h;

        try {
            if (how === 'set') {
                h = new Headers();
                h.set(name, value);

            } else if (how === 'append') {
                h = new Headers();
                h.append(name, value);

            } else {
                h = new Headers([[name, value]]);
            }

            return h.get(name);

        } catch (e) {
            return (e instanceof TypeError) ? 'TypeError' : String(e);
        }
    }

    for (i = 0; i < names.length; i++) {
        for (j = 0; j < values.length; j++) {
            n = names[i];
            v = values[j];
            want = expected(n, v);
            got = [through('set', n, v), through('append', n, v),
                   through('init', n, v)];
            t.deepIs(got, [want, want, want],
                     JSON.stringify(n) + ': ' + JSON.stringify(v));
        }
    }
});


tap.run();
