--- :checkhealth flake-lsp — the server, Nix, trust, the last environment.
local M = {}

local function run(cmd)
  local ok, obj = pcall(function()
    return vim.system(cmd, { text = true }):wait(10000)
  end)
  if not ok or not obj or obj.code ~= 0 then
    return nil
  end
  return vim.trim((obj.stdout or '') .. '')
end

local function trust_store()
  local base = vim.env.XDG_DATA_HOME
  if not base or base == '' or base:sub(1, 1) ~= '/' then
    base = (vim.env.HOME or '') .. '/.local/share'
  end
  local file = base .. '/flake-lsp/trust.json'
  local fd = io.open(file, 'r')
  if not fd then
    return file, {}
  end
  local text = fd:read('*a')
  fd:close()
  local ok, data = pcall(vim.json.decode, text)
  return file, ok and type(data) == 'table' and type(data.flakes) == 'table' and data.flakes or {}
end

function M.check()
  local health = vim.health
  local config = require('flake-lsp.config')
  local environment = require('flake-lsp.environment')

  health.start('flake-lsp: server')
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. tostring(vim.version()))
  else
    health.error('Neovim 0.11 or newer is needed (vim.lsp.config / vim.lsp.enable)')
  end
  local server = config.server()
  if vim.fn.executable(server) == 1 then
    local version = run({ server, '--version' })
    health.ok(('server: %s (%s)'):format(vim.fn.exepath(server), version or 'version unknown'))
  else
    health.error(('server not found: %s'):format(server), {
      'Build it (cargo build --release) and put target/release/flake-lsp on PATH,',
      "or set it: require('flake-lsp').setup({ cmd = { '/path/to/flake-lsp' } })",
    })
  end
  local clients = vim.lsp.get_clients({ name = 'flake_lsp' })
  if #clients > 0 then
    for _, client in ipairs(clients) do
      health.ok(('client %d running for %s'):format(client.id, client.root_dir or '?'))
    end
  else
    health.info('no flake_lsp client is running (it starts with a .nix file; enabled by setup() or vim.lsp.enable)')
  end

  health.start('flake-lsp: Nix')
  local nix = vim.env.FLAKE_LSP_NIX
  if not nix or nix == '' then
    nix = vim.fn.exepath('nix')
  end
  if nix ~= '' and vim.fn.executable(nix) == 1 then
    local version = run({ nix, '--version' })
    if version then
      health.ok(('%s: %s'):format(nix, version))
    else
      health.warn(nix .. ' --version failed')
    end
  else
    health.error('nix not found: the environment (dev shells) needs Nix; the language features work without it', {
      'Install Nix (https://nixos.org/download) or set FLAKE_LSP_NIX to its path',
    })
  end

  health.start('flake-lsp: trust')
  local trusted_setting = vim.tbl_get(config.options.settings or {}, 'flakeLsp', 'environment', 'trusted')
  if trusted_setting then
    health.info('flakeLsp.environment.trusted is set: every flake is realised without asking')
  end
  local file, flakes = trust_store()
  local any = false
  for root in pairs(environment.by_root) do
    any = true
    local decision = flakes[root]
    if decision == 'trusted' then
      health.ok(root .. ': trusted (' .. file .. ')')
    elseif decision == 'denied' then
      health.warn(root .. ': not trusted (denied): nothing is built', { ':FlakeEnv trust' })
    elseif trusted_setting then
      health.ok(root .. ': trusted by the setting')
    else
      health.warn(root .. ': not trusted yet', { ':FlakeEnv trust' })
    end
  end
  if not any then
    health.info(('trust store: %s (%d flake(s) recorded)'):format(file, vim.tbl_count(flakes)))
  end

  health.start('flake-lsp: environment')
  if not next(environment.by_root) then
    health.info('no environment received yet')
  end
  for root, env in pairs(environment.by_root) do
    local what = ('%s: %s%s'):format(root, env.state, env.fromCache and ' (from the cache)' or '')
    if env.state == 'ready' then
      health.ok(what)
    elseif env.state == 'failed' then
      health.error(what .. ': ' .. (env.error or '?'), env.log and { 'log: ' .. env.log } or nil)
    elseif env.state == 'stale' and env.error then
      health.warn(what .. ': ' .. env.error, env.log and { 'log: ' .. env.log } or nil)
    else
      health.info(what)
    end
    if env.python then
      local py = env.python
      local line = ('python %s: %s%s'):format(py.version or '?', py.interpreter or '?', py.venv and (', venv ' .. py.venv) or '')
      if py.broken then
        health.warn(line .. ': broken: ' .. py.broken)
      else
        health.ok(line)
      end
    end
    if environment.applied_root == env.root then
      health.ok('applied to vim.env (terminals, jobs and language servers started from now on)')
    end
  end
end

return M
