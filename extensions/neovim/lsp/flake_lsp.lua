-- flake-lsp for Neovim 0.11+: `vim.lsp.enable('flake_lsp')` with this plugin on the
-- runtimepath (or require('flake-lsp').setup()). Without the plugin's Lua modules this file
-- alone still gives the language features.
local ok, config = pcall(require, 'flake-lsp.config')
if ok then
  return config.lsp_config()
end
return {
  cmd = { 'flake-lsp' },
  filetypes = { 'nix' },
  root_markers = { 'flake.nix', '.git' },
}
