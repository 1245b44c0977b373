--- :FlakeTerminal and the "Enter environment" code action: asks the server for the terminal's
--- spec (`flake-lsp.enterEnvironment` → {name, cwd, env, unset, state}) and opens a terminal
--- with exactly that environment, in the flake root.
local M = {}

--- Opens a terminal from a spec the server gave.
function M.open_spec(spec)
  -- Neovim's own environment, not the one vim.env holds (maybe another flake's), then the spec.
  local env = require('flake-lsp.environment').pristine_environ()
  for _, name in ipairs(spec.unset or {}) do
    env[name] = nil
  end
  for name, value in pairs(spec.env or {}) do
    env[name] = value
  end
  local open = require('flake-lsp.config').options.terminal.open
  if type(open) == 'function' then
    open(spec)
  elseif open and open ~= '' then
    vim.cmd(open)
  end
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_win_set_buf(0, buf)
  local job = vim.fn.jobstart(vim.o.shell, { term = true, cwd = spec.cwd, env = env, clear_env = true })
  if job <= 0 then
    vim.notify('flake-lsp: cannot start ' .. vim.o.shell, vim.log.levels.ERROR)
    return nil
  end
  vim.b[buf].term_title = spec.name
  vim.b[buf].flake_lsp_terminal = { name = spec.name, root = spec.cwd, state = spec.state }
  if spec.state == 'stale' then
    vim.notify('flake-lsp: the environment is stale: this terminal has the last good one', vim.log.levels.WARN)
  end
  vim.cmd('startinsert')
  return buf, job
end

--- Asks the server for the environment of `opts.root` and opens a terminal in it.
--- `opts.on_open(buf, job)` runs once it is open.
function M.open(opts)
  opts = opts or {}
  local flake = require('flake-lsp')
  local root = opts.root or flake.root()
  local client = opts.client_id and vim.lsp.get_client_by_id(opts.client_id) or flake.client(root)
  if not client then
    vim.notify('flake-lsp: no flake-lsp client is running (open a .nix file of the flake)', vim.log.levels.WARN)
    return
  end
  client:request('workspace/executeCommand', {
    command = 'flake-lsp.enterEnvironment',
    arguments = { { root = root or client.root_dir } },
  }, function(err, spec)
    if err or type(spec) ~= 'table' then
      vim.notify('flake-lsp: ' .. (err and err.message or 'no environment to enter'), vim.log.levels.WARN)
      return
    end
    local buf, job = M.open_spec(spec)
    if buf and opts.on_open then
      opts.on_open(buf, job)
    end
  end)
end

return M
