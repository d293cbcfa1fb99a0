/**
 * How protocol features plug into the client: an installer receives the client (engine, store,
 * outbox, disco, settings, publish) and subscribes to what it needs. Features never print; they
 * dispatch store actions and publish events (which headless mode writes as NDJSON).
 */
export type { JabtermClient as FeatureContext } from "../../client.js";
