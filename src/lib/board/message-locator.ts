/**
 * Which board a message is on, for requests that name only the message. The web process sees every stored
 * message (the hub's subscription) and every message it serves, and remembers the newest `capacity` of
 * them; an older one is looked up where it lasts (`lookUp`: PostgreSQL, when there is history).
 */
export function messageLocator(lookUp: (id: string) => Promise<string | undefined>, capacity = 100_000) {
  const boards = new Map<string, string>();
  const remember = (id: string, board: string) => {
    boards.delete(id);
    boards.set(id, board);
    if (boards.size > capacity) boards.delete(boards.keys().next().value as string);
  };
  return {
    remember,
    /** A deleted message: looked up again, where it is no longer found. */
    forget: (id: string) => void boards.delete(id),
    async boardOf(id: string): Promise<string | undefined> {
      const known = boards.get(id);
      if (known !== undefined) return known;
      const found = await lookUp(id);
      if (found !== undefined) remember(id, found);
      return found;
    },
  };
}
