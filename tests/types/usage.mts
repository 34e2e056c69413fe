// Compiled with `tsc --noEmit` by tests/node/types.test.mjs: the package's types describe the
// API as the README does, with no `any` where a type is known.
import {
  MusementClient,
  MusementError,
  type MusementClientOptions,
  type MusementErrorCode,
  type MusementStats,
  type MusementTokenCache,
  type TokenInfo,
} from "musement-auth";

const cache: MusementTokenCache = {
  get: async (key: string) => (key ? null : "cached"),
  put: async (_key: string, _value: string, options: { expirationTtl: number }) => options.expirationTtl,
};

const options: MusementClientOptions = {
  baseUrl: "https://sandbox.musement.com/api/v3",
  application: "types",
  clientId: "id",
  clientSecret: "secret",
  language: "en-US",
  currency: "EUR",
  market: "us",
  refreshMarginSeconds: 30,
  timeoutMs: 5000,
  maxRetries: 1,
  fetch: (input, init) => fetch(input, init),
  tokenCache: cache,
};

export async function use(): Promise<void> {
  const client = new MusementClient(options);
  const info: TokenInfo = await client.login();
  const expiresAt: number = info.expiresAt;
  const scope: string | null = info.scope;
  const token: string = await client.accessToken();
  const response: Response = await client.fetch("/activities");
  const again: Response = await client.fetch(new Request("https://sandbox.musement.com/api/v3/cities"), { headers: { "x-trace": "1" } });
  const body: unknown = await client.json("/cities", { signal: AbortSignal.timeout(1000) });
  const current: TokenInfo | undefined = client.tokenInfo;
  const stats: MusementStats = client.stats;
  const total: number = stats.logins + stats.retries + stats.cacheHits;
  client.clearToken();
  client.dispose();
  try {
    await client.json("/cities");
  } catch (error) {
    if (error instanceof MusementError) {
      const code: MusementErrorCode = error.code;
      const status: number | undefined = error.status;
      const musementCode: string | undefined = error.musementCode;
      const asError: Error = error;
      console.log(code, status, musementCode, asError.message);
    }
  }
  console.log(expiresAt, scope, token.length, response.status, again.status, body, current, total);
}

// @ts-expect-error application is required
new MusementClient({ baseUrl: "https://sandbox.musement.com/api/v3" });
// @ts-expect-error timeoutMs is a number
new MusementClient({ baseUrl: "https://sandbox.musement.com/api/v3", application: "a", timeoutMs: "10" });
// @ts-expect-error TokenInfo never holds the token
export const leaked = (info: TokenInfo) => info.accessToken;
// @ts-expect-error codes are a fixed set
export const badCode: MusementErrorCode = "oops";
