// Node quick start (CommonJS). Run with the MUSEMENT_* variables set:
//   MUSEMENT_APPLICATION=… MUSEMENT_CLIENT_ID=… MUSEMENT_CLIENT_SECRET=… node quickstart.cjs
const { MusementClient, MusementError } = require("musement-auth");

const client = new MusementClient({
  baseUrl: process.env.MUSEMENT_BASE_URL ?? "https://sandbox.musement.com/api/v3",
  application: process.env.MUSEMENT_APPLICATION,
  clientId: process.env.MUSEMENT_CLIENT_ID,
  clientSecret: process.env.MUSEMENT_CLIENT_SECRET,
});

async function main() {
  const cities = await client.json("/cities?limit=5");
  for (const city of cities) console.log(city.name);
  console.log("logins so far:", client.stats.logins);
}

main().catch((error) => {
  if (!(error instanceof MusementError)) throw error;
  console.error(`${error.code}: ${error.message}`);
  process.exitCode = 1;
});
