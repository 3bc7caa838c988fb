// Head + tail capture in fixed memory: exact bytes kept, marker arithmetic, no split characters.
import { describe, expect, it } from "vitest";
import { ByteCollector, HeadTailCapture } from "../../src/sandbox-service/output-cap";

describe("HeadTailCapture", () => {
  it("keeps everything up to the limit, whatever the chunking", () => {
    const capture = new HeadTailCapture(10);
    for (const piece of ["abc", "defg", "hij"]) capture.push(Buffer.from(piece));
    expect(capture.result()).toEqual({ text: "abcdefghij", truncated: false });
  });

  it("keeps the head and the tail across many small chunks, with the cut count", () => {
    const capture = new HeadTailCapture(10);
    const input = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (const char of input) capture.push(Buffer.from(char));
    expect(capture.result()).toEqual({ text: "01234\n[… 26 bytes cut …]\nvwxyz", truncated: true });
    const big = new HeadTailCapture(10);
    big.push(Buffer.from(input));
    expect(big.result().text).toBe("01234\n[… 26 bytes cut …]\nvwxyz");
  });

  it("never cuts inside a UTF-8 character", () => {
    const capture = new HeadTailCapture(8);
    // Head half: "a", "é", then the first byte of "€"; tail half: the last byte of "€", then "bé".
    capture.push(Buffer.from("aé€€€€€€bé"));
    const { text, truncated } = capture.result();
    expect(truncated).toBe(true);
    expect(text).toBe("aé\n[… 18 bytes cut …]\nbé");
  });
});

describe("ByteCollector", () => {
  it("reports overflow instead of growing past its limit", () => {
    const collector = new ByteCollector(4);
    collector.push(Buffer.from("abc"));
    expect(collector.overflowed).toBe(false);
    collector.push(Buffer.from("de"));
    expect(collector.overflowed).toBe(true);
    expect(collector.bytes().toString()).toBe("abc");
  });
});
