/**
 * A binary min-heap on (time, insertion order): what lets the generator emit
 * overlapping sessions in global time order while holding only the sessions
 * still in flight. Equal times leave in insertion order, so output is stable.
 */
export class TimeOrderedQueue<T> {
  #times: number[] = [];
  #seqs: number[] = [];
  #items: T[] = [];
  #nextSeq = 0;

  get size(): number {
    return this.#items.length;
  }

  /** The earliest time queued, or +∞ when empty. */
  peekTime(): number {
    return this.#times[0] ?? Number.POSITIVE_INFINITY;
  }

  push(time: number, item: T): void {
    this.#times.push(time);
    this.#seqs.push(this.#nextSeq++);
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** The earliest item; throws when empty. */
  pop(): T {
    const top = this.#items[0];
    if (top === undefined) throw new RangeError('the queue is empty');
    const last = this.#items.length - 1;
    this.#swap(0, last);
    this.#times.pop();
    this.#seqs.pop();
    this.#items.pop();
    this.#down(0);
    return top;
  }

  #less(i: number, j: number): boolean {
    const ti = this.#times[i] as number;
    const tj = this.#times[j] as number;
    return ti < tj || (ti === tj && (this.#seqs[i] as number) < (this.#seqs[j] as number));
  }

  #swap(i: number, j: number): void {
    [this.#times[i], this.#times[j]] = [this.#times[j] as number, this.#times[i] as number];
    [this.#seqs[i], this.#seqs[j]] = [this.#seqs[j] as number, this.#seqs[i] as number];
    [this.#items[i], this.#items[j]] = [this.#items[j] as T, this.#items[i] as T];
  }

  #up(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(start: number): void {
    let i = start;
    const n = this.#items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.#less(left, smallest)) smallest = left;
      if (right < n && this.#less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
