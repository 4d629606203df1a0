/** Lua run atomically by Redis; see the comments inside. Kept as a string so the build ships it. */
export const FRAUD_DECIDE_LUA = `
-- The fraud guard's counting stages for ONE send (SPEC 12), atomic: active blocks, then the
-- static refusal decided by the service (geo permission, number type), then adaptive velocity
-- per scope, then the conversion rule. A refusal counts nothing; a trip creates a block of the
-- scope that tripped, with an escalating duration. Every key carries the account's {hash tag},
-- so one call touches one Redis Cluster slot. First of all, the account's settings the service
-- decided with must be the current ones: if any replica changed them since they were read, the
-- answer is "stale", nothing is read or counted, and the service decides again with them re-read.
--
-- KEYS[1]            the account's block index: a sorted set of block ids, scored by their end
-- KEYS[2s], KEYS[2s+1] scope s: its state hash, and its block hash
-- KEYS[#KEYS]        the account's settings version (a counter every change increments)
--   state: u, ut  unverified pressure (sends minus verifies, decaying with tau_u) and its time
--          v, vt  verified sends (decaying with tau_v) and its time
--          s:<b>, v:<b>  sends and verifies of the sends made in time bucket b (conversion)
--          x:<b>  (a prefix) of its unverified sends of bucket b, those its country no longer counts
--          lvl, lvlt  how many blocks this scope had, and when the last one started
--          pt, ptt  (a country) how many of its prefixes were newly blocked, and when the last one was
--   block: id, kind, label, reason, until, created, level, counters
-- ARGV[1] now (ms)   ARGV[2] static refusal reason or ''   ARGV[3] tau_u (ms)   ARGV[4] tau_v (ms)
-- ARGV[5] bucket (ms)   ARGV[6] conversion window (buckets)   ARGV[7] buckets before a send counts as resolved
-- ARGV[8] escalation memory (ms)   ARGV[9] durations (ms), comma-separated   ARGV[10] probation minimum resolved
-- ARGV[11] prefixes of one country newly blocked within the escalation memory that block the country (0: never)
-- ARGV[12] the settings version the service decided with ('' when none is stored; '*': any, not compared)
-- then per scope, 8 values: kind, label, id, floor (0: no velocity rule), share, velocity reason,
--                           conversion minimum resolved (0: no conversion rule), conversion threshold
-- Returns { 1 } counted, { 0, reason, until ms (0: no block), scope index (0: static), id,
--         counters json } refused, or { 2, stored version ('' when none) } stale.
-- 0. Stale settings: nothing counted, the service re-reads them (GET of a missing key is false).
if ARGV[12] ~= '*' then
  local stored = redis.call('GET', KEYS[#KEYS]) or ''
  if stored ~= ARGV[12] then return { 2, stored } end
end

local now = tonumber(ARGV[1])
local static_reason = ARGV[2]
local tau_u, tau_v = tonumber(ARGV[3]), tonumber(ARGV[4])
local bucket_ms, window, resolve = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local memory = tonumber(ARGV[8])
local durations = {}
for d in string.gmatch(ARGV[9], '[^,]+') do durations[#durations + 1] = tonumber(d) end
local probation_min = tonumber(ARGV[10])
local prefix_trips = tonumber(ARGV[11])
local FIELDS = 8
local scopes = (#KEYS - 2) / 2
local cur = math.floor(now / bucket_ms)

local function arg(s, i) return ARGV[12 + (s - 1) * FIELDS + i] end

-- 1. Active blocks, in scope order.
for s = 1, scopes do
  local block = redis.call('HMGET', KEYS[2 * s + 1], 'until', 'reason', 'id', 'counters')
  local until_ms = tonumber(block[1])
  if until_ms and until_ms > now then
    return { 0, block[2], until_ms, s, block[3], block[4] or '{}' }
  end
end

-- 2. Geo permission and number type, decided by the service: refused, nothing counted.
if static_reason ~= '' then
  return { 0, static_reason, 0, 0, '', '{}' }
end

local function decayed(value, at, tau)
  value, at = tonumber(value) or 0, tonumber(at) or now
  if at >= now then return value end
  return value * math.exp((at - now) / tau)
end

local state = {}
local country = nil
for s = 1, scopes do
  local st = redis.call('HMGET', KEYS[2 * s], 'u', 'ut', 'v', 'vt', 'lvl', 'lvlt', 'pt', 'ptt')
  local lvl, lvlt = tonumber(st[5]) or 0, tonumber(st[6]) or 0
  if now - lvlt > memory then lvl = 0 end
  local pt, ptt = tonumber(st[7]) or 0, tonumber(st[8]) or 0
  if now - ptt > memory then pt = 0 end
  state[s] = { u = decayed(st[1], st[2], tau_u), v = decayed(st[3], st[4], tau_v), lvl = lvl, pt = pt }
  if arg(s, 1) == 'country' then country = s end
end

local function window_fields(prefixes, from, to)
  local fields = {}
  for b = from, to do
    for _, p in ipairs(prefixes) do fields[#fields + 1] = p .. b end
  end
  return fields
end

-- A prefix's block explains that prefix's unverified sends: a country with people verifying
-- there (recent verified sends) stops holding them against its other numbers (they leave the
-- country's conversion buckets, once); a country nobody verifies in keeps them. Either way it
-- counts one more of its prefixes newly blocked (several block the country: prefix hopping).
local function explain(s)
  if not country or country == s then return end
  local kind = arg(s, 1)
  if kind ~= 'prefix4' and kind ~= 'prefix6' then return end
  if state[s].lvl == 0 then
    state[country].pt = state[country].pt + 1
    redis.call('HSET', KEYS[2 * country], 'pt', state[country].pt, 'ptt', now)
  end
  if tonumber(arg(s, 7)) == 0 or tonumber(arg(country, 7)) == 0 or state[country].v < 1 then return end
  local values = redis.call('HMGET', KEYS[2 * s], unpack(window_fields({ 's:', 'v:', 'x:' }, cur - window, cur)))
  local b = cur - window
  for i = 1, #values, 3 do
    local unexplained = (tonumber(values[i]) or 0) - (tonumber(values[i + 1]) or 0) - (tonumber(values[i + 2]) or 0)
    if unexplained > 0 then
      local left = redis.call('HINCRBY', KEYS[2 * country], 's:' .. b, -unexplained)
      if left < 0 then redis.call('HSET', KEYS[2 * country], 's:' .. b, 0) end
      redis.call('HINCRBY', KEYS[2 * s], 'x:' .. b, unexplained)
    end
    b = b + 1
  end
end

local function trip(s, reason, counters)
  local level = math.min(state[s].lvl + 1, #durations)
  local until_ms = now + durations[level]
  local id = arg(s, 3)
  local json = cjson.encode(counters)
  redis.call('HSET', KEYS[2 * s + 1], 'id', id, 'kind', arg(s, 1), 'label', arg(s, 2), 'reason', reason,
    'until', until_ms, 'created', now, 'level', level, 'counters', json)
  -- Relative to the service's clock, like every time here (the key only needs collecting after it).
  redis.call('PEXPIRE', KEYS[2 * s + 1], until_ms - now + 60000)
  redis.call('ZADD', KEYS[1], until_ms, id)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('PEXPIRE', KEYS[1], durations[#durations] + 60000)
  explain(s)
  redis.call('HSET', KEYS[2 * s], 'lvl', level, 'lvlt', now)
  -- A country blocked for its prefixes is on probation: one more newly blocked prefix blocks it again.
  if s == country and state[s].pt >= prefix_trips and prefix_trips > 0 then
    redis.call('HSET', KEYS[2 * s], 'pt', prefix_trips - 1, 'ptt', now)
  end
  return { 0, reason, until_ms, s, id, json }
end

-- 3. Adaptive velocity: one more send must fit under floor + share x recent verified sends.
for s = 1, scopes do
  local floor = tonumber(arg(s, 4))
  if floor > 0 then
    -- A prefix whose block lapsed within the memory is on probation: a quarter of its floor, so
    -- an attack that waited the block out trips it again at once instead of passing a floor more.
    if state[s].lvl > 0 and (arg(s, 1) == 'prefix4' or arg(s, 1) == 'prefix6') then
      floor = math.max(1, floor / 4)
    end
    local threshold = floor + tonumber(arg(s, 5)) * state[s].v
    if state[s].u + 1 > threshold then
      return trip(s, arg(s, 6), { pressure = math.floor(state[s].u * 100 + 0.5) / 100,
        threshold = math.floor(threshold * 100 + 0.5) / 100, verified = math.floor(state[s].v * 100 + 0.5) / 100 })
    end
  end
end

-- 4. Conversion over the resolved part of the window: verified / sent, past a minimum of sends.
--    A scope blocked within the escalation memory is on probation: a smaller minimum. A country
--    of which enough prefixes were newly blocked within the memory is blocked (prefix hopping).
if country and prefix_trips > 0 and state[country].pt >= prefix_trips then
  return trip(country, 'low_conversion', { prefixesBlocked = state[country].pt })
end
for s = 1, scopes do
  local minimum = tonumber(arg(s, 7))
  if minimum > 0 then
    if state[s].lvl > 0 then minimum = math.min(minimum, probation_min) end
    local values = redis.call('HMGET', KEYS[2 * s], unpack(window_fields({ 's:', 'v:' }, cur - window, cur - resolve)))
    local sent, verified = 0, 0
    for i = 1, #values, 2 do
      sent = sent + (tonumber(values[i]) or 0)
      verified = verified + (tonumber(values[i + 1]) or 0)
    end
    if sent >= minimum and verified < tonumber(arg(s, 8)) * sent then
      return trip(s, 'low_conversion', { resolved = sent, verified = verified, minimum = minimum })
    end
  end
end

-- 5. Counted: more pressure in every scope, one more send in this bucket.
local keep = math.max(tau_v * 4, (window + 2) * bucket_ms)
for s = 1, scopes do
  local key = KEYS[2 * s]
  redis.call('HSET', key, 'u', state[s].u + 1, 'ut', now, 'v', state[s].v, 'vt', now)
  if tonumber(arg(s, 7)) > 0 then
    redis.call('HINCRBY', key, 's:' .. cur, 1)
    for b = cur - window - 3, cur - window - 1 do
      redis.call('HDEL', key, 's:' .. b, 'v:' .. b, 'x:' .. b)
    end
  end
  redis.call('PEXPIRE', key, keep)
end
return { 1 }
`;

/** A verified send drains the pressure of its scopes and counts as verified (SPEC 12). */
export const FRAUD_VERIFIED_LUA = `
-- KEYS[i]  the state hash of scope i (see the decide script)   KEYS[#KEYS] the account's settings version
-- ARGV[1] now (ms)  ARGV[2] when the send was made (ms)  ARGV[3] tau_u  ARGV[4] tau_v
-- ARGV[5] bucket (ms)  ARGV[6] conversion window (buckets)  ARGV[7] 1: count in the conversion buckets of scope i
--   (a comma-separated list of 0/1, one per scope)
-- ARGV[8] the settings version the thresholds come from ('' when none is stored; '*': any, not compared)
-- Returns { 1 } counted, or { 2, stored version ('' when none) } stale: nothing counted, as in the decide script.
if ARGV[8] ~= '*' then
  local stored = redis.call('GET', KEYS[#KEYS]) or ''
  if stored ~= ARGV[8] then return { 2, stored } end
end
local now, created = tonumber(ARGV[1]), tonumber(ARGV[2])
local tau_u, tau_v = tonumber(ARGV[3]), tonumber(ARGV[4])
local bucket_ms, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local flags = {}
for f in string.gmatch(ARGV[7], '[^,]+') do flags[#flags + 1] = f end
local function decayed(value, at, tau)
  value, at = tonumber(value) or 0, tonumber(at) or now
  if at >= now then return value end
  return value * math.exp((at - now) / tau)
end
local b = math.floor(created / bucket_ms)
local in_window = b >= math.floor(now / bucket_ms) - window
for i = 1, #KEYS - 1 do
  local st = redis.call('HMGET', KEYS[i], 'u', 'ut', 'v', 'vt')
  local u = math.max(0, decayed(st[1], st[2], tau_u) - 1)
  local v = decayed(st[3], st[4], tau_v) + 1
  redis.call('HSET', KEYS[i], 'u', u, 'ut', now, 'v', v, 'vt', now)
  if flags[i] == '1' and in_window then redis.call('HINCRBY', KEYS[i], 'v:' .. b, 1) end
  redis.call('PEXPIRE', KEYS[i], math.max(tau_v * 4, (window + 2) * bucket_ms))
end
return { 1 }
`;
