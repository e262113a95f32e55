/*
 * clerk.js: Clerk-style session authentication for Next.js-style
 * middleware in njs (ngx_http_middleware_module).  See README.md.
 *
 *     import server from 'next/server.js';
 *     import clerk from 'clerk.js';
 *
 *     export default server.serve(clerk.protectRoutes({
 *         server: server,
 *         jwks: clerk.jwksFromFile('/etc/nginx/jwks.json'),
 *         issuer: 'https://clerk.example.com',
 *         authorizedParties: ['https://app.example.com'],
 *         protectedRoutes: ['/dashboard(.*)', '/api/(.*)'],
 *         publicRoutes: ['/api/webhooks/(.*)'],
 *         signInUrl: '/sign-in'
 *     }));
 *
 * Exports (default object): createRouteMatcher, verifyToken, decodeJwt,
 * authenticateRequest, clerkMiddleware, protectRoutes, jwksFromFile,
 * REASONS.
 *
 * Written for njs 0.7.9 (ES5 + Promises; no class, destructuring, Map...)
 * and newer njs, njs or QuickJS engine.  It imports only fs (for
 * jwksFromFile): the NextResponse / Headers classes are passed in as
 * options.server, so the module is testable in the njs CLI with a small
 * fake.
 */


import fs from 'fs';


/* ---------------------------------------------------------------------- */
/* errors                                                                 */

var REASONS = ['malformed', 'alg-not-allowed', 'unknown-kid',
               'bad-signature', 'expired', 'not-yet-valid', 'bad-issuer',
               'bad-azp'];


function tokenError(reason, message) {
    var e = new Error(message);

    e.name = 'TokenVerificationError';
    e.reason = reason;

    return e;
}


function has(o, k) {
    return Object.prototype.hasOwnProperty.call(o, k);
}


function errorText(e) {
    if (e && typeof e === 'object' && typeof e.message === 'string') {
        return e.message;
    }

    return String(e);
}


/* ---------------------------------------------------------------------- */
/* base64url, strict: alphabet [A-Za-z0-9_-], no padding, no whitespace,  */
/* unused trailing bits zero (one text per byte string)                   */

var B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
             + '0123456789-_';

var B64URL_INDEX = (function () {
    var i, t = [];

    for (i = 0; i < 128; i++) {
        t.push(-1);
    }

    for (i = 0; i < B64URL.length; i++) {
        t[B64URL.charCodeAt(i)] = i;
    }

    return t;
})();


/* string -> Uint8Array, or null if not strict base64url */

function base64urlDecode(s) {
    var i, j, c, v, acc, bits, out;

    if (typeof s !== 'string' || s.length % 4 === 1) {
        return null;
    }

    out = new Uint8Array(Math.floor(s.length * 3 / 4));
    acc = 0;
    bits = 0;
    j = 0;

    for (i = 0; i < s.length; i++) {
        c = s.charCodeAt(i);
        v = (c < 128) ? B64URL_INDEX[c] : -1;

        if (v < 0) {
            return null;
        }

        acc = (acc << 6) | v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[j++] = (acc >> bits) & 0xff;
            acc &= (1 << bits) - 1;
        }
    }

    if (acc !== 0) {
        return null;        /* non-canonical: unused bits set */
    }

    return out;
}


/* Uint8Array / ArrayBuffer / binary string -> base64url without padding */

function base64urlEncode(data) {
    var i, b0, b1, b2, out = '', bytes;

    if (typeof data === 'string') {
        bytes = utf8Encode(data);

    } else if (data instanceof ArrayBuffer) {
        bytes = new Uint8Array(data);

    } else {
        bytes = data;
    }

    for (i = 0; i < bytes.length; i += 3) {
        b0 = bytes[i];
        b1 = (i + 1 < bytes.length) ? bytes[i + 1] : 0;
        b2 = (i + 2 < bytes.length) ? bytes[i + 2] : 0;

        out += B64URL.charAt(b0 >> 2);
        out += B64URL.charAt(((b0 & 3) << 4) | (b1 >> 4));

        if (i + 1 < bytes.length) {
            out += B64URL.charAt(((b1 & 15) << 2) | (b2 >> 6));
        }

        if (i + 2 < bytes.length) {
            out += B64URL.charAt(b2 & 63);
        }
    }

    return out;
}


function utf8Encode(s) {
    return new TextEncoder().encode(s);
}


/* strict UTF-8 decoding: throws on invalid sequences */

function utf8Decode(bytes) {
    var i, s = '';

    if (typeof TextDecoder !== 'undefined') {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    }

    for (i = 0; i < bytes.length; i++) {
        s += '%' + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    }

    return decodeURIComponent(s);
}


/* ---------------------------------------------------------------------- */
/* JWT decoding                                                           */

var MAX_TOKEN_LENGTH = 16384;

var ALGORITHMS = { RS256: true, HS256: true };


function jsonPart(s, what) {
    var bytes, v;

    bytes = base64urlDecode(s);

    if (bytes === null || bytes.length === 0) {
        throw tokenError('malformed', 'JWT ' + what + ' is not base64url');
    }

    try {
        v = JSON.parse(utf8Decode(bytes));

    } catch (e) {
        throw tokenError('malformed', 'JWT ' + what + ' is not JSON');
    }

    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw tokenError('malformed', 'JWT ' + what + ' is not an object');
    }

    return v;
}


/*
 * token -> { header, payload, signature (Uint8Array), signingInput };
 * throws a 'malformed' TokenVerificationError.  Verifies nothing.
 */

function decodeJwt(token) {
    var parts, header, payload, signature;

    if (typeof token !== 'string' || token.length === 0) {
        throw tokenError('malformed', 'JWT is not a string');
    }

    if (token.length > MAX_TOKEN_LENGTH) {
        throw tokenError('malformed', 'JWT is too long');
    }

    parts = token.split('.');

    if (parts.length !== 3) {
        throw tokenError('malformed', 'JWT does not have 3 parts');
    }

    header = jsonPart(parts[0], 'header');
    payload = jsonPart(parts[1], 'payload');
    signature = base64urlDecode(parts[2]);

    if (signature === null) {
        throw tokenError('malformed', 'JWT signature is not base64url');
    }

    return {
        header: header,
        payload: payload,
        signature: signature,
        signingInput: parts[0] + '.' + parts[1]
    };
}


/* ---------------------------------------------------------------------- */
/* RSA public keys: JWK (n, e) -> SubjectPublicKeyInfo DER -> CryptoKey   */
/*                                                                        */
/* njs 0.7.9 imports RSA keys only as 'spki' / 'pkcs8' (no 'jwk'), so the */
/* DER is built here; newer njs accepts it all the same.                  */

var MIN_RSA_BITS = 2048;
var MAX_RSA_BITS = 8192;

/* AlgorithmIdentifier { rsaEncryption 1.2.840.113549.1.1.1, NULL } */
var RSA_ALGORITHM_ID = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                        0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];


function derLength(n) {
    var b = [];

    if (n < 0x80) {
        return [n];
    }

    while (n > 0) {
        b.unshift(n & 0xff);
        n = Math.floor(n / 256);
    }

    b.unshift(0x80 | b.length);

    return b;
}


function der(tag, content) {
    return [tag].concat(derLength(content.length), content);
}


/* big-endian unsigned bytes without leading zeros (at least one byte) */

function stripZeros(bytes) {
    var i = 0, out = [];

    while (i < bytes.length - 1 && bytes[i] === 0) {
        i++;
    }

    for (; i < bytes.length; i++) {
        out.push(bytes[i]);
    }

    return out;
}


function derUnsignedInteger(bytes) {
    var v = stripZeros(bytes);

    if (v[0] & 0x80) {
        v.unshift(0);           /* stays positive */
    }

    return der(0x02, v);
}


function bitLength(bytes) {
    var top = bytes[0], bits = (bytes.length - 1) * 8;

    while (top > 0) {
        bits++;
        top >>= 1;
    }

    return bits;
}


/* JWK -> Uint8Array DER of the SubjectPublicKeyInfo; throws on bad keys */

function jwkToSpki(jwk) {
    var n, e, bits, rsaPublicKey;

    n = base64urlDecode(jwk.n);
    e = base64urlDecode(jwk.e);

    if (n === null || e === null || n.length === 0 || e.length === 0) {
        throw new Error('n or e is not base64url');
    }

    n = stripZeros(n);
    e = stripZeros(e);
    bits = bitLength(n);

    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
        throw new Error('RSA key of ' + bits + ' bits (allowed: '
                        + MIN_RSA_BITS + '..' + MAX_RSA_BITS + ')');
    }

    if (e.length > 4 || !(e[e.length - 1] & 1) || bitLength(e) < 2) {
        throw new Error('bad RSA public exponent');
    }

    rsaPublicKey = der(0x30, derUnsignedInteger(n)
                             .concat(derUnsignedInteger(e)));

    return new Uint8Array(der(0x30, RSA_ALGORITHM_ID.concat(
                                der(0x03, [0].concat(rsaPublicKey)))));
}


/*
 * Imported keys, per kid and key material, and JWKS files read by
 * jwksFromFile(): module scope, a cache by design.  Its lifetime is the
 * engine's: with QuickJS and js_context_reuse (njs's default) a context
 * serves many requests one after another, so a key is imported once per
 * context (the first request on a context pays the import, about an RSA
 * key parse); on the njs engine every request has its own VM clone and
 * re-imports.  Nothing in it belongs to a request (no token, no claims):
 * only public keys.  Values are promises.
 */

var KEY_CACHE_MAX = 64;

/*
 * module state lives in object properties: functions never assign
 * variables of an enclosing scope (njs 0.7.9 miscompiles some of those
 * assignments, see README.md)
 */

var cache = { keys: Object.create(null), size: 0,
              hmacSecret: null, hmacKey: null,
              files: Object.create(null) };


/*
 * options.jwks from a file, for every engine (js_preload_object is
 * njs-engine only): the returned function reads and parses the file the
 * first time a token needs it and keeps the result in module scope (per
 * context with QuickJS context reuse, per request on the njs engine: a
 * read of a small file).  Key rotation: write the new JWKS, then
 * "nginx -s reload" (new contexts read it again).  An unreadable or
 * invalid file fails closed: the token is rejected (unknown-kid: signed
 * out) with a warn line naming the file, and the file is read again for
 * the next token.
 */

function jwksFromFile(path) {
    if (typeof path !== 'string' || path === '') {
        throw new TypeError('jwksFromFile(path): path must be a file name');
    }

    return function () {
        var text, jwks;

        if (cache.files[path] !== undefined) {
            return cache.files[path];
        }

        try {
            text = fs.readFileSync(path, 'utf8');
            jwks = JSON.parse(text);

        } catch (e) {
            throw tokenError('unknown-kid', 'cannot load the JWKS file "'
                             + path + '": ' + errorText(e));
        }

        if (!jwks || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) {
            throw tokenError('unknown-kid', 'the JWKS file "' + path
                             + '" has no "keys" array');
        }

        cache.files[path] = jwks;

        return jwks;
    };
}


function importRsaKey(jwk) {
    var id = jwk.kid + '\n' + jwk.n + '\n' + jwk.e;
    var p, spki, size;

    if (cache.keys[id]) {
        return cache.keys[id];
    }

    try {
        spki = jwkToSpki(jwk);
        size = Math.ceil(bitLength(stripZeros(base64urlDecode(jwk.n))) / 8);

    } catch (e) {
        return Promise.reject(tokenError('unknown-kid', 'JWKS key "'
                                         + jwk.kid + '" is unusable: '
                                         + errorText(e)));
    }

    p = crypto.subtle.importKey('spki', spki,
                                { name: 'RSASSA-PKCS1-v1_5',
                                  hash: 'SHA-256' },
                                false, ['verify'])
        .then(function (key) {
            return { key: key, size: size };

        }, function (e) {
            if (cache.keys[id] === p) {
                delete cache.keys[id];
                cache.size--;
            }

            throw tokenError('unknown-kid', 'JWKS key "' + jwk.kid
                             + '" could not be imported: ' + errorText(e));
        });

    if (cache.size >= KEY_CACHE_MAX) {
        cache.keys = Object.create(null);
        cache.size = 0;
    }

    cache.keys[id] = p;
    cache.size++;

    return p;
}


function resolveJwks(options) {
    var jwks = options.jwks;

    if (typeof jwks === 'function') {
        jwks = jwks();
    }

    if (typeof jwks === 'string') {
        try {
            jwks = JSON.parse(jwks);

        } catch (e) {
            throw tokenError('unknown-kid', 'options.jwks is not JSON');
        }
    }

    return jwks || null;
}


/* the JWKS key for an RS256 token with this kid, or null */

function findKey(jwks, kid) {
    var i, k, keys = jwks && jwks.keys;

    if (!Array.isArray(keys)) {
        return null;
    }

    for (i = 0; i < keys.length; i++) {
        k = keys[i];

        if (k && k.kid === kid && k.kty === 'RSA'
            && (k.use === undefined || k.use === 'sig')
            && (k.alg === undefined || k.alg === 'RS256')
            && (k.key_ops === undefined
                || (Array.isArray(k.key_ops)
                    && k.key_ops.indexOf('verify') >= 0)))
        {
            return k;
        }
    }

    return null;
}


/* ---------------------------------------------------------------------- */
/* signature verification                                                 */

function verifyRs256(jwt, options) {
    var jwks, kid, jwk;

    jwks = resolveJwks(options);

    if (!jwks) {
        throw tokenError('alg-not-allowed',
                         'RS256 token, but no JWKS is configured');
    }

    kid = jwt.header.kid;

    if (typeof kid !== 'string' || kid === '') {
        throw tokenError('unknown-kid', 'RS256 token without a kid');
    }

    jwk = findKey(jwks, kid);

    if (!jwk) {
        throw tokenError('unknown-kid', 'no RS256 signing key with kid "'
                         + kid + '" in the JWKS');
    }

    return importRsaKey(jwk).then(function (k) {
        if (jwt.signature.length !== k.size) {
            return false;
        }

        return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, k.key,
                                    jwt.signature,
                                    utf8Encode(jwt.signingInput))
               .then(null, function () { return false; });
    });
}


/* compares all bytes whatever the first difference */

function timingSafeEqual(a, b) {
    var i, diff;

    if (a.length !== b.length) {
        return false;
    }

    diff = 0;

    for (i = 0; i < a.length; i++) {
        diff |= a[i] ^ b[i];
    }

    return diff === 0;
}


function hmacKey(secret) {
    var bytes;

    if (cache.hmacKey && cache.hmacSecret === secret) {
        return cache.hmacKey;
    }

    bytes = (typeof secret === 'string') ? utf8Encode(secret) : secret;

    cache.hmacSecret = secret;
    cache.hmacKey = crypto.subtle.importKey('raw', bytes,
                                            { name: 'HMAC',
                                              hash: 'SHA-256' },
                                            false, ['sign']);
    return cache.hmacKey;
}


function verifyHs256(jwt, options) {
    var secret = options.secret;

    if (typeof secret === 'function') {
        secret = secret();
    }

    if (!secret || !(typeof secret === 'string'
                     || secret instanceof Uint8Array))
    {
        throw tokenError('alg-not-allowed',
                         'HS256 token, but no shared secret is configured');
    }

    if (jwt.signature.length !== 32) {
        return Promise.resolve(false);
    }

    /*
     * the MAC is computed and compared here, in full: njs's HMAC verify()
     * may compare with memcmp()
     */

    return hmacKey(secret).then(function (key) {
        return crypto.subtle.sign('HMAC', key, utf8Encode(jwt.signingInput));

    }).then(function (mac) {
        return timingSafeEqual(new Uint8Array(mac), jwt.signature);
    });
}


/* ---------------------------------------------------------------------- */
/* claims                                                                 */

function numericDate(claims, name, required) {
    var v = claims[name];

    if (v === undefined && !required) {
        return null;
    }

    if (typeof v !== 'number' || !isFinite(v)) {
        throw tokenError('malformed', (v === undefined ? 'missing "'
                                                       : 'invalid "')
                                      + name + '" claim');
    }

    return v * 1000;
}


function checkIssuer(iss, issuer) {
    if (typeof issuer === 'function') {
        return typeof iss === 'string' && !!issuer(iss);
    }

    if (Array.isArray(issuer)) {
        return typeof iss === 'string' && issuer.indexOf(iss) >= 0;
    }

    return typeof iss === 'string' && iss === issuer;
}


function checkClaims(claims, options) {
    var now, skew, exp, nbf, iat, parties;

    now = (typeof options.now === 'function') ? options.now() : Date.now();
    skew = (typeof options.clockSkewInMs === 'number'
            && options.clockSkewInMs >= 0) ? options.clockSkewInMs : 5000;

    exp = numericDate(claims, 'exp', true);
    nbf = numericDate(claims, 'nbf', false);
    iat = numericDate(claims, 'iat', false);

    if (exp <= now - skew) {
        throw tokenError('expired', 'JWT expired at '
                         + new Date(exp).toISOString());
    }

    if (nbf !== null && nbf > now + skew) {
        throw tokenError('not-yet-valid', 'JWT not valid before '
                         + new Date(nbf).toISOString());
    }

    if (iat !== null && iat > now + skew) {
        throw tokenError('not-yet-valid', 'JWT issued in the future, at '
                         + new Date(iat).toISOString());
    }

    if (options.issuer !== undefined && options.issuer !== null
        && !checkIssuer(claims.iss, options.issuer))
    {
        throw tokenError('bad-issuer', 'JWT issuer '
                         + JSON.stringify(claims.iss) + ' is not allowed');
    }

    parties = options.authorizedParties;

    if (claims.azp !== undefined && Array.isArray(parties)
        && parties.length > 0 && parties.indexOf(claims.azp) < 0)
    {
        throw tokenError('bad-azp', 'JWT authorized party '
                         + JSON.stringify(claims.azp) + ' is not allowed');
    }
}


/*
 * verifyToken(token, options) -> Promise of the claims, or rejected with
 * an Error whose .reason is one of REASONS.
 */

function verifyToken(token, options) {
    var opts = options || {};

    /*
     * nested functions here never assign variables of the enclosing
     * function: njs 0.7.9 corrupts memory when a closure assigns a
     * captured variable of a function that has returned
     */

    return Promise.resolve().then(function () {
        var jwt, alg, p, options = opts;

        jwt = decodeJwt(token);
        alg = jwt.header.alg;

        if (typeof alg !== 'string' || !has(ALGORITHMS, alg)) {
            throw tokenError('alg-not-allowed', 'JWT algorithm '
                             + JSON.stringify(alg) + ' is not allowed');
        }

        if (jwt.header.crit !== undefined) {
            throw tokenError('malformed', 'JWT "crit" header parameters '
                             + 'are not supported');
        }

        /* each algorithm with its own key material only */

        p = (alg === 'RS256') ? verifyRs256(jwt, options)
                              : verifyHs256(jwt, options);

        return p.then(function (valid) {
            if (valid !== true) {
                throw tokenError('bad-signature', 'JWT signature is invalid');
            }

            checkClaims(jwt.payload, options);

            return jwt.payload;
        });
    });
}


/* ---------------------------------------------------------------------- */
/* route matching: path-to-regexp 6 as Clerk uses it (case-insensitive,   */
/* optional trailing slash, anchored)                                     */

function escapeString(s) {
    return s.replace(/([.+*?=^!:${}()[\]|\/\\])/g, '\\$1');
}


function lexer(str) {
    var tokens = [], i = 0, j, c, name, code, count, pattern;

    while (i < str.length) {
        c = str.charAt(i);

        if (c === '*' || c === '+' || c === '?') {
            tokens.push({ type: 'MODIFIER', index: i, value: c });
            i++;
            continue;
        }

        if (c === '\\') {
            if (i + 1 >= str.length) {
                throw new TypeError('Escape at end of pattern at ' + i);
            }

            tokens.push({ type: 'ESCAPED_CHAR', index: i,
                          value: str.charAt(i + 1) });
            i += 2;
            continue;
        }

        if (c === '{') {
            tokens.push({ type: 'OPEN', index: i, value: c });
            i++;
            continue;
        }

        if (c === '}') {
            tokens.push({ type: 'CLOSE', index: i, value: c });
            i++;
            continue;
        }

        if (c === ':') {
            name = '';
            j = i + 1;

            while (j < str.length) {
                code = str.charCodeAt(j);

                if ((code >= 48 && code <= 57) || (code >= 65 && code <= 90)
                    || (code >= 97 && code <= 122) || code === 95)
                {
                    name += str.charAt(j++);
                    continue;
                }

                break;
            }

            if (!name) {
                throw new TypeError('Missing parameter name at ' + i);
            }

            tokens.push({ type: 'NAME', index: i, value: name });
            i = j;
            continue;
        }

        if (c === '(') {
            count = 1;
            pattern = '';
            j = i + 1;

            if (str.charAt(j) === '?') {
                throw new TypeError('Pattern cannot start with "?" at ' + j);
            }

            while (j < str.length) {
                if (str.charAt(j) === '\\') {
                    pattern += str.charAt(j) + str.charAt(j + 1);
                    j += 2;
                    continue;
                }

                if (str.charAt(j) === ')') {
                    count--;

                    if (count === 0) {
                        j++;
                        break;
                    }

                } else if (str.charAt(j) === '(') {
                    count++;

                    if (str.charAt(j + 1) !== '?') {
                        throw new TypeError('Capturing groups are not '
                                            + 'allowed at ' + j);
                    }
                }

                pattern += str.charAt(j++);
            }

            if (count) {
                throw new TypeError('Unbalanced pattern at ' + i);
            }

            if (!pattern) {
                throw new TypeError('Missing pattern at ' + i);
            }

            tokens.push({ type: 'PATTERN', index: i, value: pattern });
            i = j;
            continue;
        }

        tokens.push({ type: 'CHAR', index: i, value: c });
        i++;
    }

    tokens.push({ type: 'END', index: i, value: '' });

    return tokens;
}


var PREFIXES = './';
var DEFAULT_PATTERN = '[^\\/#\\?]+?';


function parsePattern(str) {
    var st = { tokens: lexer(str), i: 0 }, result = [], key = 0, path = '';
    var c, name, pattern, prefix, suffix, value, open;

    while (st.i < st.tokens.length) {
        c = tryConsume(st, 'CHAR');
        name = tryConsume(st, 'NAME');
        pattern = tryConsume(st, 'PATTERN');

        if (name || pattern) {
            prefix = c || '';

            if (PREFIXES.indexOf(prefix) === -1) {
                path += prefix;
                prefix = '';
            }

            if (path) {
                result.push(path);
                path = '';
            }

            result.push({ name: name || key++, prefix: prefix, suffix: '',
                          pattern: pattern || DEFAULT_PATTERN,
                          modifier: tryConsume(st, 'MODIFIER') || '' });
            continue;
        }

        value = c || tryConsume(st, 'ESCAPED_CHAR');

        if (value) {
            path += value;
            continue;
        }

        if (path) {
            result.push(path);
            path = '';
        }

        open = tryConsume(st, 'OPEN');

        if (open) {
            prefix = consumeText(st);
            name = tryConsume(st, 'NAME') || '';
            pattern = tryConsume(st, 'PATTERN') || '';
            suffix = consumeText(st);

            mustConsume(st, 'CLOSE');

            result.push({ name: name || (pattern ? key++ : ''),
                          pattern: (name && !pattern) ? DEFAULT_PATTERN
                                                      : pattern,
                          prefix: prefix, suffix: suffix,
                          modifier: tryConsume(st, 'MODIFIER') || '' });
            continue;
        }

        mustConsume(st, 'END');
    }

    return result;
}


function tryConsume(st, type) {
    if (st.i < st.tokens.length && st.tokens[st.i].type === type) {
        return st.tokens[st.i++].value;
    }

    return undefined;
}


function mustConsume(st, type) {
    var v = tryConsume(st, type), t;

    if (v !== undefined) {
        return v;
    }

    t = st.tokens[st.i];

    throw new TypeError('Unexpected ' + t.type + ' at ' + t.index
                        + ', expected ' + type);
}


function consumeText(st) {
    var r = '', v;

    for ( ;; ) {
        v = tryConsume(st, 'CHAR');

        if (v === undefined) {
            v = tryConsume(st, 'ESCAPED_CHAR');
        }

        if (v === undefined) {
            return r;
        }

        r += v;
    }
}


/* pattern string -> RegExp source */

function patternSource(str) {
    var tokens = parsePattern(str), route = '^', i, t, prefix, suffix, mod;

    for (i = 0; i < tokens.length; i++) {
        t = tokens[i];

        if (typeof t === 'string') {
            route += escapeString(t);
            continue;
        }

        prefix = escapeString(t.prefix);
        suffix = escapeString(t.suffix);

        if (t.pattern) {
            if (prefix || suffix) {
                if (t.modifier === '+' || t.modifier === '*') {
                    mod = (t.modifier === '*') ? '?' : '';
                    route += '(?:' + prefix + '((?:' + t.pattern + ')(?:'
                             + suffix + prefix + '(?:' + t.pattern + '))*)'
                             + suffix + ')' + mod;

                } else {
                    route += '(?:' + prefix + '(' + t.pattern + ')' + suffix
                             + ')' + t.modifier;
                }

            } else if (t.modifier === '+' || t.modifier === '*') {
                route += '((?:' + t.pattern + ')' + t.modifier + ')';

            } else {
                route += '(' + t.pattern + ')' + t.modifier;
            }

        } else {
            route += '(?:' + prefix + suffix + ')' + t.modifier;
        }
    }

    return route + '[\\/#\\?]?$';
}


function compilePattern(str) {
    var src;

    try {
        src = patternSource(str);
        return new RegExp(src, 'i');

    } catch (e) {
        throw new TypeError('createRouteMatcher: invalid path pattern '
                            + JSON.stringify(str) + ': ' + errorText(e));
    }
}


/* patterns -> [{ re } | { fn }] */

function compileRoutes(patterns, out) {
    var i;

    out = out || [];

    if (patterns === undefined || patterns === null) {
        return out;
    }

    if (Array.isArray(patterns)) {
        for (i = 0; i < patterns.length; i++) {
            compileRoutes(patterns[i], out);
        }

        return out;
    }

    if (typeof patterns === 'string') {
        out.push({ re: compilePattern(patterns) });

    } else if (patterns instanceof RegExp) {
        out.push({ re: patterns });

    } else if (typeof patterns === 'function' && patterns._routes) {
        out.push.apply(out, patterns._routes);

    } else if (typeof patterns === 'function') {
        out.push({ fn: patterns });

    } else {
        throw new TypeError('createRouteMatcher: a pattern must be a '
                            + 'string, a RegExp or a function, not '
                            + typeof patterns);
    }

    return out;
}


function pathnameOf(request) {
    if (typeof request === 'string') {
        return request;
    }

    if (request && request.nextUrl && typeof request.nextUrl.pathname
                                      === 'string')
    {
        return request.nextUrl.pathname;
    }

    if (request && typeof request.url === 'string') {
        return pathFromUrl(request.url);
    }

    return '';
}


function pathFromUrl(url) {
    var m = /^[a-zA-Z][a-zA-Z0-9+.\-]*:\/\/[^\/?#]*([^?#]*)/.exec(url);
    var p = m ? m[1] : url.replace(/[?#].*$/, '');

    return p || '/';
}


/*
 * routes: one pattern or an array; path is tested by regular expressions,
 * request (as given to the matcher) by function patterns
 */

function matchRoutes(routes, path, request) {
    var i, r;

    for (i = 0; i < routes.length; i++) {
        r = routes[i];

        if (r.re) {
            r.re.lastIndex = 0;

            if (r.re.test(path)) {
                return true;
            }

        } else if (r.fn(request)) {
            return true;
        }
    }

    return false;
}


function createRouteMatcher(patterns) {
    var routes, matcher;

    routes = compileRoutes(patterns);

    matcher = function (request) {
        return matchRoutes(routes, pathnameOf(request), request);
    };

    matcher._routes = routes;

    return matcher;
}


/*
 * The path as nginx serves it (merge_slashes on): percent-decoded once,
 * "//" merged, "." and ".." resolved.  The policy checks routes on both
 * the raw and this form, so /%64ashboard or //dashboard is protected as
 * /dashboard is.
 */

function normalizePath(path) {
    var decoded, segs, out, i;

    try {
        decoded = decodeURIComponent(path);

    } catch (e) {
        decoded = path.replace(/%([0-9a-fA-F]{2})/g, function (m, h) {
            return String.fromCharCode(parseInt(h, 16));
        });
    }

    segs = decoded.split('/');
    out = [];

    for (i = 0; i < segs.length; i++) {
        if (segs[i] === '' || segs[i] === '.') {
            if (i === segs.length - 1) {
                out.push('');
            }

            continue;
        }

        if (segs[i] === '..') {
            out.pop();

            if (i === segs.length - 1) {
                out.push('');
            }

            continue;
        }

        out.push(segs[i]);
    }

    return '/' + out.join('/');
}


function stripSlash(p) {
    return (p.length > 1 && p.charAt(p.length - 1) === '/') ? p.slice(0, -1)
                                                            : p;
}


/* ---------------------------------------------------------------------- */
/* logging and the session touch                                          */

function log(options, level, msg) {
    var lvl;

    if (typeof options.log === 'function') {
        options.log(level, msg);
        return;
    }

    if (typeof ngx === 'undefined' || typeof ngx.log !== 'function') {
        return;
    }

    lvl = (level === 'error') ? ngx.ERR
          : (level === 'info') ? ngx.INFO : ngx.WARN;

    try {
        ngx.log(lvl, msg);

    } catch (e) {
    }
}


function touchSession(options, event, state) {
    var p;

    p = Promise.resolve().then(function () {
        var init = {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sessionId: state.sessionId,
                                   userId: state.userId })
        };

        if (typeof options.fetch === 'function') {
            return options.fetch(options.touchUrl, init);
        }

        if (typeof ngx === 'undefined' || typeof ngx.fetch !== 'function') {
            throw new Error('ngx.fetch is not available');
        }

        return ngx.fetch(options.touchUrl, init);

    }).then(function (res) {
        if (res && typeof res.status === 'number'
            && (res.status < 200 || res.status > 299))
        {
            log(options, 'warn', 'clerk: session touch ' + options.touchUrl
                + ' answered ' + res.status + ' (session '
                + state.sessionId + ')');
        }

    }).then(null, function (e) {
        log(options, 'warn', 'clerk: session touch ' + options.touchUrl
            + ' failed (session ' + state.sessionId + '): ' + errorText(e));
    });

    if (event && typeof event.waitUntil === 'function') {
        try {
            event.waitUntil(p);

        } catch (e) {
            log(options, 'warn', 'clerk: waitUntil failed: ' + errorText(e));
        }
    }

    return p;
}


/* ---------------------------------------------------------------------- */
/* the session of a request                                               */

function headerValue(request, name) {
    var h = request && request.headers, v;

    if (!h) {
        return null;
    }

    v = (typeof h.get === 'function') ? h.get(name) : h[name];

    return (v === undefined || v === null) ? null : String(v);
}


function cookieValue(request, name) {
    var c, header, parts, i, eq, v;

    if (request && request.cookies && typeof request.cookies.get
                                       === 'function')
    {
        c = request.cookies.get(name);

        if (c && typeof c === 'object') {
            return (typeof c.value === 'string') ? c.value : null;
        }

        return (typeof c === 'string') ? c : null;
    }

    header = headerValue(request, 'cookie');

    if (!header) {
        return null;
    }

    parts = header.split(/;\s*/);
    v = null;

    for (i = 0; i < parts.length; i++) {
        eq = parts[i].indexOf('=');

        if (eq > 0 && parts[i].slice(0, eq).trim() === name) {
            v = parts[i].slice(eq + 1).trim();
        }
    }

    return v;
}


/* { token, source: 'header' | 'cookie' } or null; the header first */

function findToken(request, options) {
    var auth, m, c;

    auth = headerValue(request, 'authorization');

    if (auth) {
        m = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(auth);

        if (m) {
            return { token: m[1], source: 'header' };
        }
    }

    c = cookieValue(request, options.cookieName || '__session');

    if (c) {
        return { token: c, source: 'cookie' };
    }

    return null;
}


function signedOut(found, reason) {
    return { isSignedIn: false, userId: null, sessionId: null, orgId: null,
             claims: null, tokenSource: found ? found.source : null,
             reason: reason || null };
}


/*
 * request -> Promise of the session state:
 *   { isSignedIn, userId, sessionId, orgId, claims, tokenSource, reason }
 * never rejects: an invalid token is signed out, with reason and a log line
 */

function authenticateRequest(request, options) {
    var found;

    options = options || {};
    found = findToken(request, options);

    if (!found) {
        return Promise.resolve(signedOut(null, null));
    }

    return verifyToken(found.token, options).then(function (claims) {
        if (typeof claims.sub !== 'string' || claims.sub === '') {
            throw tokenError('malformed', 'JWT without a "sub" claim');
        }

        return {
            isSignedIn: true,
            userId: claims.sub,
            sessionId: (typeof claims.sid === 'string') ? claims.sid : null,
            orgId: (typeof claims.org_id === 'string') ? claims.org_id
                                                       : null,
            claims: claims,
            tokenSource: found.source,
            reason: null
        };

    }).then(null, function (e) {
        var reason = (e && e.reason) || 'malformed';

        log(options, 'warn', 'clerk: session token from ' + found.source
            + ' rejected (' + reason + '): ' + errorText(e) + ' on '
            + pathnameOf(request));

        return signedOut(found, reason);
    });
}


function checkKeyOptions(options, who) {
    if (!options || (!options.jwks && !options.secret)) {
        throw new TypeError(who + ': options.jwks or options.secret is '
                            + 'required');
    }

    if (options.issuer !== undefined && options.issuer !== null
        && typeof options.issuer !== 'string'
        && typeof options.issuer !== 'function'
        && !Array.isArray(options.issuer))
    {
        throw new TypeError(who + ': options.issuer must be a string, an '
                            + 'array or a function');
    }

    if (options.authorizedParties !== undefined
        && !Array.isArray(options.authorizedParties))
    {
        throw new TypeError(who + ': options.authorizedParties must be an '
                            + 'array');
    }
}


/*
 * clerkMiddleware(handler, options) -> function middleware(request, event)
 * calling handler(auth, request, event); auth() -> the session state.
 * clerkMiddleware(options) alone only authenticates (and touches).
 */

function clerkMiddleware(handler, options) {
    if (handler && typeof handler === 'object' && options === undefined) {
        options = handler;
        handler = null;
    }

    checkKeyOptions(options, 'clerkMiddleware');

    if (handler && typeof handler !== 'function') {
        throw new TypeError('clerkMiddleware: handler must be a function');
    }

    return function middleware(request, event) {
        return authenticateRequest(request, options).then(function (state) {
            var auth;

            if (state.isSignedIn && options.touchUrl) {
                touchSession(options, event, state);
            }

            auth = function () {
                return {
                    isSignedIn: state.isSignedIn,
                    userId: state.userId,
                    sessionId: state.sessionId,
                    orgId: state.orgId,
                    claims: state.claims,
                    tokenSource: state.tokenSource,
                    reason: state.reason
                };
            };

            return handler ? handler(auth, request, event) : undefined;
        });
    };
}


/* ---------------------------------------------------------------------- */
/* the default policy                                                     */

var USER_HEADER = 'x-user-id';
var SESSION_HEADER = 'x-session-id';


function originOf(request) {
    var m;

    if (request.nextUrl && typeof request.nextUrl.origin === 'string'
        && request.nextUrl.origin !== 'null')
    {
        return request.nextUrl.origin;
    }

    m = /^([a-zA-Z][a-zA-Z0-9+.\-]*:\/\/[^\/?#]*)/.exec(String(request.url));

    return m ? m[1] : '';
}


/*
 * protectRoutes(options) -> function middleware(request, event)
 *
 *   server            the runtime (NextResponse, Headers); required
 *   jwks, secret, issuer, authorizedParties, clockSkewInMs, now:
 *                     as verifyToken
 *   protectedRoutes   patterns needing a session (default: every path)
 *   publicRoutes      exceptions that never need one
 *   apiRoutes         where signed-out gets 401 JSON instead of a redirect
 *                     (default /api, /api/..., /trpc, /trpc/...)
 *   signInUrl         default '/sign-in' (always public when relative)
 *   touchUrl          POST {sessionId, userId} there in the background
 *   cookieName        default '__session'
 *   log, fetch        replace ngx.log / ngx.fetch (tests)
 */

function protectRoutes(options) {
    var server, NextResponse, Headers, protectedRoutes, publicRoutes;
    var apiRoutes, signInUrl, signInPath;

    options = options || {};
    server = options.server;

    if (!server || !server.NextResponse || !server.Headers) {
        throw new TypeError('protectRoutes: options.server (the '
                            + 'next/server.js default export) is required');
    }

    checkKeyOptions(options, 'protectRoutes');

    NextResponse = server.NextResponse;
    Headers = server.Headers;

    protectedRoutes = (options.protectedRoutes !== undefined)
                      ? compileRoutes(options.protectedRoutes) : null;
    publicRoutes = compileRoutes(options.publicRoutes);
    apiRoutes = compileRoutes((options.apiRoutes !== undefined)
                              ? options.apiRoutes
                              : ['/api', '/api/(.*)', '/trpc', '/trpc/(.*)']);

    signInUrl = options.signInUrl || '/sign-in';

    if (typeof signInUrl !== 'string') {
        throw new TypeError('protectRoutes: signInUrl must be a string');
    }

    signInPath = (signInUrl.charAt(0) === '/' && signInUrl.charAt(1) !== '/')
                 ? stripSlash(normalizePath(signInUrl.replace(/[?#].*$/, '')))
                 : null;

    function needsSession(request) {
        var raw = pathnameOf(request), norm = normalizePath(raw);

        if (protectedRoutes
            && !matchRoutes(protectedRoutes, raw, request)
            && !matchRoutes(protectedRoutes, norm, request))
        {
            return false;
        }

        if (signInPath !== null && stripSlash(norm) === signInPath) {
            return false;
        }

        /* public only if both forms are */

        return !(publicRoutes.length
                 && matchRoutes(publicRoutes, raw, request)
                 && matchRoutes(publicRoutes, norm, request));
    }

    function isApi(request) {
        var raw = pathnameOf(request);

        return matchRoutes(apiRoutes, raw, request)
               || matchRoutes(apiRoutes, normalizePath(raw), request);
    }

    function signInRedirect(request) {
        var url = signInUrl;

        if (url.charAt(0) === '/' && url.charAt(1) !== '/') {
            url = originOf(request) + url;
        }

        url += (url.indexOf('?') >= 0 ? '&' : '?') + 'redirect_url='
               + encodeURIComponent(String(request.url));

        return NextResponse.redirect(url, 307);
    }

    function policy(auth, request, event) {
        var a = auth(), headers;

        /* identity headers come from the verified token only */

        headers = new Headers(request.headers);
        headers.delete(USER_HEADER);
        headers.delete(SESSION_HEADER);

        if (a.isSignedIn) {
            headers.set(USER_HEADER, a.userId);

            if (a.sessionId) {
                headers.set(SESSION_HEADER, a.sessionId);
            }

            return NextResponse.next({ request: { headers: headers } });
        }

        if (needsSession(request)) {
            if (isApi(request)) {
                return NextResponse.json({ error: 'unauthorized' }, {
                    status: 401,
                    headers: {
                        'www-authenticate': a.reason
                                            ? 'Bearer error="invalid_token"'
                                            : 'Bearer'
                    }
                });
            }

            return signInRedirect(request);
        }

        return NextResponse.next({ request: { headers: headers } });
    }

    return clerkMiddleware(policy, options);
}


export default {
    REASONS: REASONS,
    createRouteMatcher: createRouteMatcher,
    verifyToken: verifyToken,
    decodeJwt: decodeJwt,
    authenticateRequest: authenticateRequest,
    clerkMiddleware: clerkMiddleware,
    protectRoutes: protectRoutes,
    jwksFromFile: jwksFromFile,

    /* internals, exported for the tests */
    _internal: {
        base64urlDecode: base64urlDecode,
        base64urlEncode: base64urlEncode,
        jwkToSpki: jwkToSpki,
        patternSource: patternSource,
        normalizePath: normalizePath,
        timingSafeEqual: timingSafeEqual,
        findKey: findKey
    }
};
