// The work every alternative does (bench/README in bench/run): parse the
// Cookie header, verify an HS256 JWT (signature with the njs crypto
// module, alg, exp, sub). Plain njs, imported by b2.js (stock njs) and by
// the Next.js-style middlewares (p.js, pt.js), so both sides run the same
// code for the check itself.

import crypto from 'crypto';

var SECRET = 'test-secret';

function parseCookies(header) {
    var jar = {};
    var pairs, i, pair, eq, name;

    if (!header) {
        return jar;
    }

    pairs = header.split(';');

    for (i = 0; i < pairs.length; i++) {
        pair = pairs[i];
        eq = pair.indexOf('=');

        if (eq === -1) {
            continue;
        }

        name = pair.substring(0, eq).trim();

        if (jar[name] === undefined) {
            jar[name] = pair.substring(eq + 1).trim();
        }
    }

    return jar;
}

function isProtected(path) {
    return path === '/dashboard' || path.indexOf('/dashboard/') === 0;
}

function decodePart(part) {
    return JSON.parse(Buffer.from(part, 'base64url').toString());
}

// the token's subject when the token is valid, otherwise null
function subject(token, now) {
    var parts = token.split('.');
    var mac, header, claims;

    if (parts.length !== 3) {
        return null;
    }

    mac = crypto.createHmac('sha256', SECRET)
          .update(parts[0] + '.' + parts[1]).digest('base64url');

    if (mac !== parts[2]) {
        return null;
    }

    try {
        header = decodePart(parts[0]);
        claims = decodePart(parts[1]);

    } catch (e) {
        return null;
    }

    if (header === null || typeof header !== 'object' || header.alg !== 'HS256') {
        return null;
    }

    if (claims === null || typeof claims !== 'object'
        || typeof claims.exp !== 'number' || claims.exp <= now)
    {
        return null;
    }

    if (typeof claims.sub !== 'string') {
        return null;
    }

    return claims.sub;
}

export default { parseCookies: parseCookies, isProtected: isProtected,
                 subject: subject };
