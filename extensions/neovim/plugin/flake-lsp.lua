-- flake-lsp.nvim: user commands and two autocommands. The work happens in lua/flake-lsp/.
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
vim.api.nvim_create_autocmd('LspProgress', {
  group = group,
  callback = function(ev)
    flake()._on_progress(ev)
  end,
})
