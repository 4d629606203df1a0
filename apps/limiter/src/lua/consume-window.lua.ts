/** Lua run atomically by Redis; see the comments inside. Kept as a string so the build ships it. */
export const CONSUME_WINDOW_LUA = `
-- Counts one operation in a fixed window that opens at the first operation it counts
-- (SPEC section 6: "a bucket's window opens at the first send it counts and lasts interval
-- seconds"). Atomic: Redis runs the script alone, so under any concurrency at most max
-- operations are counted per window. Fails closed: any error refuses the operation.
--
-- KEYS[1]  counter key (carries a {hash tag}, so it lives in one Redis Cluster slot)
-- ARGV[1]  max operations per window
-- ARGV[2]  window length in milliseconds
-- Returns  { allowed (1|0), count in window, milliseconds until the window closes }
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])

local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= max then
  -- Full: refuse, and say when the window closes.
  return { 0, count, redis.call('PTTL', KEYS[1]) }
end

count = redis.call('INCR', KEYS[1])
if count == 1 then
  -- First operation of a new window: the window starts now.
  redis.call('PEXPIRE', KEYS[1], window)
end
return { 1, count, redis.call('PTTL', KEYS[1]) }
`;
