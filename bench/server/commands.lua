-- wrk: Test & Enable of one random mailbox per request, as the token's user.
math.randomseed(tonumber(os.getenv("SEED") or "1"))
local mailboxes = tonumber(os.getenv("MAILBOXES"))
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN"), ["Content-Type"] = "application/json" }

request = function()
  local body = '{"mailboxes":["contoso-prod/user:user' .. math.random(0, mailboxes - 1) .. '@contoso.com"]}'
  return wrk.format("POST", "/api/commands/mailbox.test-enable", headers, body)
end
