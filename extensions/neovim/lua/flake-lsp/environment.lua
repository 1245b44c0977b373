--- The `flake/environment` notification: remembers each flake's last environment, applies the
--- usable one to vim.env (so :terminal, jobstart, vim.system and language servers started
--- later inherit it), points Python language servers at its interpreter, and reports states.
local M = {}

--- root → last params of `flake/environment` (plus `client_id`)
--- @type table<string, table>
M.by_root = {}
--- the root whose variables are in vim.env, or nil
M.applied_root = nil
--- name → value before we changed it (false: it was unset)
--- @type table<string, string|false>
local saved = {}

local function config()
  return require('flake-lsp.config').options
end

local function usable(env)
  return env and (env.state == 'ready' or env.state == 'stale')
end
M.usable = usable

--- Values of vim.env as they were before any environment was applied: `restore` (name → the
--- old value) and `unset` (names that were not set), for starting a process without it.
function M.pristine()
  local restore, unset = {}, {}
  for name, old in pairs(saved) do
    if old == false then
      table.insert(unset, name)
    else
      restore[name] = old
    end
  end
  table.sort(unset)
  return restore, unset
end

--- The whole environment of a process started without what we applied (vim.fn.environ()
--- with the values vim.env had before): the base a flake's variables go on.
function M.pristine_environ()
  local environ = vim.fn.environ()
  for name, old in pairs(saved) do
    environ[name] = old or nil
  end
  return environ
end

local function restore_env()
  for name, old in pairs(saved) do
    vim.env[name] = old or nil
  end
  saved = {}
  M.applied_root = nil
end

local function apply_env(env)
  restore_env()
  local function remember(name)
    if saved[name] == nil then
      saved[name] = vim.env[name] or false
    end
  end
  for _, name in ipairs(env.unset or {}) do
    remember(name)
    vim.env[name] = nil
  end
  for name, value in pairs(env.set or {}) do
    if type(value) == 'string' then
      remember(name)
      vim.env[name] = value
    end
  end
  M.applied_root = env.root
end

local function real(path)
  if not path or path == '' then
    return nil
  end
  path = vim.fs.normalize(path)
  return vim.uv.fs_realpath(path) or path
end
M.real = real

local function inside(path, root)
  return path == root or vim.startswith(path, root:gsub('/$', '') .. '/')
end

--- The known environment for a path (a file or a directory): the innermost flake root holding
--- it, else the flake inside it, else (unless `strict`) the only one known.
function M.for_path(path, strict)
  path = real(path)
  local best, count, only = nil, 0, nil
  for root, env in pairs(M.by_root) do
    count, only = count + 1, env
    if path and inside(path, root) and (not best or #root > #best.root) then
      best = env
    end
  end
  if best then
    return best
  end
  if path then
    for root, env in pairs(M.by_root) do
      if inside(root, path) then
        return env
      end
    end
  end
  return (count == 1 and not strict) and only or nil
end

--- The environment of the current buffer (or of Neovim's cwd).
function M.current(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    name = vim.uv.cwd()
  end
  return M.for_path(name)
end

local function short(path)
  return vim.fn.fnamemodify(path, ':~')
end

local function report(env, previous)
  if not config().notify then
    return
  end
  local was = previous and previous.state
  local where = short(env.root)
  local msg, level
  if env.state == 'realising' and was ~= 'realising' then
    msg, level = 'realising the dev shell of ' .. where .. '…', vim.log.levels.INFO
  elseif env.state == 'ready' and (was ~= 'ready' or not vim.deep_equal(previous.set, env.set)) then
    local py = env.python
    local what = py and py.version and ('Python ' .. py.version .. (py.venv and (' in ' .. short(py.venv)) or ''))
      or 'no Python'
    msg, level = ('environment of %s ready (%s%s)'):format(where, what, env.fromCache and ', from the cache' or ''),
      vim.log.levels.INFO
  elseif env.state == 'stale' and env.error and env.error ~= (previous and previous.error) then
    if was == 'stale' or was == 'realising' then
      -- Stale after stale: the realisation under way failed.
      msg, level = ('realising %s failed, the last good environment stays in use: %s%s'):format(
        where, env.error, env.log and ('\nlog: ' .. env.log) or ''), vim.log.levels.WARN
    else
      local why = env.error ~= 'realising again' and (' (' .. env.error .. ')') or ''
      msg, level = ('realising %s again%s; the last good environment stays in use meanwhile'):format(where, why),
        vim.log.levels.INFO
    end
  elseif env.state == 'failed' and (was ~= 'failed' or env.error ~= previous.error) then
    msg, level = ('environment of %s failed: %s%s'):format(where, env.error or '?', env.log and ('\nlog: ' .. env.log) or ''),
      vim.log.levels.ERROR
  end
  local broken = env.python and env.python.broken
  if broken and usable(env) and broken ~= vim.tbl_get(previous or {}, 'python', 'broken') then
    msg = (msg and (msg .. '\n') or '') .. 'the venv is broken: ' .. broken
    level = vim.log.levels.WARN
  end
  if msg then
    vim.notify('flake-lsp: ' .. msg, level, { title = 'flake-lsp' })
  end
end

--- Handler of `flake/environment` (server → client).
function M.on_notification(params, ctx)
  if type(params) ~= 'table' or type(params.root) ~= 'string' then
    return
  end
  local env = vim.deepcopy(params)
  env.client_id = ctx and ctx.client_id
  env.received = vim.uv.now()
  if env.python == vim.NIL then
    env.python = nil
  end
  for _, key in ipairs({ 'error', 'shell', 'log', 'errorPosition' }) do
    if env[key] == vim.NIL then
      env[key] = nil
    end
  end
  local key = real(env.root) or env.root
  local previous = M.by_root[key]
  M.by_root[key] = env

  if config().apply_env then
    if usable(env) then
      apply_env(env)
    elseif M.applied_root == env.root and (env.state == 'failed' or env.state == 'untrusted') then
      restore_env()
    end
  end
  if usable(env) or env.state == 'failed' or env.state == 'untrusted' then
    require('flake-lsp.python').refresh()
  end
  report(env, previous)
  vim.api.nvim_exec_autocmds('User', { pattern = 'FlakeLspEnvironment', modeline = false, data = env })
  vim.cmd('redrawstatus')
end

--- Forget everything (the flake-lsp client went away): vim.env gets its values back.
function M.reset()
  restore_env()
  M.by_root = {}
  require('flake-lsp.python').refresh()
end

return M
