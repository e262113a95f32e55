
/*
 * Copyright (C) ngx_http_middleware_module authors
 */


#ifndef _MW_COMMON_H_INCLUDED_
#define _MW_COMMON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define MW_OK       0
#define MW_ERROR   -1       /* invalid input, the message says why */
#define MW_NOMEM   -2       /* the allocator failed */


/* a counted string; data need not be NUL-terminated */
typedef struct {
    size_t          len;
    unsigned char  *data;
} mw_str_t;


typedef struct {
    mw_str_t        name;
    mw_str_t        value;
} mw_header_t;


/* an array of headers owned by whoever allocated elts */
typedef struct {
    mw_header_t    *elts;
    size_t          nelts;
} mw_headers_t;


/*
 * the core never calls malloc(): the nginx glue hands it the pool of the
 * request the result belongs to, the unit tests a counting malloc wrapper;
 * memory is released with the pool, never piecewise
 */
typedef struct {
    void         *(*alloc)(void *data, size_t size);
    void           *data;
} mw_alloc_t;


/* room for a one-line error message, always NUL-terminated */
#define MW_ERRLEN  256


#endif /* _MW_COMMON_H_INCLUDED_ */
