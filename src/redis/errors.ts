/** Redis cannot be used at start-up (unreachable, evicting, not installed): printed as one line, non-zero exit. */
export class RedisSetupError extends Error {
  override readonly name = 'RedisSetupError';
}
