--- The `flake/environment` notification: remembers each flake's last environment, applies the
--- one of the current buffer's flake to vim.env (so :terminal, jobstart, vim.system and
--- language servers started later inherit it), points Python language servers at their
--- flake's interpreter, and reports states.
local M = {}

--- root → last params of `flake/environment` (plus `client_id`)
--- @type table<string, table>
M.by_root = {}
--- the root whose variables are in vim.env, or nil; `applied`: that environment
M.applied_root = nil
M.applied = nil
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
  M.applied = nil
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
  M.applied = env
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

--- The flake root of a path (a file or a directory), found as the server finds it: the nearest
--- directory upward holding flake.nix. Whether or not the server reported it yet.
function M.root_of(path)
  if not path or path == '' then
    return nil
  end
  local found = vim.fs.root(path, 'flake.nix')
  return found and real(found)
end

--- The path a buffer stands for: its file, else (a terminal, help, no name) Neovim's cwd.
local function buffer_path(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or vim.bo[bufnr].buftype ~= '' then
    return vim.uv.cwd(), false
  end
  return name, true
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

--- The flake root of a buffer (its file's, else Neovim's cwd's), or nil outside any flake.
function M.buffer_root(bufnr)
  return M.root_of((buffer_path(bufnr or vim.api.nvim_get_current_buf())))
end

--- The environment of a buffer's flake (default: the current buffer; Neovim's cwd for one
--- without a file). Inside a flake: that flake's environment, or nil when the server has not
--- reported it (never another flake's). Outside any flake: the one holding the path, the flake
--- inside it, else the only one known.
function M.current(bufnr)
  local path = buffer_path(bufnr or vim.api.nvim_get_current_buf())
  local root = M.root_of(path)
  if root then
    return M.by_root[root]
  end
  return M.for_path(path)
end

--- The variables of a buffer's flake for a process: the whole environment (for `env` with
--- `clear_env`) without what vim.env has applied, plus that flake's `set`, minus its `unset`.
--- nil when the flake has no usable environment.
function M.environ(bufnr)
  local env = M.current(bufnr)
  if not usable(env) then
    return nil
  end
  local environ = M.pristine_environ()
  for _, name in ipairs(env.unset or {}) do
    environ[name] = nil
  end
  for name, value in pairs(env.set or {}) do
    if type(value) == 'string' then
      environ[name] = value
    end
  end
  return environ
end

--- Makes vim.env hold the environment of the flake `bufnr` (or the file `path`) is in: its
--- environment when usable, else Neovim's own values. A buffer outside any flake, or without
--- a file (terminal, help, no name), changes nothing: the environment applied stays.
--- Called on BufEnter, and on BufReadPre/BufNewFile so language servers that FileType starts
--- for a file inherit its flake's environment.
function M.sync(bufnr, path)
  if not config().apply_env or (not next(M.by_root) and not M.applied_root) then
    return
  end
  if not path then
    local is_file
    path, is_file = buffer_path(bufnr or vim.api.nvim_get_current_buf())
    if not is_file then
      return
    end
  end
  local root = M.root_of(path)
  if not root then
    return
  end
  local env = M.by_root[root]
  if usable(env) then
    if M.applied ~= env then
      apply_env(env)
    end
  elseif M.applied_root then
    restore_env()
  end
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
    local path, is_file = buffer_path(vim.api.nvim_get_current_buf())
    if is_file and M.root_of(path) then
      -- vim.env holds the current buffer's flake: another flake's news waits for its buffer.
      M.sync(nil, path)
    elseif usable(env) then
      -- Outside any flake: the last usable environment, as with one flake.
      apply_env(env)
    elseif M.applied_root and real(M.applied_root) == key and (env.state == 'failed' or env.state == 'untrusted') then
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
