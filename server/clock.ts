// Time as the service sees it. Handlers take it from their dependencies instead of calling `new Date()`, so tests
// can move time forward (token expiry, idle sessions, back-off) without waiting.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
