--- flake-lsp.nvim: flake-lsp's language features and its environment (dev shell variables,
--- terminals, the Python interpreter) in Neovim 0.11+. setup() is optional: with the plugin on
--- the runtimepath, `vim.lsp.enable('flake_lsp')` is enough.
local M = {}

--- Sets options (see :help flake-lsp-options) and enables the `flake_lsp` client.
--- @param opts? flake_lsp.Options
function M.setup(opts)
  local config = require('flake-lsp.config')
  local o = config.set(opts)
  vim.lsp.config('flake_lsp', config.lsp_config())
  if o.enable ~= false then
    vim.lsp.enable('flake_lsp')
  end
end

--- The flake_lsp client for a flake root (default: the current buffer's flake), or nil.
function M.client(root)
  local environment = require('flake-lsp.environment')
  local env
  if root then
    env = environment.for_path(root, true)
  else
    env = environment.current()
    root = env and env.root or environment.buffer_root()
  end
  if env and env.client_id then
    local client = vim.lsp.get_client_by_id(env.client_id)
    if client then
      return client
    end
  end
  local clients = vim.lsp.get_clients({ name = 'flake_lsp' })
  if root then
    -- The client started for that flake, though it has not reported it yet.
    local wanted = environment.real(root)
    for _, client in ipairs(clients) do
      if client.root_dir and environment.real(client.root_dir) == wanted then
        return client
      end
    end
  end
  local attached = vim.lsp.get_clients({ name = 'flake_lsp', bufnr = vim.api.nvim_get_current_buf() })
  return attached[1] or clients[1]
end

--- The flake root commands act on: the current buffer's flake (nearest flake.nix upward, as
--- the server finds it), else the environment the buffer falls back on, else the client's root.
function M.root()
  local environment = require('flake-lsp.environment')
  local root = environment.buffer_root()
  if root then
    return root
  end
  local env = environment.current()
  if env then
    return env.root
  end
  local client = M.client()
  return client and client.root_dir
end

--- Sends a request to the flake_lsp client; `on_result(result)` runs on success, errors are
--- reported with vim.notify.
function M.request(method, params, on_result)
  local client = M.client(params and params.root)
  if not client then
    vim.notify('flake-lsp: no flake-lsp client is running (open a .nix file of the flake)', vim.log.levels.WARN)
    return false
  end
  return client:request(method, params, function(err, result)
    if err then
      vim.notify(('flake-lsp: %s: %s'):format(method, err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif on_result then
      on_result(result)
    end
  end)
end

--- Realises the environment again (`refresh`: even when the cache is fresh).
function M.reload(root)
  root = root or M.root()
  return M.request('flake/realise', { root = root, refresh = true })
end

--- Trusts the flake (recorded in the server's trust store) and realises it.
function M.trust(root, trust)
  root = root or M.root()
  return M.request('flake/trust', { root = root, trust = trust ~= false }, function(result)
    vim.notify(('flake-lsp: %s is %s'):format(result.root, result.trusted and 'trusted' or 'not trusted'))
  end)
end

--- Picks a dev shell with vim.ui.select and makes it the `flakeLsp.environment.shell` setting.
function M.pick_shell(root)
  root = root or M.root()
  M.request('flake/shells', { root = root }, function(result)
    local shells = result.shells or {}
    if #shells == 0 then
      vim.notify('flake-lsp: the flake defines no dev shell', vim.log.levels.WARN)
      return
    end
    vim.ui.select(shells, {
      prompt = 'Dev shell of ' .. vim.fn.fnamemodify(result.root, ':~') .. ':',
      kind = 'flake-lsp.shell',
      format_item = function(shell)
        return shell == result.current and (shell .. ' (current)') or shell
      end,
    }, function(choice)
      if choice then
        M.set_shell(choice, result.root)
      end
    end)
  end)
end

--- Makes `shell` the dev shell: the setting changes (the server realises it) or, when it is
--- already the one, the environment is realised again.
function M.set_shell(shell, root)
  local client = M.client(root)
  if not client then
    return
  end
  local config = require('flake-lsp.config')
  local settings = client.settings or {}
  local env = vim.tbl_get(settings, 'flakeLsp', 'environment') or {}
  if env.shell == shell then
    return M.reload(root)
  end
  settings.flakeLsp = settings.flakeLsp or {}
  settings.flakeLsp.environment = vim.tbl_extend('force', env, { shell = shell })
  client.settings = settings
  -- Keep it for a restarted client too.
  local keep = { flakeLsp = { environment = { shell = shell } } }
  config.options.settings = vim.tbl_deep_extend('force', config.options.settings or {}, keep)
  vim.lsp.config('flake_lsp', { settings = keep, init_options = keep })
  client:notify('workspace/didChangeConfiguration', { settings = settings })
end

--- Opens a terminal in the environment, in the flake root.
function M.terminal(root)
  return require('flake-lsp.terminal').open({ root = root or M.root() })
end

--- The environment of a buffer's flake (default: the current buffer) as a whole process
--- environment, for `env` with `clear_env`; nil when that flake has no usable environment.
function M.environ(bufnr)
  return require('flake-lsp.environment').environ(bufnr)
end

--- vim.system() in the environment of a buffer's flake (`opts.bufnr`, default: the current
--- buffer), whatever vim.env holds; without one, with Neovim's own environment. `opts.env`
--- entries still win.
function M.system(cmd, opts, on_exit)
  opts = vim.tbl_extend('force', {}, opts or {})
  local environment = require('flake-lsp.environment')
  local environ = environment.environ(opts.bufnr) or environment.pristine_environ()
  opts.bufnr = nil
  opts.env = vim.tbl_extend('force', environ, opts.env or {})
  opts.clear_env = true
  return vim.system(cmd, opts, on_exit)
end

--- Lines describing the current environment (what :FlakeEnv shows).
function M.info()
  local env = require('flake-lsp.environment').current()
  if not env then
    local client = M.client()
    return { client and 'flake-lsp: no environment yet for ' .. (client.root_dir or '?') or 'flake-lsp: not running' }
  end
  local lines = {}
  table.insert(lines, ('flake-lsp: %s  %s%s'):format(env.root, env.state, env.fromCache and ' (from the cache)' or ''))
  table.insert(lines, 'shell: ' .. (env.shell or '?'))
  if env.error then
    table.insert(lines, 'error: ' .. env.error)
  end
  local py = env.python
  if py then
    table.insert(lines, ('python: %s (%s)%s'):format(py.interpreter or '?', py.version or '?', py.venv and (', venv ' .. py.venv) or ''))
    if py.broken then
      table.insert(lines, 'venv broken: ' .. py.broken)
    end
  else
    table.insert(lines, 'python: none')
  end
  local applied = require('flake-lsp.environment').applied_root == env.root
  local names = vim.tbl_keys(env.set or {})
  table.sort(names)
  table.insert(lines, ('variables (%d set, %d unset%s):'):format(#names, #(env.unset or {}), applied and ', applied to vim.env' or ''))
  for _, name in ipairs(names) do
    local value = tostring(env.set[name]):gsub('\n', '\\n')
    if #value > 160 then
      value = value:sub(1, 157) .. '...'
    end
    table.insert(lines, ('  %s=%s'):format(name, value))
  end
  for _, name in ipairs(env.unset or {}) do
    table.insert(lines, '  unset ' .. name)
  end
  if env.log then
    table.insert(lines, 'log: ' .. env.log)
  end
  return lines
end

--- `$/progress` of the flake_lsp clients under way: client id → token → { token, title,
--- message, percentage, seq }. Each token is tracked by itself (realising a dev shell,
--- indexing packages, updating flake.lock) and ends by itself.
M._progress = {}
local progress_seq = 0

--- The progress under way for a buffer's flake (default: the current buffer): the entries of
--- the client that reported its environment, in the order they began.
function M.progress(bufnr)
  local env = require('flake-lsp.environment').current(bufnr)
  local id = env and env.client_id
  local list = {}
  for client_id in pairs(M._progress) do
    if not vim.lsp.get_client_by_id(client_id) then
      M._progress[client_id] = nil -- the client went away without ending them
    end
  end
  for _, entry in pairs(id and M._progress[id] or {}) do
    table.insert(list, entry)
  end
  table.sort(list, function(a, b)
    return a.seq < b.seq
  end)
  return list
end

--- Whether a progress entry is the realisation of `env`'s dev shell (the server's title).
local function realising(entry, env)
  return entry.title == ('Realising the dev shell of %s'):format(vim.fs.basename(env.root))
end

--- A statusline component: '' without a flake, else e.g. `flake: ready`, `flake: realising 40%`,
--- `flake: ready, Indexing the packages of nixpkgs 40%` (other work under way, by its title).
function M.status(bufnr)
  local ok, env = pcall(function()
    return require('flake-lsp.environment').current(bufnr)
  end)
  if not ok or not env then
    return ''
  end
  local text = 'flake: ' .. env.state
  local others = {}
  for _, p in ipairs(M.progress(bufnr)) do
    if realising(p, env) and (env.state == 'realising' or env.state == 'stale') then
      if p.percentage then
        text = text .. ' ' .. p.percentage .. '%'
      end
    else
      table.insert(others, (p.title or tostring(p.token)) .. (p.percentage and (' ' .. p.percentage .. '%') or ''))
    end
  end
  if env.state == 'stale' and env.error then
    text = text .. ' (error)'
  end
  for _, other in ipairs(others) do
    text = text .. ', ' .. other
  end
  return text
end

--- LspProgress of a flake_lsp client: each token kept for status() until its end.
function M._on_progress(ev)
  local client = vim.lsp.get_client_by_id(ev.data.client_id)
  if not client or client.name ~= 'flake_lsp' then
    return
  end
  local params = ev.data.params or {}
  local token, value = params.token, params.value
  if token == nil or type(value) ~= 'table' then
    return
  end
  local of_client = M._progress[client.id] or {}
  M._progress[client.id] = of_client
  if value.kind == 'end' then
    of_client[token] = nil
  else
    local entry = of_client[token]
    if value.kind == 'begin' or not entry then
      progress_seq = progress_seq + 1
      entry = { token = token, title = value.title, seq = progress_seq }
      of_client[token] = entry
    end
    -- A report without a message or percentage keeps the last one (LSP).
    entry.message = value.message or entry.message
    entry.percentage = value.percentage or entry.percentage
  end
  vim.cmd('redrawstatus')
end

return M
