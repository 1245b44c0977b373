--- Trust: the server asks with window/showMessageRequest (actions Trust / Not now) before it
--- builds anything or runs a shellHook; we ask the user with vim.ui.select. :FlakeEnv trust
--- trusts without asking (flake/trust).
local M = {}

local function is_trust_question(params)
  local titles = {}
  for _, action in ipairs(params.actions or {}) do
    titles[action.title] = action
  end
  return titles['Trust'] and titles['Not now'] and (params.message or ''):find('trust', 1, true)
end

--- Handler of window/showMessageRequest for the flake_lsp client. Neovim runs server requests
--- in a coroutine, so the answer can wait for vim.ui.select.
function M.on_message_request(err, params, ctx)
  if not is_trust_question(params or {}) then
    return vim.lsp.handlers['window/showMessageRequest'](err, params, ctx)
  end
  local co, is_main = coroutine.running()
  if not co or is_main then
    return vim.NIL -- cannot wait here: the user can still run :FlakeEnv trust
  end
  local actions = params.actions
  vim.ui.select(actions, {
    prompt = params.message .. ' ',
    kind = 'flake-lsp.trust',
    format_item = function(action)
      return action.title == 'Trust' and 'Trust (build it and run its shellHook)' or action.title
    end,
  }, function(choice)
    vim.schedule(function()
      coroutine.resume(co, choice or vim.NIL)
    end)
  end)
  return coroutine.yield()
end

return M
