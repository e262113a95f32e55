
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#ifndef _MW_HEADER_H_INCLUDED_
#define _MW_HEADER_H_INCLUDED_


#include <mw_common.h>


/* 1 if name is a non-empty RFC 9110 token */
int mw_header_name_valid(const unsigned char *name, size_t len);

/* 1 if value holds no CR, LF or NUL */
int mw_header_value_valid(const unsigned char *value, size_t len);

/*
 * One request header line in the runtime's fast form: "Name\nname\nvalue\n"
 * (the name as sent, then in lower case) written to out, which has room
 * for 2 * name.len + value.len + 3 bytes.  Returns the bytes written, or
 * 0 when the line is not plain: a name that is not a token, or a value
 * with a byte outside 0x01-0x7f or a CR or LF.  The runtime reads such a
 * request's lines one by one instead (js/next/request.js).
 */
size_t mw_header_plain_line(const mw_header_t *h, unsigned char *out);

/* case-insensitive comparison of a header name with a lower-case literal */
int mw_header_name_eq(const unsigned char *name, size_t len,
    const char *lowcase);

/* 1 if the n bytes of name are those of lowcase, in any case */
int mw_header_eq_lower(const unsigned char *name, const char *lowcase,
    size_t n);

/*
 * mw_header_name_eq() with a string literal: the length is known at
 * compile time and compared inline, so a name of another length costs
 * no call (the decision's fields are classified by many of these)
 */
#define mw_header_name_is(name, len, lit)                                     \
    ((len) == sizeof(lit) - 1                                                 \
     && mw_header_eq_lower(name, lit, sizeof(lit) - 1))

/* 1 if the name starts with "x-middleware-" (any case) */
int mw_header_is_protocol(const unsigned char *name, size_t len);

/*
 * 1 for request headers that a client must not send to us: every
 * x-middleware-* name and the other Next.js internal names
 * (x-invoke-*, x-now-route-matches, x-matched-path, x-nextjs-data,
 * x-next-resume-state-length, next-resume); the module strips them from
 * the client request before the middleware and the upstream see it
 */
int mw_header_is_internal_request(const unsigned char *name, size_t len);

/*
 * 1 for request headers an override cannot change: they frame the client
 * body or belong to the hop (content-length, transfer-encoding, connection,
 * keep-alive, proxy-connection, te, trailer, upgrade, expect)
 */
int mw_header_is_protected_request(const unsigned char *name, size_t len);

/*
 * 1 for middleware response headers never copied onto a client response
 * (content-length, transfer-encoding, connection, keep-alive,
 * proxy-connection, upgrade, te, trailer, content-encoding, accept-encoding,
 * expect, x-middleware-*)
 */
int mw_header_is_skipped_response(const unsigned char *name, size_t len);

/*
 * The upstream request header set after an override (see mw_decision_t):
 * out = the protected headers of orig, in their order, followed by the
 * override headers (d->request) that are not protected.  Names and values
 * are not copied: out points into orig and d.  out->elts is allocated
 * with a.  Returns MW_OK or MW_NOMEM.
 */
struct mw_decision_s;

int mw_header_override(const mw_headers_t *orig,
    const struct mw_decision_s *d, mw_headers_t *out, mw_alloc_t *a);


#endif /* _MW_HEADER_H_INCLUDED_ */
