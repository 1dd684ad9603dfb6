// Pandora request signing in the browser (spec §2), with WebCrypto HMAC-SHA1.
//
// A page's fetch() may not set the `Date` header, which the 2-part signature (§2.1) covers and
// the server requires; the console therefore signs every request with a short-lived token
// (§2.5): the 3-part form, bound to one method, resource and Content-Type, whose `expires`
// replaces the Date check (§2.4 step 4.9). The secret key never leaves the page: only the
// HMAC goes on the wire.

const encoder = new TextEncoder();

/** urlsafe base64 with '=' padding of bytes (an ArrayBuffer or Uint8Array). */
export function urlsafeBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const b of view) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
}

/** urlsafe-base64(HMAC-SHA1(secretKey, message)), both as UTF-8 text. */
export async function hmacSha1(secretKey, message) {
  const key = await crypto.subtle.importKey(
    "raw", encoder.encode(secretKey), { name: "HMAC", hash: "SHA-1" }, false, ["sign"],
  );
  return urlsafeBase64(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** The Go SDK's form of the X-Qiniu-* headers (§2.2 item 3): "\nname:value" each, sorted. */
export function qiniuHeaders(headers = {}) {
  return Object.keys(headers)
    .filter((k) => k.toLowerCase().startsWith("x-qiniu-") && k.length > 8)
    .map((k) => [k.toLowerCase(), headers[k]])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `\n${k}:${v}`)
    .join("");
}

/** The string a 2-part signature covers (§2.1 prefix, §2.2 headers and resource). */
export function stringToSign({ method, path, contentType = "", contentMD5 = "", date = "", headers = {} }) {
  return `${method.toUpperCase()}\n${contentMD5}\n${contentType}\n${date}\n${qiniuHeaders(headers)}${path}`;
}

/** `Pandora <ak>:<sign>` for a request (§2.1); the caller must send the same Date header. */
export async function signature(accessKey, secretKey, request) {
  return `Pandora ${accessKey}:${await hmacSha1(secretKey, stringToSign(request))}`;
}

/** `Pandora <ak>:<sign>:<description>`, a token for one request (§2.5). `resource` is the
 * path, or path?query exactly as sent; `expires` is in unix seconds. */
export async function token(accessKey, secretKey, { resource, expires, method, contentType = "", contentMD5 = "", headers = "" }) {
  // Member order as the Go SDK writes them; the verifier HMACs the encoded text as received.
  const description = JSON.stringify({
    resource, expires, contentMD5, contentType, headers, method: method.toUpperCase(),
  });
  const encoded = urlsafeBase64(encoder.encode(description));
  return `Pandora ${accessKey}:${await hmacSha1(secretKey, encoded)}:${encoded}`;
}
