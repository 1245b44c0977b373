-- flake-lsp.nvim: user commands and autocommands. The work happens in lua/flake-lsp/.
if vim.g.loaded_flake_lsp then
  return
end
vim.g.loaded_flake_lsp = true

local function flake()
  return require('flake-lsp')
end

vim.api.nvim_create_user_command('FlakeEnv', function(args)
  local sub = args.fargs[1]
  if sub == nil or sub == 'show' then
    local lines = flake().info()
    vim.api.nvim_echo(vim.tbl_map(function(line)
      return { line .. '\n' }
    end, lines), true, {})
  elseif sub == 'reload' then
    flake().reload()
  elseif sub == 'trust' then
    flake().trust()
  elseif sub == 'distrust' then
    flake().trust(nil, false)
  else
    vim.notify('flake-lsp: :FlakeEnv [show|reload|trust|distrust]', vim.log.levels.ERROR)
  end
end, {
  nargs = '?',
  desc = 'flake-lsp: show the environment, or reload / trust it',
  complete = function()
    return { 'show', 'reload', 'trust', 'distrust' }
  end,
})

vim.api.nvim_create_user_command('FlakeTerminal', function()
  flake().terminal()
end, { desc = 'flake-lsp: a terminal in the flake environment, in the flake root' })

vim.api.nvim_create_user_command('FlakeShell', function(args)
  if args.args ~= '' then
    flake().set_shell(args.args)
  else
    flake().pick_shell()
  end
end, { nargs = '?', desc = 'flake-lsp: pick the dev shell' })

local group = vim.api.nvim_create_augroup('flake-lsp', { clear = true })
-- Python language servers that start after the environment get its interpreter.
vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(ev)
    require('flake-lsp.python').on_attach(ev.data.client_id)
  end,
})
-- vim.env follows the current buffer's flake; a file being read gets its flake's environment
-- before FileType starts language servers for it, so they inherit that flake's.
vim.api.nvim_create_autocmd('BufEnter', {
  group = group,
  callback = function(ev)
    require('flake-lsp.environment').sync(ev.buf)
  end,
})
vim.api.nvim_create_autocmd({ 'BufReadPre', 'BufNewFile' }, {
  group = group,
  callback = function(ev)
    local environment = require('flake-lsp.environment')
    environment.sync(ev.buf)
    vim.schedule(function()
      environment.sync()
    end)
  end,
})
vim.api.nvim_create_autocmd('LspProgress', {
  group = group,
  callback = function(ev)
    flake()._on_progress(ev)
  end,
})
