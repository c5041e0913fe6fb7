import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAnthropicProvider, DEFAULT_ANTHROPIC_MODEL, type AnthropicProviderOptions } from "@/agents/llm/anthropic";
import { LlmError, type StructuredRequest } from "@/agents/llm/provider";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic";

const API_KEY = "sk-ant-test-0123456789abcdefSECRET";

const reviewSchema = z.object({
  risk_score: z.number().int().min(1).max(10),
  review_rationale: z.string(),
});

const reviewRequest: StructuredRequest<z.infer<typeof reviewSchema>> = {
  system: "You review pull requests for risk.",
  prompt: "Rate the risk of this diff: +console.log('hi')",
  schema: reviewSchema,
};

const goodReview = JSON.stringify({ risk_score: 3, review_rationale: "Logging only." });

describe("Anthropic provider against a fake Messages API", () => {
  let api: FakeAnthropic;

  beforeEach(async () => {
    api = await startFakeAnthropic();
  });
  afterEach(async () => api.close());

  // Short backoff keeps retries real but fast; the policy itself is what is under test.
  const provider = (overrides: Partial<AnthropicProviderOptions> = {}) =>
    createAnthropicProvider({ apiKey: API_KEY, baseURL: api.baseURL, retryBaseDelayMs: 10, ...overrides });

  const failureOf = async (promise: Promise<unknown>): Promise<LlmError> => {
    const error = await promise.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  };

  it("returns the parsed output with usage and the answering model, sending key and output format", async () => {
    api.enqueue({ text: goodReview, model: "claude-sonnet-4-5-20250929", usage: { input_tokens: 321, output_tokens: 45 } });

    const result = await provider().structured(reviewRequest);

    expect(result).toMatchObject({
      output: { risk_score: 3, review_rationale: "Logging only." },
      usage: { inputTokens: 321, outputTokens: 45 },
      model: "claude-sonnet-4-5-20250929",
      attempts: 1,
      repaired: false,
      responseText: goodReview,
    });
    expect(result.requestText).toContain(reviewRequest.system);
    expect(result.requestText).toContain(reviewRequest.prompt);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);

    expect(api.requests).toHaveLength(1);
    const [sent] = api.requests;
    const keyHeaders = [sent.headers["x-api-key"], sent.headers.authorization];
    expect(keyHeaders).toContainEqual(expect.stringContaining(API_KEY));
    expect(sent.body).toMatchObject({
      model: DEFAULT_ANTHROPIC_MODEL,
      max_tokens: 4096,
      system: reviewRequest.system,
      messages: [{ role: "user", content: reviewRequest.prompt }],
      output_config: {
        format: {
          type: "json_schema",
          schema: { type: "object", required: ["risk_score", "review_rationale"] },
        },
      },
    });
  });

  it("retries a 429 and succeeds on the second attempt", async () => {
    api.enqueue({ status: 429, retryAfter: 0 }, { text: goodReview });

    const result = await provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest);

    expect(result.output.risk_score).toBe(3);
    expect(result.attempts).toBe(2);
    expect(api.requests).toHaveLength(2);
  });

  it("gives up on persistent 500s as server_error after maxRetries + 1 attempts", async () => {
    api.enqueue({ status: 500 }, { status: 500 }, { status: 500 });

    const error = await failureOf(provider({ model: "claude-sonnet-4-6", maxRetries: 2 }).structured(reviewRequest));

    expect(error.kind).toBe("server_error");
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/HTTP 500 api_error/);
    expect(api.requests).toHaveLength(3);
  });

  it("retries an overloaded 529 and succeeds", async () => {
    api.enqueue({ status: 529 }, { text: goodReview });

    const result = await provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest);

    expect(result.attempts).toBe(2);
    expect(result.output.review_rationale).toBe("Logging only.");
  });

  it("maps persistent overload to overloaded", async () => {
    api.enqueue({ status: 529 }, { status: 529 });

    const error = await failureOf(provider({ model: "claude-sonnet-4-6", maxRetries: 1 }).structured(reviewRequest));

    expect(error.kind).toBe("overloaded");
    expect(error.attempts).toBe(2);
  });

  it("reports a response slower than timeoutMs as timeout", async () => {
    api.enqueue({ delayMs: 2000, text: goodReview });

    const error = await failureOf(
      provider({ model: "claude-sonnet-4-6", timeoutMs: 300, maxRetries: 0 }).structured(reviewRequest),
    );

    expect(error.kind).toBe("timeout");
    expect(error.attempts).toBe(1);
  });

  it("repairs invalid JSON with one follow-up turn carrying the validation error", async () => {
    const notJson = "Sure! Here is the review: risk 3, logging only.";
    api.enqueue(
      { text: notJson, usage: { input_tokens: 100, output_tokens: 20 } },
      { text: goodReview, usage: { input_tokens: 150, output_tokens: 30 } },
    );

    const result = await provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest);

    expect(result).toMatchObject({
      output: { risk_score: 3 },
      repaired: true,
      attempts: 2,
      usage: { inputTokens: 250, outputTokens: 50 },
    });
    expect(result.responseText).toContain(notJson);
    expect(result.responseText).toContain(goodReview);

    const repair = api.requests[1].body;
    expect(repair.output_config.format.type).toBe("json_schema");
    expect(repair.messages).toHaveLength(3);
    expect(repair.messages[0]).toEqual({ role: "user", content: reviewRequest.prompt });
    expect(repair.messages[1]).toEqual({ role: "assistant", content: notJson });
    expect(repair.messages[2].role).toBe("user");
    expect(repair.messages[2].content).toMatch(/Failed to parse structured output as JSON/);
    expect(result.requestText).toContain(repair.messages[2].content);
  });

  it("fails with invalid_output when the repaired reply still breaks the schema", async () => {
    const outOfRange = JSON.stringify({ risk_score: 42, review_rationale: "Very risky." });
    api.enqueue({ text: outOfRange }, { text: outOfRange });

    const error = await failureOf(provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest));

    expect(error.kind).toBe("invalid_output");
    expect(error.attempts).toBe(2);
    expect(error.usage).toEqual({ inputTokens: 240, outputTokens: 80 });
    expect(error.message).toMatch(/risk_score/);
    expect(api.requests[1].body.messages[2].content).toMatch(/risk_score: Too big/);
    expect(api.requests).toHaveLength(2);
  });

  it("maps 401 to auth and 400 to bad_request without retrying", async () => {
    api.enqueue({ status: 401, message: "invalid x-api-key" }, { status: 400, message: "max_tokens: too large" });

    const auth = await failureOf(provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest));
    const badRequest = await failureOf(provider({ model: "claude-sonnet-4-6" }).structured(reviewRequest));

    expect([auth.kind, auth.attempts]).toEqual(["auth", 1]);
    expect([badRequest.kind, badRequest.attempts]).toEqual(["bad_request", 1]);
  });

  it("maps an unreachable server to connection", async () => {
    await api.close();
    const closedURL = api.baseURL;
    api = await startFakeAnthropic(); // afterEach closes this one

    const error = await failureOf(
      createAnthropicProvider({ apiKey: API_KEY, baseURL: closedURL, model: "claude-sonnet-4-6", maxRetries: 1, retryBaseDelayMs: 10 }).structured(
        reviewRequest,
      ),
    );

    expect([error.kind, error.attempts]).toEqual(["connection", 2]);
  });

  it("never puts the API key in an error message, even when the API echoes it", async () => {
    api.enqueue(
      { status: 401, message: `invalid x-api-key: ${API_KEY}` },
      { status: 500, message: `upstream rejected Bearer ${API_KEY}` },
      { delayMs: 1000, text: goodReview },
      { text: `{"risk_score": "${API_KEY}"}` },
      { text: `{"risk_score": "${API_KEY}"}` },
    );
    const noRetries = provider({ model: "claude-sonnet-4-6", maxRetries: 0, timeoutMs: 200 });

    const errors = [
      await failureOf(noRetries.structured(reviewRequest)),
      await failureOf(noRetries.structured(reviewRequest)),
      await failureOf(noRetries.structured(reviewRequest)),
      await failureOf(noRetries.structured(reviewRequest)),
    ];

    expect(errors.map((error) => error.kind)).toEqual(["auth", "server_error", "timeout", "invalid_output"]);
    for (const error of errors) {
      expect(error.message).not.toContain(API_KEY);
      expect(String(error.stack)).not.toContain(API_KEY);
      expect(JSON.stringify(error)).not.toContain(API_KEY);
    }
  });
});

describe("fake Anthropic API", () => {
  it("rejects a request without an API key as authentication_error", async () => {
    const api = await startFakeAnthropic();
    try {
      const response = await fetch(`${api.baseURL}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " },
        body: "{}",
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("request-id")).toMatch(/^req_/);
      expect(await response.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    } finally {
      await api.close();
    }
  });
});
