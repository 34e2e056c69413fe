import { MusementClient } from "musement-auth";

export default {
  fetch(request, env) {
    const client = new MusementClient({ baseUrl: env.MUSEMENT_BASE_URL, application: "bench", clientId: env.MUSEMENT_CLIENT_ID, clientSecret: env.MUSEMENT_CLIENT_SECRET });
    return Response.json({ ok: client instanceof MusementClient });
  },
};
