
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#ifndef _MW_DECISION_H_INCLUDED_
#define _MW_DECISION_H_INCLUDED_


#include <mw_common.h>


/*
 * limits of the payload grammar, see docs/PROTOCOL.md: fields other than
 * x-middleware-request-* (those carry the client's own headers back and
 * are bounded by the payload size only)
 */
#define MW_DECISION_MAX_FIELDS  1000


typedef enum {
    MW_DECISION_NEXT = 0,
    MW_DECISION_REWRITE,
    MW_DECISION_REDIRECT,
    MW_DECISION_RESPONSE,
    MW_DECISION_ERROR
} mw_decision_kind_e;


typedef struct mw_decision_s {
    mw_decision_kind_e   kind;
    unsigned             status;        /* 100..599 */

    mw_str_t             rewrite;       /* x-middleware-rewrite, as sent */
    mw_str_t             location;      /* redirect target */
    mw_str_t             error;         /* x-middleware-error message */

    unsigned             pass_through:1;
    unsigned             override:1;    /* override-headers was present */

    /*
     * x-middleware-override-changed was present and override-headers was
     * not: only the listed names change (see mw_decision_changed())
     */
    unsigned             changed:1;

    /*
     * with override: the complete upstream header set, one entry per
     * x-middleware-request-<name> field whose name is in the override list,
     * in the order of the fields; names without the prefix.  With changed:
     * the same for the names of the changed list, the new lines of those
     * names
     */
    mw_headers_t         request;

    /*
     * with changed: the non-empty names of the changed lists, sorted
     * case-insensitively (pointing into the payload)
     */
    mw_str_t            *names;
    size_t               nnames;

    /* every field that is not part of the protocol, in order */
    mw_headers_t         response;

    mw_str_t             body;
} mw_decision_t;


/*
 * Decodes a version 1 payload (docs/PROTOCOL.md).
 *
 * The payload is decoded in place (unescaping only shrinks), so the strings
 * in d point into it and it must live as long as d.  Arrays are allocated
 * with a.  On MW_ERROR, err holds a one-line message naming the problem,
 * e.g. "invalid value of header \"x-a\" in middleware decision", with any
 * byte outside printable ASCII shown as \xHH.
 *
 * Returns MW_OK, MW_ERROR or MW_NOMEM.
 */
int mw_decision_parse(unsigned char *payload, size_t len, mw_decision_t *d,
    mw_alloc_t *a, char *err, size_t errlen);

/*
 * The upstream request header set of a decision with d->changed: out =
 * the lines of orig whose name is not in d->names, in their order,
 * followed by the lines of d->request; names an override cannot change
 * (mw_header_is_protected_request()) keep their lines of orig, and lines
 * of d->request with such a name are left out.  Names and values are not
 * copied: out points into orig and d.  out->elts is allocated with a.
 * Returns MW_OK or MW_NOMEM.
 */
int mw_decision_changed(const mw_headers_t *orig, const mw_decision_t *d,
    mw_headers_t *out, mw_alloc_t *a);

/* "next", "rewrite", "redirect", "response" or "error" */
const char *mw_decision_kind_name(mw_decision_kind_e kind);


#endif /* _MW_DECISION_H_INCLUDED_ */
