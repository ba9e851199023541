/**
 * The gate every test of a run passes before it starts: tests enter in plan order (first come,
 * first served), any number of ordinary tests run side by side, and a `serial: true` test waits
 * for the running ones to end and keeps every later one waiting until it has ended itself.
 */

export interface SerialGate {
  /** Waits for this test's turn; resolves with the function that lets the next ones in. */
  enter(serial: boolean): Promise<() => void>;
}

export function serialGate(): SerialGate {
  let running = 0;
  let alone = false;
  const queue: Array<{ serial: boolean; go: () => void }> = [];
  const pump = () => {
    while (queue.length > 0 && !alone) {
      const head = queue[0];
      if (head.serial && running > 0) return;
      queue.shift();
      running += 1;
      if (head.serial) alone = true;
      head.go();
    }
  };
  return {
    enter(serial) {
      return new Promise((resolve) => {
        let left = false;
        const leave = () => {
          if (left) return;
          left = true;
          running -= 1;
          if (serial) alone = false;
          pump();
        };
        queue.push({ serial, go: () => resolve(leave) });
        pump();
      });
    },
  };
}
