/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Headers: the WHATWG Fetch Headers class for njs 0.7.9, which has none.
 *
 * Names are case-insensitive; get() joins repeated values with ", ";
 * iteration (forEach, entries, keys, values) is sorted by lower-case name
 * with values combined, except set-cookie whose values come one by one,
 * as the spec says.  Internally every appended line is kept in order with
 * its original spelling, so a request's duplicate headers are forwarded
 * as separate lines and in the client's order.
 *
 * Values are ByteStrings, as in Node.js: char codes 0..255, one per byte.
 * Invalid names and values throw TypeError at the call that passes them,
 * as the spec requires.
 */


import util from './util.js';


/* (?![\s\S]) and not $: in njs 0.7.9 $ also matches before a final LF */
var TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?![\s\S])/;
var BAD_VALUE = /[\0\r\n]/;
var NOT_BYTE = /[^\x00-\xff]/;
var LEADING_WS = /^[\t\n\r ]+/;
var TRAILING_WS = /[\t\n\r ]+$/;

/*
 * a valid value in one anchored test: bytes 0x01-0xff but CR LF (njs
 * 0.7.9's "$" also matches before a final LF, hence the lookahead)
 */

var GOOD_VALUE = /^[\x01-\x09\x0b\x0c\x0e-\xff]*(?![\s\S])/;

/*
 * name LF value, of a token name and a valid value with no whitespace to
 * trim at either end: what set() and append() usually get, checked in
 * one test where the name's test, the trimming and the value's test cost
 * three times that on njs 0.7.9 (neither a name nor a value holds an LF)
 */

var PLAIN_PAIR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\n(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x21-\xff](?:[\x01-\x09\x0b\x0c\x0e-\xff]*[\x01-\x08\x0b\x0c\x0e-\x1f\x21-\xff])?)?(?![\s\S])/;


function isWhitespace(c) {
    return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}


function normalizeValue(value) {
    value = String(value);

    if (value.length === 0
        || (!isWhitespace(value.charCodeAt(0))
            && !isWhitespace(value.charCodeAt(value.length - 1))))
    {
        return value;
    }

    return value.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}


function checkName(method, name) {
    name = String(name);

    if (!TOKEN.test(name)) {
        throw new TypeError('Headers.' + method + ': "' + name
                            + '" is an invalid header name.');
    }

    return name;
}


function checkValue(method, name, value) {
    value = normalizeValue(value);

    if (GOOD_VALUE.test(value)) {
        return value;
    }

    if (BAD_VALUE.test(value)) {
        throw new TypeError('Headers.' + method + ': "' + value
                            + '" is an invalid header value for "' + name
                            + '".');
    }

    if (NOT_BYTE.test(value)) {
        throw new TypeError('Headers.' + method + ': cannot convert the value'
                            + ' of "' + name + '" to a ByteString: it has'
                            + ' characters above U+00FF');
    }

    return value;
}


function Headers(init) {
    if (!headersReady && this instanceof Headers) {
        protoHeaders();
        return new Headers(init);
    }

    var i, k, pair, pairs, keys;

    if (!(this instanceof Headers)) {
        throw new TypeError("Failed to construct 'Headers': "
                            + "Please use the 'new' operator");
    }

    this._list = [];          /* [{name, lname, value}] in append order */
    this._guard = null;       /* function called before every change */

    if (init === undefined || init === null) {
        return;
    }

    /* ours, also one made by another evaluation of this file (VM clone) */

    /*
     * entries are never changed once made (set() and delete() make new
     * lists, set() new entries), so a copy shares them; it keeps the
     * request's _src too (see headersFrom()), so that the decision can
     * tell which lines are the client's own; a copy of headers not yet
     * made from their lines is not made either
     */

    if (init instanceof Headers || isOurs(init)) {
        if (init._list === null) {
            this._list = null;
            this._src = init._src;
            /* slice() costs ~2.5 k on QuickJS even of an empty array */
            this._tail = (init._tail.length === 0) ? []
                                                   : init._tail.slice();
            return;
        }

        this._list = init._list.slice();

        if (init._src) {
            this._src = init._src;
        }

        return;
    }

    if (typeof init !== 'object' && typeof init !== 'function') {
        throw new TypeError("Failed to construct 'Headers': The provided "
                            + "value is not of type '(record<ByteString, "
                            + "ByteString> or sequence<sequence<ByteString>>"
                            + ")'.");
    }

    if (Array.isArray(init)) {
        for (i = 0; i < init.length; i++) {
            pair = init[i];

            if (pair === null || typeof pair !== 'object'
                || pair.length !== 2)
            {
                throw new TypeError("Failed to construct 'Headers': "
                                    + 'Invalid value: every header init '
                                    + 'pair must be [name, value]');
            }

            this.append(pair[0], pair[1]);
        }

        return;
    }

    /* a native Headers (njs >= 0.7.10: ngx.fetch responses) */

    if (isForeign(init)) {
        pairs = foreignLines(init);

        for (i = 0; i < pairs.length; i++) {
            this.append(pairs[i][0], pairs[i][1]);
        }

        return;
    }

    if (typeof init.get === 'function' && typeof init.has === 'function') {
        /* headers of ngx.fetch's reply before njs 0.7.10: no forEach */
        throw new TypeError("Failed to construct 'Headers': these headers "
                            + 'cannot be listed (ngx.fetch before njs '
                            + '0.7.10): copy the names you need with get()');
    }

    keys = Object.keys(init);

    for (i = 0; i < keys.length; i++) {
        this.append(keys[i], init[keys[i]]);
    }
}


function makeIterator(items) {
    var i = 0;
    var it = {
        next: function () {
            if (i < items.length) {
                return { value: items[i++], done: false };
            }

            return { value: undefined, done: true };
        }
    };

    if (typeof Symbol === 'function' && Symbol.iterator) {
        it[Symbol.iterator] = function () { return it; };
    }

    return it;
}


/*
 * Native Headers.  njs >= 0.7.10 (both engines) has its own Headers,
 * Request and Response in nginx (not in the njs CLI); ngx.fetch() always
 * returns them.  They are not WHATWG's: forEach() passes (name, value),
 * values of a repeated name come joined (set-cookie too: getAll() has
 * them one by one), there is no getSetCookie(), keys() or entries(), and
 * reading a Symbol-keyed property of one throws on the njs engine.  The
 * runtime's own Headers is the global one (see web.js); a native object
 * is accepted wherever a Headers is, read through foreignLines().
 *
 * NATIVE is the engine's class, captured before web.js replaces the
 * global (or kept by it as Headers.native when the global is already
 * ours: njs re-runs this file in every VM clone).
 */

var NATIVE = (function () {
    var g = globalThis;

    /* ours from an earlier evaluation, none native (web.js) */
    if (g.__mw_globals === true) {
        return undefined;
    }

    g = g.Headers;

    if (typeof g === 'function' && g.mw === true) {
        g = g.native;
    }

    return (typeof g === 'function') ? g : undefined;
})();

var nameFirst = null;     /* forEach order of NATIVE, probed on first use */


function isOurs(h) {
    return h !== null && typeof h === 'object'
           && typeof h._lines === 'function'
           && (Array.isArray(h._list) || (h._list === null && !!h._src));
}


function isForeign(h) {
    return h !== null && typeof h === 'object' && !(h instanceof Headers)
           && !isOurs(h) && typeof h.forEach === 'function'
           && typeof h.get === 'function' && typeof h.has === 'function';
}


function isHeaders(h) {
    return h instanceof Headers || isOurs(h) || isForeign(h);
}


/*
 * Whether a native forEach() passes (name, value): probed once per VM
 * with one native object (about a Headers construction and one call);
 * without a native class (njs CLI) WHATWG's (value, name) is assumed.
 */

function foreignNameFirst() {
    var probe, first;

    if (nameFirst !== null) {
        return nameFirst;
    }

    nameFirst = false;

    if (typeof NATIVE === 'function') {
        try {
            probe = new NATIVE([['x-mw-probe', 'v']]);
            probe.forEach(function (a) {
                if (first === undefined) {
                    first = a;
                }
            });

            nameFirst = (String(first).toLowerCase() === 'x-mw-probe');

        } catch (e) {
            nameFirst = false;
        }
    }

    return nameFirst;
}


/*
 * [[name, value]] of a foreign Headers: one pair per forEach() entry,
 * set-cookie split into its values with getSetCookie() or getAll() when
 * the object has one (a joined set-cookie would be a wrong cookie)
 */

function foreignLines(h) {
    var out = [], nf = foreignNameFirst(), cookies;

    h.forEach(function (a, b) {
        var name = String(nf ? a : b), value = nf ? b : a, i;

        if (name.toLowerCase() === 'set-cookie') {
            cookies = null;

            if (typeof h.getSetCookie === 'function') {
                cookies = h.getSetCookie();

            } else if (typeof h.getAll === 'function') {
                cookies = h.getAll(name);
            }

            if (cookies && cookies.length) {
                for (i = 0; i < cookies.length; i++) {
                    out.push([name, String(cookies[i])]);
                }

                return;
            }
        }

        out.push([name, String(value)]);
    });

    return out;
}


/* tests: pretend the engine's native class is c (undefined: none) */

function setNative(c) {
    NATIVE = c;
    nameFirst = null;
}


/*
 * internal: the Headers of entries {name, lname, value} already checked,
 * taken as they are, with src (the request's own lines: { lines, list },
 * see headersFrom()) or undefined: one literal, as new Headers() and the
 * entries would make it (half the cost of the constructor's assignments
 * on njs 0.7.9)
 */

function headersOf(list, src) {
    protoHeaders();

    return { __proto__: Headers.prototype, _list: list, _guard: null,
             _src: src };
}


/*
 * internal: the Headers of a request's lines as the C module gives them
 * ($middleware_headers: ",name,name,\n" of their lower-case names, then
 * "Name\nname\nvalue\n" each), made into entries only when something
 * needs them.  Until then _list is null, _src.names holds the names and
 * _src.lines the lines from the LF before them: has(), get(), delete(),
 * set() and append() of a name the client did not send, what a
 * middleware mostly does, need no entries (a token has no ',': the
 * names tell exactly, without reading the values).  _tail holds the
 * lines set or appended meanwhile, of names not in _src.  Once made, the
 * entries are in _src.list, shared by the request's headers and every
 * copy (the decision tells the client's own lines by identity,
 * protocol.js).  has() of a name the lines have needs none either, nor
 * does get() with r, the request, whose $middleware_header_<name> has
 * that name's values joined.
 */

function headersFrom(s, r) {
    var at = s.indexOf('\n');

    protoHeaders();

    return { __proto__: Headers.prototype, _list: null, _guard: null,
             _src: { names: (at !== -1) ? s.slice(0, at) : '',
                     lines: (at !== -1) ? s.slice(at) : '\n', list: null,
                     r: r },
             _tail: [] };
}


/* whether lname is a name of src's lines */

function inLines(src, lname) {
    return src.names.indexOf(',' + lname + ',') !== -1;
}


/* the entries of h, made from its lines on first use */

function own(h) {
    var src = h._src, parts, list, i, n;

    if (src.list === null) {
        parts = src.lines.split('\n');
        list = [];

        for (i = 1, n = parts.length - 2; i < n; i += 3) {
            list.push({ name: parts[i], lname: parts[i + 1],
                        value: parts[i + 2] });
        }

        src.list = list;
    }

    h._list = (h._tail.length === 0) ? src.list.slice()
                                     : src.list.concat(h._tail);
    h._tail = null;

    return h._list;
}


/* internal: the entries of h (protocol.js) */

function entriesOf(h) {
    return h._list || own(h);
}


/* internal: a copy of h, as new Headers(h) (response.js) */

function copyOf(h) {
    if (h._list === null) {
        protoHeaders();

        return { __proto__: Headers.prototype, _list: null, _guard: null,
                 _src: h._src,
                 _tail: (h._tail.length === 0) ? [] : h._tail.slice() };
    }

    return headersOf(h._list.slice(), h._src);
}


/*
 * the entries of all (a list or a tail) with lname's set to value, as
 * set() does: its first line keeps its place, the others go; a new line
 * at the end (name as given) if there was none
 */

function setIn(all, name, lname, value) {
    var i, found, list, len;

    list = [];
    found = false;

    for (i = 0, len = all.length; i < len; i++) {
        if (all[i].lname !== lname) {
            list.push(all[i]);

        } else if (!found) {
            found = true;
            list.push({ name: all[i].name, lname: lname, value: value });
        }
    }

    if (!found) {
        list.push({ name: name, lname: lname, value: value });
    }

    return list;
}


/* the entries of all without lname's */

function deleteIn(all, lname) {
    var i, list, len;

    list = [];

    for (i = 0, len = all.length; i < len; i++) {
        if (all[i].lname !== lname) {
            list.push(all[i]);
        }
    }

    return list;
}


/* whether all has a line of lname */

function hasIn(all, lname) {
    var i, len;

    for (i = 0, len = all.length; i < len; i++) {
        if (all[i].lname === lname) {
            return true;
        }
    }

    return false;
}


/*
 * Internal work of a Headers, as functions of this module rather than
 * methods: on njs 0.7.9 every method is made again for every request.
 */

/* before every change: the guard of a request's own headers, if any */

function changing(h) {
    if (h._guard) {
        h._guard();
    }
}


/* the spec's "sort and combine" of h's lines: [[lname, value]] */

function sortCombine(h) {
    var i, e, names, combined, out, all, len;

    names = [];
    combined = {};

    for (i = 0, all = h._list || own(h), len = all.length; i < len; i++) {
        e = all[i];

        if (e.lname === 'set-cookie') {
            if (!combined.hasOwnProperty('set-cookie')) {
                combined['set-cookie'] = null;
                names.push('set-cookie');
            }

            continue;
        }

        if (combined.hasOwnProperty(e.lname)) {
            combined[e.lname] += ', ' + e.value;

        } else {
            combined[e.lname] = e.value;
            names.push(e.lname);
        }
    }

    names.sort();
    out = [];

    for (i = 0; i < names.length; i++) {
        if (names[i] === 'set-cookie') {
            h.getSetCookie().forEach(function (v) {
                out.push(['set-cookie', v]);
            });

        } else {
            out.push([names[i], combined[names[i]]]);
        }
    }

    return out;
}


/*
 * Headers's prototype, made when the first Headers is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var headersReady = false;


function protoHeaders() {
    if (headersReady) {
        return;
    }

    headersReady = true;

    /* the members under the prototype, as URL's (protoURL() in url.js) */
    Object.setPrototypeOf(Headers.prototype, {
        append: function (name, value) {
            var e;

            if (typeof name !== 'string' || typeof value !== 'string'
                || !PLAIN_PAIR.test(name + '\n' + value))
            {
                name = checkName('append', name);
                value = checkValue('append', name, value);
            }

            changing(this);
            e = { name: name, lname: name.toLowerCase(), value: value };

            if (this._list === null && !inLines(this._src, e.lname)) {
                this._tail.push(e);
                return;
            }

            (this._list || own(this)).push(e);
        },

        set: function (name, value) {
            if (typeof name !== 'string' || typeof value !== 'string'
                || !PLAIN_PAIR.test(name + '\n' + value))
            {
                name = checkName('set', name);
                value = checkValue('set', name, value);
            }

            this._set(name, name.toLowerCase(), value);
        },

        /*
         * internal: set() of a name and value known to be valid (the
         * runtime's own), lname its lower case: without the checks, which
         * cost two regexp tests
         */
        _set: function (name, lname, value) {
            changing(this);

            if (this._list === null && !inLines(this._src, lname)) {
                this._tail = setIn(this._tail, name, lname, value);
                return;
            }

            this._list = setIn(this._list || own(this), name, lname, value);
        },

        /*
         * internal: set() of many names at once, as consecutive set() calls
         * would (a name keeps the place of its first line, the last value
         * given wins), in one pass over the list instead of one per name
         */
        _setMany: function (pairs) {
            var i, e, k, at, done, list, all, len;

            at = {};

            for (i = 0; i < pairs.length; i++) {
                e = pairs[i];

                if (typeof e[0] !== 'string' || typeof e[1] !== 'string'
                    || !PLAIN_PAIR.test(e[0] + '\n' + e[1]))
                {
                    e[0] = checkName('set', e[0]);
                    e[1] = checkValue('set', e[0], e[1]);
                }

                at[' ' + e[0].toLowerCase()] = i;
            }

            changing(this);

            done = {};
            list = [];

            for (i = 0, all = this._list || own(this), len = all.length;
                 i < len; i++)
            {
                e = all[i];
                k = ' ' + e.lname;

                if (!at.hasOwnProperty(k)) {
                    list.push(e);

                } else if (!done.hasOwnProperty(k)) {
                    done[k] = true;
                    list.push({ name: e.name, lname: e.lname,
                                value: pairs[at[k]][1] });
                }
            }

            for (i = 0; i < pairs.length; i++) {
                k = ' ' + pairs[i][0].toLowerCase();

                if (!done.hasOwnProperty(k)) {
                    done[k] = true;
                    list.push({ name: pairs[i][0], lname: k.slice(1),
                                value: pairs[at[k]][1] });
                }
            }

            this._list = list;
        },

        'delete': function (name) {
            var lname;

            name = checkName('delete', name);
            lname = name.toLowerCase();

            if (this._list === null && !inLines(this._src, lname)) {
                if (hasIn(this._tail, lname)) {
                    changing(this);
                    this._tail = deleteIn(this._tail, lname);
                }

                return;
            }

            /* without entries yet the lines have the name: made now */

            if (!this._has(lname)) {
                return;
            }

            changing(this);
            this._list = deleteIn(this._list || own(this), lname);
        },

        get: function (name) {
            var i, lname, values, all, len;

            name = checkName('get', name);
            lname = name.toLowerCase();
            values = [];
            all = this._list;

            if (all === null) {
                if (!inLines(this._src, lname)) {
                    all = this._tail;

                } else {
                    /*
                     * the client's lines, unchanged: the C module joins
                     * the name's values as get() does, without entries
                     * (undefined without the request: a test's lines)
                     */
                    values = util.variable(this._src.r,
                                           'middleware_header_' + lname);

                    if (values !== undefined) {
                        return values;
                    }

                    values = [];
                    all = own(this);
                }
            }

            for (i = 0, len = all.length; i < len; i++) {
                if (all[i].lname === lname) {
                    values.push(all[i].value);
                }
            }

            return values.length ? values.join(', ') : null;
        },

        has: function (name) {
            name = checkName('has', name);

            return this._has(name.toLowerCase());
        },

        /* internal: has() of a lower-case name known to be valid */
        _has: function (lname) {
            var all = this._list;

            /* lines unchanged: the names tell, without entries */

            if (all === null) {
                if (inLines(this._src, lname)) {
                    return true;
                }

                all = this._tail;
            }

            return hasIn(all, lname);
        },

        getSetCookie: function () {
            var i, out = [], all, len;

            for (i = 0, all = this._list || own(this), len = all.length;
                 i < len; i++)
            {
                if (all[i].lname === 'set-cookie') {
                    out.push(all[i].value);
                }
            }

            return out;
        },

        forEach: function (callback, thisArg) {
            var i, entries;

            if (typeof callback !== 'function') {
                throw new TypeError("Headers.forEach: argument 1 is not a function");
            }

            entries = sortCombine(this);

            for (i = 0; i < entries.length; i++) {
                callback.call(thisArg, entries[i][1], entries[i][0], this);
            }
        },

        entries: function () {
            return makeIterator(sortCombine(this));
        },

        keys: function () {
            return makeIterator(sortCombine(this).map(function (e) { return e[0]; }));
        },

        values: function () {
            return makeIterator(sortCombine(this).map(function (e) { return e[1]; }));
        },

        /* internal: [[name, value]] in append order, original case */
        _lines: function () {
            return (this._list || own(this)).map(function (e) {
                return [e.name, e.value];
            });
        },

        /* internal: distinct lower-case names in first-appearance order */
        _names: function () {
            var i, seen = {}, out = [], all, len;

            for (i = 0, all = this._list || own(this), len = all.length;
                 i < len; i++)
            {
                if (!seen.hasOwnProperty(all[i].lname)) {
                    seen[all[i].lname] = true;
                    out.push(all[i].lname);
                }
            }

            return out;
        },

        toString: function () {
            return '[object Headers]';
        },

        toJSON: function () {
            var out = {};

            sortCombine(this).forEach(function (e) {
                out[e[0]] = out.hasOwnProperty(e[0]) ? out[e[0]] + ', ' + e[1]
                                                      : e[1];
            });

            return out;
        }
    });

    if (typeof Symbol === 'function' && Symbol.iterator) {
        Headers.prototype[Symbol.iterator] = Headers.prototype.entries;
    }
}


export default {
    Headers: Headers,
    headersOf: headersOf,
    headersFrom: headersFrom,
    entriesOf: entriesOf,
    copyOf: copyOf,
    NATIVE: NATIVE,
    isHeaders: isHeaders,
    foreignLines: foreignLines,
    _setNative: setNative,
    TOKEN: TOKEN
};
