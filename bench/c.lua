-- C: the same work in Lua (lua-nginx-module, access_by_lua). HMAC-SHA256
-- is OpenSSL's, called through LuaJIT's FFI: nginx links libcrypto, so
-- the symbols resolve in the process (lua-nginx-module itself only has
-- ngx.hmac_sha1). nginx.conf: set $bench_uid ""; access_by_lua_block
-- { require("c").access() }; proxy_set_header x-user-id $bench_uid.

local ffi = require "ffi"
local base64 = require "ngx.base64"
local cjson = require "cjson.safe"

ffi.cdef[[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]]

local C = ffi.C
local str_find, str_sub, str_match, str_gmatch =
    string.find, string.sub, string.match, string.gmatch
local b64url_enc, b64url_dec = base64.encode_base64url, base64.decode_base64url
local json_decode = cjson.decode
local var = ngx.var

local secret = "test-secret"
local sha256 = C.EVP_sha256()
local digest = ffi.new("unsigned char[64]")
local digest_len = ffi.new("unsigned int[1]")

local function hmac_sha256(msg)
    if C.HMAC(sha256, secret, #secret, msg, #msg, digest, digest_len) == nil
    then
        return nil
    end
    return ffi.string(digest, digest_len[0])
end

local function trim(s)
    return str_match(s, "^%s*(.-)%s*$")
end

local function parse_cookies(header)
    local jar = {}
    if header == nil then
        return jar
    end
    for pair in str_gmatch(header, "[^;]+") do
        local eq = str_find(pair, "=", 1, true)
        if eq then
            local name = trim(str_sub(pair, 1, eq - 1))
            if jar[name] == nil then
                jar[name] = trim(str_sub(pair, eq + 1))
            end
        end
    end
    return jar
end

local function is_protected(path)
    return path == "/dashboard" or str_sub(path, 1, 11) == "/dashboard/"
end

local function decode_part(part)
    local raw = b64url_dec(part)
    if raw == nil then
        return nil
    end
    return json_decode(raw)
end

-- the token's subject when it is valid, otherwise nil
local function subject(token, now)
    local h, p, s = str_match(token, "^([^.]*)%.([^.]*)%.([^.]*)$")
    if h == nil then
        return nil
    end
    local mac = hmac_sha256(h .. "." .. p)
    if mac == nil or b64url_enc(mac) ~= s then
        return nil
    end
    local header, claims = decode_part(h), decode_part(p)
    if type(header) ~= "table" or header.alg ~= "HS256" then
        return nil
    end
    if type(claims) ~= "table" or type(claims.exp) ~= "number"
       or claims.exp <= now
    then
        return nil
    end
    if type(claims.sub) ~= "string" then
        return nil
    end
    return claims.sub
end

local _M = {}

function _M.access()
    if not is_protected(var.uri) then
        return
    end
    local token = parse_cookies(var.http_cookie).__session
    local sub = token and subject(token, ngx.now())
    if not sub then
        return ngx.redirect("/sign-in?redirect_url="
                            .. ngx.escape_uri(var.request_uri), 307)
    end
    var.bench_uid = sub
end

return _M
