#!/usr/bin/env bash
# Prepares Google Colab (or any Debian-like machine) for the kit's Colab notebooks:
#   1. Deno: official install script (curl -fsSL https://deno.land/install.sh | sh), pinned
#      version; skipped when a deno is already on PATH or in $DENO_INSTALL/bin.
#   2. The kit: git clone into $KIT_DIR, or `git pull --ff-only` when it is already there
#      (KIT_UPDATE=0 skips the update).
#   3. The project-local Deno kernelspec (.cache/jupyter) and the npm packages, through the
#      kit's own scripts/setup.ts functions (each does nothing when already done).
#   4. The %%deno bridge (scripts/colab/deno_bridge.py): importable by $PYTHON, through a
#      .pth file in its site-packages when it is not already — only on Colab (COLAB_RELEASE_TAG)
#      or in a virtualenv; elsewhere the notebook's first cell puts it on sys.path.
#   5. With an NVIDIA GPU: the Vulkan loader (libvulkan1) that device: "webgpu" needs.
#   6. With --ollama: Ollama, through scripts/ollama_install.sh.
# Prints what it did and what was already there (Spanish: students read it).
# Run from a Colab cell: !bash /content/<kit>/scripts/colab_bootstrap.sh [--ollama]
#
# Environment: KIT_DIR (default: the kit holding this script), KIT_REPO_URL (needed only to
# clone), KIT_BRANCH (main), KIT_UPDATE (1), DENO_VERSION (v2.9.6), DENO_INSTALL (~/.deno),
# PYTHON (python3: the notebook's Python, for the bridge), DENO_INSTALL_URL.
# Exit codes: 0 ready, 1 a step failed, 2 bad usage.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
default_kit="$(dirname "$script_dir")"
KIT_DIR="${KIT_DIR:-$default_kit}"
KIT_REPO_URL="${KIT_REPO_URL:-}"
KIT_BRANCH="${KIT_BRANCH:-main}"
KIT_UPDATE="${KIT_UPDATE:-1}"
DENO_VERSION="${DENO_VERSION:-v2.9.6}"
DENO_INSTALL="${DENO_INSTALL:-$HOME/.deno}"
DENO_INSTALL_URL="${DENO_INSTALL_URL:-https://deno.land/install.sh}"
PYTHON="${PYTHON:-python3}"

with_ollama=0
for arg in "$@"; do
  case "$arg" in
    --ollama) with_ollama=1 ;;
    -h | --help)
      sed -n '2,19p' "${BASH_SOURCE[0]:-$0}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "Error: opción desconocida «$arg». Uso: colab_bootstrap.sh [--ollama]" >&2
      exit 2
      ;;
  esac
done

did=()     # what this run installed or changed
already=() # what was already in place

fail() {
  echo "Error: $*" >&2
  exit 1
}

# 1. Deno -------------------------------------------------------------------------------
deno_bin=""
if command -v deno >/dev/null 2>&1; then
  deno_bin="$(command -v deno)"
elif [[ -x "$DENO_INSTALL/bin/deno" ]]; then
  deno_bin="$DENO_INSTALL/bin/deno"
fi
if [[ -n "$deno_bin" ]]; then
  already+=("Deno $("$deno_bin" --version | head -n 1 | cut -d' ' -f2) ($deno_bin)")
else
  echo "Instalando Deno $DENO_VERSION: curl -fsSL $DENO_INSTALL_URL | sh"
  command -v unzip >/dev/null 2>&1 || {
    echo "Falta unzip (lo necesita el instalador de Deno): apt-get install -y unzip"
    apt-get install -y -q unzip >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q unzip >/dev/null; }
  }
  # The installer may fail in its optional shell set-up step after installing the binary:
  # what counts is a working deno afterwards.
  curl -fsSL "$DENO_INSTALL_URL" | DENO_INSTALL="$DENO_INSTALL" sh -s -- -y --no-modify-path "$DENO_VERSION" ||
    echo "(el instalador de Deno terminó con un aviso; se comprueba el binario)"
  deno_bin="$DENO_INSTALL/bin/deno"
  "$deno_bin" --version >/dev/null 2>&1 || fail "Deno no quedó instalado en $deno_bin."
  # Colab's shells and kernels do not read ~/.bashrc: a link in /usr/local/bin puts it on PATH.
  if [[ -w /usr/local/bin ]]; then
    ln -sf "$deno_bin" /usr/local/bin/deno
  fi
  did+=("Deno $("$deno_bin" --version | head -n 1 | cut -d' ' -f2) instalado en $deno_bin")
fi

# 2. The kit ----------------------------------------------------------------------------
if [[ -f "$KIT_DIR/deno.json" && -f "$KIT_DIR/scripts/setup.ts" ]]; then
  if [[ "$KIT_UPDATE" == 1 && -d "$KIT_DIR/.git" ]]; then
    before="$(git -C "$KIT_DIR" rev-parse --short HEAD)"
    if git -C "$KIT_DIR" pull --ff-only --quiet; then
      after="$(git -C "$KIT_DIR" rev-parse --short HEAD)"
      if [[ "$before" == "$after" ]]; then
        already+=("el kit en $KIT_DIR (al día, $after)")
      else
        did+=("kit actualizado en $KIT_DIR ($before → $after)")
      fi
    else
      echo "Aviso: no se pudo actualizar el kit (git pull); se usa la copia que hay." >&2
      already+=("el kit en $KIT_DIR (sin actualizar)")
    fi
  else
    already+=("el kit en $KIT_DIR")
  fi
else
  [[ -n "$KIT_REPO_URL" ]] || fail "no está el kit en $KIT_DIR y falta KIT_REPO_URL para clonarlo."
  [[ ! -e "$KIT_DIR" || -z "$(ls -A "$KIT_DIR")" ]] ||
    fail "$KIT_DIR existe pero no es el kit: bórralo o elige otro KIT_DIR."
  echo "Clonando el kit: git clone --depth 1 --branch $KIT_BRANCH $KIT_REPO_URL $KIT_DIR"
  git clone --quiet --depth 1 --branch "$KIT_BRANCH" "$KIT_REPO_URL" "$KIT_DIR" ||
    fail "no se pudo clonar $KIT_REPO_URL."
  did+=("kit clonado en $KIT_DIR")
fi

# 3. Kernelspec and npm packages, with the kit's own set-up functions ----------------------
result_file="$(mktemp)"
trap 'rm -f "$result_file"' EXIT
(cd "$KIT_DIR" && RESULT_FILE="$result_file" "$deno_bin" eval --quiet "
import { ensureKernelSpec, ensureNpmPackages } from 'file://$KIT_DIR/scripts/setup.ts';
const spec = ensureKernelSpec();
const npm = await ensureNpmPackages();
Deno.writeTextFileSync(Deno.env.get('RESULT_FILE')!, JSON.stringify({ spec, npm }));
") || fail "no se pudieron preparar el kernel de Deno ni los paquetes npm."
result="$(cat "$result_file")"
jupyter_dir="$KIT_DIR/.cache/jupyter"
if [[ "$result" == *'"spec":true'* ]]; then
  did+=("kernel de Deno registrado en $jupyter_dir")
else
  already+=("el kernel de Deno ($jupyter_dir)")
fi
if [[ "$result" == *'"npm":true'* ]]; then
  did+=("paquetes npm del kit instalados")
else
  already+=("los paquetes npm del kit")
fi

# 4. The %%deno bridge --------------------------------------------------------------------
bridge_dir="$KIT_DIR/scripts/colab"
"$PYTHON" -c "import jupyter_client" 2>/dev/null || {
  echo "Instalando jupyter_client para $PYTHON (pip)…"
  "$PYTHON" -m pip install -q jupyter_client || fail "no se pudo instalar jupyter_client."
  did+=("jupyter_client instalado con pip")
}
found="$("$PYTHON" -c "import deno_bridge, os; print(os.path.dirname(os.path.abspath(deno_bridge.__file__)))" 2>/dev/null || true)"
if [[ "$found" == "$(cd "$bridge_dir" && pwd -P)" || "$found" == "$bridge_dir" ]]; then
  already+=("el puente %%deno ($bridge_dir)")
else
  # A .pth in site-packages only where that Python belongs to this job: Colab's runtime, or a
  # virtualenv. On a laptop's system Python nothing is written there: the notebook's first cell
  # puts the bridge's folder on sys.path itself.
  in_venv="$("$PYTHON" -c "import sys; print(int(sys.prefix != sys.base_prefix))")"
  if [[ -n "${COLAB_RELEASE_TAG:-}" || "$in_venv" == 1 ]]; then
    site_dir="$("$PYTHON" -c "import site; print(site.getsitepackages()[0])")"
    echo "$bridge_dir" >"$site_dir/deno_bridge.pth" || fail "no se pudo escribir en $site_dir."
    did+=("puente %%deno instalado ($site_dir/deno_bridge.pth, solo en Colab o en un virtualenv)")
  else
    did+=("puente %%deno sin tocar site-packages (fuera de Colab y de un virtualenv): la primera celda añade $bridge_dir a sys.path")
  fi
fi

# 5. Vulkan loader, for device: "webgpu" (onnxruntime's WebGPU runs on NVIDIA through Vulkan) --
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  if ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    already+=("el cargador de Vulkan (libvulkan1) para la GPU")
  elif [[ "$(id -u)" == 0 ]]; then
    echo "Instalando el cargador de Vulkan para la GPU: apt-get install -y libvulkan1"
    apt-get install -y -q libvulkan1 >/dev/null ||
      { apt-get update -q >/dev/null && apt-get install -y -q libvulkan1 >/dev/null; } ||
      fail "no se pudo instalar libvulkan1."
    did+=("libvulkan1 instalado (device: \"webgpu\")")
  else
    echo "Aviso: hay GPU pero falta libvulkan1; instálalo con: sudo apt-get install -y libvulkan1" >&2
  fi
  # WebGPU also needs the NVIDIA Vulkan driver (its ICD manifest), which Colab may not ship.
  icd=""
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    [[ -f "$d/nvidia_icd.json" ]] && icd="$d/nvidia_icd.json"
  done
  if [[ -z "$icd" ]]; then
    echo "Aviso: no está el driver Vulkan de NVIDIA (nvidia_icd.json): device: \"webgpu\" no podrá usar la GPU aquí; el cuaderno 02 lo detecta y sigue en CPU." >&2
  fi
fi

# 6. Ollama (optional) ----------------------------------------------------------------------
if [[ "$with_ollama" == 1 ]]; then
  if command -v ollama >/dev/null 2>&1; then
    already+=("Ollama ($(command -v ollama))")
  else
    bash "$KIT_DIR/scripts/ollama_install.sh" || fail "no se pudo instalar Ollama."
    did+=("Ollama instalado")
  fi
fi

# Summary -----------------------------------------------------------------------------------
for item in "${already[@]}"; do echo "Ya estaba: $item."; done
if ((${#did[@]})); then
  for item in "${did[@]}"; do echo "Hecho: $item."; done
else
  echo "No hizo falta instalar nada."
fi
echo "Listo: las celdas %%deno se ejecutan en un kernel de Deno (cargado con %load_ext deno_bridge)."
