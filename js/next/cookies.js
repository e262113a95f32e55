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

function Bag() {
    if (!bagReady && this instanceof Bag) {
        protoBag();
        return new Bag();
    }

    this.keys = [];
    this.map = {};
}


/* --- parse / serialize -------------------------------------------------- */

/* "Cookie" header value -> Bag of name -> value, as parseCookie() */

function parseCookie(header) {
    var bag = new Bag();

    parseInto(header, bag, false);

    return bag;
}


/*
 * the pairs of a Cookie header value into bag: name -> value, or (entries)
 * name -> { name, value }.  The pieces between "; *" separators, as
 * split(/; {0,}/) would give them, without a regular expression (costly
 * in njs); values decoded only where they have a "%" (decodeURIComponent()
 * of a 100-byte token costs three times the search); the bag filled
 * directly (a name's first place kept, its last value wins, as Bag.set()).
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

        /* values are never undefined: as Bag.has() */

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


var SAME_SITE = ['strict', 'lax', 'none'];
var PRIORITY = ['low', 'medium', 'high'];


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
    value = bag.get(name);
    attrs = {};

    for (i = 1; i < bag.keys.length; i++) {
        attrs[bag.keys[i].toLowerCase()] = bag.get(bag.keys[i]);
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
        c.sameSite = SAME_SITE.indexOf(k) !== -1 ? k : undefined;
    }

    if (attrs.secure) {
        c.secure = true;
    }

    if (attrs.priority) {
        k = attrs.priority.toLowerCase();
        c.priority = PRIORITY.indexOf(k) !== -1 ? k : undefined;
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
    self._parsed = new Bag();

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
    var c;

    protoRequestCookies();
    c = Object.create(RequestCookies.prototype);

    initRequestCookies(c, requestHeaders, header);

    return c;
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
    this._parsed = new Bag();

    list = (fresh === true) ? [] : responseHeaders.getSetCookie();

    for (i = 0; i < list.length; i++) {
        parsed = parseSetCookie(list[i]);

        if (parsed) {
            this._parsed.set(parsed.name, parsed);
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


/*
 * Bag's prototype, made when the first Bag is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var bagReady = false;


function protoBag() {
    var p;

    if (bagReady) {
        return;
    }

    bagReady = true;

    p = Bag.prototype;

    p.has = function (k) {
        return Object.prototype.hasOwnProperty.call(this.map, '$' + k);
    };

    p.get = function (k) {
        return this.has(k) ? this.map['$' + k] : undefined;
    };

    p.set = function (k, v) {
        if (!this.has(k)) {
            this.keys.push(k);
        }

        this.map['$' + k] = v;
    };

    p['delete'] = function (k) {
        var i;

        if (!this.has(k)) {
            return false;
        }

        delete this.map['$' + k];
        i = this.keys.indexOf(k);
        this.keys.splice(i, 1);

        return true;
    };

    p.values = function () {
        var self = this;

        return this.keys.map(function (k) { return self.map['$' + k]; });
    };
}


/* get/getAll/has, the same for request and response cookies */

function cookiesGet(arg) {
    return this._parsed.get(nameOf(arg));
}


function cookiesGetAll(arg) {
    var all = this._parsed.values(), name;

    if (arguments.length === 0) {
        return all;
    }

    name = nameOf(arg);

    return all.filter(function (c) { return c.name === name; });
}


function cookiesHas(name) {
    return this._parsed.has(name);
}


/*
 * RequestCookies's prototype, made when the first RequestCookies is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var requestCookiesReady = false;

function protoRequestCookies() {
    var p;

    if (requestCookiesReady) {
        return;
    }

    requestCookiesReady = true;

    p = RequestCookies.prototype;

    /* see URLSearchParams's size in url.js */
    Object.setPrototypeOf(p, {
        get size() { return this._parsed.keys.length; }
    });

    p.get = cookiesGet;
    p.getAll = cookiesGetAll;
    p.has = cookiesHas;

    p._write = function () {
        this._headers.set('cookie', this._parsed.values().map(function (c) {
            return stringifyCookie(c);
        }).join('; '));
    };

    p.set = function (a, b) {
        var name, value;

        if (arguments.length === 1) {
            name = a.name;
            value = a.value;

        } else {
            name = a;
            value = b;
        }

        this._parsed.set(name, { name: name, value: value });
        this._write();

        return this;
    };

    p['delete'] = function (names) {
        var self = this, result;

        if (Array.isArray(names)) {
            result = names.map(function (n) { return self._parsed['delete'](n); });

        } else {
            result = this._parsed['delete'](names);
        }

        this._write();

        return result;
    };

    p.clear = function () {
        this['delete'](this._parsed.keys.slice());
        return this;
    };

    p.toString = function () {
        return this._parsed.values().map(function (c) {
            return c.name + '=' + encodeURIComponent(c.value);
        }).join('; ');
    };

    p.forEach = function (callback, thisArg) {
        var self = this;

        this._parsed.values().forEach(function (c) {
            callback.call(thisArg, c, c.name, self);
        });
    };

    if (typeof Symbol === 'function' && Symbol.iterator) {
        RequestCookies.prototype[Symbol.iterator] = function () {
            var items = this._parsed.values().map(function (c) {
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
    var p;

    if (responseCookiesReady) {
        return;
    }

    responseCookiesReady = true;

    p = ResponseCookies.prototype;

    p.get = cookiesGet;
    p.getAll = cookiesGetAll;
    p.has = cookiesHas;

    p._replace = function () {
        var self = this;

        this._headers['delete']('set-cookie');

        this._parsed.values().forEach(function (c) {
            self._headers.append('set-cookie', stringifyCookie(c));
        });
    };

    p.set = function (a, b, options) {
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

        this._parsed.set(name, normalizeCookie(cookie));
        this._replace();

        return this;
    };

    p['delete'] = function (arg) {
        var c = (typeof arg === 'string') ? { name: arg }
                                          : { name: arg.name, path: arg.path,
                                              domain: arg.domain };

        return this.set({ name: c.name, path: c.path, domain: c.domain,
                          value: '', expires: new Date(0) });
    };

    p.toString = function () {
        return this._parsed.values().map(stringifyCookie).join('; ');
    };
}


export default {
    RequestCookies: RequestCookies,
    requestCookies: requestCookies,
    ResponseCookies: ResponseCookies
};
