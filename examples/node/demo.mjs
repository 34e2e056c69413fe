// `make demo` (for now): start the mock Musement API, log in with the package, print a few
// activities and the token's lifetime, then stop. No real credentials are needed.
//
// With MUSEMENT_BASE_URL, MUSEMENT_APPLICATION, MUSEMENT_CLIENT_ID and MUSEMENT_CLIENT_SECRET
// in the environment it talks to that API instead of the mock.

import { MusementClient, MusementError } from "musement-auth";
import { startMock } from "../../tests/mock/musement-mock.mjs";

const real = process.env.MUSEMENT_BASE_URL;
const mock = real ? null : await startMock();
const options = real
  ? {
      baseUrl: real,
      application: process.env.MUSEMENT_APPLICATION,
      clientId: process.env.MUSEMENT_CLIENT_ID,
      clientSecret: process.env.MUSEMENT_CLIENT_SECRET,
    }
  : { baseUrl: mock.baseUrl, application: "musement-auth-demo", clientId: mock.clientId, clientSecret: mock.clientSecret };

try {
  const client = new MusementClient({ ...options, language: "en-US", currency: "EUR" });
  console.log(`API: ${options.baseUrl}${mock ? " (local mock)" : ""}`);

  const info = await client.login();
  console.log(`Logged in: a ${info.tokenType} token, valid ${info.expiresIn} s, until ${new Date(info.expiresAt).toISOString()}`);

  const activities = await client.json("/activities?limit=5");
  console.log("\nFive activities:");
  for (const a of activities) {
    console.log(`  ${a.title.padEnd(48)} ${a.city?.name?.padEnd(10) ?? ""} ${a.retail_price?.formatted_value ?? ""}`);
  }

  // Ten calls at once share the token: no further login.
  await Promise.all(Array.from({ length: 10 }, () => client.json("/cities?limit=3")));
  console.log(`\nAfter 11 API calls: ${JSON.stringify(client.stats)}`);

  try {
    await client.json("/no-such-endpoint");
  } catch (error) {
    if (!(error instanceof MusementError)) throw error;
    console.log(`An API error, as the package reports it: ${error.code} (HTTP ${error.status}): ${error.message}`);
  }
  client.dispose();
} finally {
  await mock?.close();
}
