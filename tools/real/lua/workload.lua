-- The `lua` real workload of hakmem (docs/real-workloads.md): builds and drops tables and
-- strings, so that Lua's allocator function (realloc and free of the C library, which
-- LD_PRELOAD replaces) does most of the work.
--
--   lua5.4 workload.lua ROUNDS
--
-- Each round: (1) a binary tree of tables, built, walked and dropped; (2) strings made by
-- string.format and string.rep, joined by table.concat and by repeated `..`; (3) a text of
-- words from a fixed vocabulary, split with gmatch and counted in a table, the counts
-- sorted. Everything comes from one linear congruential generator with a fixed seed, so
-- the output is the same on every run; tools/real/lua/run compares it with the expected
-- output of that round count. The last line gives the objects made (tables and strings
-- built by the script), the workload's operation count.
local rounds = math.tointeger(tonumber(arg[1]))
if not rounds or rounds < 1 then
  io.stderr:write('usage: lua5.4 workload.lua ROUNDS (a whole number >= 1)\n')
  os.exit(2)
end

local seed = 88172645
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return (seed // 65536) % n
end

local objects = 0

-- 1. a tree of tables
local function build(depth)
  objects = objects + 1
  if depth == 0 then return { value = rand(1000) } end
  return { left = build(depth - 1), right = build(depth - 1), value = depth }
end
local function walk(t)
  if t.left == nil then return t.value end
  return t.value + walk(t.left) - walk(t.right)
end

-- 2. string.format, string.rep, table.concat and `..`
local function strings(count)
  local parts = {}
  for i = 1, count do
    parts[i] = string.format('%d:%s:%08x;', i, string.rep('ab', rand(24)), rand(2147483647))
  end
  local joined = table.concat(parts, ',')
  local grown = ''
  for i = 1, 300 do grown = grown .. parts[i] end
  objects = objects + count + 300 + 2
  return #joined * 7 + #grown
end

-- 3. a word count
local vocab = {}
for i = 1, 3000 do
  local letters = {}
  for j = 1, 2 + rand(10) do letters[j] = string.char(97 + rand(26)) end
  vocab[i] = table.concat(letters)
end
local function wordcount(lines)
  local text = {}
  for i = 1, lines do
    local words = {}
    for j = 1, 10 + rand(6) do words[j] = vocab[1 + rand(#vocab)] end
    text[i] = table.concat(words, ' ')
  end
  local counts = {}
  local total = 0
  for word in table.concat(text, '\n'):gmatch('%a+') do
    counts[word] = (counts[word] or 0) + 1
    total = total + 1
  end
  local list = {}
  for word, n in pairs(counts) do list[#list + 1] = { word = word, n = n } end
  table.sort(list, function(a, b) return a.n > b.n or (a.n == b.n and a.word < b.word) end)
  objects = objects + lines * 2 + 2 + #list + total
  return total, #list, list[1].word .. '=' .. list[1].n
end

local sum = 0
local words, distinct, top = 0, 0, ''
for _ = 1, rounds do
  local tree = build(17)
  sum = (sum + walk(tree)) % 1000000007
  tree = nil
  sum = (sum + strings(30000)) % 1000000007
  local w, d, t = wordcount(6000)
  words, distinct, top = words + w, d, t
  sum = (sum + w * 31 + d) % 1000000007
end
print(string.format('rounds=%d checksum=%d words=%d distinct=%d top=%s', rounds, sum, words, distinct, top))
print(string.format('objects=%d', objects))
