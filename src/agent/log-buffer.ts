/**
 * What the agent keeps of an app's output: the last lines of every instance, already
 * redacted, in memory only (nothing an app prints is written into the state directory).
 * The agent also copies each line to its own stderr (the journal under systemd), prefixed
 * with the app and instance.
 */

export interface LogLine {
  at: number;
  app: string;
  slot: number;
  pid: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

const MAX_LINE = 8192;

export class LogBuffer {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(l: LogLine) => void>();

  constructor(private readonly capacity = 2000) {}

  push(entry: LogLine): void {
    const line = entry.line.length > MAX_LINE ? `${entry.line.slice(0, MAX_LINE)}…` : entry.line;
    const l = { ...entry, line };
    this.lines.push(l);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    for (const f of this.listeners) f(l);
  }

  tail(n: number): LogLine[] {
    return this.lines.slice(Math.max(0, this.lines.length - n));
  }

  subscribe(f: (l: LogLine) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}

/** Cuts a byte stream into lines (a partial last line waits for more). */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(chunk: Uint8Array, emit: (line: string) => void): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    if (this.rest.length > MAX_LINE) {
      parts.push(this.rest);
      this.rest = '';
    }
    for (const p of parts) emit(p.endsWith('\r') ? p.slice(0, -1) : p);
  }

  end(emit: (line: string) => void): void {
    const text = this.rest + this.decoder.decode();
    this.rest = '';
    if (text) emit(text);
  }
}
