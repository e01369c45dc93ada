import type { PRESET_NAMES, StreamProfileSpec } from '../config/schema.ts';

/**
 * Built-in stream profiles for the SSE framings chat backends actually use. A target names one
 * (`stream: 'openai'`) or starts from one and overrides parts (`stream: { preset: 'openai', ... }`).
 */
export const STREAM_PRESETS = {
  /** OpenAI-style chat completion chunks: `data: {"choices":[{"delta":{"content":"..."}}]}` then `data: [DONE]`. */
  openai: {
    json: true,
    content: { path: 'choices[0].delta.content' },
    citations: { path: 'citations' },
    terminal: { data: '[DONE]' },
    error: { field: 'error' },
    // `usage` arrives in a last chunk (choices: []) when the request asks for it (stream_options.include_usage).
    tokens: { path: 'usage.completion_tokens' },
    finishReason: { path: 'choices[0].finish_reason', normal: ['stop', 'tool_calls', 'function_call'] },
  },
  /** Named events: `event: token|citations|done|error` with JSON data. */
  'named-events': {
    json: true,
    content: { match: { event: 'token' }, path: 'text' },
    citations: { match: { event: 'citations' }, path: 'citations' },
    terminal: { event: 'done' },
    error: { event: 'error' },
    // The terminal event carries them: `event: done` `data: {"finish_reason":"stop","tokens":40}`.
    tokens: { path: 'tokens' },
    finishReason: { path: 'finish_reason', normal: ['stop'] },
  },
  /** Unnamed events whose JSON data carries a `type`: token, citations, done, error. */
  'typed-json': {
    json: true,
    content: { match: { field: 'type', equals: 'token' }, path: 'content' },
    citations: { match: { field: 'type', equals: 'citations' }, path: 'citations' },
    terminal: { field: 'type', equals: 'done' },
    error: { field: 'type', equals: 'error' },
    // `{"type":"done","finish_reason":"stop","tokens":40}`.
    tokens: { path: 'tokens' },
    finishReason: { path: 'finish_reason', normal: ['stop'] },
  },
} satisfies Record<(typeof PRESET_NAMES)[number], StreamProfileSpec>;

