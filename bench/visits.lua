-- wrk script for bench/load.sh: visit submission by many agents at once. Each request records a
-- new visit ("tidak ditemui") by the next signed-in agent, with its own one-time key, to a
-- household of that agent's kelurahan. BENCH_AGENTS names a file of "cookie csrf household"
-- lines (one per agent); BENCH_DAY is today's date in WIB.
local agents = {}
for line in io.lines(os.getenv("BENCH_AGENTS")) do
  local cookie, token, household = line:match("^(%S+) (%S+) (%d+)$")
  if cookie then
    agents[#agents + 1] = { cookie = cookie, token = token, household = household }
  end
end
local day = os.getenv("BENCH_DAY")

local threads = 0
function setup(thread)
  -- A prefix per thread and run keeps every key unique across threads and reruns.
  thread:set("prefix", string.format("w%dt%d", threads, os.time()))
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local agent = agents[(n % #agents) + 1]
  local body = "csrf_token=" .. agent.token
    .. "&submission_key=" .. prefix .. "k" .. string.format("%010d", n)
    .. "&visited_on=" .. day
    .. "&outcome=tidak_ditemui&note=uji+beban"
  return wrk.format("POST", "/rumah-tangga/" .. agent.household .. "/kunjungan/baru", {
    ["Cookie"] = "pesiar=" .. agent.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
