--- :FlakeTerminal and the "Enter environment" code action: asks the server for the terminal's
--- spec (`flake-lsp.enterEnvironment` → {name, cwd, env, unset, state}) and opens a terminal
--- with exactly that environment, in the flake root.
local M = {}

--- The entries of `full` (a PATH) that `base` does not have, in order, once each.
local function added_entries(full, base)
  local known, seen, out = {}, {}, {}
  for entry in (base or ''):gmatch('[^:]+') do
    known[entry] = true
  end
  for entry in (full or ''):gmatch('[^:]+') do
    if not known[entry] and not seen[entry] then
      seen[entry] = true
      table.insert(out, entry)
    end
  end
  return out
end

local function write_file(path, text)
  local f = assert(io.open(path, 'w'))
  f:write(text)
  f:close()
end

--- The command that starts `shell` interactively and, once the user's rc files ran, puts
--- `entries` first on PATH again: rc files that prepend (`pyenv init`, conda, ~/.local/bin)
--- would otherwise put their `python` before the flake's. bash: an --rcfile that sources
--- ~/.bashrc first; zsh: a ZDOTDIR whose files source the user's own, then set PATH; fish:
--- --init-command, which runs after config.fish. Another shell runs as it is (its rc files
--- then come first). Login shells are not asked for: a terminal is interactive, not login.
function M.after_rc_files(shell, entries)
  if #entries == 0 or shell:find('%s') then
    return shell -- with arguments of its own: started as before, through 'shell'
  end
  local name = vim.fs.basename(shell)
  local prefix = table.concat(entries, ':') .. ':'
  if name == 'fish' then
    local quoted = vim.tbl_map(function(e)
      return vim.fn.shellescape(e)
    end, entries)
    return { shell, '--init-command', 'set -gx PATH ' .. table.concat(quoted, ' ') .. ' $PATH' }
  end
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local set_path = 'export PATH=' .. vim.fn.shellescape(prefix) .. '"$PATH"\n'
  if name == 'bash' then
    write_file(dir .. '/bashrc', '[ -r ~/.bashrc ] && . ~/.bashrc\n' .. set_path)
    return { shell, '--rcfile', dir .. '/bashrc' }
  elseif name == 'zsh' then
    -- zsh reads .zshenv and then .zshrc from $ZDOTDIR: ours read the user's, and give
    -- ZDOTDIR back before the user's .zshrc runs.
    local user = '${FLAKE_LSP_USER_ZDOTDIR:-$HOME}'
    write_file(dir .. '/.zshenv', '[ -r "' .. user .. '/.zshenv" ] && . "' .. user .. '/.zshenv"\n')
    write_file(dir .. '/.zshrc', 'ZDOTDIR="' .. user .. '"\nunset FLAKE_LSP_USER_ZDOTDIR\n'
      .. '[ -r "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"\n' .. set_path)
    return { shell }, { ZDOTDIR = dir, FLAKE_LSP_USER_ZDOTDIR = vim.env.ZDOTDIR or vim.NIL }
  end
  return { shell }
end

--- Opens a terminal from a spec the server gave.
function M.open_spec(spec)
  -- Neovim's own environment, not the one vim.env holds (maybe another flake's), then the spec.
  local env = require('flake-lsp.environment').pristine_environ()
  local own_path = env.PATH
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
  local cmd, extra = M.after_rc_files(vim.o.shell, added_entries(env.PATH, own_path))
  for name, value in pairs(extra or {}) do
    env[name] = value ~= vim.NIL and value or nil
  end
  local job = vim.fn.jobstart(cmd, { term = true, cwd = spec.cwd, env = env, clear_env = true })
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
