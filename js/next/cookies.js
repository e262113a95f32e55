/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * RequestCookies and ResponseCookies as in @edge-runtime/cookies 6.x,
 * which Next.js bundles (next/dist/compiled/@edge-runtime/cookies):
 * same parsing, same serialization and attribute order, same quirks
 * (a piece without "=" is the cookie "true"; duplicate names: the last
 * wins; a malformed %-escape drops that pair; sameSite written verbatim).
 *
 * Both keep an ordered list of names instead of a Map (njs 0.7.9 has no
 * Map): re-setting a name keeps its position, new names are appended.
 */


/* --- a tiny ordered map ------------------------------------------------- */

/*
 * a plain object {keys, map} (map keys "$" + name), worked on by the
 * bag*() functions: on njs 0.7.9 methods of a prototype are made again
 * for every request, a function declaration costs a fifth of that
 */

function newBag() {
    return { keys: [], map: {} };
}


function bagHas(bag, k) {
    return Object.prototype.hasOwnProperty.call(bag.map, '$' + k);
}


function bagGet(bag, k) {
    return bagHas(bag, k) ? bag.map['$' + k] : undefined;
}


function bagSet(bag, k, v) {
    if (!bagHas(bag, k)) {
        bag.keys.push(k);
    }

    bag.map['$' + k] = v;
}


function bagDelete(bag, k) {
    var i;

    if (!bagHas(bag, k)) {
        return false;
    }

    delete bag.map['$' + k];
    i = bag.keys.indexOf(k);
    bag.keys.splice(i, 1);

    return true;
}


function bagValues(bag) {
    return bag.keys.map(function (k) { return bag.map['$' + k]; });
}


/* --- parse / serialize -------------------------------------------------- */

/* "Cookie" header value -> bag of name -> value, as parseCookie() */

function parseCookie(header) {
    var bag = newBag();

    parseInto(header, bag, false);

    return bag;
}


/*
 * the pairs of a Cookie header value into bag: name -> value, or (entries)
 * name -> { name, value }.  The pieces between "; *" separators, as
 * split(/; {0,}/) would give them, without a regular expression (costly
 * in njs); values decoded only where they have a "%" (decodeURIComponent()
 * of a 100-byte token costs three times the search); the bag filled
 * directly (a name's first place kept, its last value wins, as bagSet()).
 */

function parseInto(header, bag, entries) {
    var i, pair, at, pairs, value, name, key, map;

    pairs = String(header).split(';');
    map = bag.map;

    for (i = 0; i < pairs.length; i++) {
        pair = pairs[i];

        if (i > 0 && pair.charCodeAt(0) === 32) {
            for (at = 1; pair.charCodeAt(at) === 32; at++) { /* void */ }
            pair = pair.slice(at);
        }

        if (!pair) {
            continue;
        }

        at = pair.indexOf('=');

        if (at === -1) {
            name = pair;
            value = 'true';

        } else {
            name = pair.slice(0, at);
            value = pair.slice(at + 1);

            if (value.indexOf('%') !== -1) {
                try {
                    value = decodeURIComponent(value);

                } catch (e) {
                    continue;            /* ignore invalid encoded values */
                }
            }
        }

        key = '$' + name;

        /* values are never undefined: as bagHas() */

        if (map[key] === undefined) {
            bag.keys.push(name);
        }

        map[key] = entries ? { name: name, value: value } : value;
    }
}


function toDate(v) {
    return (typeof v === 'number') ? new Date(v) : v;
}


/* a cookie object -> "name=value; Path=...", as stringifyCookie() */

function stringifyCookie(c) {
    var attrs, value, s;

    attrs = [];

    if (c.path) {
        attrs.push('Path=' + c.path);
    }

    if (c.expires || c.expires === 0) {
        attrs.push('Expires=' + toDate(c.expires).toUTCString());
    }

    if (typeof c.maxAge === 'number') {
        attrs.push('Max-Age=' + c.maxAge);
    }

    if (c.domain) {
        attrs.push('Domain=' + c.domain);
    }

    if (c.secure) {
        attrs.push('Secure');
    }

    if (c.httpOnly) {
        attrs.push('HttpOnly');
    }

    if (c.sameSite) {
        attrs.push('SameSite=' + c.sameSite);
    }

    if (c.partitioned) {
        attrs.push('Partitioned');
    }

    if (c.priority) {
        attrs.push('Priority=' + c.priority);
    }

    value = (c.value === undefined || c.value === null) ? '' : c.value;
    s = c.name + '=' + encodeURIComponent(value);

    return attrs.length ? s + '; ' + attrs.join('; ') : s;
}


/* sets as functions, not arrays: see util.js (top-level costs) */

function isSameSite(k) {
    return k === 'strict' || k === 'lax' || k === 'none';
}


function isPriority(k) {
    return k === 'low' || k === 'medium' || k === 'high';
}


/* a "Set-Cookie" value -> cookie object, as parseSetCookie() */

function parseSetCookie(setCookie) {
    var bag, name, value, attrs, i, k, c, out, key;

    if (!setCookie) {
        return undefined;
    }

    bag = parseCookie(setCookie);

    if (!bag.keys.length) {
        return undefined;
    }

    name = bag.keys[0];
    value = bagGet(bag, name);
    attrs = {};

    for (i = 1; i < bag.keys.length; i++) {
        attrs[bag.keys[i].toLowerCase()] = bagGet(bag, bag.keys[i]);
    }

    c = { name: name };

    try {
        c.value = decodeURIComponent(value);

    } catch (e) {
        c.value = value;
    }

    c.domain = attrs.domain;

    if (attrs.expires) {
        c.expires = new Date(attrs.expires);
    }

    if (attrs.httponly) {
        c.httpOnly = true;
    }

    if (typeof attrs['max-age'] === 'string') {
        c.maxAge = Number(attrs['max-age']);
    }

    c.path = attrs.path;

    if (attrs.samesite) {
        k = attrs.samesite.toLowerCase();
        c.sameSite = isSameSite(k) ? k : undefined;
    }

    if (attrs.secure) {
        c.secure = true;
    }

    if (attrs.priority) {
        k = attrs.priority.toLowerCase();
        c.priority = isPriority(k) ? k : undefined;
    }

    if (attrs.partitioned) {
        c.partitioned = true;
    }

    /* compact(): drop falsy members */

    out = {};

    for (key in c) {
        if (c.hasOwnProperty(key) && c[key]) {
            out[key] = c[key];
        }
    }

    if (out.name === undefined) {
        out.name = name;
    }

    if (out.value === undefined) {
        out.value = '';
    }

    return out;
}


/* --- RequestCookies ----------------------------------------------------- */

function RequestCookies(requestHeaders) {
    if (!requestCookiesReady && this instanceof RequestCookies) {
        protoRequestCookies();
        return new RequestCookies(requestHeaders);
    }

    initRequestCookies(this, requestHeaders, requestHeaders.get('cookie'));
}


function initRequestCookies(self, requestHeaders, header) {
    self._headers = requestHeaders;
    self._parsed = newBag();

    if (header) {
        parseInto(header, self._parsed, true);
    }
}


/*
 * internal: RequestCookies of requestHeaders as they were when their
 * Cookie header value was "header" (null: none), as new RequestCookies()
 * would have made them then
 */

function requestCookies(requestHeaders, header) {
    var bag;

    protoRequestCookies();

    /* literals: half the cost of assignments on njs 0.7.9 */

    bag = newBag();

    if (header) {
        parseInto(header, bag, true);
    }

    return { __proto__: RequestCookies.prototype, _headers: requestHeaders,
             _parsed: bag };
}


function nameOf(arg) {
    return (typeof arg === 'string') ? arg : (arg ? arg.name : undefined);
}


/* --- ResponseCookies ---------------------------------------------------- */

/* fresh (internal): start empty, as made before any set-cookie line */

function ResponseCookies(responseHeaders, fresh) {
    if (!responseCookiesReady && this instanceof ResponseCookies) {
        protoResponseCookies();
        return new ResponseCookies(responseHeaders, fresh);
    }

    var i, list, parsed;

    this._headers = responseHeaders;
    this._parsed = newBag();

    list = (fresh === true) ? [] : responseHeaders.getSetCookie();

    for (i = 0; i < list.length; i++) {
        parsed = parseSetCookie(list[i]);

        if (parsed) {
            bagSet(this._parsed, parsed.name, parsed);
        }
    }
}


function normalizeCookie(cookie) {
    if (typeof cookie.expires === 'number') {
        cookie.expires = new Date(cookie.expires);
    }

    if (cookie.maxAge) {
        cookie.expires = new Date(Date.now() + cookie.maxAge * 1000);
    }

    if (cookie.path === null || cookie.path === undefined) {
        cookie.path = '/';
    }

    return cookie;
}


/* get/getAll/has, the same for request and response cookies */

function cookiesGet(arg) {
    return bagGet(this._parsed, nameOf(arg));
}


function cookiesGetAll(arg) {
    var all = bagValues(this._parsed), name;

    if (arguments.length === 0) {
        return all;
    }

    name = nameOf(arg);

    return all.filter(function (c) { return c.name === name; });
}


function cookiesHas(name) {
    return bagHas(this._parsed, name);
}


/*
 * RequestCookies's prototype, made when the first RequestCookies is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var requestCookiesReady = false;

function protoRequestCookies() {
    if (requestCookiesReady) {
        return;
    }

    requestCookiesReady = true;

    /* the members under the prototype, as URL's (protoURL() in url.js) */
    Object.setPrototypeOf(RequestCookies.prototype, {
        get size() { return this._parsed.keys.length; },

        get: cookiesGet,
        getAll: cookiesGetAll,
        has: cookiesHas,

        _write: function () {
            var values = bagValues(this._parsed);

            this._headers.set('cookie', values.map(function (c) {
                return stringifyCookie(c);
            }).join('; '));
        },

        set: function (a, b) {
            var name, value;

            if (arguments.length === 1) {
                name = a.name;
                value = a.value;

            } else {
                name = a;
                value = b;
            }

            bagSet(this._parsed, name, { name: name, value: value });
            this._write();

            return this;
        },

        'delete': function (names) {
            var self = this, result;

            if (Array.isArray(names)) {
                result = names.map(function (n) { return bagDelete(self._parsed, n); });

            } else {
                result = bagDelete(this._parsed, names);
            }

            this._write();

            return result;
        },

        clear: function () {
            this['delete'](this._parsed.keys.slice());
            return this;
        },

        toString: function () {
            return bagValues(this._parsed).map(function (c) {
                return c.name + '=' + encodeURIComponent(c.value);
            }).join('; ');
        },

        forEach: function (callback, thisArg) {
            var self = this;

            bagValues(this._parsed).forEach(function (c) {
                callback.call(thisArg, c, c.name, self);
            });
        }
    });

    if (typeof Symbol === 'function' && Symbol.iterator) {
        RequestCookies.prototype[Symbol.iterator] = function () {
            var items = bagValues(this._parsed).map(function (c) {
                return [c.name, c];
            });
            var i = 0;

            return {
                next: function () {
                    return (i < items.length) ? { value: items[i++], done: false }
                                              : { value: undefined, done: true };
                }
            };
        };
    }
}


/*
 * ResponseCookies's prototype, made when the first ResponseCookies is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var responseCookiesReady = false;


function protoResponseCookies() {
    if (responseCookiesReady) {
        return;
    }

    responseCookiesReady = true;

    /* as RequestCookies's, the members under the prototype */
    Object.setPrototypeOf(ResponseCookies.prototype, {
        get: cookiesGet,
        getAll: cookiesGetAll,
        has: cookiesHas,

        _replace: function () {
            var self = this;

            this._headers['delete']('set-cookie');

            bagValues(this._parsed).forEach(function (c) {
                self._headers.append('set-cookie', stringifyCookie(c));
            });
        },

        set: function (a, b, options) {
            var name, value, src, cookie, k;

            if (arguments.length === 1) {
                name = a.name;
                value = a.value;
                src = a;

            } else {
                name = a;
                value = b;
                src = options;
            }

            cookie = { name: name, value: value };

            if (src) {
                for (k in src) {
                    if (Object.prototype.hasOwnProperty.call(src, k)) {
                        cookie[k] = src[k];
                    }
                }
            }

            cookie.name = name;
            cookie.value = value;

            bagSet(this._parsed, name, normalizeCookie(cookie));
            this._replace();

            return this;
        },

        'delete': function (arg) {
            var c = (typeof arg === 'string')
                    ? { name: arg }
                    : { name: arg.name, path: arg.path, domain: arg.domain };

            return this.set({ name: c.name, path: c.path, domain: c.domain,
                              value: '', expires: new Date(0) });
        },

        toString: function () {
            return bagValues(this._parsed).map(stringifyCookie).join('; ');
        }
    });
}


export default {
    RequestCookies: RequestCookies,
    requestCookies: requestCookies,
    ResponseCookies: ResponseCookies
};
