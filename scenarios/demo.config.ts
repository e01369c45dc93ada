import { defineConfig } from 'parity';

/**
 * The demo run (`npm run demo`), shaped like seed 000: Python `POST /chat-stream` (baseline)
 * against Node `POST /chat/stream` (candidate). Copy it and point the URLs at your own backends.
 */
export default defineConfig({
  name: 'demo: python → node chat stream parity',
  targets: [
    {
      name: 'python',
      role: 'baseline',
      baseUrl: '${BASELINE_URL:-http://127.0.0.1:8000}',
      routes: { 'chat.stream': 'POST /chat-stream' },
      stream: 'named-events',
      health: ['/health'],
    },
    {
      name: 'node',
      role: 'candidate',
      baseUrl: '${CANDIDATE_URL:-http://127.0.0.1:3000}',
      routes: { 'chat.stream': 'POST /chat/stream' },
      stream: 'openai',
      health: ['/health', '/infra/health'],
    },
  ],
  scenarios: [
    {
      name: 'chat-stream',
      route: 'chat.stream',
      body: { session_id: '{{session_id}}', message: '{{prompt}}' },
      prompts: 'prompts/rag-chat.jsonl',
      sessionId: 'parity-demo-{{iteration}}',
    },
  ],
  load: {
    vus: 20,
    iterations: 400,
    rampUp: '500ms',
    timeouts: { firstEvent: '2s', idle: '500ms', total: '10s' },
  },
  preflight: { retries: 5, interval: '2s' },
});
