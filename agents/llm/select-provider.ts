import { env, type LlmEnv } from "../../lib/env";
import { createAnthropicProvider, DEFAULT_ANTHROPIC_MODEL } from "./anthropic";
import type { LlmProvider } from "./provider";

/**
 * The LLM for this process: Anthropic when ANTHROPIC_API_KEY is set, otherwise none (agents then
 * use their heuristics and say so). Models are chosen here, never in agents or handlers.
 */
export function selectLlmProvider(
  config: LlmEnv = env(),
): LlmProvider | null {
  const apiKey = config.ANTHROPIC_API_KEY;
  if (!apiKey) return null;
  return createAnthropicProvider({
    apiKey,
    baseURL: config.ANTHROPIC_BASE_URL,
    model: config.FLOWGATE_REVIEW_MODEL ?? DEFAULT_ANTHROPIC_MODEL,
    timeoutMs: config.FLOWGATE_LLM_TIMEOUT_MS,
    maxRetries: config.FLOWGATE_LLM_MAX_RETRIES,
  });
}
