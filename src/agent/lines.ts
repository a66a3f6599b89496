/**
 * JSON-lines framing shared by the socket server, its clients and the rpc bridge: bytes in,
 * complete lines out, with a hard limit on a line's length so a peer cannot make the agent
 * buffer without end.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.overflowed) {
        this.size += end - start;
        if (this.size > this.maxBytes) {
          this.overflowed = true;
          this.parts = [];
          this.onOverflow();
        } else {
          this.parts.push(chunk.subarray(start, end));
        }
      }
      if (nl < 0) return;
      if (!this.overflowed) {
        const line = Buffer.concat(this.parts).toString('utf8');
        if (line.trim() !== '') this.onLine(line);
      }
      this.parts = [];
      this.size = 0;
      this.overflowed = false;
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (!this.overflowed && this.size > 0) {
      const line = Buffer.concat(this.parts).toString('utf8');
      if (line.trim() !== '') this.onLine(line);
    }
    this.parts = [];
    this.size = 0;
  }
}
