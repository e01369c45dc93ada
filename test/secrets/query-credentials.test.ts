import { describe, expect, it } from 'vitest';
import { credentialParam, queryCredentials, redactQuery, scrubOwnCredentials, urlSecrets } from '../../harness/secrets/scrubber.ts';

/**
 * A live request's query credentials (`?access_token=`, `?api_key=`, a presigned URL's signature,
 * an OAuth callback's `code`): what a shadow capture writes of its path (redactQuery) and what is
 * scrubbed from its samples as its own credentials (queryCredentials, through requestCredentials),
 * by one name rule (credentialParam), which webhook URLs' query values use too (urlSecrets).
 */
describe('query credentials', () => {
  it('names: the header list and a URL’s own credential names; data names pass', () => {
    for (const n of ['access_token', 'api_key', 'apikey', 'key', 'token', 'sig', 'signature', 'X-Amz-Signature', 'oauth_signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'password', 'secret', 'client_secret', 'code', 'session', 'auth', 'access%5Ftoken', 'user[password]']) {
      expect([n, credentialParam(n)]).toEqual([n, true]);
    }
    for (const n of ['accessToken', 'apiKey', 'sessionId', 'x-api-key', 'refresh_token']) expect([n, credentialParam(n)]).toEqual([n, true]);
    // Data whose names hold a credential word's letters: matched by words, not anywhere in the name (a capture replays them as sent).
    for (const n of ['page', 'limit', 'q', 'sort', 'country_code', 'zip_code', 'signature_version', 'design', 'id', 'keyword', 'keywords', 'author', 'monkey', 'tokenizer', 'passage']) expect([n, credentialParam(n)]).toEqual([n, false]);
  });

  it('redactQuery replaces the values of credential parameters only, every other byte as it was', () => {
    expect(redactQuery('/api/items?access_token=live-secret-123&page=2')).toBe('/api/items?access_token=%5Bredacted%5D&page=2');
    // Encoded names, repeated parameters, `;`, a value holding `=`, flags without a value, an empty value.
    expect(redactQuery('/a?page=2&api%5Fkey=k%2B1%3D&flag&token=&q=x%20y;sig=abc==&token=t2#frag')).toBe('/a?page=2&api%5Fkey=%5Bredacted%5D&flag&token=&q=x%20y;sig=%5Bredacted%5D&token=%5Bredacted%5D#frag');
    // A presigned S3 URL keeps everything but its credential parts.
    expect(redactQuery('/bucket/o.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Expires=300&X-Amz-Signature=ab12cd')).toBe(
      '/bucket/o.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%5Bredacted%5D&X-Amz-Expires=300&X-Amz-Signature=%5Bredacted%5D',
    );
    for (const p of ['/api/items', '/api/items?', '/api/items?page=2&sort=-id', '/x?=token', '/token=abc/x']) expect(redactQuery(p)).toBe(p);
  });

  it('queryCredentials: the values as written and as a server decodes them', () => {
    expect(queryCredentials('/a?page=2&api_key=k%2Bsecret+456&code=oauth-code-1')).toEqual(expect.arrayContaining(['k%2Bsecret+456', 'k+secret 456', 'k+secret+456', 'oauth-code-1']));
    expect(queryCredentials('/a?page=20000&q=hello')).toEqual([]);
  });

  it("a sample's error echoing its own URL's credential, decoded or not, is scrubbed", () => {
    const sample = { error: { code: 'PARITY_HTTP_STATUS', message: 'HTTP 404: no route for /a?apikey=ab%2Bcdef&page=2 (key ab+cdef)' } };
    scrubOwnCredentials(sample, {}, '/a?apikey=ab%2Bcdef&page=2');
    expect(sample.error.message).toBe('HTTP 404: no route for /a?apikey=[redacted]&page=2 (key [redacted])');
  });

  it('webhook URLs: a signature under a prefixed name is a secret too', () => {
    expect(urlSecrets(new URL('https://hooks.example/x?X-Amz-Signature=abcd1234&v=1'))).toContain('abcd1234');
  });
});
