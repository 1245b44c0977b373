-- Headless end-to-end tests of the Neovim plugin (extensions/neovim) with the real flake-lsp,
-- real Nix (nixpkgs overridden to tests/fixtures/nixpkgs) and real basedpyright.
--
--   nvim --headless -u NONE -l tests/neovim/run.lua
--
-- FLAKE_LSP_SERVER: the server binary (default: target/debug/flake-lsp). Prints one PASS/FAIL
-- line per check and exits non-zero when one failed. Every wait is bounded.

local repo = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(arg[0], ':p')))))
local server = os.getenv('FLAKE_LSP_SERVER') or (repo .. '/target/debug/flake-lsp')
local WAIT = tonumber(os.getenv('FLAKE_LSP_NVIM_WAIT') or '') or 120000 -- ms, per wait

local failures, passes = 0, 0
local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

-- vim.notify goes to the output, so a failure shows what the plugin said.
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, msg)
  out(('  notify[%s]: %s'):format(level or vim.log.levels.INFO, tostring(msg):gsub('\n', '\n    ')))
end

local function check(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passes = passes + 1
    out('PASS ' .. name)
  else
    failures = failures + 1
    out('FAIL ' .. name .. '\n    ' .. tostring(err):gsub('\n', '\n    '))
  end
  return ok
end

local function finish()
  out(('\n%d passed, %d failed'):format(passes, failures))
  if failures > 0 then
    out('LSP log: ' .. vim.lsp.get_log_path())
  end
  for _, client in ipairs(vim.lsp.get_clients()) do
    client:stop(true)
  end
  vim.wait(2000, function()
    return #vim.lsp.get_clients() == 0
  end, 50)
  os.exit(failures == 0 and 0 or 1)
end

local function wait(what, cond, ms)
  local ok = vim.wait(ms or WAIT, cond, 50)
  if not ok then
    error('timed out waiting for ' .. what, 2)
  end
end

local function eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local function truthy(v, what)
  if not v then
    error(what or 'expected a true value', 2)
  end
  return v
end

local function write(path, text)
  vim.fn.mkdir(vim.fs.dirname(path), 'p')
  local fd = assert(io.open(path, 'w'))
  fd:write(text)
  fd:close()
end

local function sh(cmd, cwd)
  local r = vim.system(cmd, { cwd = cwd, text = true }):wait(60000)
  assert(r.code == 0, table.concat(cmd, ' ') .. ' failed: ' .. (r.stderr or ''))
  return r.stdout
end

-- The fixture flake -------------------------------------------------------------------------
if vim.fn.executable(server) ~= 1 then
  out('FAIL the server is not built: ' .. server .. ' (cargo build, or set FLAKE_LSP_SERVER)')
  os.exit(1)
end
for _, tool in ipairs({ 'nix', 'git', 'basedpyright-langserver' }) do
  if vim.fn.executable(tool) ~= 1 then
    out('FAIL ' .. tool .. ' is not on PATH (scripts/test.sh installs it)')
    os.exit(1)
  end
end

local tmp = vim.uv.fs_realpath(vim.fn.fnamemodify(vim.fn.tempname(), ':h')) .. '/flake-lsp-nvim'
vim.fn.delete(tmp, 'rf')
local root = tmp .. '/project'
vim.fn.mkdir(root, 'p')
vim.env.XDG_CACHE_HOME = tmp .. '/cache'
vim.env.XDG_DATA_HOME = tmp .. '/data'
vim.env.PIP_NO_INDEX = '1'
vim.env.VIRTUAL_ENV = nil
vim.env.GREETING = nil

local FLAKE = [[
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      unusedThing = 1;
    in {
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 ];
        env.GREETING = "hello";
        shellHook = ''
          test -d .venv || python3 -m venv --without-pip .venv
          source .venv/bin/activate
          site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
          mkdir -p "$site/flakeonlypkg"
          echo 'ANSWER = 42' > "$site/flakeonlypkg/__init__.py"
        '';
      };
      devShells.x86_64-linux.other = pkgs.mkShell {
        env.GREETING = "other";
      };
    };
}
]]
write(root .. '/flake.nix', FLAKE)
write(root .. '/main.py', 'import flakeonlypkg\n\nprint(flakeonlypkg.ANSWER)\n')
sh({ 'git', 'init', '-q' }, root)
sh({ 'git', 'add', '-A' }, root)
local venv = root .. '/.venv'

-- Neovim with the plugin -------------------------------------------------------------------
vim.opt.runtimepath:prepend(repo .. '/extensions/neovim')
vim.cmd('runtime! plugin/flake-lsp.lua')
vim.cmd('filetype on')
vim.o.shell = 'bash'

-- vim.ui.select answered by the test: prompts are recorded, answered when the test says.
local prompts = {}
vim.ui.select = function(items, opts, on_choice)
  table.insert(prompts, { items = items, opts = opts, on_choice = on_choice })
end
local function prompt_of(kind)
  for _, p in ipairs(prompts) do
    if p.opts.kind == kind and not p.answered then
      return p
    end
  end
end
local function answer(p, pick)
  p.answered = true
  for _, item in ipairs(p.items) do
    if pick(item) then
      return p.on_choice(item)
    end
  end
  error('no such item among ' .. vim.inspect(p.items))
end

-- Every flake/environment the plugin received, in order.
local envs = {}
vim.api.nvim_create_autocmd('User', {
  pattern = 'FlakeLspEnvironment',
  callback = function(ev)
    table.insert(envs, ev.data)
  end,
})
local function env_after(n, state, extra)
  for i = n + 1, #envs do
    if envs[i].state == state and (not extra or extra(envs[i])) then
      return envs[i]
    end
  end
end

-- basedpyright as a user configures it, and a second one the plugin does not know about (the
-- control: what a Python server sees without the plugin).
local function pyright(extra)
  return vim.tbl_extend('force', {
    cmd = { 'basedpyright-langserver', '--stdio' },
    filetypes = { 'python' },
    root_markers = { 'pyproject.toml', '.git' },
    settings = { basedpyright = { analysis = { diagnosticMode = 'openFilesOnly' } } },
  }, extra or {})
end
vim.lsp.config('basedpyright', pyright())
local control_published = 0
vim.lsp.config('control_pyright', pyright({
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx)
      control_published = control_published + 1
      return vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx)
    end,
  },
}))
vim.lsp.enable({ 'basedpyright', 'control_pyright' })

require('flake-lsp').setup({
  cmd = { server },
  settings = {
    flakeLsp = { environment = { overrideInputs = { nixpkgs = 'path:' .. repo .. '/tests/fixtures/nixpkgs' } } },
  },
})

local function client(name)
  return vim.lsp.get_clients({ name = name })[1]
end

local function diagnostics_of(bufnr, name)
  local c = client(name)
  if not c then
    return nil
  end
  return vim.diagnostic.get(bufnr, { namespace = vim.lsp.diagnostic.get_namespace(c.id) })
end

local function unresolved(diags, module)
  for _, d in ipairs(diags or {}) do
    if d.message:find('Import "' .. (module or 'flakeonlypkg') .. '" could not be resolved', 1, true) then
      return d
    end
  end
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

-- The checks --------------------------------------------------------------------------------
local flake_buf, py_buf

local critical = check('opening flake.nix attaches flake-lsp and shows its diagnostic (unused_binding)', function()
  vim.cmd.edit(root .. '/flake.nix')
  flake_buf = vim.api.nvim_get_current_buf()
  eq(vim.bo[flake_buf].filetype, 'nix', 'filetype')
  wait('flake_lsp to attach', function()
    return #vim.lsp.get_clients({ name = 'flake_lsp', bufnr = flake_buf }) == 1
  end)
  eq(client('flake_lsp').root_dir, root, 'root_dir')
  wait('an unused_binding diagnostic', function()
    for _, d in ipairs(vim.diagnostic.get(flake_buf)) do
      if d.code == 'unused_binding' and d.message:find('unusedThing', 1, true) then
        return true
      end
    end
  end)
end)
if not critical then
  finish()
end

check('an untrusted flake: state untrusted, the trust prompt asked through vim.ui.select, vim.env untouched', function()
  wait('the trust prompt', function()
    return prompt_of('flake-lsp.trust') ~= nil
  end)
  truthy(env_after(0, 'untrusted'), 'an untrusted notification')
  local p = prompt_of('flake-lsp.trust')
  truthy(p.opts.prompt:find(root, 1, true), 'the prompt names the flake: ' .. p.opts.prompt)
  eq(require('flake-lsp').status(), 'flake: untrusted', 'status()')
  eq(vim.env.VIRTUAL_ENV, nil, 'VIRTUAL_ENV')
end)

check('before the environment: basedpyright cannot resolve the venv-only import', function()
  vim.cmd.edit(root .. '/main.py')
  py_buf = vim.api.nvim_get_current_buf()
  eq(vim.bo[py_buf].filetype, 'python', 'filetype')
  wait('both Python servers to report the unresolved import', function()
    return unresolved(diagnostics_of(py_buf, 'basedpyright')) and unresolved(diagnostics_of(py_buf, 'control_pyright'))
  end)
end)

local ready
critical = check('trusting in the prompt realises the environment: ready, vim.env has VIRTUAL_ENV and PATH', function()
  local n = #envs
  answer(prompt_of('flake-lsp.trust'), function(a)
    return a.title == 'Trust'
  end)
  wait('the environment to be ready', function()
    return env_after(n, 'ready') or env_after(n, 'failed')
  end)
  ready = env_after(n, 'ready')
  truthy(ready, 'ready, not failed: ' .. vim.inspect(env_after(n, 'failed')))
  eq(ready.python.interpreter, venv .. '/bin/python', 'python.interpreter')
  eq(vim.env.VIRTUAL_ENV, venv, 'vim.env.VIRTUAL_ENV')
  eq(vim.env.GREETING, 'hello', 'vim.env.GREETING')
  eq(vim.env.PATH, ready.set.PATH, 'vim.env.PATH is the environment PATH')
  local first = vim.split(vim.env.PATH, ':')
  eq(first[1], venv .. '/bin', 'first PATH entry')
  truthy(first[2]:match('^/nix/store/.*python3.*/bin$'), 'the shell Python next on PATH: ' .. first[2])
  eq(require('flake-lsp').status(), 'flake: ready', 'status()')
  local trust = vim.json.decode(table.concat(vim.fn.readfile(tmp .. '/data/flake-lsp/trust.json'), '\n'))
  eq(trust.flakes[root], 'trusted', 'trust store')
end)
if not critical then
  finish()
end

check('after the environment: basedpyright (already running) resolves the import, the control still does not', function()
  wait('basedpyright to resolve flakeonlypkg', function()
    local d = diagnostics_of(py_buf, 'basedpyright')
    return d and not unresolved(d)
  end)
  eq(client('basedpyright').settings.python.pythonPath, venv .. '/bin/python', 'basedpyright python.pythonPath')
  eq(vim.tbl_get(client('control_pyright').settings, 'python', 'pythonPath'), nil, 'control untouched')
  -- An edit makes both analyse again: only the switch made the difference.
  local published = control_published
  vim.api.nvim_buf_set_lines(py_buf, -1, -1, false, { 'print("edited")' })
  wait('the control to analyse the edit', function()
    return control_published > published
  end)
  truthy(unresolved(diagnostics_of(py_buf, 'control_pyright')), 'the control still cannot resolve it')
  wait('basedpyright to stay resolved', function()
    local d = diagnostics_of(py_buf, 'basedpyright')
    return d and not unresolved(d)
  end)
end)

check('a :terminal job started after ready prints the venv ($VIRTUAL_ENV)', function()
  vim.cmd('botright split')
  vim.cmd('terminal echo "VENV=$VIRTUAL_ENV"')
  local buf = vim.api.nvim_get_current_buf()
  wait(':terminal output', function()
    return buffer_text(buf):find('VENV=' .. venv, 1, true) ~= nil
  end, 30000)
  vim.cmd('close')
end)

check('jobstart and vim.system inherit the environment (python3 is the venv one)', function()
  local r = vim.system({ 'sh', '-c', 'echo "$VIRTUAL_ENV|$GREETING|$(command -v python3)"' }, { text = true }):wait(30000)
  eq(vim.trim(r.stdout), venv .. '|hello|' .. venv .. '/bin/python3', 'vim.system')
  local lines = {}
  local job = vim.fn.jobstart({ 'sh', '-c', 'echo "$VIRTUAL_ENV"' }, {
    stdout_buffered = true,
    on_stdout = function(_, data)
      lines = data
    end,
  })
  eq(vim.fn.jobwait({ job }, 30000)[1], 0, 'jobstart exit')
  eq(lines[1], venv, 'jobstart output')
end)

check('a Python server started after ready gets the interpreter (LspAttach)', function()
  local old = client('basedpyright')
  old:stop(true)
  wait('basedpyright to stop', function()
    return old:is_stopped()
  end, 30000)
  vim.api.nvim_set_current_buf(py_buf)
  vim.cmd('silent write')
  vim.cmd('silent edit!')
  wait('a new basedpyright', function()
    local c = client('basedpyright')
    return c and c.id ~= old.id and c.initialized
  end, 60000)
  wait('its python.pythonPath', function()
    return vim.tbl_get(client('basedpyright').settings, 'python', 'pythonPath') == venv .. '/bin/python'
  end, 30000)
  wait('the new basedpyright to resolve flakeonlypkg', function()
    local d = diagnostics_of(py_buf, 'basedpyright')
    return d and client('basedpyright').id ~= old.id and vim.lsp.diagnostic.get_namespace(client('basedpyright').id)
      and not unresolved(d) and #vim.lsp.get_clients({ name = 'basedpyright', bufnr = py_buf }) == 1
  end)
end)

check(':FlakeEnv shows the state, the interpreter and the variables', function()
  vim.api.nvim_set_current_buf(flake_buf)
  local text = vim.api.nvim_exec2('FlakeEnv', { output = true }).output
  truthy(text:find(root .. '  ready', 1, true), text)
  truthy(text:find('python: ' .. venv .. '/bin/python', 1, true), text)
  truthy(text:find('VIRTUAL_ENV=' .. venv, 1, true), text)
  truthy(text:find('applied to vim.env', 1, true), text)
end)

check(':FlakeTerminal opens a terminal in the environment, in the flake root', function()
  vim.cmd('cd /')
  vim.cmd('FlakeTerminal')
  wait('the terminal', function()
    return vim.b.flake_lsp_terminal ~= nil
  end, 30000)
  local buf = vim.api.nvim_get_current_buf()
  eq(vim.b[buf].flake_lsp_terminal.name, 'nix: default', 'name')
  -- One value a line: the terminal wraps long lines.
  vim.api.nvim_chan_send(vim.bo[buf].channel, 'echo "V=$VIRTUAL_ENV"; echo "D=$PWD"; echo "G=$GREETING"; exit\n')
  wait('the terminal output', function()
    local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
    return vim.list_contains(lines, 'V=' .. venv) and vim.list_contains(lines, 'D=' .. root)
      and vim.list_contains(lines, 'G=hello')
  end, 30000)
  vim.cmd('stopinsert')
  vim.cmd('close')
end)

check(':FlakeTerminal: the flake first on PATH after rc files that prepend (bash, zsh, fish)', function()
  -- A typical Python developer's HOME: each shell's rc file puts a fake python first.
  local home = tmp .. '/home'
  write(home .. '/shims/python', '#!/bin/sh\necho "the rc files\' python"\n')
  vim.uv.fs_chmod(home .. '/shims/python', 493)
  write(home .. '/.bashrc', 'export PATH="$HOME/shims:$PATH"\n')
  write(home .. '/.zshrc', 'export PATH="$HOME/shims:$PATH"\n')
  write(home .. '/.config/fish/config.fish', 'set -gx PATH $HOME/shims $PATH\n')
  local saved_home, saved_config, saved_shell = vim.env.HOME, vim.env.XDG_CONFIG_HOME, vim.o.shell
  vim.env.HOME = home
  vim.env.XDG_CONFIG_HOME = home .. '/.config'
  local ok, err = pcall(function()
    for _, shell in ipairs({ 'bash', 'zsh', 'fish' }) do
      truthy(vim.fn.executable(shell) == 1, shell .. ' is installed (scripts/test.sh installs it)')
      vim.o.shell = shell
      vim.b.flake_lsp_terminal = nil
      vim.cmd('FlakeTerminal')
      wait('the ' .. shell .. ' terminal', function()
        return vim.b.flake_lsp_terminal ~= nil
      end, 30000)
      local buf = vim.api.nvim_get_current_buf()
      -- The same line in all three shells; short output, as the terminal wraps long lines.
      vim.api.nvim_chan_send(vim.bo[buf].channel, [[sh -c 'if [ "$(command -v python)" = "$VIRTUAL_ENV/bin/python" ]; ]]
        .. [[then echo P=venv; else echo "P=other $(command -v python)"; fi'; echo END; exit]] .. '\n')
      wait('the ' .. shell .. ' terminal output', function()
        return vim.list_contains(vim.api.nvim_buf_get_lines(buf, 0, -1, false), 'END')
      end, 30000)
      local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
      vim.cmd('stopinsert')
      vim.cmd('close')
      truthy(vim.list_contains(lines, 'P=venv'), shell .. ': python is not the venv\'s:\n' .. table.concat(lines, '\n'))
    end
  end)
  vim.env.HOME, vim.env.XDG_CONFIG_HOME, vim.o.shell = saved_home, saved_config, saved_shell
  assert(ok, err)
end)

check('the "Enter environment" code action on the dev shell opens :FlakeTerminal', function()
  vim.api.nvim_set_current_buf(flake_buf)
  local line = vim.fn.search('devShells.x86_64-linux.default')
  truthy(line > 0, 'the dev shell line')
  vim.api.nvim_win_set_cursor(0, { line, 8 })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title:find('^Enter environment') ~= nil
    end,
  })
  wait('a terminal from the code action', function()
    return vim.b.flake_lsp_terminal ~= nil and vim.api.nvim_get_current_buf() ~= flake_buf
  end, 30000)
  eq(vim.b.flake_lsp_terminal.root, root, 'terminal root')
  vim.cmd('stopinsert')
  vim.cmd('close')
end)

check(':FlakeEnv reload realises again; :FlakeEnv trust answers', function()
  vim.api.nvim_set_current_buf(flake_buf)
  local n = #envs
  vim.cmd('FlakeEnv reload')
  wait('realising (stale meanwhile) then ready', function()
    return env_after(n, 'stale') and env_after(n, 'ready')
  end)
  eq(env_after(n, 'ready').fromCache, false, 'realised, not from the cache')
  eq(vim.env.VIRTUAL_ENV, venv, 'VIRTUAL_ENV after reload')
  local before = #notes
  vim.cmd('FlakeEnv trust')
  wait('the trust answer', function()
    for i = before + 1, #notes do
      if notes[i]:find('is trusted', 1, true) then
        return true
      end
    end
  end, 30000)
end)

check(':checkhealth flake-lsp runs without errors', function()
  vim.cmd('checkhealth flake-lsp')
  local text = buffer_text(vim.api.nvim_get_current_buf())
  truthy(text:find('flake-lsp: server', 1, true), text)
  truthy(text:find('flake-lsp: Nix', 1, true), text)
  truthy(text:find('nix (Nix)', 1, true), text)
  truthy(text:find(root .. ': trusted', 1, true), text)
  truthy(text:find(root .. ': ready', 1, true), text)
  truthy(not text:find('ERROR', 1, true), text)
  vim.cmd('bwipeout')
end)

check(':FlakeShell picks another dev shell: its environment replaces the first one in vim.env', function()
  vim.api.nvim_set_current_buf(flake_buf)
  local n = #envs
  vim.cmd('FlakeShell')
  wait('the shell prompt', function()
    return prompt_of('flake-lsp.shell') ~= nil
  end, 60000)
  local p = prompt_of('flake-lsp.shell')
  eq(p.items, { 'devShells.x86_64-linux.default', 'devShells.x86_64-linux.other' }, 'shells')
  answer(p, function(s)
    return s:find('other$')
  end)
  wait('the other shell ready', function()
    return env_after(n, 'ready', function(e)
      return e.shell == 'devShells.x86_64-linux.other'
    end)
  end)
  eq(client('flake_lsp').settings.flakeLsp.environment.shell, 'devShells.x86_64-linux.other', 'the setting')
  eq(vim.env.GREETING, 'other', 'GREETING')
  eq(vim.env.VIRTUAL_ENV, nil, 'VIRTUAL_ENV restored (unset)')
  -- The server still reports the flake's .venv (which this shell does not activate) as its Python.
  local other = env_after(n, 'ready', function(e)
    return e.shell == 'devShells.x86_64-linux.other'
  end)
  eq(vim.tbl_get(client('basedpyright').settings, 'python', 'pythonPath'), other.python and other.python.interpreter or nil,
    'pythonPath follows')
end)

check('a restarted flake-lsp starts without the applied environment: the same PATH from the cache and realised', function()
  local old = client('flake_lsp')
  local path = vim.env.PATH
  local n = #envs
  old:stop(true)
  wait('flake_lsp to stop', function()
    return old:is_stopped()
  end, 30000)
  vim.api.nvim_set_current_buf(flake_buf)
  vim.cmd('silent edit!')
  wait('a new flake_lsp ready', function()
    local c = client('flake_lsp')
    return c and c.id ~= old.id and env_after(n, 'ready')
  end)
  local again = env_after(n, 'ready')
  eq(again.fromCache, true, 'fromCache')
  eq(again.shell, 'devShells.x86_64-linux.other', 'the picked shell kept')
  eq(vim.env.PATH, path, 'PATH from the cache')
  -- Realised afresh by the new server: its own PATH is Neovim's, not the applied one.
  n = #envs
  vim.cmd('FlakeEnv reload')
  wait('ready again', function()
    return env_after(n, 'ready')
  end)
  eq(env_after(n, 'ready').fromCache, false, 'realised')
  eq(vim.env.PATH, path, 'PATH (the shell entries not prepended twice)')
end)

-- Two flakes at once ------------------------------------------------------------------------
-- Each its own git repository (so its own flake_lsp and basedpyright), its own .venv with a
-- package only it has, and variables only it sets.
local function two_flake(name)
  return ([[
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs }:
    let pkgs = nixpkgs.legacyPackages.x86_64-linux; in {
      devShells.x86_64-linux.default = pkgs.mkShell {
        packages = [ pkgs.python311 ];
        env.FLAKE_NAME = "@N@";
        env.ONLY_@N@ = "yes";
        shellHook = ''
          test -d .venv || python3 -m venv --without-pip .venv
          source .venv/bin/activate
          site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
          mkdir -p "$site/pkg@N@"
          echo 'ANSWER = 42' > "$site/pkg@N@/__init__.py"
        '';
      };
    };
}
]]):gsub("@N@", name)
end
local two = {}
for _, name in ipairs({ 'a', 'b' }) do
  local dir = tmp .. '/flake-' .. name
  write(dir .. '/flake.nix', two_flake(name))
  write(dir .. '/' .. name .. '.py', ('import pkg%s\n\nprint(pkg%s.ANSWER)\n'):format(name, name))
  sh({ 'git', 'init', '-q' }, dir)
  sh({ 'git', 'add', '-A' }, dir)
  two[name] = { root = dir, venv = dir .. '/.venv' }
end

-- The :FlakeShell check above made `other` the shell of every flake_lsp started from now on;
-- these flakes have only the default one.
local default_shell = { flakeLsp = { environment = { shell = 'devShells.x86_64-linux.default' } } }
vim.lsp.config('flake_lsp', { settings = default_shell, init_options = default_shell })

local function opens_flake(name)
  local f = two[name]
  local n = #envs
  vim.cmd.edit(f.root .. '/flake.nix')
  f.buf = vim.api.nvim_get_current_buf()
  wait('flake_lsp for flake-' .. name, function()
    local c = vim.lsp.get_clients({ name = 'flake_lsp', bufnr = f.buf })[1]
    return c and c.root_dir == f.root
  end)
  f.client = vim.lsp.get_clients({ name = 'flake_lsp', bufnr = f.buf })[1]
  local function trust_prompt()
    for _, p in ipairs(prompts) do
      if p.opts.kind == 'flake-lsp.trust' and not p.answered and p.opts.prompt:find(f.root, 1, true) then
        return p
      end
    end
  end
  wait('the trust prompt of flake-' .. name, trust_prompt)
  answer(trust_prompt(), function(a)
    return a.title == 'Trust'
  end)
  local function done(state)
    return env_after(n, state, function(e)
      return e.root == f.root
    end)
  end
  wait('flake-' .. name .. ' ready', function()
    return done('ready') or done('failed')
  end)
  truthy(done('ready'), 'ready, not failed: ' .. vim.inspect(done('failed')))
  eq(done('ready').python.interpreter, f.venv .. '/bin/python', 'python.interpreter of flake-' .. name)
  f.ready = true
end

local function shell_out(cmd)
  return vim.trim(vim.system({ 'sh', '-c', cmd }, { text = true }):wait(30000).stdout or '')
end

check('two flakes open at once: vim.env and jobs follow the current buffer\'s flake', function()
  opens_flake('a')
  opens_flake('b')
  local a, b = two.a, two.b
  truthy(a.client.id ~= b.client.id, 'a flake_lsp client each')
  vim.api.nvim_set_current_buf(a.buf)
  eq(shell_out('echo "$FLAKE_NAME|$ONLY_a|$ONLY_b|$VIRTUAL_ENV"'), 'a|yes||' .. a.venv, 'vim.system in flake-a')
  truthy(require('flake-lsp').status():find('^flake: ready'), 'status() in flake-a: ' .. require('flake-lsp').status())
  vim.api.nvim_set_current_buf(b.buf)
  eq(shell_out('echo "$FLAKE_NAME|$ONLY_a|$ONLY_b|$VIRTUAL_ENV"'), 'b||yes|' .. b.venv, 'vim.system in flake-b')
  vim.api.nvim_set_current_buf(a.buf)
  eq(vim.env.FLAKE_NAME, 'a', 'vim.env back in flake-a')
  eq(vim.env.ONLY_b, nil, 'ONLY_b gone')
  -- The helper runs in a buffer's flake, whatever vim.env holds.
  local r = require('flake-lsp').system({ 'sh', '-c', 'echo "$FLAKE_NAME|$ONLY_a|$ONLY_b|$VIRTUAL_ENV"' },
    { bufnr = b.buf, text = true }):wait(30000)
  eq(vim.trim(r.stdout), 'b||yes|' .. b.venv, "flake-lsp's system() for flake-b's buffer from flake-a")
end)

local function terminal_vars(open)
  open()
  wait('the terminal', function()
    return vim.b.flake_lsp_terminal ~= nil
  end, 30000)
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_chan_send(vim.bo[buf].channel,
    'echo "N=$FLAKE_NAME"; echo "A=$ONLY_a"; echo "B=$ONLY_b"; echo "V=$VIRTUAL_ENV"; echo "D=$PWD"; echo END; exit\n')
  wait('the terminal output', function()
    return vim.list_contains(vim.api.nvim_buf_get_lines(buf, 0, -1, false), 'END')
  end, 30000)
  local got = {}
  for _, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local k, v = line:match('^([NABVD])=(.*)$')
    if k then
      got[k] = v
    end
  end
  vim.cmd('stopinsert')
  vim.cmd('close')
  return got
end

-- The checks below need both flakes ready (the check above opened them).
if two.a.ready and two.b.ready then
  check(':FlakeTerminal in each flake\'s buffer opens that flake\'s environment, nothing of the other', function()
    local a, b = two.a, two.b
    for _, f in ipairs({ { a, 'a' }, { b, 'b' }, { a, 'a' } }) do
      local got = terminal_vars(function()
        vim.api.nvim_set_current_buf(f[1].buf)
        vim.cmd('FlakeTerminal')
      end)
      eq(got, { N = f[2], A = f[2] == 'a' and 'yes' or '', B = f[2] == 'b' and 'yes' or '', V = f[1].venv, D = f[1].root },
        ':FlakeTerminal from flake-' .. f[2])
    end
    -- Another flake's terminal from here: the applied environment (flake-a's) does not leak in.
    vim.api.nvim_set_current_buf(a.buf)
    local got = terminal_vars(function()
      require('flake-lsp').terminal(b.root)
    end)
    eq(got, { N = 'b', A = '', B = 'yes', V = b.venv, D = b.root }, "flake-b's terminal from flake-a's buffer")
  end)

  -- basedpyright's processes: children of this Neovim running basedpyright-langserver.
  local function pyright_processes()
    local found = {}
    for name in vim.fs.dir('/proc') do
      if name:match('^%d+$') then
        local fd = io.open('/proc/' .. name .. '/stat', 'r')
        local stat = fd and fd:read('*a') or ''
        if fd then
          fd:close()
        end
        local ppid = tonumber(stat:match('^%d+ %b() %S+ (%d+)'))
        local cmd = io.open('/proc/' .. name .. '/cmdline', 'r')
        local cmdline = cmd and cmd:read('*a') or ''
        if cmd then
          cmd:close()
        end
        if ppid == vim.fn.getpid() and cmdline:find('basedpyright-langserver', 1, true) then
          found[tonumber(name)] = true
        end
      end
    end
    return found
  end
  local function environ_of(pid)
    local fd = assert(io.open('/proc/' .. pid .. '/environ', 'r'))
    local text = fd:read('*a')
    fd:close()
    local env = {}
    for entry in text:gmatch('[^%z]+') do
      local k, v = entry:match('^([^=]+)=(.*)$')
      if k then
        env[k] = v
      end
    end
    return env
  end

  check('basedpyright for a .py file of each flake: that flake\'s interpreter and process environment', function()
    vim.lsp.enable('control_pyright', false)
    for _, name in ipairs({ 'a', 'b' }) do
      local f = two[name]
      local before = pyright_processes()
      vim.cmd.edit(f.root .. '/' .. name .. '.py')
      local buf = vim.api.nvim_get_current_buf()
      local c
      wait('basedpyright for flake-' .. name, function()
        c = vim.lsp.get_clients({ name = 'basedpyright', bufnr = buf })[1]
        return c and c.initialized
      end, 60000)
      eq(c.root_dir, f.root, 'its root')
      local new = {}
      for pid in pairs(pyright_processes()) do
        if not before[pid] then
          table.insert(new, pid)
        end
      end
      eq(#new, 1, 'one new basedpyright process')
      local penv = environ_of(new[1])
      eq({ penv.FLAKE_NAME, penv.VIRTUAL_ENV }, { name, f.venv }, 'the environment basedpyright of flake-' .. name .. ' started with')
      wait('its python.pythonPath', function()
        return vim.tbl_get(c.settings, 'python', 'pythonPath') == f.venv .. '/bin/python'
      end, 30000)
      wait('basedpyright of flake-' .. name .. ' to resolve pkg' .. name, function()
        local d = vim.diagnostic.get(buf, { namespace = vim.lsp.diagnostic.get_namespace(c.id) })
        return not unresolved(d, 'pkg' .. name)
      end)
    end
    local ca = vim.lsp.get_clients({ name = 'basedpyright', bufnr = vim.fn.bufnr(two.a.root .. '/a.py') })[1]
    eq(ca.settings.python.pythonPath, two.a.venv .. '/bin/python', "flake-a's basedpyright kept its interpreter")
  end)

  check('progress: each token by itself, by client; ending one leaves the others', function()
    local a, b = two.a, two.b
    local function progress(client, token, value)
      vim.api.nvim_exec_autocmds('LspProgress', {
        pattern = value.kind,
        modeline = false,
        data = { client_id = client.id, params = { token = token, value = value } },
      })
    end
    local flake = require('flake-lsp')
    local function titles(buf)
      local list = {}
      for _, p in ipairs(flake.progress(buf)) do
        if tostring(p.token):find('^test/') then
          table.insert(list, ('%s|%s|%s'):format(p.title, p.message or '', p.percentage or ''))
        end
      end
      return list
    end
    vim.api.nvim_set_current_buf(a.buf)
    -- The server's own progress (its package index) done first; nothing arrives from the
    -- servers below, which never wait.
    wait('the progress of the servers to end', function()
      -- (A plugin without progress() fails below, on status().)
      return not flake.progress or (#flake.progress(a.buf) == 0 and #flake.progress(b.buf) == 0)
    end)
    progress(a.client, 'test/index', { kind = 'begin', title = 'Indexing the packages of nixpkgs', percentage = 10 })
    progress(a.client, 'test/lock', { kind = 'begin', title = 'Updating flake.lock of flake-a' })
    -- The same token from the other flake's server is another progress.
    progress(b.client, 'test/index', { kind = 'begin', title = 'Realising the dev shell of flake-b', percentage = 5 })
    progress(a.client, 'test/index', { kind = 'report', message = 'details', percentage = 50 })
    local status = flake.status()
    truthy(status:find('^flake: ready, '), 'the state stays ready, the work under way follows: ' .. status)
    truthy(status:find('Indexing the packages of nixpkgs 50%', 1, true), status)
    truthy(status:find('Updating flake.lock of flake-a', 1, true), status)
    truthy(not status:find('Realising', 1, true), status)
    eq(titles(a.buf), { 'Indexing the packages of nixpkgs|details|50', 'Updating flake.lock of flake-a||' }, 'flake-a')
    eq(titles(b.buf), { 'Realising the dev shell of flake-b||5' }, 'flake-b')
    progress(a.client, 'test/lock', { kind = 'end' })
    eq(titles(a.buf), { 'Indexing the packages of nixpkgs|details|50' }, 'flake-a after the lock update ended')
    truthy(flake.status():find('Indexing the packages of nixpkgs 50%', 1, true), flake.status())
    progress(b.client, 'test/index', { kind = 'end' })
    eq(titles(a.buf), { 'Indexing the packages of nixpkgs|details|50' }, "flake-a after flake-b's ended")
    eq(titles(b.buf), {}, 'flake-b after its end')
    -- While the environment is realised again (stale), the index is still not the realisation.
    local environment = require('flake-lsp.environment')
    local ready_a = vim.deepcopy(environment.current(a.buf))
    local stale_a = vim.tbl_extend('force', ready_a, { state = 'stale', error = 'realising again' })
    environment.on_notification(stale_a, { client_id = a.client.id })
    eq(flake.status(), 'flake: stale (error), Indexing the packages of nixpkgs 50%', 'status() while stale')
    progress(a.client, 'test/realise', { kind = 'begin', title = 'Realising the dev shell of flake-a', percentage = 30 })
    eq(flake.status(), 'flake: stale 30% (error), Indexing the packages of nixpkgs 50%', 'status() while realising')
    progress(a.client, 'test/index', { kind = 'end' })
    eq(flake.status(), 'flake: stale 30% (error)', 'status() once the index ended')
    progress(a.client, 'test/realise', { kind = 'end' })
    environment.on_notification(ready_a, { client_id = a.client.id })
    eq(titles(a.buf), {}, 'flake-a after all ended')
    eq(flake.status(), 'flake: ready', 'status() at the end')
  end)
end

check('the commands exist', function()
  local commands = vim.api.nvim_get_commands({})
  for _, name in ipairs({ 'FlakeEnv', 'FlakeTerminal', 'FlakeShell' }) do
    truthy(commands[name], name)
  end
end)

vim.fn.delete(tmp, 'rf')
finish()
