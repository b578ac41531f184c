/**
 * The steps a close is still waiting on, by name: a shutdown cut off at the
 * end of its grace period says what it cut off (in-flight jobs, a Redis that
 * never answered) instead of just vanishing.
 */
export class CloseSteps {
  private readonly open = new Set<string>();

  async run<T>(name: string, step: () => Promise<T>): Promise<T> {
    this.open.add(name);
    try {
      return await step();
    } finally {
      this.open.delete(name);
    }
  }

  pending(): readonly string[] {
    return [...this.open];
  }
}
