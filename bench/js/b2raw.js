// B2-raw: B2's configuration (auth_request + js_content) with no work in
// the handler: what nginx's subrequest and njs's call cost on their own,
// the floor of B2 as P-raw is the module's.

function auth(r) {
    r.return(204);
}

function signin() {
    return '/sign-in';
}

export default { auth: auth, signin: signin };
