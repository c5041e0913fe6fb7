/**
 * What the audit benchmarks' chains are made of, from AUDIT_BENCH_PAYLOADS: "engine" (the default)
 * for the events the pipeline really writes (about 1 KB of content on average, measured on the
 * demo's runs), "compact" for one small payload per event (about 340 bytes), the dataset of the
 * figures taken before the engine-shaped one existed.
 */
export const AUDIT_BENCH_PAYLOADS: "engine" | "compact" = process.env.AUDIT_BENCH_PAYLOADS === "compact" ? "compact" : "engine";
