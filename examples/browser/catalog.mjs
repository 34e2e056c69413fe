// Browser quick start: public catalog reads need no secret, and a page must never hold one
// (the client refuses a clientSecret here). Authenticated calls go through your server.
import { MusementClient, MusementError } from "musement-auth";

const client = new MusementClient({
  baseUrl: new URLSearchParams(location.search).get("api") ?? "https://sandbox.musement.com/api/v3",
  application: "my-application",
});

const list = document.querySelector("#cities");
try {
  const cities = await client.json("/cities?limit=5");
  list.replaceChildren(...cities.map((city) => Object.assign(document.createElement("li"), { textContent: city.name })));
} catch (error) {
  list.textContent = error instanceof MusementError ? `${error.code}: ${error.message}` : String(error);
}
