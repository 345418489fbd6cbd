/**
 * A local HTTP server laid out like the Hugging Face hub for transformers.js
 * (`/{org}/{name}/resolve/main/{file}`, `/api/models` for the reachability probe), serving the
 * forge's `tiny` under hub ids. A gated id answers 401 without a token and 403 with a token
 * that has not accepted the licence, as the hub does; an unknown repo answers 401 RepoNotFound
 * without a token and 404 with one (X-Error-Code, as the hub). It counts the file requests it
 * serves in full (a Range or HEAD request for a size is not a download).
 */
import { join } from "node:path";
import { defaultModelDir, ensureModel } from "../lib/forge/mod.ts";

/** The token the server accepts for gated models (a fake, with the hub's prefix). */
export const HUB_TOKEN = "hf_" + "kitTEST".repeat(5);

/** The running fake hub. */
export interface HubLike {
  url: string;
  /** File requests answered 200, by "org/name/file". */
  served: Map<string, number>;
  close(): Promise<void>;
}

/** Starts the fake hub: `open` ids are public, `gated` ids need {@link HUB_TOKEN}. */
export async function startHubLike(
  open: string[],
  gated: string[],
): Promise<HubLike> {
  const dir = await ensureModel("tiny", { log: () => {} }).then(() => defaultModelDir("tiny"));
  const served = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/api/models") return Response.json([]);
    const m = /^\/([\w.-]+\/[\w.-]+)\/resolve\/main\/(.+)$/.exec(path);
    if (!m || (!open.includes(m[1]) && !gated.includes(m[1]))) {
      // As the hub: 401 without a token (it does not say whether a private repo exists), 404 with one.
      return Response.json({ error: "Repository not found" }, {
        status: req.headers.get("authorization") ? 404 : 401,
        headers: { "x-error-code": "RepoNotFound", "x-error-message": "Repository not found" },
      });
    }
    if (gated.includes(m[1])) {
      const auth = req.headers.get("authorization");
      if (!auth) {
        return Response.json(
          {
            error: `Access to model ${
              m[1]
            } is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          },
          { status: 401, headers: { "x-error-code": "GatedRepo" } },
        );
      }
      if (auth !== `Bearer ${HUB_TOKEN}`) {
        return Response.json(
          {
            error: `Access to model ${
              m[1]
            } is restricted and you are not in the authorized list. Visit https://huggingface.co/${
              m[1]
            } to ask for access.`,
          },
          { status: 403, headers: { "x-error-code": "GatedRepo" } },
        );
      }
    }
    let data: Uint8Array<ArrayBuffer>;
    try {
      data = await Deno.readFile(join(dir, m[2]));
    } catch {
      return Response.json({ error: "Entry not found" }, {
        status: 404,
        headers: { "x-error-code": "EntryNotFound" },
      });
    }
    const key = `${m[1]}/${m[2]}`;
    // transformers.js reads sizes with `Range: bytes=0-0`; the hub answers 206 with Content-Range.
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("range") ?? "");
    if (range) {
      const end = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
      const part = data.slice(Number(range[1]), end + 1);
      return new Response(part, {
        status: 206,
        headers: {
          "content-range": `bytes ${range[1]}-${end}/${data.length}`,
          "content-length": String(part.length),
          "content-type": "application/octet-stream",
        },
      });
    }
    if (req.method === "GET") served.set(key, (served.get(key) ?? 0) + 1);
    return new Response(data, {
      headers: {
        "content-length": String(data.length),
        "content-type": "application/octet-stream",
      },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    served,
    close: () => server.shutdown(),
  };
}
