/**
 * A stand-in for the real terminal (process.stdout) under the screen compositor: records what is
 * written, has a size, and emits "resize" like a TTY.
 */
import { EventEmitter } from "node:events";

export class FakeTerminal extends EventEmitter {
  written = "";
  constructor(
    public columns = 40,
    public rows = 10,
  ) {
    super();
  }
  write(chunk: string): boolean {
    this.written += chunk;
    return true;
  }
  /** What was written since the last take. */
  take(): string {
    const w = this.written;
    this.written = "";
    return w;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}
