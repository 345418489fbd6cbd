#!/usr/bin/env bash
# Para el `ollama serve` que arrancó el kit (scripts/ollama_start.sh): el pid de su archivo,
# comprobando antes que ese pid es de verdad un proceso de Ollama (un pid viejo puede ser ya
# de otro programa), con sus procesos hijos («ollama runner»). No toca otros servidores de
# Ollama: en un JupyterHub compartido pueden ser de otra persona, y en un portátil, el tuyo.
#
#   bash scripts/ollama_stop.sh         # solo el servidor que arrancó el kit
#   bash scripts/ollama_stop.sh --all   # además, como en la sesión: pkill -f "ollama serve"
#
# `pkill -f "ollama serve"` (el comando de la sesión) para todo proceso cuya línea de órdenes
# contenga «ollama serve»: bien en una máquina de Colab, que es solo tuya.
set -euo pipefail
# shellcheck source=scripts/ollama_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ollama_common.sh"

all=0
case "${1:-}" in
  --all) all=1 ;;
  "") ;;
  *)
    echo "Uso: bash scripts/ollama_stop.sh [--all]" >&2
    exit 2
    ;;
esac

stopped=0
failed=0

# Waits up to ~10 s for a pid to end after SIGTERM, then SIGKILLs it; fails if it survives.
wait_gone() {
  local pid="$1"
  for _ in $(seq 1 40); do
    pid_alive "$pid" || return 0
    sleep 0.25
  done
  echo "El pid $pid no terminó con SIGTERM: SIGKILL."
  kill -9 "$pid" 2>/dev/null || true
  sleep 0.2
  ! pid_alive "$pid"
}

# Reports the outcome for one pid.
report() {
  local pid="$1" how="$2"
  if wait_gone "$pid"; then
    echo "Parado ollama serve (pid $pid$how)."
    stopped=$((stopped + 1))
  else
    echo "No se pudo parar el pid $pid: ¿es de otro usuario o un servicio del sistema? (sudo systemctl stop ollama)" >&2
    failed=$((failed + 1))
  fi
}

# A pid's descendants (children first), so the server's «ollama runner» go with it.
descendants() {
  local kid
  for kid in $(pgrep -P "$1" || true); do
    echo "$kid"
    descendants "$kid"
  done
}

pid="$(read_pid_file)"
if [[ -n "$pid" ]]; then
  if ! pid_alive "$pid"; then
    echo "Archivo pid obsoleto (pid $pid ya no existía): lo borro."
  elif ! pid_is_ollama_serve "$pid"; then
    echo "El pid $pid del archivo $OLLAMA_PID_FILE ya no es un ollama serve; no es ollama serve sino «$(pid_cmdline "$pid")»: no lo toco y borro el archivo."
  else
    mapfile -t kids < <(descendants "$pid")
    kill "$pid" 2>/dev/null || true
    report "$pid" ", el que arrancó el kit"
    for k in "${kids[@]}"; do
      if pid_alive "$k"; then kill "$k" 2>/dev/null || true; fi
    done
  fi
  rm -f "$OLLAMA_PID_FILE"
fi

mapfile -t others < <(pgrep -f "ollama serve" || true)
if ((${#others[@]} > 0)); then
  if ((all)); then
    echo "Otros procesos «ollama serve»: ${others[*]} → pkill -f \"ollama serve\""
    pkill -f "ollama serve" || true
    for p in "${others[@]}"; do report "$p" ""; done
    # With no server left, any «ollama runner» that remains is an orphan.
    mapfile -t runners < <(pgrep -f "ollama runner" || true)
    if ((${#runners[@]} > 0)); then
      echo "Procesos «ollama runner» huérfanos: ${runners[*]} → los paro."
      kill "${runners[@]}" 2>/dev/null || true
    fi
  else
    echo "Hay otros «ollama serve» en marcha (pid ${others[*]}) que no arrancó el kit: no los toco."
    echo "Para pararlos todos, como en la sesión (pkill -f \"ollama serve\"): bash scripts/ollama_stop.sh --all"
  fi
fi

if ((stopped == 0 && failed == 0)); then
  echo "No había ningún ollama serve del kit en marcha."
elif version="$(ollama_version)"; then
  echo "Aviso: algo sigue respondiendo como Ollama en $(ollama_url) (versión $version): no lo arrancó el kit o es un servicio del sistema."
else
  echo "Nada responde ya en $(ollama_url)."
fi
((failed == 0))
