--- Python language servers follow the interpreter of their own flake (found from their root):
--- for pyright and basedpyright (others through `python.clients`), `python.pythonPath` in the
--- client's settings, then `workspace/didChangeConfiguration`. Whether the Python server started
--- before or after the environment was ready: refresh() runs on every environment, on_attach()
--- on every LspAttach.
local M = {}

--- client id → the setting's value before we changed it ({ value = … })
local original = {}

local function options()
  return require('flake-lsp.config').options.python or {}
end

local function set_python_path(settings, python, old)
  settings.python = settings.python or {}
  if python then
    settings.python.pythonPath = python.interpreter
  else
    settings.python.pythonPath = old
  end
end

--- The settings editor for a client, or nil when it is not a Python server we handle.
local function editor(client)
  local opts = options()
  if opts.enable == false or not client or client.name == 'flake_lsp' then
    return nil
  end
  local entry = (opts.clients or {})[client.name]
  if entry == true then
    return set_python_path
  elseif type(entry) == 'function' then
    return entry
  end
  return nil
end

--- The environment for a client's workspace.
local function environment_for(client)
  local env = require('flake-lsp.environment')
  local dir = client.root_dir
  if not dir and client.workspace_folders and client.workspace_folders[1] then
    dir = vim.uri_to_fname(client.workspace_folders[1].uri)
  end
  -- Only a server whose workspace holds the flake, or is inside it.
  local found = env.for_path(dir or vim.uv.cwd(), true)
  if found and env.usable(found) then
    return found
  end
  return nil
end

--- Points one client at the interpreter of its flake (or back at its own when there is none).
--- Returns the interpreter now set, or nil.
function M.update(client)
  local edit = editor(client)
  if not edit then
    return nil
  end
  local env = environment_for(client)
  local python = env and env.python
  if python and not python.interpreter then
    python = nil
  end
  if not python and not original[client.id] then
    return nil -- never touched: nothing to restore
  end
  client.settings = client.settings or {}
  if not original[client.id] then
    original[client.id] = { value = vim.tbl_get(client.settings, 'python', 'pythonPath') }
  end
  local before = vim.deepcopy(client.settings)
  edit(client.settings, python, original[client.id].value)
  if not vim.deep_equal(before, client.settings) then
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  end
  return python and python.interpreter
end

--- All attached clients (after an environment changed).
function M.refresh()
  for _, client in ipairs(vim.lsp.get_clients()) do
    M.update(client)
  end
end

--- LspAttach: a Python server started after the environment was ready.
function M.on_attach(client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  if client and next(require('flake-lsp.environment').by_root) then
    M.update(client)
  end
end

function M.forget(client_id)
  original[client_id] = nil
end

return M
