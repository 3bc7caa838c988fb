/**
 * Bounded capture of a process's output. `HeadTailCapture` keeps the first and last halves of a
 * stream of any length in fixed memory, for what the agent reads; `ByteCollector` keeps every byte
 * up to a limit and says when it overflowed, for files and git output the service parses.
 */

/** Keeps at most `maxBytes`: the head half and a ring buffer with the tail half. */
export class HeadTailCapture {
  private readonly head: Buffer;
  private readonly tail: Buffer;
  private headLength = 0;
  private tailEnd = 0;
  private tailLength = 0;
  /** Every byte pushed so far, kept or not. */
  totalBytes = 0;

  constructor(maxBytes: number) {
    const headCap = Math.floor(maxBytes / 2);
    // Unzeroed is safe: only bytes written by push() are ever read back.
    this.head = Buffer.allocUnsafe(headCap);
    this.tail = Buffer.allocUnsafe(maxBytes - headCap);
  }

  push(chunk: Uint8Array): void {
    this.totalBytes += chunk.length;
    const toHead = Math.min(this.head.length - this.headLength, chunk.length);
    if (toHead > 0) {
      this.head.set(chunk.subarray(0, toHead), this.headLength);
      this.headLength += toHead;
    }
    const rest = chunk.subarray(toHead);
    const cap = this.tail.length;
    if (rest.length === 0 || cap === 0) return;
    if (rest.length >= cap) {
      this.tail.set(rest.subarray(rest.length - cap), 0);
      this.tailEnd = 0;
      this.tailLength = cap;
      return;
    }
    const first = Math.min(rest.length, cap - this.tailEnd);
    this.tail.set(rest.subarray(0, first), this.tailEnd);
    this.tail.set(rest.subarray(first), 0);
    this.tailEnd = (this.tailEnd + rest.length) % cap;
    this.tailLength = Math.min(cap, this.tailLength + rest.length);
  }

  /** The kept bytes as UTF-8, with a marker line where bytes were cut (never inside a character). */
  result(): { text: string; truncated: boolean } {
    const head = this.head.subarray(0, this.headLength);
    const tail =
      this.tailLength < this.tail.length
        ? this.tail.subarray(0, this.tailLength)
        : Buffer.concat([this.tail.subarray(this.tailEnd), this.tail.subarray(0, this.tailEnd)]);
    if (this.totalBytes === head.length + tail.length) {
      return { text: Buffer.concat([head, tail]).toString("utf8"), truncated: false };
    }
    const keptHead = head.subarray(0, completeUtf8Length(head));
    let tailStart = 0;
    while (tailStart < Math.min(3, tail.length) && isContinuation(tail[tailStart] ?? 0)) tailStart++;
    const keptTail = tail.subarray(tailStart);
    const cut = this.totalBytes - keptHead.length - keptTail.length;
    const marker = `\n[… ${cut.toLocaleString("en-US")} bytes cut …]\n`;
    return { text: `${keptHead.toString("utf8")}${marker}${keptTail.toString("utf8")}`, truncated: true };
  }
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/** Length of `bytes` without a multi-byte character cut off at its end. */
function completeUtf8Length(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if (isContinuation(byte)) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Keeps every byte up to `limit`; past it, keeps nothing more and reports `overflowed`. */
export class ByteCollector {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  overflowed = false;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): void {
    if (this.overflowed) return;
    if (this.length + chunk.length > this.limit) {
      this.overflowed = true;
      return;
    }
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.length += chunk.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}
