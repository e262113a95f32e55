/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Web globals Next.js middleware uses that njs lacks, installed by
 * server.js where the engine has none (or, for console, always under
 * nginx: the engine's own console does not reach the error log with the
 * request id):
 *
 *   console.log / info / debug   -> error_log at "info"
 *   console.warn                 -> "warn"
 *   console.error / trace        -> "error"
 *   crypto.randomUUID()          RFC 9562 version 4, crypto.getRandomValues
 *   structuredClone(value)       plain objects, arrays, Date, RegExp, Map,
 *                                Set, ArrayBuffer, typed arrays, boxed
 *                                primitives, Error; cycles kept; functions
 *                                and symbols: DataCloneError
 *   queueMicrotask(fn)           a promise job; a throw is logged
 *   atob, btoa                   WHATWG forgiving base64 (the njs engine
 *                                has them; QuickJS under nginx has not)
 *
 * Log lines: "console.log: <message>"; while a request runs they go
 * through that request (r.log / r.warn / r.error: the module adds its
 * request id), with the id in the text as well; outside a request
 * (module top level) through ngx.log.
 */

var current = function () { return null; };


/*
 * The module's body is made by load() when first needed, not by its top
 * level: njs re-runs the top level of every imported module for every
 * request (the requests of the http{}'s other njs handlers too), and
 * each function declared there costs ~230 instructions each time.  The
 * top level keeps the shells below, which hand each call to the body.
 * Only for a module that a request through the middleware seldom
 * loads (here: console, structuredClone, atob, ... are made on first use):
 * once loaded, each shell call adds a call and a lookup (~730
 * instructions on njs 0.7.9), so a module every request loads costs
 * more this way (bench/RESULTS.md, fifth round).
 */

var I = null;


function load() {
    I = makeGlobals();

    return I;
}


function format(args) {
    return (I || load()).format(args);
}


function makeConsole() {
    return (I || load()).makeConsole();
}


function randomUUID() {
    return (I || load()).randomUUID();
}


/* apply: the body tells structuredClone() from structuredClone(undefined) */

function structuredClone(v) {
    return (I || load()).structuredClone.apply(null, arguments);
}


function queueMicrotask(fn) {
    return (I || load()).queueMicrotask(fn);
}


function atob(input) {
    return (I || load()).atob(input);
}


function btoa(input) {
    return (I || load()).btoa(input);
}


/* g[name] = v, not enumerable, as the engine's globals */

function ownGlobal(g, name, v) {
    Object.defineProperty(g, name, { value: v, writable: true,
                                     enumerable: false, configurable: true });
}


/* g[name], made by make() when first read; assignable */

function lazyGlobal(g, name, make) {
    function define(v) {
        ownGlobal(g, name, v);
    }

    try {
        Object.defineProperty(g, name, {
            get: function () {
                var v = make();

                define(v);
                return v;
            },
            set: define,
            enumerable: false,
            configurable: true
        });

    } catch (e) {
        g[name] = make();        /* an engine's own, not configurable */
    }
}


/*
 * install(getContext): getContext() returns the running request's
 * context ({ r, requestId }) or null
 */

function install(getContext, layered) {
    var g = globalThis, lazy, c, k;

    current = getContext;

    /*
     * console is made on first use: making it costs ~40 k instructions,
     * and most requests never log.  Under nginx it is the runtime's even
     * where the engine has one (njs >= 0.8: that one does not reach the
     * error log with the request id); the njs CLI's has log() only.
     */
    lazy = (typeof ngx !== 'undefined' || typeof g.console !== 'object'
            || g.console === null);

    if (!lazy) {
        c = makeConsole();

        for (k in c) {
            if (typeof g.console[k] !== 'function') {
                g.console[k] = c[k];
            }
        }
    }

    /*
     * layered (web.js): the engine has no console under nginx and lacks
     * the others too, so they go in one object put between the global
     * object and its prototype, as web.js's: a fraction of what a
     * definition or an assignment per name to the global object costs
     * (~15 k instructions per request on njs 0.7.9, which re-runs this);
     * the engine's own atob and btoa keep precedence.  Otherwise only
     * what is missing is assigned.
     */
    if (layered && lazy) {
        Object.setPrototypeOf(g, {
            __proto__: Object.getPrototypeOf(g),

            get console() {
                var v = makeConsole();

                ownGlobal(g, 'console', v);
                return v;
            },

            set console(v) { ownGlobal(g, 'console', v); },

            structuredClone: structuredClone,
            queueMicrotask: queueMicrotask,
            atob: atob,
            btoa: btoa
        });

    } else if (layered) {
        Object.setPrototypeOf(g, {
            __proto__: Object.getPrototypeOf(g),
            structuredClone: structuredClone,
            queueMicrotask: queueMicrotask,
            atob: atob,
            btoa: btoa
        });

    } else {
        if (lazy) {
            lazyGlobal(g, 'console', makeConsole);
        }

        if (typeof g.structuredClone === 'undefined') {
            g.structuredClone = structuredClone;
        }

        if (typeof g.queueMicrotask === 'undefined') {
            g.queueMicrotask = queueMicrotask;
        }

        if (typeof g.atob === 'undefined') {
            g.atob = atob;
        }

        if (typeof g.btoa === 'undefined') {
            g.btoa = btoa;
        }
    }

    /* each read of a global costs ~0.3 k on njs 0.7.9: crypto once */
    c = g.crypto;

    if (typeof c === 'object' && c !== null
        && typeof c.randomUUID !== 'function'
        && typeof c.getRandomValues === 'function')
    {
        c.randomUUID = randomUUID;
    }
}


function makeGlobals() {
    /* --- console --------------------------------------------------------- */

    function inspect(v, depth, seen) {
        var out, k, keys, i;

        if (typeof v === 'string') {
            return JSON.stringify(v);
        }

        if (v === null || typeof v !== 'object') {
            if (typeof v === 'function') {
                return '[Function: ' + (v.name || '(anonymous)') + ']';
            }

            return String(v);
        }

        if (v instanceof Error) {
            /* QuickJS's stack has the frames only */
            return (typeof v.stack !== 'string' || v.stack === '') ? String(v)
                   : (v.stack.indexOf(String(v)) === 0) ? v.stack
                   : String(v) + '\n' + v.stack;
        }

        if (v instanceof Date) {
            return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
        }

        if (v instanceof RegExp) {
            return String(v);
        }

        if (seen.indexOf(v) >= 0) {
            return '[Circular]';
        }

        if (depth > 2) {
            return Array.isArray(v) ? '[Array]' : '[Object]';
        }

        seen.push(v);

        if (Array.isArray(v)) {
            out = [];

            for (i = 0; i < v.length; i++) {
                out.push(inspect(v[i], depth + 1, seen));
            }

            seen.pop();
            return '[ ' + out.join(', ') + ' ]';
        }

        keys = Object.keys(v);
        out = [];

        for (i = 0; i < keys.length; i++) {
            k = keys[i];
            out.push((/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k))
                     + ': ' + inspect(v[k], depth + 1, seen));
        }

        seen.pop();
        return out.length ? '{ ' + out.join(', ') + ' }' : '{}';
    }


    function show(v) {
        return (typeof v === 'string') ? v : inspect(v, 0, []);
    }


    /* util.format(): %s %d %i %f %j %o %O %c %% in a leading string */

    function format(args) {
        var first = args[0], rest = 1, out;

        if (typeof first !== 'string') {
            out = [];

            for (rest = 0; rest < args.length; rest++) {
                out.push(show(args[rest]));
            }

            return out.join(' ');
        }

        out = first.replace(/%([sdifjoOc%])/g, function (m, c) {
            var a;

            if (c === '%') {
                return '%';
            }

            if (rest >= args.length) {
                return m;
            }

            a = args[rest++];

            switch (c) {
            case 's':
                return (typeof a === 'object' && a !== null) ? inspect(a, 1, [])
                                                             : String(a);
            case 'd':
            case 'i':
                a = Number(a);
                return String(c === 'i' ? (a < 0 ? Math.ceil(a) : Math.floor(a))
                                        : a);
            case 'f':
                return String(parseFloat(a));
            case 'j':
                try {
                    return JSON.stringify(a);

                } catch (e) {
                    return '[Circular]';
                }
            case 'c':
                return '';
            default:
                return inspect(a, 0, []);
            }
        });

        for (; rest < args.length; rest++) {
            out += ' ' + show(args[rest]);
        }

        return out;
    }


    function logger(name, level) {
        return function () {
            var msg = name + ': '
                      + format(Array.prototype.slice.call(arguments)),
                ctx = current();

            if (msg.length > 4000) {
                msg = msg.slice(0, 4000) + '...';
            }

            try {
                if (ctx && ctx.r) {
                    msg += ' (request ' + ctx.requestId + ')';

                    if (level === 'error') {
                        ctx.r.error(msg);

                    } else if (level === 'warn') {
                        ctx.r.warn(msg);

                    } else {
                        ctx.r.log(msg);
                    }

                    return;
                }

                ngx.log(level === 'error' ? ngx.ERR
                        : level === 'warn' ? ngx.WARN : ngx.INFO, msg);

            } catch (ignore) {
                /* the request is finished: nothing to log through */
            }
        };
    }


    function makeConsole() {
        var c = {}, counts = {}, timers = {};

        c.log = logger('console.log', 'info');
        c.info = logger('console.info', 'info');
        c.debug = logger('console.debug', 'info');
        c.warn = logger('console.warn', 'warn');
        c.error = logger('console.error', 'error');

        c.trace = function () {
            var e = new Error(format(Array.prototype.slice.call(arguments)));
            c.error('Trace: ' + (e.stack || e.message));
        };

        c.dir = function (v) { c.log(inspect(v, 0, [])); };

        c.assert = function (cond) {
            if (!cond) {
                c.error('Assertion failed'
                        + (arguments.length > 1
                           ? ': ' + format(Array.prototype.slice.call(arguments,
                                                                      1))
                           : ''));
            }
        };

        c.count = function (label) {
            label = (label === undefined) ? 'default' : String(label);
            counts[label] = (counts[label] || 0) + 1;
            c.info(label + ': ' + counts[label]);
        };

        c.time = function (label) {
            timers[(label === undefined) ? 'default' : String(label)] =
                Date.now();
        };

        c.timeEnd = function (label) {
            label = (label === undefined) ? 'default' : String(label);

            if (timers[label] !== undefined) {
                c.info(label + ': ' + (Date.now() - timers[label]) + 'ms');
                delete timers[label];
            }
        };

        c.table = c.log;
        c.group = function () {};
        c.groupEnd = function () {};

        return c;
    }


    /* --- crypto.randomUUID ------------------------------------------------ */

    function randomUUID() {
        var b = new Uint8Array(16), hex = '', i, h;

        crypto.getRandomValues(b);

        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;

        for (i = 0; i < 16; i++) {
            h = b[i].toString(16);
            hex += (h.length < 2 ? '0' : '') + h;

            if (i === 3 || i === 5 || i === 7 || i === 9) {
                hex += '-';
            }
        }

        return hex;
    }


    /* --- structuredClone -------------------------------------------------- */

    function cloneError(what) {
        var e = new Error(what + ' could not be cloned.');

        e.name = 'DataCloneError';
        return e;
    }


    function clone(v, memo) {
        var i, out, keys, tag, C;

        if (typeof v === 'function') {
            throw cloneError(String(v).slice(0, 40));
        }

        if (typeof v === 'symbol') {
            throw cloneError('Symbol()');
        }

        if (v === null || typeof v !== 'object') {
            return v;
        }

        for (i = 0; i < memo.length; i += 2) {
            if (memo[i] === v) {
                return memo[i + 1];
            }
        }

        tag = Object.prototype.toString.call(v);

        if (tag === '[object Date]') {
            out = new Date(v.getTime());

        } else if (tag === '[object RegExp]') {
            out = new RegExp(v.source, v.flags);

        } else if (tag === '[object ArrayBuffer]') {
            out = v.slice(0);

        } else if (ArrayBuffer.isView(v)) {
            C = v.constructor;
            out = (tag === '[object DataView]')
                  ? new DataView(v.buffer.slice(0), v.byteOffset, v.byteLength)
                  : new C(v);

        } else if (tag === '[object String]' || tag === '[object Number]'
                   || tag === '[object Boolean]')
        {
            out = Object(v.valueOf());

        } else if (v instanceof Error) {
            out = new Error(v.message);
            out.name = v.name;

            if (typeof v.stack === 'string') {
                try {
                    out.stack = v.stack;

                } catch (ignore) {
                }
            }

        } else if (typeof Map === 'function' && v instanceof Map) {
            out = new Map();
            memo.push(v, out);
            v.forEach(function (val, key) {
                out.set(clone(key, memo), clone(val, memo));
            });
            return out;

        } else if (typeof Set === 'function' && v instanceof Set) {
            out = new Set();
            memo.push(v, out);
            v.forEach(function (val) { out.add(clone(val, memo)); });
            return out;

        } else if (Array.isArray(v)) {
            out = [];
            memo.push(v, out);

            for (i = 0; i < v.length; i++) {
                out[i] = clone(v[i], memo);
            }

            return out;

        } else if (tag === '[object Object]') {
            out = {};
            memo.push(v, out);
            keys = Object.keys(v);

            for (i = 0; i < keys.length; i++) {
                out[keys[i]] = clone(v[keys[i]], memo);
            }

            return out;

        } else {
            throw cloneError(tag);
        }

        memo.push(v, out);
        return out;
    }


    function structuredClone(v) {
        if (arguments.length === 0) {
            throw new TypeError("Failed to execute 'structuredClone': "
                                + '1 argument '
                                + 'required, but only 0 present.');
        }

        return clone(v, []);
    }


    /* --- queueMicrotask --------------------------------------------------- */

    function queueMicrotask(fn) {
        if (typeof fn !== 'function') {
            throw new TypeError('The "callback" argument must be of type '
                                + 'function. Received ' + typeof fn);
        }

        Promise.resolve().then(fn).then(null, function (e) {
            globalThis.console.error('uncaught exception in queueMicrotask: '
                                     + (e && e.stack ? e.stack : String(e)));
        });
    }


    /* --- atob / btoa ------------------------------------------------------ */

    var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
              + '0123456789+/';


    function invalidCharacter(msg) {
        var e = new Error(msg);

        e.name = 'InvalidCharacterError';
        return e;
    }


    function btoa(input) {
        var s = String(input), out = '', i, a, b, c;

        for (i = 0; i < s.length; i++) {
            if (s.charCodeAt(i) > 0xff) {
                throw invalidCharacter('Invalid character');
            }
        }

        for (i = 0; i < s.length; i += 3) {
            a = s.charCodeAt(i);
            b = (i + 1 < s.length) ? s.charCodeAt(i + 1) : -1;
            c = (i + 2 < s.length) ? s.charCodeAt(i + 2) : -1;

            out += B64.charAt(a >> 2)
                   + B64.charAt(((a & 3) << 4) | (b < 0 ? 0 : b >> 4))
                   + (b < 0 ? '=' : B64.charAt(((b & 15) << 2)
                                               | (c < 0 ? 0 : c >> 6)))
                   + (c < 0 ? '=' : B64.charAt(c & 63));
        }

        return out;
    }


    function atob(input) {
        var s = String(input).replace(/[\t\n\f\r ]+/g, ''), out = '', bits = 0,
            n = 0, i, v;

        if (s.length % 4 === 0) {
            s = s.replace(/==?$/, '');
        }

        if (s.length % 4 === 1 || /[^A-Za-z0-9+\/]/.test(s)) {
            throw invalidCharacter('The string to be decoded is not correctly '
                                   + 'encoded.');
        }

        for (i = 0; i < s.length; i++) {
            v = B64.indexOf(s.charAt(i));
            bits = (bits << 6) | v;
            n += 6;

            if (n >= 8) {
                n -= 8;
                out += String.fromCharCode((bits >> n) & 0xff);
            }
        }

        return out;
    }


    return {
        format: format,
        makeConsole: makeConsole,
        randomUUID: randomUUID,
        structuredClone: structuredClone,
        queueMicrotask: queueMicrotask,
        atob: atob,
        btoa: btoa
    };
}


export default {
    install: install,
    format: format,
    randomUUID: randomUUID,
    structuredClone: structuredClone,
    queueMicrotask: queueMicrotask,
    atob: atob,
    btoa: btoa
};
