/**
 * A local HTTP server laid out like the Hugging Face hub for transformers.js
 * (`/{org}/{name}/resolve/main/{file}`, `/api/models` for the reachability probe), serving the
 * forge's `tiny` under hub ids. A gated id answers 401 without a token and 403 with a token
 * that has not accepted the licence, as the hub does; an unknown repo answers 401 RepoNotFound
 * without a token and 404 with one (X-Error-Code, as the hub). It counts the file requests it
 * serves in full (a Range or HEAD request for a size is not a download). ONNX files are
 * redirected (302) to a file server on another origin, as the hub sends LFS files to its CDN.
 */
import { join } from "node:path";
import { defaultModelDir, ensureModel } from "../lib/forge/mod.ts";

/** The token the server accepts for gated models (a fake, with the hub's prefix). */
export const HUB_TOKEN = "hf_" + "kitTEST".repeat(5);

/** The running fake hub. */
export interface HubLike {
  url: string;
  /** Files downloaded in full (not a Range request for a size), by "org/name/file". */
  served: Map<string, number>;
  /** Requests that reached the file server (the CDN) carrying an Authorization header. */
  cdnSawToken: number;
  close(): Promise<void>;
}

/** Large files live in LFS/Xet storage: the hub redirects them to a CDN, as huggingface.co does. */
const LFS = /^onnx\//;

/**
 * Starts the fake hub: `open` ids are public, `gated` ids need {@link HUB_TOKEN}. Small files are
 * answered by the hub itself; ONNX files with a 302 to a second server on another port (the
 * CDN, other origin, signed URL, no token needed), with `x-linked-size` and `x-repo-commit`.
 */
export async function startHubLike(
  open: string[],
  gated: string[],
  /** Files a repo does not have (e.g. a model published without its q8 file), by id. */
  missing: Record<string, string[]> = {},
): Promise<HubLike> {
  const dir = await ensureModel("tiny", { log: () => {} }).then(() => defaultModelDir("tiny"));
  const served = new Map<string, number>();
  const state = { cdnSawToken: 0 };
  const commit = "0123456789abcdef0123456789abcdef01234567";

  /** The bytes of `file`, answering a `Range: bytes=a-b` (transformers.js's size probe) with 206. */
  const bytes = (req: Request, key: string, data: Uint8Array<ArrayBuffer>): Response => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("range") ?? "");
    const type = { "content-type": "application/octet-stream" };
    if (range) {
      const end = Math.min(range[2] ? Number(range[2]) : data.length - 1, data.length - 1);
      const part = data.slice(Number(range[1]), end + 1);
      return new Response(part, {
        status: 206,
        headers: {
          ...type,
          "content-range": `bytes ${range[1]}-${end}/${data.length}`,
          "content-length": String(part.length),
        },
      });
    }
    if (req.method === "GET") served.set(key, (served.get(key) ?? 0) + 1);
    if (LFS.test(key.split("/").slice(2).join("/"))) {
      return new Response(data, { headers: { ...type, "content-length": String(data.length) } });
    }
    // Small files come chunked, without Content-Length (as a compressing front end sends them).
    return new Response(ReadableStream.from([data]), { headers: type });
  };
  const read = (file: string, id: string) =>
    missing[id]?.includes(file) ? null : Deno.readFile(join(dir, file)).catch(() => null);

  const cdn = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.headers.get("authorization")) state.cdnSawToken++;
    const u = new URL(req.url);
    const m = /^\/repos\/([\w.-]+\/[\w.-]+)\/(.+)$/.exec(decodeURIComponent(u.pathname));
    const data = m && u.searchParams.get("X-Amz-Signature") === "kit"
      ? await read(m[2], m[1])
      : null;
    if (!m || !data) return new Response("AccessDenied", { status: 403 });
    return bytes(req, `${m[1]}/${m[2]}`, data);
  });

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
    const data = await read(m[2], m[1]);
    if (!data) {
      return Response.json({ error: "Entry not found" }, {
        status: 404,
        headers: { "x-error-code": "EntryNotFound", "x-error-message": "Entry not found" },
      });
    }
    if (LFS.test(m[2])) {
      const location = `http://127.0.0.1:${cdn.addr.port}/repos/${m[1]}/${
        m[2]
      }?X-Amz-Signature=kit`;
      return new Response(null, {
        status: 302,
        headers: {
          location,
          "x-linked-size": String(data.length),
          "x-repo-commit": commit,
          "x-linked-etag": `"${commit.slice(0, 16)}"`,
        },
      });
    }
    return bytes(req, `${m[1]}/${m[2]}`, data);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    served,
    get cdnSawToken() {
      return state.cdnSawToken;
    },
    close: async () => {
      await server.shutdown();
      await cdn.shutdown();
    },
  };
}

/** A server that accepts connections and never answers (a hub that hangs). */
export function startSilentServer(): { url: string; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) conns.push(c);
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close: async () => {
      listener.close();
      await accepting.catch(() => {});
      for (const c of conns) c.close();
    },
  };
}
