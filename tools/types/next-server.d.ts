/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * "next/server" as ngx_http_middleware_module provides it to middleware
 * built with ./build.sh bundle (tools/shim/next-server.js over
 * js/next/server.js).  The shapes are Next.js 16's; what differs at run
 * time is in the README's JS API tables.
 */

declare module 'next/server' {
  export interface RequestCookie { name: string; value: string }

  export interface ResponseCookie extends RequestCookie {
    expires?: number | Date
    maxAge?: number
    domain?: string
    path?: string
    secure?: boolean
    httpOnly?: boolean
    sameSite?: 'strict' | 'lax' | 'none' | boolean
    partitioned?: boolean
    priority?: 'low' | 'medium' | 'high'
  }

  export class RequestCookies {
    constructor(requestHeaders: Headers)
    readonly size: number
    get(name: string | RequestCookie): RequestCookie | undefined
    getAll(name?: string | RequestCookie): RequestCookie[]
    has(name: string): boolean
    set(key: string, value: string): this
    set(options: RequestCookie): this
    delete(names: string | string[]): boolean | boolean[]
    clear(): this
    toString(): string
  }

  export class ResponseCookies {
    constructor(responseHeaders: Headers)
    get(name: string | ResponseCookie): ResponseCookie | undefined
    getAll(name?: string | ResponseCookie): ResponseCookie[]
    has(name: string): boolean
    set(key: string, value: string, cookie?: Partial<ResponseCookie>): this
    set(options: ResponseCookie): this
    delete(name: string | Omit<ResponseCookie, 'value' | 'expires'>): this
    toString(): string
  }

  export class NextURL extends URL {
    basePath: string
    buildId: string | undefined
    locale: string
    readonly defaultLocale: string | undefined
    readonly domainLocale: undefined
    clone(): NextURL
  }

  export interface RequestInit extends globalThis.RequestInit {
    nextConfig?: { basePath?: string; trailingSlash?: boolean }
  }

  export class NextRequest extends Request {
    constructor(input: URL | RequestInfo, init?: RequestInit)
    readonly cookies: RequestCookies
    readonly nextUrl: NextURL
    /** this module: the client address (Next.js 15+: removed) */
    readonly ip?: string
    /** this module: from $middleware_geo_* when configured */
    readonly geo?: { city?: string; country?: string; region?: string; latitude?: string; longitude?: string }
  }

  export interface MiddlewareResponseInit extends globalThis.ResponseInit {
    request?: { headers?: Headers }
  }

  export class NextResponse<Body = unknown> extends Response {
    constructor(body?: BodyInit | null, init?: ResponseInit)
    readonly cookies: ResponseCookies
    static json<JsonBody>(body: JsonBody, init?: ResponseInit): NextResponse<JsonBody>
    static redirect(url: string | NextURL | URL, init?: number | ResponseInit): NextResponse
    static rewrite(destination: string | NextURL | URL, init?: MiddlewareResponseInit): NextResponse
    static next(init?: MiddlewareResponseInit): NextResponse
  }

  export interface WaitUntil { (promise: Promise<any>): void }

  export class NextFetchEvent {
    readonly sourcePage: string
    waitUntil(promise: Promise<any>): void
    passThroughOnException(): void
  }

  export type NextMiddlewareResult = NextResponse | Response | null | undefined | void
  export type NextMiddleware = (request: NextRequest, event: NextFetchEvent) => NextMiddlewareResult | Promise<NextMiddlewareResult>
  export type NextProxy = NextMiddleware

  type RouteHas =
    | { type: 'header' | 'query' | 'cookie'; key: string; value?: string }
    | { type: 'host'; key?: undefined; value: string }

  export interface MiddlewareMatcher {
    source: string
    locale?: false
    has?: RouteHas[]
    missing?: RouteHas[]
  }

  export interface MiddlewareConfig {
    matcher?: string | string[] | MiddlewareMatcher[] | (string | MiddlewareMatcher)[]
    runtime?: string
  }
  export type ProxyConfig = MiddlewareConfig

  export interface UserAgent {
    isBot: boolean
    ua: string
    browser: { name?: string; version?: string; major?: string }
    device: { model?: string; type?: string; vendor?: string }
    engine: { name?: string; version?: string }
    os: { name?: string; version?: string }
    cpu: { architecture?: string }
  }

  export function userAgentFromString(input: string | undefined): UserAgent
  export function userAgent(request: { headers: Headers }): UserAgent

  /** runs once the decision is sent (a waitUntil task) */
  export function after<T>(task: Promise<T> | (() => T | Promise<T>)): void

  /**
   * this module: one event (a string as is, any other value as JSON; one
   * line) for the server's middleware_sink, batched by nginx and POSTed
   * to the sink's location; throws on a line break or outside a request
   */
  export const sink: { send(event: unknown): void }

  /** this module: the running request's execution context, null outside */
  export function getRequestExecutionContext(): {
    waitUntil(promise: Promise<any>): void
    passThroughOnException(): void
    requestId: string
  } | null
}
