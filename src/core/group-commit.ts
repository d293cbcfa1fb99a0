/**
 * Group commit: the history store's "stored before shown" with one commit per socket read instead
 * of one per message.
 *
 * The transport parses socket reads in slices of at most READ_SLICE bytes (about ten small
 * messages), each synchronously inside `withinRead`; a "read" below is one such slice. While a
 * read is parsed, a store may hold its writes in one open transaction (`holdCommit`); `settle()`
 * commits everything held, and runs at the end of the read, before the turn ends. Nothing that
 * could show or acknowledge a message leaves the process before that commit:
 * - every write to a server calls `settle()` first (XEP-0198 <a/>, receipts, markers, anything);
 * - published events wait for it (`afterCommit`): headless output, the control socket, hooks;
 * - the store tells its subscribers (the interface) in a later turn; History holds writes only
 *   when the store was built so ("frame" or "coalesce", not "sync");
 * - any other use of the database commits first (searches, pages, the outbox, archive pages).
 * A crash before the commit loses that read's messages and their archive position together, and
 * nothing has acknowledged them: the server sends them again (stream resumption, offline storage)
 * or the archive catch-up fetches them from the position that was not moved on.
 *
 * Writes outside a read (a message opened after decryption, commands, timers) are not held.
 */

let reads = 0;
let settling = false;
const held = new Set<() => void>();
const waiting: (() => void)[] = [];

/** Parse one socket read (`fn`); what was held meanwhile is committed before this returns. */
export function withinRead<T>(fn: () => T): T {
  reads++;
  try {
    return fn();
  } finally {
    if (--reads === 0) settle();
  }
}

/** Whether a socket read is being parsed (writes may be held until its end). */
export function inRead(): boolean {
  return reads > 0;
}

/** A store holds writes in an open transaction: `commit` commits it (and must not throw). */
export function holdCommit(commit: () => void): void {
  held.add(commit);
  if (reads === 0) queueMicrotask(settle); // not inside a read: never past this turn either
}

/**
 * While writes are held (or output already waits for them): queue `fn` to run right after their
 * commit, in the order asked, and return true. Otherwise return false: the caller goes ahead now.
 * `fn` must not throw (it runs at the end of a read or before a write to a server).
 */
export function afterCommit(fn: () => void): boolean {
  if (held.size === 0 && waiting.length === 0) return false;
  waiting.push(fn);
  return true;
}

/** Commit what is held, then run what waited for it. Before anything leaves the process. */
export function settle(): void {
  if (held.size === 0 && (waiting.length === 0 || settling)) return;
  commitHeld();
  // What runs here may write to a server (settling again: only commits), hold writes (committed
  // before the next one runs) or wait itself (queued behind the rest: the order stays as asked).
  if (settling) return;
  settling = true;
  let error: unknown;
  let failed = false;
  try {
    while (waiting.length > 0) {
      commitHeld();
      try {
        waiting.shift()!();
      } catch (err) {
        if (!failed) (failed = true), (error = err);
      }
    }
  } finally {
    settling = false;
  }
  if (failed) throw error;
}

function commitHeld(): void {
  for (const commit of [...held]) {
    held.delete(commit);
    commit();
  }
}
