// One cold start in a fresh Node process: load the module and construct a client. Prints ms.
const which = process.argv[2];
const options = {
  baseUrl: "https://api.example.test/api/v3",
  application: "bench",
  clientId: "bench-id",
  clientSecret: "bench-secret",
};
const started = performance.now();
if (which === "package") {
  const { MusementClient } = await import("musement-auth");
  new MusementClient(options);
} else {
  const { PlainClient } = await import("./baseline.mjs");
  new PlainClient(options);
}
console.log(performance.now() - started);
