/**
 * Method 4, Groq: the backend over groq-sdk (retry-after, rate limits, Spanish errors, no key
 * leaks), the wire types, the one online/offline rule, the connection used by notebook 04 and
 * its errors section, and standin/: the kit's offline Groq-protocol server and its process.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./wire.ts";
export * from "./errors.ts";
export * from "./mode.ts";
export * from "./connect.ts";
export * from "./demo.ts";
export * from "./standin/process.ts";
export * from "./standin/server.ts";
