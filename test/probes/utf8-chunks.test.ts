import { describe, expect, it } from 'vitest';
import { Utf8Chunks } from '../../harness/probes/utf8-chunks.ts';

// The probe decodes with Utf8Chunks instead of a streaming TextDecoder; the text must be the same
// whatever the chunking, including split characters, a BOM and invalid bytes.
describe('Utf8Chunks decodes like a streaming TextDecoder', () => {
  it('on 20,000 random byte strings cut at random places', () => {
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    // ASCII, line breaks, a BOM, 2/3/4-byte characters, stray continuation and invalid lead bytes.
    const alphabet = [0x41, 0x0a, 0x0d, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc0, 0xf5, 0xed, 0xa0];
    for (let k = 0; k < 20_000; k++) {
      const bytes = Buffer.from(Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]!));
      const cuts: Buffer[] = [];
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + rnd(4);
        cuts.push(bytes.subarray(i, i + n));
        i += n;
      }
      const td = new TextDecoder();
      const want = cuts.map((c) => td.decode(c, { stream: true })).join('') + td.decode();
      const u = new Utf8Chunks();
      expect(cuts.map((c) => u.decode(c)).join('') + u.end()).toBe(want);
    }
  });

  it('emits a complete chunk at once and holds only a split character', () => {
    const u = new Utf8Chunks();
    const euro = Buffer.from('€'); // 3 bytes
    expect(u.decode(Buffer.concat([Buffer.from('data: a\n'), euro.subarray(0, 2)]))).toBe('data: a\n');
    expect(u.decode(euro.subarray(2))).toBe('€');
  });

  it('drops a leading BOM only, even when it arrives a byte at a time', () => {
    const u = new Utf8Chunks();
    const text = [0xef, 0xbb, 0xbf, 0x41, 0xef, 0xbb, 0xbf].map((b) => u.decode(Buffer.from([b]))).join('');
    expect(text).toBe('A\ufeff');
  });
});
