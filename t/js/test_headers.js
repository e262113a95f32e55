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


tap.run();
