import { createAnthropicProvider, DEFAULT_ANTHROPIC_MODEL } from "./anthropic";
import type { LlmProvider } from "./provider";

/**
 * The LLM for this process: Anthropic when ANTHROPIC_API_KEY is set, otherwise none (agents then
 * use their heuristics and say so). Models are chosen here, never in agents or handlers.
 */
export function selectLlmProvider(source: NodeJS.ProcessEnv = process.env): LlmProvider | null {
  const apiKey = source.ANTHROPIC_API_KEY;
  if (!apiKey) return null;
  return createAnthropicProvider({
    apiKey,
    baseURL: source.ANTHROPIC_BASE_URL || undefined,
    model: source.FLOWGATE_REVIEW_MODEL || DEFAULT_ANTHROPIC_MODEL,
    timeoutMs: source.FLOWGATE_LLM_TIMEOUT_MS ? Number(source.FLOWGATE_LLM_TIMEOUT_MS) : undefined,
    maxRetries: source.FLOWGATE_LLM_MAX_RETRIES ? Number(source.FLOWGATE_LLM_MAX_RETRIES) : undefined,
  });
}
