// A Worker that keeps the Musement secret server-side: it proxies `GET /activities`,
// `/cities` and friends to the API with the token attached, passing status and body through.
// `GET /status` shows the token's lifecycle (never the token itself).

import { MusementClient, MusementError } from "musement-auth";

const ROUTES = new Set(["activities", "cities", "categories", "countries", "currencies"]);

// One client per isolate, created on the first request (never at module scope, where `env`
// is not available and no timer may be started).
let client;

function musement(env) {
  client ??= new MusementClient({
    baseUrl: env.MUSEMENT_BASE_URL,
    application: env.MUSEMENT_APPLICATION,
    clientId: env.MUSEMENT_CLIENT_ID,
    clientSecret: env.MUSEMENT_CLIENT_SECRET,
    tokenCache: env.MUSEMENT_TOKENS, // optional: share one token across isolates
    refreshMarginSeconds: Number(env.MUSEMENT_REFRESH_MARGIN_SECONDS ?? 60),
  });
  return client;
}

// Pages on ALLOWED_ORIGIN (if set) may read the answers.
function respond(env, body, init) {
  const response = body instanceof Response ? body : Response.json(body, init);
  if (env.ALLOWED_ORIGIN) response.headers.set("Access-Control-Allow-Origin", env.ALLOWED_ORIGIN);
  return response;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = url.pathname.split("/")[1];
    try {
      if (url.pathname === "/status") {
        const { tokenInfo, stats } = musement(env);
        return respond(env, { tokenInfo: tokenInfo ?? null, stats, refreshMarginSeconds: Number(env.MUSEMENT_REFRESH_MARGIN_SECONDS ?? 60) });
      }
      if (!ROUTES.has(route)) return respond(env, { code: "not_found", message: `no route ${url.pathname}` }, { status: 404 });
      if (request.method !== "GET") return respond(env, { code: "method_not_allowed", message: "GET only" }, { status: 405 });
      const upstream = await musement(env).fetch(url.pathname + url.search, {
        headers: { "Accept-Language": request.headers.get("Accept-Language") ?? "en-US" },
      });
      return respond(
        env,
        new Response(upstream.body, {
          status: upstream.status,
          headers: { "Content-Type": upstream.headers.get("Content-Type") ?? "application/json" },
        }),
      );
    } catch (error) {
      if (!(error instanceof MusementError)) throw error;
      const { code, message, status, musementCode } = error;
      return respond(env, { code, message, musementCode }, { status: status >= 400 ? status : 502 });
    }
  },
};
