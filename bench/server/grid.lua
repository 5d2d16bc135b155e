-- wrk: the grid as of a random position, one page of 100 rows.
-- DEEP=1 also starts the page after a random mailbox (keyset paging).
math.randomseed(tonumber(os.getenv("SEED") or "1"))
local head = tonumber(os.getenv("HEAD"))
local mailboxes = tonumber(os.getenv("MAILBOXES") or "0")
local deep = os.getenv("DEEP") == "1"
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }

request = function()
  local path = "/api/grid?limit=100&asOf=%23" .. math.random(1, head)
  if deep and mailboxes > 0 then
    path = path .. "&after=contoso-prod%2Fuser%3Auser" .. math.random(0, mailboxes - 1) .. "%40contoso.com"
  end
  return wrk.format("GET", path, headers)
end
