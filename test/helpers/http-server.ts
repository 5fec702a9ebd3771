import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A small local HTTP server for download tests (127.0.0.1 only, random port). It serves bodies
 * from a map, honours `Range` (so resumable downloaders can be tested), can require an exact
 * `Authorization` header, and can inject failures (status codes, a connection cut after N bytes,
 * a stall after N bytes) for the next request(s) to a path. Every request is logged.
 *
 * @example
 * const server = await startTestServer({ files: { "/a.bin": bytes }, auth: "Bearer hf_test" });
 * await fetch(server.url + "/a.bin", { headers: { Authorization: "Bearer hf_test" } });
 * await server.close();
 */

/** A dynamic route: return a status, headers and body for a request (e.g. a JSON API page). */
export type RouteHandler = (req: IncomingMessage, url: URL, server: TestServer) => RouteResponse | Promise<RouteResponse>;
export interface RouteResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}
export type Route = string | Uint8Array | RouteHandler;

export interface Failure {
  /** Answer with this status (and a short text body) instead of the content. */
  status?: number;
  /** Send the headers and this many body bytes, then destroy the socket. */
  truncateAfter?: number;
  /** Send the headers and this many body bytes, then hang until the client gives up or the server closes. */
  stallAfter?: number;
  /** How many matching requests this failure applies to (default 1; Infinity for all). */
  times?: number;
  /**
   * Read truncateAfter/stallAfter as offsets in the file rather than in this response body, so
   * that "the connection dies at byte N" holds whatever ranges a parallel downloader asks for.
   */
  absolute?: boolean;
  /** Only requests for which this is true match (e.g. skip a downloader's 1-byte probe). */
  when?: (req: IncomingMessage) => boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  range?: string;
  /** True when an Authorization header was sent (its value is never recorded). */
  authorized: boolean;
  status: number;
  /** Body bytes written (after any truncation). */
  bytesSent: number;
}

export interface TestServerOptions {
  files?: Record<string, Route>;
  /** Exact Authorization header every request must carry, e.g. "Bearer hf_secret"; 401 otherwise. */
  auth?: string;
  /** Advertise and honour byte ranges (default true). */
  ranges?: boolean;
}

export interface TestServer {
  url: string;
  requests: RequestRecord[];
  setRoute(path: string, route: Route): void;
  deleteRoute(path: string): void;
  /** Fail the next request(s) whose path equals `path`. */
  failNext(path: string, failure: Failure): void;
  close(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const routes = new Map<string, Route>(Object.entries(options.files ?? {}));
  const failures = new Map<string, Failure[]>();
  const sockets = new Set<Socket>();
  const ranges = options.ranges ?? true;
  const requests: RequestRecord[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const api: TestServer = {
    url: "",
    requests,
    setRoute: (path, route) => void routes.set(path, route),
    deleteRoute: (path) => void routes.delete(path),
    failNext(path, failure) {
      const list = failures.get(path) ?? [];
      list.push({ times: 1, ...failure });
      failures.set(path, list);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  function takeFailure(path: string, req: IncomingMessage): Failure | undefined {
    const list = failures.get(path) ?? [];
    const at = list.findIndex((f) => !f.when || f.when(req));
    if (at < 0) return undefined;
    const failure = list[at];
    failure.times = (failure.times ?? 1) - 1;
    if (failure.times <= 0) list.splice(at, 1);
    return failure;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const record: RequestRecord = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.search,
      range: req.headers.range,
      authorized: req.headers.authorization !== undefined,
      status: 0,
      bytesSent: 0,
    };
    requests.push(record);
    const send = (status: number, headers: Record<string, string | number>, body: Uint8Array, failure?: Failure, start = 0): void => {
      record.status = status;
      res.writeHead(status, headers);
      if (req.method === "HEAD") return void res.end();
      const cut = failure?.truncateAfter ?? failure?.stallAfter;
      const limit = cut === undefined ? undefined : Math.max(0, cut - (failure?.absolute ? start : 0));
      // A cut at or beyond the end of this body changes nothing: answer normally.
      if (limit === undefined || limit >= body.length) {
        record.bytesSent = body.length;
        return void res.end(body);
      }
      const part = body.subarray(0, Math.min(limit, body.length));
      record.bytesSent = part.length;
      // Flush what we send before cutting, so the client really receives `limit` bytes.
      res.write(part, () => {
        if (failure?.truncateAfter !== undefined) setTimeout(() => res.destroy(), 20);
      });
    };

    if (options.auth !== undefined && req.headers.authorization !== options.auth) {
      // Like the hub: a 401 that never echoes what was sent.
      return send(401, { "Content-Type": "text/plain" }, Buffer.from("Unauthorized"));
    }
    const failure = takeFailure(url.pathname, req);
    if (failure?.status !== undefined) {
      return send(failure.status, { "Content-Type": "text/plain" }, Buffer.from(`simulated ${failure.status}`));
    }
    const route = routes.get(url.pathname);
    if (route === undefined) return send(404, { "Content-Type": "text/plain" }, Buffer.from("Not Found"));

    if (typeof route === "function") {
      const out = await route(req, url, api);
      const body = typeof out.body === "string" ? Buffer.from(out.body) : (out.body ?? new Uint8Array());
      return send(out.status ?? 200, { "Content-Length": body.length, ...out.headers }, body, failure);
    }

    const body = typeof route === "string" ? Buffer.from(route) : route;
    const headers: Record<string, string | number> = { "Content-Type": "application/octet-stream" };
    if (ranges) headers["Accept-Ranges"] = "bytes";
    const match = ranges && req.headers.range ? /^bytes=(\d*)-(\d*)$/.exec(req.headers.range) : null;
    if (match) {
      const total = body.length;
      let start = match[1] === "" ? total - Number(match[2]) : Number(match[1]);
      let end = match[1] === "" || match[2] === "" ? total - 1 : Math.min(Number(match[2]), total - 1);
      if (match[1] === "" && match[2] === "") start = total;
      if (start < 0) start = 0;
      if (start >= total || end < start) {
        return send(416, { "Content-Range": `bytes */${total}` }, new Uint8Array());
      }
      const slice = body.subarray(start, end + 1);
      headers["Content-Range"] = `bytes ${start}-${end}/${total}`;
      headers["Content-Length"] = slice.length;
      return send(206, headers, slice, failure, start);
    }
    headers["Content-Length"] = body.length;
    return send(200, headers, body, failure);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
