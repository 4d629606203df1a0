/** Lua run atomically by Redis; see the comments inside. Kept as a string so the build ships it. */
export const CONSUME_BUCKETS_LUA = `
-- Counts one operation in every bucket of ONE limit, or in none (SPEC section 6: "a limit
-- passes when each of its buckets has room in its current window; then each of its buckets
-- counts the send"). Atomic: Redis runs the script alone, so under any concurrency no bucket
-- ever counts more than max operations in a window. Fails closed: an error refuses.
--
-- A bucket's window opens at the first operation it counts and lasts its interval; once max
-- operations are counted, further ones are refused until the window closes.
--
-- KEYS[i]        bucket i: a hash { c = count in window, e = window end (ms) }. Every key of
--                one call carries the same {hash tag}, so they share one Redis Cluster slot.
-- ARGV[1]        now, in ms, from the service's clock (replicas share NTP time; tests move it)
-- ARGV[2i]       bucket i's max
-- ARGV[2i + 1]   bucket i's interval, in ms
-- Returns        { 1, remaining, reset ms, max } counted: of the bucket with the least room
--                left (ties: the later window end), how many remain, when its window ends and
--                its max;
--                { 0, 0, wait ms, max } refused, counting nothing: how long until every full
--                bucket's window has closed, and the max of the bucket that closes last.
local now = tonumber(ARGV[1])
local counts, ends = {}, {}
local wait, wait_max = -1, 0

-- Pass 1: read every bucket; a window whose end has passed is closed (count starts again).
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'c', 'e')
  local count, window_end = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if window_end <= now then
    count, window_end = 0, 0
  end
  counts[i], ends[i] = count, window_end
  if count >= max and window_end - now > wait then
    wait, wait_max = window_end - now, max
  end
end

-- A full bucket refuses the whole limit before anything is counted.
if wait >= 0 then
  return { 0, 0, wait, wait_max }
end

-- Pass 2: count in every bucket; a closed window opens now.
local best_remaining, best_reset, best_max = -1, 0, 0
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i])
  local interval = tonumber(ARGV[2 * i + 1])
  local count, window_end = counts[i] + 1, ends[i]
  if window_end == 0 then
    window_end = now + interval
    redis.call('HSET', KEYS[i], 'c', count, 'e', window_end)
    -- The expiry only collects the key: the window is decided by 'e' against 'now' above, so
    -- a key that outlives its window a little changes nothing.
    redis.call('PEXPIRE', KEYS[i], interval + 60000)
  else
    redis.call('HINCRBY', KEYS[i], 'c', 1)
  end
  local remaining, reset = max - count, window_end - now
  if best_remaining < 0 or remaining < best_remaining or (remaining == best_remaining and reset > best_reset) then
    best_remaining, best_reset, best_max = remaining, reset, max
  end
end
return { 1, best_remaining, best_reset, best_max }
`;
