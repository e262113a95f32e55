// P-raw: the module with no runtime: a hand-written "next" decision in
// the module's protocol (docs/PROTOCOL.md), what nginx, njs's call and
// the module's C code cost on their own.

function handle(r) {
    r.return(200, 'MW1 200\nx-middleware-next:1\n\n');
}

export default { handle: handle };
