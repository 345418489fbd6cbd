#!/usr/bin/env bash
# Para `ollama serve`: primero el proceso del archivo pid (lo arrancó scripts/ollama_start.sh);
# después, como en la sesión, `pkill -f "ollama serve"` con cualquier otro que quede en ese
# OLLAMA_HOST (solo procesos que son de verdad «ollama serve»). Espera a
# que terminen (SIGTERM, y SIGKILL si no), recoge los «ollama runner» huérfanos del Ollama real
# y dice qué ha parado.
set -euo pipefail
# shellcheck source=scripts/ollama_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ollama_common.sh"

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

pid="$(read_pid_file)"
if [[ -n "$pid" ]]; then
  if pid_is_ollama_serve "$pid"; then
    kill "$pid" 2>/dev/null || true
    report "$pid" ", del archivo $OLLAMA_PID_FILE"
  elif pid_alive "$pid"; then
    echo "El pid $pid de $OLLAMA_PID_FILE no es ollama serve sino otro proceso («$(pid_cmdline "$pid")»): no lo toco; borro el archivo obsoleto."
  else
    echo "Archivo pid obsoleto (pid $pid ya no existía): lo borro."
  fi
  rm -f "$OLLAMA_PID_FILE"
fi

# As `pkill -f "ollama serve"` would, but only processes that really are `ollama serve`
# (pgrep -f also matches any command line that merely mentions the words) and serve this
# OLLAMA_HOST (another one, on another port, may be someone else's: a shared machine, a test).
url="$(ollama_url)"
others=()
while read -r p; do
  if [[ -n "$p" ]] && pid_is_ollama_serve "$p"; then
    served="$(pid_ollama_url "$p")"
    if [[ "$served" == "-" || "$served" == "$url" ]]; then others+=("$p"); fi
  fi
done < <(pgrep -f "ollama serve" || true)
if ((${#others[@]} > 0)); then
  echo "Otros procesos «ollama serve» en $url: ${others[*]} → los paro (como pkill -f \"ollama serve\")"
  kill "${others[@]}" 2>/dev/null || true
  for p in "${others[@]}"; do report "$p" ""; done
fi

# The real Ollama runs each model in an "ollama runner" child; with no server left, any that
# remains is an orphan.
if ! pgrep -f "ollama serve" >/dev/null 2>&1; then
  runners=()
  while read -r p; do
    if [[ -n "$p" ]] && [[ "$(pid_cmdline "$p")" =~ (^|/)ollama\ runner ]]; then runners+=("$p"); fi
  done < <(pgrep -f "ollama runner" || true)
  if ((${#runners[@]} > 0)); then
    echo "Procesos «ollama runner» huérfanos: ${runners[*]} → los paro."
    kill "${runners[@]}" 2>/dev/null || true
  fi
fi

if ((stopped == 0 && failed == 0)); then
  echo "No había ningún ollama serve en marcha."
elif version="$(ollama_version)"; then
  echo "Aviso: algo sigue respondiendo como Ollama en $(ollama_url) (versión $version): no lo arrancó este usuario o es un servicio del sistema."
else
  echo "Nada responde ya en $(ollama_url)."
fi
((failed == 0))
