// Node quick start (ES modules). Run with the MUSEMENT_* variables set:
//   MUSEMENT_APPLICATION=… MUSEMENT_CLIENT_ID=… MUSEMENT_CLIENT_SECRET=… node quickstart.mjs
import { MusementClient, MusementError } from "musement-auth";

const client = new MusementClient({
  baseUrl: process.env.MUSEMENT_BASE_URL ?? "https://sandbox.musement.com/api/v3",
  application: process.env.MUSEMENT_APPLICATION,
  clientId: process.env.MUSEMENT_CLIENT_ID,
  clientSecret: process.env.MUSEMENT_CLIENT_SECRET,
  language: "en-US",
  currency: "EUR",
});

try {
  const activities = await client.json("/activities?limit=5"); // logs in first, once
  for (const activity of activities) console.log(activity.title);
  console.log("token valid until", new Date(client.tokenInfo.expiresAt).toISOString());
} catch (error) {
  if (!(error instanceof MusementError)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 1;
}
