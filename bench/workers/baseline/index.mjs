import { PlainClient } from "../../baseline.mjs";

export default {
  fetch(request, env) {
    const client = new PlainClient({ baseUrl: env.MUSEMENT_BASE_URL, application: "bench", clientId: env.MUSEMENT_CLIENT_ID, clientSecret: env.MUSEMENT_CLIENT_SECRET });
    return Response.json({ ok: client instanceof PlainClient });
  },
};
