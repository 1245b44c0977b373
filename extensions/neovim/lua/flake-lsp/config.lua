--- Options of flake-lsp.nvim: the defaults, what setup() merged in, and the vim.lsp config of
--- the `flake_lsp` client built from them.
local M = {}

--- @class flake_lsp.Options
--- @field cmd? string[]        the server and its arguments; default: `flake-lsp` on PATH
--- @field settings? table      LSP settings, passed through: `{ flakeLsp = { environment = {…} } }`
--- @field enable? boolean      call vim.lsp.enable('flake_lsp') in setup() (default true)
--- @field apply_env? boolean   apply the environment to vim.env (default true)
--- @field notify? boolean      report environment states with vim.notify (default true)
--- @field python? table        `{ enable = true, clients = { pyright = fn|true, basedpyright = fn|true } }`
--- @field terminal? table      `{ open = 'botright split' }`: the command that makes the window
--- @field lsp? table           more vim.lsp.config fields for the client (capabilities, on_attach, …)
M.defaults = {
  cmd = nil,
  settings = { flakeLsp = {} },
  enable = true,
  apply_env = true,
  notify = true,
  python = {
    enable = true,
    -- Python language servers whose interpreter follows the flake's. `true` sets
    -- `python.pythonPath` (pyright, basedpyright); a function(settings, python) edits the
    -- client's settings itself (python is nil when the flake has none: restore yours).
    clients = { pyright = true, basedpyright = true },
  },
  terminal = { open = 'botright split' },
  lsp = {},
}

M.options = vim.deepcopy(M.defaults)

function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  return M.options
end

--- The server's path: `cmd[1]` from setup(), else `flake-lsp` on PATH (as given, when missing).
function M.server()
  local cmd = M.options.cmd
  if cmd and cmd[1] then
    return cmd[1]
  end
  -- Set with vim.lsp.config('flake_lsp', { cmd = { … } }) instead of setup().
  local ok, resolved = pcall(function()
    return vim.lsp.config.flake_lsp
  end)
  if ok and resolved and type(resolved.cmd) == 'table' and resolved.cmd[1] then
    return resolved.cmd[1]
  end
  local found = vim.fn.exepath('flake-lsp')
  return found ~= '' and found or 'flake-lsp'
end

function M.server_cmd()
  local cmd = M.options.cmd
  if cmd and cmd[1] then
    return vim.deepcopy(cmd)
  end
  return { M.server() }
end

--- Starts the server with Neovim's own environment, not the flake's one applied to vim.env:
--- the server adds the dev shell's entries to the PATH it was started with.
local function start(dispatchers, config)
  local cmd = M.server_cmd()
  local env = require('flake-lsp.environment')
  local restore, unset = env.pristine()
  if #unset > 0 and vim.fn.executable('env') == 1 then
    local wrapped = { 'env' }
    for _, name in ipairs(unset) do
      vim.list_extend(wrapped, { '-u', name })
    end
    cmd = vim.list_extend(wrapped, cmd)
  end
  local extra = vim.tbl_extend('force', config.cmd_env or {}, restore)
  return vim.lsp.rpc.start(cmd, dispatchers, {
    cwd = config.cmd_cwd,
    env = next(extra) and extra or nil,
    detached = config.detached,
  })
end

--- The `flake_lsp` client configuration (lsp/flake_lsp.lua returns it; setup() extends it).
function M.lsp_config()
  local o = M.options
  local settings = vim.deepcopy(o.settings or {})
  settings.flakeLsp = settings.flakeLsp or {}
  local base = {
    cmd = start,
    filetypes = { 'nix' },
    root_markers = { 'flake.nix', '.git' },
    settings = settings,
    -- The environment settings are needed before the first realisation.
    init_options = vim.deepcopy(settings),
    handlers = {
      ['flake/environment'] = function(_, params, ctx)
        require('flake-lsp.environment').on_notification(params, ctx)
      end,
      ['window/showMessageRequest'] = function(err, params, ctx)
        return require('flake-lsp.trust').on_message_request(err, params, ctx)
      end,
    },
    commands = {
      ['flake-lsp.enterEnvironment'] = function(command, ctx)
        local arg = command.arguments and command.arguments[1] or {}
        require('flake-lsp.terminal').open({ root = type(arg) == 'table' and arg.root or arg, client_id = ctx.client_id })
      end,
    },
  }
  return vim.tbl_deep_extend('force', base, o.lsp or {})
end

return M
