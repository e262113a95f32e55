/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Byte and string helpers shared by the runtime.
 *
 * Strings that come from the wire (request target, header names and
 * values) are kept in the "binary" model that Node.js uses for headers:
 * one character per byte, char codes 0..255.  njs 0.7.9 hands them to us
 * as byte strings, newer njs with the QuickJS engine as decoded UTF-8;
 * fromWire() turns either into that model so the bytes round-trip exactly
 * when they are sent back to the module.
 *
 * Dialect: njs 0.7.9 (ES5 + Promise + async/await); also valid on QuickJS.
 */


var NJS = (typeof njs === 'object' && njs) ? njs : null;

var QUICKJS = (NJS !== null && NJS.engine === 'QuickJS');

/*
 * Whether strings from nginx (r.variables, r.rawHeadersIn, r.uri) are
 * decoded UTF-8 (QuickJS; the njs engine since 0.8.5, which turns
 * invalid bytes into U+FFFD) rather than byte strings (njs 0.7.9).
 * njs.version_number (0x000805 for 0.8.5) where there is one: a regexp
 * test of njs.version costs 10 k instructions, versionAtLeast() (split,
 * Number) ten times more, and this runs at the top level, per request
 * on the njs engine.
 */

var OLD_NJS = /^0\.(?:[0-7]\.|8\.[0-4](?![0-9]))/;

var DECODED = QUICKJS
              || (NJS !== null
                  && ((typeof NJS.version_number === 'number')
                      ? NJS.version_number >= 0x000805
                      : (typeof NJS.version === 'string'
                         && !OLD_NJS.test(NJS.version))));


function versionAtLeast(major, minor, patch) {
    var v;

    if (typeof njs !== 'object' || !njs || typeof njs.version !== 'string') {
        return false;
    }

    v = njs.version.split('.');

    return (Number(v[0]) * 1000000 + Number(v[1]) * 1000 + Number(v[2]))
           >= major * 1000000 + minor * 1000 + patch;
}

/*
 * Regular expressions: njs 0.7.9 compiles a literal once, when the code is
 * compiled; evaluating it (once per request: the VM is cloned and its top
 * level re-run for every request) only allocates the object.  Running one
 * costs: an anchored whole-string class (/^[...]*$/) is the cheapest
 * check, an unanchored search several times more, split(regex) and
 * replace(regex, fn) far more (avoid them on the per-request path).
 *
 * What the top level costs on njs 0.7.9, per request (bench/toplevel
 * probes): a regexp literal or a function declaration ~0.2 k
 * instructions, a string ~0.05 k, a property of an object literal ~0.5 k
 * (also of a module's export), an array literal of five strings ~1.2 k,
 * an assignment to a function's property (F.x = ...) ~1.1 k.  Small sets
 * are functions (isRedirect(), isHop(), ...) rather than arrays.
 */

var ASCII = /^[\x00-\x7f]*$/;
var HEX = '0123456789ABCDEF';


/*
 * A string is ASCII when its UTF-8 is as long as it is: any other char
 * takes more bytes than it counts in length on every engine (a byte
 * string's bytes above 0x7f are encoded as Latin-1, a lone surrogate as
 * U+FFFD).  One native pass: a regexp test costs some 150 instructions
 * per char on QuickJS, 80 on njs, the encoder 2.5-3.5 k a call whatever
 * the length of a head (bench/micro).
 */

/*
 * one TextEncoder for isAscii() and stringBytes(), made on first use;
 * isAscii() tests it for null, not the global (a typeof of the global
 * and a call per test measured +8 k per request on njs 1.0)
 */

var encoder = null;


function isAscii(s) {
    if (encoder === null) {
        if (typeof TextEncoder !== 'function') {
            return ASCII.test(s);
        }

        encoder = new TextEncoder();
    }

    return encoder.encode(s).length === s.length;
}


/* code points of a string, whatever the engine counts in length */

function forEachCodePoint(s, fn) {
    var i, c, n;

    for (i = 0; i < s.length; i++) {
        c = s.charCodeAt(i);

        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
            n = s.charCodeAt(i + 1);

            if (n >= 0xdc00 && n <= 0xdfff) {
                fn(0x10000 + ((c - 0xd800) << 10) + (n - 0xdc00));
                i++;
                continue;
            }
        }

        if (c >= 0xd800 && c <= 0xdfff) {
            c = 0xfffd;                   /* lone surrogate, as WHATWG */
        }

        fn(c);
    }
}


/* UTF-8 bytes (array of numbers) of a Unicode string */

function utf8Encode(s) {
    var out = [];

    forEachCodePoint(s, function (c) {
        if (c < 0x80) {
            out.push(c);

        } else if (c < 0x800) {
            out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));

        } else if (c < 0x10000) {
            out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f),
                     0x80 | (c & 0x3f));

        } else {
            out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f),
                     0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
        }
    });

    return out;
}


/* a Unicode string from UTF-8 bytes, invalid sequences become U+FFFD */

function utf8Decode(bytes) {
    var i, b, c, need, min, j, out;

    out = '';
    i = 0;

    while (i < bytes.length) {
        b = bytes[i];

        if (b < 0x80) {
            out += String.fromCharCode(b);
            i++;
            continue;
        }

        if (b >= 0xc2 && b <= 0xdf) {
            need = 1; c = b & 0x1f; min = 0x80;

        } else if (b >= 0xe0 && b <= 0xef) {
            need = 2; c = b & 0x0f; min = 0x800;

        } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3; c = b & 0x07; min = 0x10000;

        } else {
            out += '\ufffd';
            i++;
            continue;
        }

        for (j = 1; j <= need; j++) {
            if (i + j >= bytes.length || (bytes[i + j] & 0xc0) !== 0x80) {
                break;
            }

            c = (c << 6) | (bytes[i + j] & 0x3f);
        }

        if (j <= need || c < min || c > 0x10ffff
            || (c >= 0xd800 && c <= 0xdfff))
        {
            out += '\ufffd';
            i += (j > 1) ? j - 1 : 1;
            continue;
        }

        out += String.fromCodePoint(c);
        i += need + 1;
    }

    return out;
}


/* binary string (char = byte) from an array of bytes, and back */

function bytesToBinary(bytes) {
    var i, out = '';

    for (i = 0; i < bytes.length; i++) {
        out += String.fromCharCode(bytes[i]);
    }

    return out;
}


function binaryToBytes(s) {
    var i, out = new Uint8Array(s.length);

    for (i = 0; i < s.length; i++) {
        out[i] = s.charCodeAt(i) & 0xff;
    }

    return out;
}


/*
 * A string from nginx (request target, header) in the binary model:
 * UTF-8 encoded again where the engine decodes (DECODED, or decoded
 * given), taken char by char as bytes otherwise.  Exact for valid UTF-8
 * and for byte strings; for invalid UTF-8 on a decoding engine take
 * r.rawVariables (request.js).
 */

function fromWire(s, decoded) {
    var i, c, out;

    if (s === undefined || s === null) {
        return '';
    }

    s = String(s);

    if (ASCII.test(s)) {
        return s;
    }

    if (decoded === undefined ? DECODED : decoded) {
        return bytesToBinary(utf8Encode(s));
    }

    /* njs byte string: charCodeAt() is the byte */

    out = '';

    for (i = 0; i < s.length; i++) {
        c = s.charCodeAt(i);

        if (c > 0xff) {
            out += bytesToBinary(utf8Encode(String.fromCodePoint(c)));

        } else {
            out += String.fromCharCode(c);
        }
    }

    return out;
}


/* binary string -> Unicode string, bytes decoded as UTF-8 */

function binaryToUnicode(s) {
    var i, bytes;

    if (ASCII.test(s)) {
        return s;
    }

    bytes = [];

    for (i = 0; i < s.length; i++) {
        bytes.push(s.charCodeAt(i) & 0xff);
    }

    return utf8Decode(bytes);
}


/*
 * Percent-encode a Unicode string: bytes of its UTF-8 form for which
 * inSet(byte) is true (the percent-encode set) become %XX.
 */

function percentEncode(s, inSet) {
    var i, b, bytes, out;

    if (ASCII.test(s)) {
        out = '';

        for (i = 0; i < s.length; i++) {
            b = s.charCodeAt(i);
            out += inSet(b) ? '%' + HEX.charAt(b >> 4) + HEX.charAt(b & 15)
                            : s.charAt(i);
        }

        return out;
    }

    bytes = utf8Encode(s);
    out = '';

    for (i = 0; i < bytes.length; i++) {
        b = bytes[i];
        out += inSet(b) ? '%' + HEX.charAt(b >> 4) + HEX.charAt(b & 15)
                        : String.fromCharCode(b);
    }

    return out;
}


function hexValue(c) {
    if (c >= 48 && c <= 57) {
        return c - 48;
    }

    if (c >= 65 && c <= 70) {
        return c - 55;
    }

    if (c >= 97 && c <= 102) {
        return c - 87;
    }

    return -1;
}


/*
 * WHATWG percent-decode: bytes of the UTF-8 form of s with valid %XX
 * decoded (a malformed % stays literal), then decoded as UTF-8.
 */

function percentDecode(s) {
    var i, c, h, l, n, bytes, src;

    if (s.indexOf('%') === -1) {
        return s;
    }

    if (!ASCII.test(s)) {
        src = utf8Encode(s);

    } else {
        src = [];

        for (i = 0; i < s.length; i++) {
            src.push(s.charCodeAt(i));
        }
    }

    n = src.length;
    bytes = [];

    for (i = 0; i < n; i++) {
        c = src[i];

        if (c === 37 && i + 2 < n) {
            h = hexValue(src[i + 1]);
            l = hexValue(src[i + 2]);

            if (h >= 0 && l >= 0) {
                bytes.push(h * 16 + l);
                i += 2;
                continue;
            }
        }

        bytes.push(c);
    }

    return utf8Decode(bytes);
}


/* the bytes of a string body: UTF-8 */

function stringBytes(s) {
    if (typeof TextEncoder === 'function') {
        if (encoder === null) {
            encoder = new TextEncoder();
        }

        return encoder.encode(s);
    }

    return new Uint8Array(utf8Encode(s));
}


function isBytes(v) {
    return v instanceof Uint8Array
           || (typeof ArrayBuffer === 'function' && v instanceof ArrayBuffer)
           || (typeof ArrayBuffer === 'function' && ArrayBuffer.isView
               && ArrayBuffer.isView(v));
}


function toUint8Array(v) {
    if (v instanceof Uint8Array) {
        return v;
    }

    if (v instanceof ArrayBuffer) {
        return new Uint8Array(v);
    }

    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}


function errorMessage(e) {
    if (e === undefined || e === null) {
        return String(e);
    }

    if (typeof e === 'object' && e.message !== undefined) {
        return (e.name ? e.name + ': ' : '') + e.message;
    }

    return String(e);
}


/*
 * An error for the log: "Name: message" and the stack, on every engine.
 * The njs engine's stack starts with that line (when it has a stack: a
 * constructed, never thrown error may have none before njs 1.0),
 * QuickJS's has only the "    at ..." lines.
 */

var STACK_FRAME = /^\s+at /;


function errorReport(e) {
    var head = errorMessage(e), stack;

    try {
        stack = (e !== null && typeof e === 'object') ? e.stack : undefined;

    } catch (ignore) {
        stack = undefined;
    }

    if (typeof stack !== 'string' || stack === '') {
        return head;
    }

    while (stack.length && stack.charAt(stack.length - 1) === '\n') {
        stack = stack.slice(0, -1);
    }

    return STACK_FRAME.test(stack) ? head + '\n' + stack : stack;
}


/* an nginx variable of r as a string, undefined when not found (or no r) */

function variable(r, name) {
    var v;

    try {
        v = r.variables[name];

    } catch (e) {
        v = undefined;
    }

    return (v === undefined || v === null) ? undefined : String(v);
}


export default {
    DECODED: DECODED,
    QUICKJS: QUICKJS,
    isAscii: isAscii,
    forEachCodePoint: forEachCodePoint,
    utf8Encode: utf8Encode,
    utf8Decode: utf8Decode,
    bytesToBinary: bytesToBinary,
    binaryToBytes: binaryToBytes,
    fromWire: fromWire,
    percentEncode: percentEncode,
    percentDecode: percentDecode,
    stringBytes: stringBytes,
    isBytes: isBytes,
    toUint8Array: toUint8Array,
    errorMessage: errorMessage,
    errorReport: errorReport,
    variable: variable
};
