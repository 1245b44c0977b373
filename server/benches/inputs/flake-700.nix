{
  description = "A large development flake: many packages, shells and checks";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
    flake-utils.url = "github:numtide/flake-utils";
    rust-overlay = { url = "github:oxalica/rust-overlay"; inputs.nixpkgs.follows = "nixpkgs"; };
  };

  outputs = { self, nixpkgs, flake-utils, rust-overlay }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = import nixpkgs { inherit system; overlays = [ rust-overlay.overlays.default ]; };
        lib = pkgs.lib;
        isLinux = pkgs.stdenv.isLinux;
        tool0 = pkgs.writeShellScriptBin "tool-0" ''
          echo "running tool 0 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(0)" "$@"
        '';
        shell0 = pkgs.mkShell {
          name = "shell-0";
          packages = with pkgs; [ python311 git tool0 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool1 = pkgs.writeShellScriptBin "tool-1" ''
          echo "running tool 1 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(1)" "$@"
        '';
        shell1 = pkgs.mkShell {
          name = "shell-1";
          packages = with pkgs; [ python311 git tool1 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool2 = pkgs.writeShellScriptBin "tool-2" ''
          echo "running tool 2 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(2)" "$@"
        '';
        shell2 = pkgs.mkShell {
          name = "shell-2";
          packages = with pkgs; [ python311 git tool2 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool3 = pkgs.writeShellScriptBin "tool-3" ''
          echo "running tool 3 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(3)" "$@"
        '';
        shell3 = pkgs.mkShell {
          name = "shell-3";
          packages = with pkgs; [ python311 git tool3 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool4 = pkgs.writeShellScriptBin "tool-4" ''
          echo "running tool 4 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(4)" "$@"
        '';
        shell4 = pkgs.mkShell {
          name = "shell-4";
          packages = with pkgs; [ python311 git tool4 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool5 = pkgs.writeShellScriptBin "tool-5" ''
          echo "running tool 5 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(5)" "$@"
        '';
        shell5 = pkgs.mkShell {
          name = "shell-5";
          packages = with pkgs; [ python311 git tool5 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool6 = pkgs.writeShellScriptBin "tool-6" ''
          echo "running tool 6 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(6)" "$@"
        '';
        shell6 = pkgs.mkShell {
          name = "shell-6";
          packages = with pkgs; [ python311 git tool6 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool7 = pkgs.writeShellScriptBin "tool-7" ''
          echo "running tool 7 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(7)" "$@"
        '';
        shell7 = pkgs.mkShell {
          name = "shell-7";
          packages = with pkgs; [ python311 git tool7 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool8 = pkgs.writeShellScriptBin "tool-8" ''
          echo "running tool 8 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(8)" "$@"
        '';
        shell8 = pkgs.mkShell {
          name = "shell-8";
          packages = with pkgs; [ python311 git tool8 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool9 = pkgs.writeShellScriptBin "tool-9" ''
          echo "running tool 9 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(9)" "$@"
        '';
        shell9 = pkgs.mkShell {
          name = "shell-9";
          packages = with pkgs; [ python311 git tool9 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool10 = pkgs.writeShellScriptBin "tool-10" ''
          echo "running tool 10 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(10)" "$@"
        '';
        shell10 = pkgs.mkShell {
          name = "shell-10";
          packages = with pkgs; [ python311 git tool10 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool11 = pkgs.writeShellScriptBin "tool-11" ''
          echo "running tool 11 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(11)" "$@"
        '';
        shell11 = pkgs.mkShell {
          name = "shell-11";
          packages = with pkgs; [ python311 git tool11 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool12 = pkgs.writeShellScriptBin "tool-12" ''
          echo "running tool 12 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(12)" "$@"
        '';
        shell12 = pkgs.mkShell {
          name = "shell-12";
          packages = with pkgs; [ python311 git tool12 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool13 = pkgs.writeShellScriptBin "tool-13" ''
          echo "running tool 13 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(13)" "$@"
        '';
        shell13 = pkgs.mkShell {
          name = "shell-13";
          packages = with pkgs; [ python311 git tool13 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool14 = pkgs.writeShellScriptBin "tool-14" ''
          echo "running tool 14 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(14)" "$@"
        '';
        shell14 = pkgs.mkShell {
          name = "shell-14";
          packages = with pkgs; [ python311 git tool14 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool15 = pkgs.writeShellScriptBin "tool-15" ''
          echo "running tool 15 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(15)" "$@"
        '';
        shell15 = pkgs.mkShell {
          name = "shell-15";
          packages = with pkgs; [ python311 git tool15 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool16 = pkgs.writeShellScriptBin "tool-16" ''
          echo "running tool 16 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(16)" "$@"
        '';
        shell16 = pkgs.mkShell {
          name = "shell-16";
          packages = with pkgs; [ python311 git tool16 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool17 = pkgs.writeShellScriptBin "tool-17" ''
          echo "running tool 17 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(17)" "$@"
        '';
        shell17 = pkgs.mkShell {
          name = "shell-17";
          packages = with pkgs; [ python311 git tool17 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool18 = pkgs.writeShellScriptBin "tool-18" ''
          echo "running tool 18 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(18)" "$@"
        '';
        shell18 = pkgs.mkShell {
          name = "shell-18";
          packages = with pkgs; [ python311 git tool18 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool19 = pkgs.writeShellScriptBin "tool-19" ''
          echo "running tool 19 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(19)" "$@"
        '';
        shell19 = pkgs.mkShell {
          name = "shell-19";
          packages = with pkgs; [ python311 git tool19 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool20 = pkgs.writeShellScriptBin "tool-20" ''
          echo "running tool 20 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(20)" "$@"
        '';
        shell20 = pkgs.mkShell {
          name = "shell-20";
          packages = with pkgs; [ python311 git tool20 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool21 = pkgs.writeShellScriptBin "tool-21" ''
          echo "running tool 21 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(21)" "$@"
        '';
        shell21 = pkgs.mkShell {
          name = "shell-21";
          packages = with pkgs; [ python311 git tool21 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool22 = pkgs.writeShellScriptBin "tool-22" ''
          echo "running tool 22 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(22)" "$@"
        '';
        shell22 = pkgs.mkShell {
          name = "shell-22";
          packages = with pkgs; [ python311 git tool22 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool23 = pkgs.writeShellScriptBin "tool-23" ''
          echo "running tool 23 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(23)" "$@"
        '';
        shell23 = pkgs.mkShell {
          name = "shell-23";
          packages = with pkgs; [ python311 git tool23 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool24 = pkgs.writeShellScriptBin "tool-24" ''
          echo "running tool 24 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(24)" "$@"
        '';
        shell24 = pkgs.mkShell {
          name = "shell-24";
          packages = with pkgs; [ python311 git tool24 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool25 = pkgs.writeShellScriptBin "tool-25" ''
          echo "running tool 25 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(25)" "$@"
        '';
        shell25 = pkgs.mkShell {
          name = "shell-25";
          packages = with pkgs; [ python311 git tool25 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool26 = pkgs.writeShellScriptBin "tool-26" ''
          echo "running tool 26 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(26)" "$@"
        '';
        shell26 = pkgs.mkShell {
          name = "shell-26";
          packages = with pkgs; [ python311 git tool26 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool27 = pkgs.writeShellScriptBin "tool-27" ''
          echo "running tool 27 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(27)" "$@"
        '';
        shell27 = pkgs.mkShell {
          name = "shell-27";
          packages = with pkgs; [ python311 git tool27 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool28 = pkgs.writeShellScriptBin "tool-28" ''
          echo "running tool 28 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(28)" "$@"
        '';
        shell28 = pkgs.mkShell {
          name = "shell-28";
          packages = with pkgs; [ python311 git tool28 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool29 = pkgs.writeShellScriptBin "tool-29" ''
          echo "running tool 29 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(29)" "$@"
        '';
        shell29 = pkgs.mkShell {
          name = "shell-29";
          packages = with pkgs; [ python311 git tool29 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool30 = pkgs.writeShellScriptBin "tool-30" ''
          echo "running tool 30 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(30)" "$@"
        '';
        shell30 = pkgs.mkShell {
          name = "shell-30";
          packages = with pkgs; [ python311 git tool30 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool31 = pkgs.writeShellScriptBin "tool-31" ''
          echo "running tool 31 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(31)" "$@"
        '';
        shell31 = pkgs.mkShell {
          name = "shell-31";
          packages = with pkgs; [ python311 git tool31 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool32 = pkgs.writeShellScriptBin "tool-32" ''
          echo "running tool 32 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(32)" "$@"
        '';
        shell32 = pkgs.mkShell {
          name = "shell-32";
          packages = with pkgs; [ python311 git tool32 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool33 = pkgs.writeShellScriptBin "tool-33" ''
          echo "running tool 33 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(33)" "$@"
        '';
        shell33 = pkgs.mkShell {
          name = "shell-33";
          packages = with pkgs; [ python311 git tool33 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool34 = pkgs.writeShellScriptBin "tool-34" ''
          echo "running tool 34 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(34)" "$@"
        '';
        shell34 = pkgs.mkShell {
          name = "shell-34";
          packages = with pkgs; [ python311 git tool34 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool35 = pkgs.writeShellScriptBin "tool-35" ''
          echo "running tool 35 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(35)" "$@"
        '';
        shell35 = pkgs.mkShell {
          name = "shell-35";
          packages = with pkgs; [ python311 git tool35 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool36 = pkgs.writeShellScriptBin "tool-36" ''
          echo "running tool 36 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(36)" "$@"
        '';
        shell36 = pkgs.mkShell {
          name = "shell-36";
          packages = with pkgs; [ python311 git tool36 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool37 = pkgs.writeShellScriptBin "tool-37" ''
          echo "running tool 37 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(37)" "$@"
        '';
        shell37 = pkgs.mkShell {
          name = "shell-37";
          packages = with pkgs; [ python311 git tool37 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool38 = pkgs.writeShellScriptBin "tool-38" ''
          echo "running tool 38 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(38)" "$@"
        '';
        shell38 = pkgs.mkShell {
          name = "shell-38";
          packages = with pkgs; [ python311 git tool38 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool39 = pkgs.writeShellScriptBin "tool-39" ''
          echo "running tool 39 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(39)" "$@"
        '';
        shell39 = pkgs.mkShell {
          name = "shell-39";
          packages = with pkgs; [ python311 git tool39 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool40 = pkgs.writeShellScriptBin "tool-40" ''
          echo "running tool 40 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(40)" "$@"
        '';
        shell40 = pkgs.mkShell {
          name = "shell-40";
          packages = with pkgs; [ python311 git tool40 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool41 = pkgs.writeShellScriptBin "tool-41" ''
          echo "running tool 41 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(41)" "$@"
        '';
        shell41 = pkgs.mkShell {
          name = "shell-41";
          packages = with pkgs; [ python311 git tool41 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool42 = pkgs.writeShellScriptBin "tool-42" ''
          echo "running tool 42 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(42)" "$@"
        '';
        shell42 = pkgs.mkShell {
          name = "shell-42";
          packages = with pkgs; [ python311 git tool42 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool43 = pkgs.writeShellScriptBin "tool-43" ''
          echo "running tool 43 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(43)" "$@"
        '';
        shell43 = pkgs.mkShell {
          name = "shell-43";
          packages = with pkgs; [ python311 git tool43 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
        tool44 = pkgs.writeShellScriptBin "tool-44" ''
          echo "running tool 44 on ${system}"
          ${lib.optionalString isLinux "export LD_LIBRARY_PATH=${pkgs.zlib}/lib"}
          exec ${pkgs.python311}/bin/python -c "print(44)" "$@"
        '';
        shell44 = pkgs.mkShell {
          name = "shell-44";
          packages = with pkgs; [ python311 git tool44 ] ++ lib.optionals isLinux [ gcc ];
          shellHook = ''
            test -d .venv || python -m venv .venv
            source .venv/bin/activate
          '';
        };
      in
      {
        packages = {
          tool0 = tool0;
          tool1 = tool1;
          tool2 = tool2;
          tool3 = tool3;
          tool4 = tool4;
          tool5 = tool5;
          tool6 = tool6;
          tool7 = tool7;
          tool8 = tool8;
          tool9 = tool9;
          tool10 = tool10;
          tool11 = tool11;
          tool12 = tool12;
          tool13 = tool13;
          tool14 = tool14;
          tool15 = tool15;
          tool16 = tool16;
          tool17 = tool17;
          tool18 = tool18;
          tool19 = tool19;
          tool20 = tool20;
          tool21 = tool21;
          tool22 = tool22;
          tool23 = tool23;
          tool24 = tool24;
          tool25 = tool25;
          tool26 = tool26;
          tool27 = tool27;
          tool28 = tool28;
          tool29 = tool29;
          tool30 = tool30;
          tool31 = tool31;
          tool32 = tool32;
          tool33 = tool33;
          tool34 = tool34;
          tool35 = tool35;
          tool36 = tool36;
          tool37 = tool37;
          tool38 = tool38;
          tool39 = tool39;
          tool40 = tool40;
          tool41 = tool41;
          tool42 = tool42;
          tool43 = tool43;
          tool44 = tool44;
          default = tool0;
        };
        devShells = {
          shell0 = shell0;
          shell1 = shell1;
          shell2 = shell2;
          shell3 = shell3;
          shell4 = shell4;
          shell5 = shell5;
          shell6 = shell6;
          shell7 = shell7;
          shell8 = shell8;
          shell9 = shell9;
          shell10 = shell10;
          shell11 = shell11;
          shell12 = shell12;
          shell13 = shell13;
          shell14 = shell14;
          shell15 = shell15;
          shell16 = shell16;
          shell17 = shell17;
          shell18 = shell18;
          shell19 = shell19;
          shell20 = shell20;
          shell21 = shell21;
          shell22 = shell22;
          shell23 = shell23;
          shell24 = shell24;
          shell25 = shell25;
          shell26 = shell26;
          shell27 = shell27;
          shell28 = shell28;
          shell29 = shell29;
          shell30 = shell30;
          shell31 = shell31;
          shell32 = shell32;
          shell33 = shell33;
          shell34 = shell34;
          shell35 = shell35;
          shell36 = shell36;
          shell37 = shell37;
          shell38 = shell38;
          shell39 = shell39;
          shell40 = shell40;
          shell41 = shell41;
          shell42 = shell42;
          shell43 = shell43;
          shell44 = shell44;
          default = shell0;
        };
      });
}
