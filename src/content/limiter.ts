/** A counting semaphore. Workers give their slot back while they wait for children (deep graphs would deadlock). */
export class Limiter {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = Math.max(1, Math.floor(slots));
  }

  /**
   * Takes a slot, waiting for one if none is free. `first`: ahead of every waiter, for work that holds memory
   * until it gets one (a manifest whose children are done, waiting to be pushed), so what is held drains
   * before new work starts.
   */
  async acquire(first = false): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => (first ? this.#waiting.unshift(resolve) : this.#waiting.push(resolve)));
  }

  /**
   * Runs `fn` holding a slot (it may give the slot back and take it again inside, as long as it holds one when it
   * ends). A call waiting for a slot is kept as a closure, not a suspended function: a walk may queue thousands.
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        fn()
          .then(resolve, reject)
          .finally(() => this.release());
      };
      if (this.#free > 0) {
        this.#free--;
        start();
      } else this.#waiting.push(start);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
